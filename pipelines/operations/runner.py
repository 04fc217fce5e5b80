"""Run the daily refresh in process, one run at a time, and summarise what it did.

Used by `stockflow run` (and `make demo`). No business logic: it wires settings, the Dagster
instance and the job together, and reads the warehouse for the summary.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipelines.operations import liveness
from pipelines.operations.alerts import Alert, raise_alert
from pipelines.operations.settings import Settings
from pipelines.plans.planning import write_plan_status
from pipelines.warehouse import connection as warehouse

DAGSTER_YAML = """\
# Written by Stockflow on first run; edit freely.
telemetry:
  enabled: false
concurrency:
  runs:
    # DuckDB has one writer per file: runs launched by the schedule, the sensor or the UI queue up.
    max_concurrent_runs: 1
# Evaluate the freshness policies (marts, plans, dashboard), so a missed daily refresh shows in the UI.
freshness:
  enabled: true
"""


# raw table -> its staging model (dbt_project/models/staging/erp)
STAGING_MODELS = {
    "items": "stg_erp__items",
    "suppliers": "stg_erp__suppliers",
    "warehouses": "stg_erp__warehouses",
    "sales_orders": "stg_erp__sales_order_lines",
    "purchase_orders": "stg_erp__purchase_order_lines",
    "receipts": "stg_erp__receipts",
    "stock_snapshots": "stg_erp__stock_snapshots",
    "stock_movements": "stg_erp__stock_movements",
    "promotions": "stg_erp__promotions",
    "fx_rates": "stg_erp__fx_rates",
}


class RunBusyError(RuntimeError):
    pass


def ensure_dagster_home(settings: Settings) -> Path:
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    config = settings.dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    else:  # a file an earlier Stockflow wrote, before freshness was evaluated: add it (others are left alone)
        text = config.read_text(encoding="utf-8")
        if text.startswith(DAGSTER_YAML.splitlines()[0]) and "\nfreshness:" not in text:
            config.write_text(
                text.rstrip("\n") + "\n" + DAGSTER_YAML.split("max_concurrent_runs: 1\n")[1], encoding="utf-8"
            )
    return config


@contextlib.contextmanager
def run_lock(settings: Settings) -> Iterator[None]:
    """One `stockflow run` at a time per STOCKFLOW_HOME: a second one waits, then fails clearly."""
    settings.home.mkdir(parents=True, exist_ok=True)
    path = settings.home / ".stockflow-run.lock"
    with path.open("a+") as fh:
        deadline = time.monotonic() + settings.lock_timeout_seconds
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RunBusyError(
                        f"another Stockflow run is using {settings.home} and did not finish within "
                        f"{settings.lock_timeout_seconds:.0f} s; run again when it has finished"
                    ) from None
                time.sleep(0.5)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass
class RunOutcome:
    success: bool
    run_id: str
    reason: str = ""
    partial: str = ""  # when the warehouse build failed in part: what failed and what was not rebuilt
    backtest: str = ""  # whether the forecast backtest ran, and why
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))
    seconds: float = 0.0


def run_config(log_level: str = "INFO", full_refresh: bool = False) -> dict:
    config: dict = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if full_refresh:
        config["ops"] = {"warehouse_dbt_assets": {"config": {"full_refresh": True}}}
    return config


def _failure_reason(result) -> str:
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            while (
                error is not None and error.cause is not None
            ):  # the user code's error, not Dagster's wrapper
                error = error.cause
            lines = [
                line.strip() for line in (error.message if error else "failed").splitlines() if line.strip()
            ]
            reason = lines[0] if lines else "unknown error"
            # for dbt, name the node that failed rather than just "the dbt CLI process failed"
            if "Errors parsed from dbt logs:" in lines:
                parsed = lines[lines.index("Errors parsed from dbt logs:") + 1 :]
                reason = parsed[0] if parsed else reason
            return f"step {event.step_key} failed: {reason}"
    return "the run failed (see the Dagster UI or logs for details)"


def run_refresh(
    settings: Settings,
    asset_selection: list | None = None,
    log_level: str = "INFO",
    full_refresh: bool = False,
    backtest: bool | None = None,
) -> RunOutcome:
    """Materialise the daily refresh job in process, recorded in the Dagster instance.

    ``asset_selection`` (asset keys) runs part of the job, as the benchmark does for an incremental
    build; without it the run takes every asset, the forecast backtest only when due (as the schedule
    does; ``backtest=True`` forces it, ``False`` leaves it out). ``log_level`` is the console logger's
    (DEBUG also logs each step's start and end); ``full_refresh`` rebuilds the incremental dbt models
    from all history."""
    settings.ensure_dirs()
    ensure_dagster_home(settings)
    settings.export_env()
    from dagster import DagsterInstance

    from pipelines.definitions import build_definitions
    from pipelines.defs.automation import BACKTEST_KEY, backtest_tags, refresh_selection

    defs = build_definitions(settings)
    job = defs.resolve_job_def("daily_refresh_job")
    started = datetime.now(UTC).replace(tzinfo=None)
    t0 = time.perf_counter()
    tags = {"stockflow/trigger": "cli", **liveness.identity_tags()}
    with run_lock(settings), DagsterInstance.get() as instance:
        mark_dead_runs(instance, settings, source="cli")
        if asset_selection is None:
            graph = defs.resolve_asset_graph()
            keys = [k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable]
            if backtest is None:
                asset_selection, why = refresh_selection(instance, settings, keys)
            else:
                asset_selection = None if backtest else [k for k in keys if k != BACKTEST_KEY]
                why = "asked for (--backtest)" if backtest else "left out (--no-backtest)"
            tags |= backtest_tags(asset_selection, why)
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags=tags,
            run_config=run_config(log_level, full_refresh),
            asset_selection=asset_selection,
        )
        partial = finish_partial_run(instance, result.run_id, settings) if result.success else ""
    outcome = RunOutcome(
        result.success,
        result.run_id,
        partial=partial,
        backtest=tags.get("stockflow/backtest", ""),
        started_at=started,
        seconds=time.perf_counter() - t0,
    )
    if not result.success:
        outcome.reason = _failure_reason(result)
        # CLI runs do not pass through the daemon's run-failure sensor: alert from here.
        _alert(settings, Alert("daily_refresh_job", result.run_id, outcome.reason, source="cli"))
        # planners read exports/plans/STATUS.md: the plan was not updated, the last good one stands
        write_plan_status(
            settings.exports / "plans", False, outcome.reason, datetime.now(UTC).isoformat(timespec="minutes")
        )
    return outcome


PLAN_KEY = ("plans", "replenishment_plan")


def _alert(settings: Settings, alert: Alert) -> None:
    """The alert to the log and, when set, the webhook this home's settings name."""
    raise_alert(alert, settings.alert_log, settings.alert_webhook, settings.alert_format)


def finish_partial_run(instance, run_id: str, settings: Settings, source: str = "cli") -> str:
    """After a run that succeeded: when its warehouse build failed in part (the run's PARTIAL_TAG), add the
    steps Dagster skipped because they depend on what failed (the plan, the BI copy, the dashboard), alert,
    and when the plan was not rebuilt tell the planners (exports/plans/STATUS.md). Returns the full text
    ('' for a complete run). Called by `stockflow run` and by the daemon's partial-run sensor."""
    from dagster import AssetKey
    from dagster._core.execution.stats import StepEventStatus

    run = instance.get_run_by_id(run_id)
    partial = run.tags.get(liveness.PARTIAL_TAG, "") if run else ""
    if not partial or run.tags.get(liveness.PARTIAL_DONE_TAG):  # complete, or finished already
        return partial
    skipped = [
        s.step_key.replace("__", "/")
        for s in instance.get_run_step_stats(run_id)
        if s.status == StepEventStatus.SKIPPED
    ]
    if skipped:
        partial += (
            f"\nnot refreshed, they depend on it and keep their last good version: {', '.join(skipped)}"
        )
    instance.add_run_tags(run_id, {liveness.PARTIAL_TAG: partial[:4000], liveness.PARTIAL_DONE_TAG: "1"})
    _alert(settings, Alert(run.job_name, run_id, partial, source=source, kind="partial"))
    plans = instance.fetch_materializations(AssetKey(list(PLAN_KEY)), limit=1).records
    if not plans or plans[0].run_id != run_id:
        write_plan_status(
            settings.exports / "plans",
            False,
            "the warehouse build failed in part and the plan depends on it: " + partial.splitlines()[0],
            run_id[:8],
        )
    return partial


def mark_dead_runs(instance, settings: Settings, source: str) -> list[str]:
    """Mark as failed every started run whose process on this host is gone (killed, out of memory, a
    restart), alert once for each, and tell the planners the plan was not updated. Returns their run ids.
    Called before each `stockflow run` and by the daemon's dead-run sensor."""
    from dagster import DagsterRunStatus, RunsFilter

    statuses = [DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.CANCELING]
    died = []
    for run in instance.get_runs(filters=RunsFilter(statuses=statuses)):
        if liveness.is_alive(run.tags) is not False:
            continue
        reason = (
            f"the run's process (pid {run.tags[liveness.PID_TAG]}) ended without recording an end (killed, out "
            "of memory or a restart); marked failed. Its writes are replaced by the next run."
        )
        instance.add_run_tags(run.run_id, {liveness.DIED_TAG: "1"})
        instance.report_run_failed(run, message=reason)
        _alert(settings, Alert(run.job_name, run.run_id, reason, source=source, kind="died"))
        write_plan_status(settings.exports / "plans", False, reason, run.run_id[:8])
        died.append(run.run_id)
    return died


@dataclass
class Summary:
    # name, kind, status, rows, message, moved_to, and for a re-export of the same name (replaces_load_id
    # set) its rows changed, added and deleted against the file it replaced (else None)
    files: list[tuple[str, str, str, int, str, str, tuple[int, int, int] | None]]
    raw_rows: dict[str, int]
    staging_rows: dict[str, int]


def summarise(settings: Settings, since: datetime | None = None) -> Summary:
    """What the warehouse says about the files processed since `since` and its tables."""
    if not settings.warehouse_path.is_file():
        return Summary([], {}, {})
    with warehouse.connect(
        settings.warehouse_path, read_only=True, timeout_seconds=settings.lock_timeout_seconds
    ) as conn:
        raw = {
            k: v
            for k, v in warehouse.table_row_counts(conn, warehouse.RAW_SCHEMA).items()
            if not k.startswith("_")
        }
        staging = warehouse.table_row_counts(conn, "staging")
        files = []
        if "_files" in warehouse.table_row_counts(conn, warehouse.RAW_SCHEMA):
            columns = conn.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
                [warehouse.RAW_SCHEMA, "_files"],
            ).fetchall()
            replaced = (  # null in a log the run stopped before migrating (warehouse.ensure_raw_schema)
                "case when replaces_load_id is not null then [rows_changed, rows_added, rows_deleted] end"
                if ("replaces_load_id",) in columns
                else "null"
            )
            query = (
                f"select file_name, coalesce(kind, '?'), status, rows_loaded, message, coalesce(moved_to, ''), "
                f"{replaced} from {warehouse.FILES_TABLE} where processed_at >= ? order by load_id"
            )
            rows = conn.execute(query, [since or datetime(1970, 1, 1)]).fetchall()
            files = [(*row[:6], tuple(row[6]) if row[6] is not None else None) for row in rows]
    return Summary(files, raw, staging)


