"""Everything loads: assets, checks, the job, the schedule and the sensor; ingest keys match dbt sources."""

import json
from datetime import timedelta

import dagster as dg

from pipelines.ingest.extracts.schema import KINDS
from pipelines.warehouse.dbt_manifest import MANIFEST


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
    from pipelines.operations.settings import Settings

    monkeypatch.setenv("STOCKFLOW_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("STOCKFLOW_SCHEDULE_CRON", "30 5 * * 1-5")
    schedule = build_definitions(Settings.from_env()).resolve_schedule_def("daily_refresh_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 5 * * 1-5", "Europe/Berlin")


def _freshness(settings):
    from pipelines.definitions import build_definitions

    graph = build_definitions(settings).resolve_asset_graph()
    return {k.to_user_string(): graph.get(k).freshness_policy for k in graph.get_all_asset_keys()}


def test_marts_and_plans_must_refresh_after_each_scheduled_tick(settings):
    policies = _freshness(settings)
    marts = {k for k in policies if k.startswith("marts/")}
    assert {"marts/fct_kpi_monthly", "marts/dim_skus", "marts/fct_forecast_accuracy"} <= marts
    expected = {*marts, "plans/replenishment_plan", "plans/policy_simulation", "publish/dashboard"}
    for key in expected:
        policy = policies[key]
        assert type(policy).__name__ == "CronFreshnessPolicy", key
        # the default 06:00 schedule: the run must land between 06:00 and the 08:00 deadline
        assert (policy.deadline_cron, policy.timezone) == ("0 8 * * *", "Asia/Shanghai"), key
        assert policy.lower_bound_delta == timedelta(hours=2)
    # raw extracts, staging views and forecasts are not promised daily
    assert policies["erp/sales_orders"] is None
    assert policies["staging/stg_erp__items"] is None
    assert policies["forecast/sku_demand_forecasts"] is None


def test_freshness_follows_the_schedule_setting(settings, monkeypatch):
    from pipelines.operations.settings import Settings

    monkeypatch.setenv("STOCKFLOW_SCHEDULE_CRON", "30 5 * * 1-5")
    policy = _freshness(Settings.from_env())["marts/fct_dead_stock"]
    assert (policy.deadline_cron, policy.lower_bound_delta) == ("30 7 * * 1-5", timedelta(hours=2))
    # 23:30 on weekdays + 2 h cannot be one cron: the deadline is the tick itself, and the previous
    # tick's run must have landed (within the shortest gap between ticks, a day)
    monkeypatch.setenv("STOCKFLOW_SCHEDULE_CRON", "30 23 * * 1-5")
    policy = _freshness(Settings.from_env())["plans/replenishment_plan"]
    assert (policy.deadline_cron, policy.lower_bound_delta) == ("30 23 * * 1-5", timedelta(days=1))


def test_dashboard_runs_after_the_marts_plan_and_simulation(settings):
    from pipelines.definitions import build_definitions

    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    dashboard = dg.AssetKey(["publish", "dashboard"])
    parents = graph.get(dashboard).parent_keys
    assert {
        dg.AssetKey(["marts", "fct_kpi_monthly"]),
        dg.AssetKey(["marts", "fct_forecast_accuracy"]),
        dg.AssetKey(["plans", "replenishment_plan"]),
        dg.AssetKey(["plans", "policy_simulation"]),
    } <= parents
    assert graph.get(dashboard).group_name == "publish"
    assert dashboard in defs.resolve_job_def("daily_refresh_job").asset_layer.asset_graph.get_all_asset_keys()


def test_full_refresh_is_run_config_of_the_warehouse_build(settings):
    from pipelines.definitions import build_definitions
    from pipelines.operations.runner import run_config

    job = build_definitions(settings).resolve_job_def("daily_refresh_job")
    for full_refresh in (False, True):
        config = run_config("INFO", full_refresh)
        assert dg.validate_run_config(job, config)
    assert run_config("INFO", True)["ops"]["warehouse_dbt_assets"]["config"] == {"full_refresh": True}
