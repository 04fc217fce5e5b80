"""The Stockflow code location: `dagster dev -m pipelines.definitions` (or `make ui`) loads `defs`."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.automation import (
    build_inbox_sensor,
    build_schedule,
    daily_refresh_freshness_policy,
    daily_refresh_job,
    dead_run_sensor,
    partial_run_sensor,
    run_failure_alert_sensor,
    with_freshness_policy,
)
from pipelines.defs.executor import one_run_at_a_time_executor
from pipelines.defs.forecast.assets import forecast_backtest, sku_demand_forecasts
from pipelines.defs.ingest.assets import ingest_assets
from pipelines.defs.plans.assets import policy_simulation, replenishment_plan
from pipelines.defs.publish.assets import bi_marts, dashboard
from pipelines.defs.resources import StockflowResource
from pipelines.defs.warehouse.dbt import dbt_resource, forecast_accuracy_dbt_assets, warehouse_dbt_assets
from pipelines.operations.settings import Settings


def build_definitions(settings: Settings) -> dg.Definitions:
    settings.export_env()
    # marts, plans and the dashboard are expected after every tick of the daily schedule
    assets = with_freshness_policy(
        [
            *ingest_assets,
            warehouse_dbt_assets,
            bi_marts,
            sku_demand_forecasts,
            forecast_backtest,
            forecast_accuracy_dbt_assets,
            replenishment_plan,
            policy_simulation,
            dashboard,
        ],
        daily_refresh_freshness_policy(settings),
    )
    keys = [k for a in assets for k in a.keys]
    return dg.Definitions(
        assets=assets,
        jobs=[daily_refresh_job],
        schedules=[build_schedule(settings, keys)],
        sensors=[build_inbox_sensor(keys), run_failure_alert_sensor, partial_run_sensor, dead_run_sensor],
        resources={"stockflow": StockflowResource.from_settings(settings), "dbt": dbt_resource()},
        # One process (DuckDB has one writer per file, and re-importing per step costs ~6 s each), under
        # the run lock `stockflow run` takes too: every way a run starts is serialised.
        executor=one_run_at_a_time_executor,
    )


defs = build_definitions(Settings.from_env())