def format_summary(settings: Settings, summary: Summary, outcome: RunOutcome | None = None) -> str:
    lines = []
    if outcome:
        state = "succeeded" if outcome.success else f"FAILED: {outcome.reason}"
        if outcome.partial:
            state = "finished IN PART (the warehouse build failed in part; what does not depend on it was refreshed)"
        lines.append(f"Run {outcome.run_id[:8]} {state} in {outcome.seconds:.0f} s.")
        lines += [f"  {line}" for line in outcome.partial.splitlines()]
        if outcome.backtest:
            lines.append(f"Forecast backtest {outcome.backtest}.")
    by_status: dict[str, list] = {}
    for f in summary.files:
        by_status.setdefault(f[2], []).append(f)
    counts = ", ".join(f"{len(v)} {k}" for k, v in sorted(by_status.items())) or "no new files"
    lines.append(f"Files: {counts}.")
    for name, kind, status, _rows, message, moved, replaced in summary.files:
        if status in ("rejected", "unrecognised"):
            lines.append(f"  REJECTED {name} ({kind}): {message}\n    report: {moved}.report.md")
        elif replaced is not None:  # a re-export of an earlier file's name: it replaced that file
            changed, added, deleted = replaced
            lines.append(f"  REPLACED {name} ({kind}): {changed} changed, {added} added, {deleted} deleted")
    if summary.raw_rows:
        lines.append("Rows per table (raw = every loaded version; staging = current rows):")
        width = max(len(k) for k in summary.raw_rows)
        for table, n in summary.raw_rows.items():
            stg = summary.staging_rows.get(STAGING_MODELS.get(table, ""))
            lines.append(
                f"  {table:<{width}}  raw {n:>10,}" + (f"  staging {stg:>10,}" if stg is not None else "")
            )
    lines += [
        f"Warehouse: {settings.warehouse_path}",
        f"Exports:   {settings.exports}",
        f"Archive:   {settings.archive}   Quarantine: {settings.quarantine}",
        "Open the Dagster UI: make ui (or stockflow ui), then http://127.0.0.1:3000",
    ]
    return "\n".join(lines)
