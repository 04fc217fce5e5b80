"""Everything loads: assets, checks, the job, the schedule and the sensor; ingest keys match dbt sources."""

import json

import dagster as dg

from pipelines.dbt_manifest import MANIFEST
from pipelines.extracts.schema import KINDS


def test_definitions_load_and_resolve(settings):
    from pipelines.definitions import build_definitions

    defs = build_definitions(settings)
    job = defs.resolve_job_def("daily_refresh_job")
    assert job.name == "daily_refresh_job"
    schedule = defs.resolve_schedule_def("daily_refresh_schedule")
    assert schedule.cron_schedule == "0 6 * * *" and schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    sensor = defs.resolve_sensor_def("inbox_sensor")
    assert sensor.job_name == "daily_refresh_job"

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {f"erp/{k}" for k in KINDS} <= keys
    assert "staging/stg_erp__sales_order_lines" in keys
    # each ingest asset carries a blocking contract check
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert {(f"erp/{k}", "rows_meet_contract") for k in KINDS} <= checks
    from pipelines.defs.ingest.assets import ingest_assets

    assert all(spec.blocking for a in ingest_assets for spec in a.check_specs)
    # dbt data tests surface as asset checks too
    assert ("staging/stg_erp__items", "unique_stg_erp__items_sku") in checks


def test_ingest_keys_are_the_dbt_source_keys(settings):
    from pipelines.definitions import build_definitions

    manifest = json.loads(MANIFEST.read_text())
    source_tables = {f"{s['source_name']}/{s['name']}" for s in manifest["sources"].values()}
    assert source_tables == {f"erp/{k}" for k in KINDS} | {"forecast/sku_demand_forecasts"}
    graph = build_definitions(settings).resolve_asset_graph()
    staging = dg.AssetKey(["staging", "stg_erp__sales_order_lines"])
    assert dg.AssetKey(["erp", "sales_orders"]) in graph.get(staging).parent_keys
    assert graph.get(dg.AssetKey(["erp", "sales_orders"])).is_materializable
    # the forecasts are a Python asset read back by dbt: one key, built before fct_forecast_accuracy
    forecasts = dg.AssetKey(["forecast", "sku_demand_forecasts"])
    assert graph.get(forecasts).is_materializable
    assert forecasts in graph.get(dg.AssetKey(["staging", "stg_forecast__sku_demand_forecasts"])).parent_keys


def test_schedule_follows_settings(settings, monkeypatch):
    from pipelines.definitions import build_definitions
    from pipelines.settings import Settings

    monkeypatch.setenv("STOCKFLOW_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("STOCKFLOW_SCHEDULE_CRON", "30 5 * * 1-5")
    schedule = build_definitions(Settings.from_env()).resolve_schedule_def("daily_refresh_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 5 * * 1-5", "Europe/Berlin")
