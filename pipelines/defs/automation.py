"""The daily refresh job, its schedule and the inbox sensor."""

import hashlib
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import dagster as dg
from dagster._utils.schedules import cron_string_iterator

from pipelines.defs.resources import StockflowResource
from pipelines.forecast.forecasting import LastBacktest, backtest_due, backtest_fingerprint
from pipelines.ingest.inbox import InboxEntry, new_inbox_files
from pipelines.ingest.load import list_inbox
from pipelines.operations.alerts import Alert, raise_alert
from pipelines.operations.freshness import REFRESH_GRACE, shift_cron
from pipelines.operations.liveness import DIED_TAG
from pipelines.operations.settings import Settings
from pipelines.plans.planning import write_plan_status

daily_refresh_job = dg.define_asset_job(
    "daily_refresh_job",
    selection=dg.AssetSelection.all(),
    description="Load new inbox files, then build the warehouse with dbt (the job the schedule, the sensor "
    "and `stockflow run` all run).",
)


BACKTEST_KEY = dg.AssetKey(["forecast", "forecast_backtest"])


def last_backtest(instance: dg.DagsterInstance) -> LastBacktest | None:
    """The latest backtest materialisation in the instance: when, and under which settings."""
    event = instance.get_latest_materialization_event(BACKTEST_KEY)
    if event is None or event.asset_materialization is None:
        return None
    fingerprint = event.asset_materialization.metadata.get("config_fingerprint")
    return LastBacktest(
        datetime.fromtimestamp(event.timestamp, UTC), str(fingerprint.value) if fingerprint else None
    )


def refresh_selection(
    instance: dg.DagsterInstance,
    settings: Settings,
    asset_keys: Sequence[dg.AssetKey],
    now: datetime | None = None,
) -> tuple[list[dg.AssetKey] | None, str]:
    """What a daily refresh materialises: every asset (None) when the backtest is due, else every asset
    but the backtest (see `backtest_due`); and why, for the run's tags and log."""
    now = now or datetime.now(ZoneInfo(settings.timezone))
    due, why = backtest_due(
        last_backtest(instance), now, settings.backtest_every_days, backtest_fingerprint(settings)
    )
    return (None if due else [k for k in asset_keys if k != BACKTEST_KEY]), why


def backtest_tags(selection: list[dg.AssetKey] | None, why: str) -> dict[str, str]:
    return {"stockflow/backtest": ("runs: " if selection is None else "skipped: ") + why}


def build_schedule(settings: Settings, asset_keys: Sequence[dg.AssetKey]) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="daily_refresh_schedule",
        job=daily_refresh_job,
        cron_schedule=settings.schedule_cron,
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Runs the daily refresh at '{settings.schedule_cron}' in {settings.timezone}; the "
        f"forecast backtest only when due (every {settings.backtest_every_days} days, or when settings change).",
    )
    def daily_refresh_schedule(context: dg.ScheduleEvaluationContext):
        selection, why = refresh_selection(context.instance, settings, asset_keys)
        return dg.RunRequest(asset_selection=selection, tags=backtest_tags(selection, why))

    return daily_refresh_schedule


def daily_refresh_freshness_policy(settings: Settings) -> dg.FreshnessPolicy:
    """Fresh when materialised between a tick of the daily schedule and REFRESH_GRACE after it: a run
    that was missed, failed or is still going past the grace shows as failing freshness in the UI."""
    deadline = shift_cron(settings.schedule_cron, REFRESH_GRACE)
    if deadline is not None:
        return dg.FreshnessPolicy.cron(
            deadline_cron=deadline, lower_bound_delta=REFRESH_GRACE, timezone=settings.timezone
        )
    # a cron whose deadline cannot be written as one cron string: at each tick, a run must have landed
    # within the shortest gap between ticks (Dagster's limit), i.e. usually the previous tick's run; a miss
    # shows one tick later, and after a longer gap (a weekend) the tick fails until its own run lands
    ticks = list(islice(cron_string_iterator(time.time(), settings.schedule_cron, settings.timezone), 60))
    shortest = min((b - a for a, b in zip(ticks, ticks[1:], strict=False)), default=timedelta(days=1))
    return dg.FreshnessPolicy.cron(
        deadline_cron=settings.schedule_cron, lower_bound_delta=shortest, timezone=settings.timezone
    )


