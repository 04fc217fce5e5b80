"""One end-to-end run: a generated demo company in tmp_path, the whole job in process, content asserted."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from pipelines.cli import main as cli_main
from pipelines.demo.generator import DemoConfig, generate_demo
from pipelines.ingest.extracts.schema import KINDS
from pipelines.operations.runner import format_summary, run_refresh, summarise
from pipelines.warehouse import connection as wh


def _q(settings, sql):
    with wh.connect(settings.warehouse_path, read_only=True) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def demo(settings):
    config = DemoConfig(skus=40, warehouses=2, days=150, seed=11, lang="zh", end_date=date(2025, 6, 30))
    return generate_demo(settings.inbox, config, progress=False)


def test_daily_refresh_end_to_end(settings, demo, capsys):
    outcome = run_refresh(settings)
    assert outcome.success, outcome.reason

    # every generated file loaded, none rejected; the inbox is empty and the archive holds them all
    assert _q(settings, "select status, count(*) from raw._files group by 1") == [("loaded", len(demo.files))]
    assert list(settings.inbox.iterdir()) == []
    assert len([p for p in settings.archive.rglob("*") if p.is_file()]) == len(demo.files)

    # raw rows equal what the generator wrote, minus nothing: 合计 rows were dropped and counted
    for kind, n in demo.rows.items():
        assert _q(settings, f"select count(*) from raw.{kind}") == [(n,)], kind
    assert (
        _q(settings, "select sum(total_rows_dropped) from raw._files where file_name like '%.csv'")[0][0] >= 6
    )

    # staging: one current row per key, quantities in base units (换算率 applied)
    sales = pd.DataFrame(
        _q(settings, "select ordered_qty, shipped_qty, unit_factor from raw.sales_orders"),
        columns=["ordered_qty", "shipped_qty", "unit_factor"],
    )
    expected = (sales["ordered_qty"] * sales["unit_factor"].fillna(1)).sum()
    staged = _q(
        settings,
        "select count(*), sum(ordered_qty), count_if(shipped_qty > ordered_qty) "
        "from staging.stg_erp__sales_order_lines",
    )[0]
    assert staged[0] == demo.rows["sales_orders"]
    assert staged[1] == pytest.approx(expected)
    assert staged[2] == 0
    statuses = {
        r[0] for r in _q(settings, "select distinct line_status from staging.stg_erp__sales_order_lines")
    }
    assert statuses <= {"open", "closed", "cancelled"} and "closed" in statuses
    types = {
        r[0] for r in _q(settings, "select distinct movement_type from staging.stg_erp__stock_movements")
    }
    assert (
        {"adjustment", "transfer_in", "transfer_out"}
        <= types
        <= set(KINDS["stock_movements"].column("movement_type").allowed)
    )
    # lineage: a staged row points at its file and the row a person sees in Excel
    src = _q(
        settings, "select _source_file, min(_source_row) from staging.stg_erp__sales_order_lines group by 1"
    )
    assert src == [("销售订单执行明细.csv", 4)]  # title row, filter row, header, then data

    # marts: KPIs per warehouse and company, consistent with the marts they summarise
    kpi = _q(
        settings,
        "select sum(units_shipped), sum(units_ordered) from marts.fct_kpi_monthly "
        "where rollup_level = 'company'",
    )[0]
    fill = _q(settings, "select sum(units_shipped), sum(units_ordered) from marts.fct_fill_rate")[0]
    assert kpi == pytest.approx(fill) and 0.5 < kpi[0] / kpi[1] <= 1
    dead_latest = _q(
        settings,
        "select dead_stock_value from marts.fct_kpi_monthly where rollup_level = 'company' "
        "order by month_start desc limit 1",
    )[0][0]
    dead_mart = _q(
        settings,
        "select coalesce(sum(on_hand_value), 0) from marts.fct_dead_stock where stock_status = 'dead'",
    )[0][0]
    assert dead_latest == pytest.approx(dead_mart)

    # forecasts: one non-negative row per active series and horizon day, from the latest data date
    series = _q(
        settings,
        "select count(*) from (select distinct sku, warehouse_id from marts.fct_sku_daily_demand "
        "where is_active)",
    )[0][0]
    fc = _q(
        settings,
        "select count(*), count(distinct origin_date), min(p50), min(horizon_days), max(horizon_days) "
        "from forecast.sku_demand_forecasts",
    )[0]
    assert fc == (series * 28, 1, pytest.approx(fc[2]), 1, 28) and fc[2] >= 0
    assert {"model", "seasonal_naive"} <= {
        r[0] for r in _q(settings, "select distinct method from forecast.forecast_backtest_metrics")
    }

    # the plan: one explained line per series, order quantities multiples of the pack, planner files written
    plan = pd.DataFrame(
        _q(
            settings,
            "select p.order_qty, p.pack_size, p.reason_code, p.sku, p.warehouse_id "
            "from plans.replenishment_plan p",
        ),
        columns=["order_qty", "pack_size", "reason_code", "sku", "warehouse_id"],
    )
    assert len(plan) == len(plan.drop_duplicates(["sku", "warehouse_id"])) >= series
    ordered = plan[plan["order_qty"] > 0]
    assert len(ordered) > 0 and ((ordered["order_qty"] / ordered["pack_size"].fillna(1)) % 1 == 0).all()
    assert set(plan["reason_code"]) <= {
        "ORDER_BELOW_REORDER_POINT",
        "NO_ORDER_POSITION_SUFFICIENT",
        "NO_ORDER_NO_DEMAND",
        "NO_ORDER_DEAD_STOCK",
        "NO_ORDER_DISCONTINUED",
        "TRANSFER_INSTEAD",
    }
    (workbook,) = (settings.exports / "plans").glob("*/replenishment_plan_*.xlsx")
    import openpyxl

    sheets = openpyxl.load_workbook(workbook, read_only=True).sheetnames
    assert sheets[0] == "汇总" and "异常" in sheets and len(sheets) >= 4  # zh headers by default
    # the workbook opens and renders: LibreOffice converts it to PDF, poppler reads the SKUs back
    pdf_dir = settings.home / "pdf"
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{settings.home / 'lo-profile'}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(pdf_dir),
            str(workbook),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    pdf = pdf_dir / (workbook.stem + ".pdf")
    pages = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:"))) >= len(
        sheets
    )
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert ordered["sku"].iloc[0] in text
    status = (settings.exports / "plans" / "STATUS.md").read_text(encoding="utf-8")
    assert status.startswith("# Plan up to date") and str(workbook) in status
    po_csv = next(workbook.parent.glob("purchase_order_lines_*.csv"))
    assert (
        po_csv.read_bytes().startswith(b"\xef\xbb\xbf")
        and len(po_csv.read_text("utf-8-sig").splitlines()) == len(ordered) + 1
    )

    # the policy simulation compares the replayed policy with the recorded history, per warehouse and ABC class
    sim = dict(
        ((r[0], r[1]), r[2])
        for r in _q(
            settings, "select level, scenario, fill_rate from plans.policy_simulation where level = 'total'"
        )
    )
    # ... and with the current rule (the demo's item master min/max) replayed on the same demand
    at_fill = {("total", "proposed_at_rule_fill"), ("total", "proposed_at_rule_fill_at_most")}
    assert {("total", "history"), ("total", "proposed"), ("total", "current_rule")} <= set(sim)
    assert len(set(sim) & at_fill) == 1 and len(sim) == 4
    assert 0 < sim[("total", "current_rule")] <= 1
    recorded = _q(settings, "select sum(units_shipped) / sum(units_ordered) from marts.fct_fill_rate")[0][0]
    assert 0 < sim[("total", "history")] <= 1 and 0 < sim[("total", "proposed")] <= 1 and recorded > 0

    # the managers' dashboard: one offline file with every panel drawn from this run's data
    page = (settings.exports / "dashboard" / "index.html").read_text(encoding="utf-8")
    data_date = _q(settings, "select max(date_day) from marts.fct_daily_stock")[0][0]
    assert f"数据截至 {data_date.isoformat()}" in page and 'data-kpi="dio"' in page and "库存周转天数" in page
    for chart in (
        "chart-turnover-by-category",
        "chart-fill-trend",
        "chart-forecast",
        "chart-simulation-groups",
    ):
        assert f'id="{chart}"' in page, chart

    text = format_summary(settings, summarise(settings, since=outcome.started_at), outcome)
    assert f"{len(demo.files)} loaded" in text and "sales_orders" in text


def test_second_run_skips_known_files_applies_corrections_and_quarantines_bad_ones(settings, demo):
    first_run = run_refresh(settings)
    assert first_run.success and first_run.backtest == "runs: no backtest yet"
    first = _q(
        settings,
        "select order_id, line_no, ordered_qty from staging.stg_erp__sales_order_lines "
        "order by order_id, line_no limit 1",
    )[0]
    # the same export again, a corrected re-export of one line, and a broken file
    for path in demo.files:
        archived = next(settings.archive.rglob(path.name))
        (settings.inbox / path.name).write_bytes(archived.read_bytes())
    sku, wh_id = _q(
        settings,
        "select sku, warehouse_id from staging.stg_erp__sales_order_lines "
        f"where order_id = '{first[0]}' and line_no = '{first[1]}'",
    )[0]
    (settings.inbox / "sales_orders_correction.csv").write_text(
        "order_id,line_no,order_date,sku,warehouse_id,ordered_qty,shipped_qty\n"
        f"{first[0]},{first[1]},2025-06-01,{sku},{wh_id},{first[2] + 5},0\n",
        encoding="utf-8",
    )
    (settings.inbox / "receipts_broken.csv").write_text(
        "receipt_id,receipt_date,sku,warehouse_id,received_qty\nR-X,2025-06-01,NO-SUCH-SKU,W01,-1\n",
        encoding="utf-8",
    )

    outcome = run_refresh(settings)
    assert outcome.success, outcome.reason
    # the first run's backtest is fresh: this run leaves it out and still forecasts (and plans)
    assert outcome.backtest.startswith("skipped: "), outcome.backtest
    assert _q(
        settings, f"select count(*) > 0 from forecast.sku_demand_forecasts where run_id = '{outcome.run_id}'"
    ) == [(True,)]
    assert _q(settings, "select count(distinct run_id) from forecast.forecast_backtest_metrics") == [(1,)]
    statuses = dict(
        _q(
            settings,
            f"select status, count(*) from raw._files where processed_at >= "
            f"'{outcome.started_at}' group by 1",
        )
    )
    assert statuses == {"duplicate": len(demo.files), "loaded": 1, "rejected": 1}
    now = _q(
        settings,
        "select ordered_qty, _source_file from staging.stg_erp__sales_order_lines "
        f"where order_id = '{first[0]}' and line_no = '{first[1]}'",
    )
    assert now == [(first[2] + 5, "sales_orders_correction.csv")]
    assert _q(settings, "select count(*) from staging.stg_erp__sales_order_lines") == [
        (demo.rows["sales_orders"],)
    ]
    report = (settings.quarantine / "receipts_broken.csv.report.md").read_text(encoding="utf-8")
    assert "NO-SUCH-SKU" in report and "must not be negative" in report

    from pipelines.reports.status import status_text

    status = status_text(settings)
    assert f"Last run {outcome.run_id[:8]}: SUCCESS" in status
    assert f"Files in that run: {len(demo.files)} duplicate, 1 loaded, 1 rejected" in status
    assert "QUARANTINED receipts_broken.csv (receipts)" in status


def test_run_failure_exits_nonzero_with_one_line_reason(settings, demo, monkeypatch, capsys):
    settings.warehouse_path.mkdir(parents=True)  # a folder where the warehouse file should be
    monkeypatch.setenv("STOCKFLOW_WAREHOUSE_PATH", str(settings.warehouse_path))
    assert cli_main(["run"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("stockflow run failed: step erp__")
    assert len(demo.files) == len(list(settings.inbox.iterdir()))  # nothing moved, nothing lost


def test_bi_reader_holding_the_published_file_never_blocks_a_run(settings, demo):
    assert run_refresh(settings).success
    published = settings.exports / "bi" / "stockflow.duckdb"
    marts = _q(
        settings,
        "select table_name from information_schema.tables where table_schema = 'marts' "
        "and table_type = 'BASE TABLE' order by 1",
    )
    assert marts, "no marts were built"
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import duckdb, sys\n"
                "c = duckdb.connect(sys.argv[1], read_only=True)\n"
                "print(c.execute('select count(*) from marts.dim_dates').fetchall()[0][0], flush=True)\n"
                "sys.stdin.readline()\n"
                "print(c.execute('select count(*) from marts.dim_dates').fetchall()[0][0], flush=True)\n"
            ),
            str(published),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        days_before = int(reader.stdout.readline())
        # a later export adds a day of sales; the run rebuilds and republishes while the reader holds the file
        last = _q(settings, "select max(date_day) from marts.dim_dates")[0][0]
        sku, wh_id = _q(settings, "select sku, warehouse_id from staging.stg_erp__sales_order_lines limit 1")[
            0
        ]
        next_day = (last + timedelta(days=1)).isoformat()
        (settings.inbox / "sales_orders_next_day.csv").write_text(
            "order_id,line_no,order_date,sku,warehouse_id,ordered_qty,shipped_qty,ship_date\n"
            f"SO-NEXT,1,{next_day},{sku},{wh_id},1,1,{next_day}\n",
            encoding="utf-8",
        )
        outcome = run_refresh(settings)
        assert outcome.success, outcome.reason
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert int(reader.stdout.readline()) == days_before  # the reader still sees its complete old copy
        # the first run's day-1 forecasts now meet the next day's actuals
        acc = _q(
            settings,
            "select count(*), count(distinct origin_date), min(horizon_days), max(horizon_days), "
            "sum(actual_qty) from marts.fct_forecast_accuracy",
        )[0]
        day1 = _q(
            settings,
            "select count(*) from forecast.sku_demand_forecasts where horizon_days = 1 "
            "and origin_date = (select min(origin_date) from forecast.sku_demand_forecasts)",
        )[0][0]
        assert acc == (day1, 1, 1, 1, 1.0)
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)
    with duckdb.connect(str(published), read_only=True) as fresh:
        assert fresh.execute("select count(*) from marts.dim_dates").fetchall()[0][0] == days_before + 1
        tables = {
            r[0]
            for r in fresh.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
    assert tables == {m[0] for m in marts}
    parquet = sorted(p.stem for p in (settings.exports / "bi" / "parquet").glob("*.parquet"))
    assert parquet == sorted(tables)
    assert (
        duckdb.sql(f"select count(*) from '{settings.exports}/bi/parquet/dim_dates.parquet'").fetchall()[0][0]
        == days_before + 1
    )
