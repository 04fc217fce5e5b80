"""The daily refresh job, its schedule and the inbox sensor."""

import hashlib
import time

import dagster as dg

from pipelines.alerts import Alert, raise_alert
from pipelines.defs.resources import StockflowResource
from pipelines.inbox import InboxEntry, new_inbox_files
from pipelines.ingest import list_inbox
from pipelines.planning import write_plan_status
from pipelines.settings import Settings

daily_refresh_job = dg.define_asset_job(
    "daily_refresh_job",
    selection=dg.AssetSelection.all(),
    description="Load new inbox files, then build the warehouse with dbt (the job the schedule, the sensor "
    "and `stockflow run` all run).",
)


def build_schedule(settings: Settings) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="daily_refresh_schedule",
        job=daily_refresh_job,
        cron_schedule=settings.schedule_cron,
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Runs the daily refresh at '{settings.schedule_cron}' in {settings.timezone}.",
    )


@dg.sensor(
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
    return dg.RunRequest(
        run_key=run_key, tags={"stockflow/trigger": "inbox", "stockflow/new_files": str(len(new))}
    )


@dg.run_failure_sensor(
    name="run_failure_alert_sensor",
    default_status=dg.DefaultSensorStatus.RUNNING,
    monitor_all_code_locations=False,
    description="On any failed run: a line in $STOCKFLOW_HOME/alerts.log and, when STOCKFLOW_ALERT_WEBHOOK is set, "
    "a message to it (generic JSON, WeCom or DingTalk).",
)
def run_failure_alert_sensor(context: dg.RunFailureSensorContext, stockflow: StockflowResource):
    settings = stockflow.settings
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