def expected_daily(key: dg.AssetKey) -> bool:
    """The outputs people read after each daily refresh: every mart, the plan tables, the dashboard."""
    return key.path[0] in ("marts", "plans") or key == dg.AssetKey(["publish", "dashboard"])


def with_freshness_policy(
    assets: Iterable[dg.AssetsDefinition], policy: dg.FreshnessPolicy
) -> list[dg.AssetsDefinition]:
    """The assets, with `policy` on every asset `expected_daily` selects (others unchanged)."""
    return [
        a.map_asset_specs(
            lambda spec: (
                spec.replace_attributes(freshness_policy=policy) if expected_daily(spec.key) else spec
            )
        )
        if any(expected_daily(k) for k in a.keys)
        else a
        for a in assets
    ]


def build_inbox_sensor(asset_keys: Sequence[dg.AssetKey]) -> dg.SensorDefinition:
    @dg.sensor(
        name="inbox_sensor",
        job=daily_refresh_job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts the daily refresh when new files have settled in the inbox.",
    )
    def inbox_sensor(context: dg.SensorEvaluationContext, stockflow: StockflowResource):
        settings = stockflow.settings
        entries = [InboxEntry.of(p) for p in list_inbox(settings.inbox)]
        new, cursor = new_inbox_files(entries, context.cursor, time.time_ns(), settings.inbox_settle_seconds)
        context.update_cursor(cursor)
        if not new:
            return dg.SkipReason(f"No new settled files in {settings.inbox}.")
        run_key = hashlib.sha256("\n".join(e.fingerprint for e in new).encode()).hexdigest()[:16]
        selection, why = refresh_selection(context.instance, settings, asset_keys)
        return dg.RunRequest(
            run_key=run_key,
            asset_selection=selection,
            tags={
                "stockflow/trigger": "inbox",
                "stockflow/new_files": str(len(new)),
                **backtest_tags(selection, why),
            },
        )

    return inbox_sensor


@dg.run_failure_sensor(
    name="run_failure_alert_sensor",
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
    description="On any failed run: a line in $STOCKFLOW_HOME/alerts.log and, when STOCKFLOW_ALERT_WEBHOOK is set, "
    "a message to it (generic JSON, WeCom or DingTalk).",
)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext, stockflow: StockflowResource):
    settings = stockflow.settings
    if context.dagster_run.tags.get(DIED_TAG):  # marked failed by the dead-run sweep, which alerted already
        return
    error = context.failure_event.message or "the run failed"
    alert = Alert(
        job_name=context.dagster_run.job_name,
        run_id=context.dagster_run.run_id,
        reason=error.strip().splitlines()[0],
        source="dagster",
    )
    delivery_error = raise_alert(alert, settings.alert_log, settings.alert_webhook, settings.alert_format)
    if delivery_error:
        context.log.warning(delivery_error)
    write_plan_status(
        settings.exports / "plans",
        False,
        alert.reason,
        context.dagster_run.run_id[:8] + " (" + context.dagster_run.job_name + ")",
    )


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="partial_run_sensor",
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
    description="After a run whose warehouse build failed in part: an alert naming the failed model, the "
    "extracts it reads and what was not refreshed; when the plan depends on it, exports/plans/STATUS.md says so.",
)
def partial_run_sensor(context: dg.RunStatusSensorContext, stockflow: StockflowResource):
    from pipelines.operations.runner import finish_partial_run

    finish_partial_run(context.instance, context.dagster_run.run_id, stockflow.settings, source="dagster")


@dg.sensor(
    name="dead_run_sensor",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks as failed, and alerts on, runs whose process died without recording an end (kill -9, "
    "out of memory, a restart): without it they stay STARTED and hold the one-run queue.",
)
def dead_run_sensor(context: dg.SensorEvaluationContext, stockflow: StockflowResource):
    from pipelines.operations.runner import mark_dead_runs

    died = mark_dead_runs(context.instance, stockflow.settings, source="dagster")
    return dg.SkipReason(f"marked failed: {', '.join(d[:8] for d in died)}" if died else "no dead runs")
