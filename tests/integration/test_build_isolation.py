"""A failing model skips only what depends on it, and the build report names the model and its extracts.

Real extracts, real ingest, a real `dbt build` twice: once clean, then with one model failing through the
fault-injection setting (STOCKFLOW_FAILPOINT=dbt_fail:<model>, a pre-hook on every model). dbt's own
run_results.json and manifest.json are read by `build_report`, as the warehouse step does.
"""

from __future__ import annotations

import json

from pipelines.warehouse.build_report import build_report, files_loaded_since
from pipelines.warehouse.connection import connect
from tests.integration.conftest import run_dbt
from tests.integration.test_marts_inventory import VARS, _extracts


def _results(target):
    return (
        json.loads((target / "run_results.json").read_text(encoding="utf-8")),
        json.loads((target / "manifest.json").read_text(encoding="utf-8")),
    )


def test_a_failing_model_skips_its_dependants_only_and_is_named(
    build_warehouse, settings, tmp_path, monkeypatch
):
    build_warehouse(_extracts(), dbt_args=("build", "--vars", VARS)).close()
    clean = _results(tmp_path / "dbt_target")
    assert build_report(*clean).ok

    monkeypatch.setenv("STOCKFLOW_FAILPOINT", "dbt_fail:int_fx_rates_daily")
    target = tmp_path / "dbt_failing"
    proc = run_dbt(settings, "build", "--vars", VARS, target_path=target)
    assert proc.returncode == 1
    run_results, manifest = _results(target)
    report = build_report(run_results, manifest)

    assert [(f.name, f.resource_type) for f in report.failures] == [("int_fx_rates_daily", "model")]
    failure = report.failures[0]
    assert "failpoint dbt_fail:int_fx_rates_daily" in failure.message  # the cause, not dbt's header line
    assert "fx_rates" in failure.sources
    status = {r["unique_id"].split(".")[-1]: r["status"] for r in run_results["results"]}
    # what reads the FX rates is skipped and keeps its last build ...
    assert status["fct_daily_stock"] == "skipped" and "fct_daily_stock" in report.skipped_models
    assert set(failure.skipped) == set(report.skipped_models)
    # ... and what does not is built
    assert status["fct_supplier_performance"] == "success"
    assert status["stg_erp__sales_order_lines"] == "success"
    assert "fct_supplier_performance" not in report.skipped_models

    with connect(settings.warehouse_path, read_only=True) as conn:
        files = files_loaded_since(conn, failure.sources, None)
        # the last build's tables are still there, and still whole
        assert conn.execute("select count(*) from marts.fct_daily_stock").fetchall()[0][0] > 0
    text = report.text(files)
    assert text.startswith("model int_fx_rates_daily failed: failpoint dbt_fail:int_fx_rates_daily")
    assert "fx_rates (" in text and ".csv loaded in this run)" in text
    assert f"not rebuilt ({len(report.skipped_models)} models" in text


def test_a_failing_data_test_is_reported_on_its_model(build_warehouse, settings, tmp_path, monkeypatch):
    """A data test that fails skips the models downstream of its model; the report names test and model."""
    build_warehouse(_extracts(), dbt_args=("build", "--vars", VARS)).close()
    # a mart row the data tests refuse, written behind dbt's back: the next build's test of the view fails
    with connect(settings.warehouse_path) as conn:
        conn.execute("insert into raw.fx_rates (rate_date, currency, rate) values ('2025-01-02', 'ZZZ', -1)")
    target = tmp_path / "dbt_failing"
    proc = run_dbt(settings, "build", "--vars", VARS, target_path=target)
    assert proc.returncode == 1
    report = build_report(*_results(target))
    tests = [f for f in report.failures if f.resource_type == "test"]
    assert tests and all(f.tested_model for f in tests)
    assert any("fx_rates" in f.sources for f in tests)
    assert "data test " in report.text()
