"""`stockflow status`: what the last run did, what was quarantined and why, headline figures, and where
the outputs are. Reads Dagster's instance, the ingest log and the published marts (never blocking a run).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.operations.settings import Settings
from pipelines.warehouse import connection as warehouse
from pipelines.warehouse.publish import DB_NAME


def _last_run(settings: Settings) -> dict | None:
    if not (settings.dagster_home / "dagster.yaml").exists():
        return None
    import dagster as dg

    from pipelines.operations.liveness import DIED_TAG, PARTIAL_TAG
    from pipelines.operations.runner import mark_dead_runs

    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        mark_dead_runs(instance, settings, source="status")  # a killed run must not show as STARTED
        records = instance.get_run_records(filters=dg.RunsFilter(job_name="daily_refresh_job"), limit=1)
        if not records:
            return None
        record = records[0]
        return {
            "run_id": record.dagster_run.run_id,
            "status": record.dagster_run.status.value,
            "start": record.start_time,
            "end": record.end_time,
            "trigger": record.dagster_run.tags.get("stockflow/trigger", "ui/schedule/sensor"),
            "partial": record.dagster_run.tags.get(PARTIAL_TAG, ""),
            "died": bool(record.dagster_run.tags.get(DIED_TAG)),
        }


def _file_outcomes(settings: Settings, since_ts: float | None) -> list[tuple] | str:
    if not settings.warehouse_path.is_file():
        return []
    try:
        with warehouse.connect(settings.warehouse_path, read_only=True, timeout_seconds=2) as conn:
            query = (
                f"select file_name, coalesce(kind, '?'), status, rows_loaded, message, coalesce(moved_to, '') "
                f"from {warehouse.FILES_TABLE} where epoch(processed_at) >= ? order by load_id"
            )
            return conn.execute(query, [since_ts or 0]).fetchall()
    except warehouse.WarehouseBusyError:
        return "the warehouse is busy (a run is in progress); file details are shown when it finishes"
    except duckdb.CatalogException:
        return []


def _published_tables(settings: Settings) -> dict[str, int]:
    path = settings.exports / "bi" / DB_NAME
    if not path.exists():
        return {}
    with duckdb.connect(str(path), read_only=True) as conn:
        return dict(warehouse.table_row_counts(conn, "marts"))


def _latest(folder: Path, pattern: str) -> Path | None:
    found = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime) if folder.exists() else []
    return found[-1] if found else None


def status_text(settings: Settings) -> str:
    lines = [f"Stockflow at {settings.home}"]
    run = _last_run(settings)
    if run is None:
        lines.append("No run yet: `stockflow run` (or `make demo`) runs the daily refresh.")
    else:
        took = f" in {run['end'] - run['start']:.0f} s" if run["end"] and run["start"] else ""
        from datetime import datetime
        from zoneinfo import ZoneInfo

        # in STOCKFLOW_TIMEZONE, with its offset: the schedule's clock, said with its zone
        zone = ZoneInfo(settings.timezone)
        started = (
            datetime.fromtimestamp(run["start"], zone).isoformat(timespec="seconds") if run["start"] else "?"
        )
        state = "FAILURE (its process died without recording an end)" if run["died"] else run["status"]
        if run["partial"]:
            state += " IN PART"
        lines.append(f"Last run {run['run_id'][:8]}: {state}{took}, started {started} ({run['trigger']}).")
        lines += [f"  {line}" for line in run["partial"].splitlines()]
    outcomes = _file_outcomes(settings, run["start"] if run else None)
    if isinstance(outcomes, str):
        lines.append(outcomes)
    else:
        counts: dict[str, int] = {}
        for o in outcomes:
            counts[o[2]] = counts.get(o[2], 0) + 1
        lines.append(
            "Files in that run: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none")
        )
        for name, kind, status, _rows, message, moved in outcomes:
            if status in ("rejected", "unrecognised"):
                lines.append(f"  QUARANTINED {name} ({kind}): {message}\n    report: {moved}.report.md")
    inbox = [p.name for p in settings.inbox.iterdir()] if settings.inbox.exists() else []
    lines.append(f"Inbox: {len(inbox)} file(s) waiting." if inbox else "Inbox: empty.")
    published = _published_tables(settings)
    if published:
        lines.append(
            f"Published marts ({settings.exports / 'bi'}): "
            + ", ".join(f"{t} {n:,}" for t, n in published.items())
        )
    plan = _latest(settings.exports / "plans", "*/*.xlsx")
    dashboard = settings.exports / "dashboard" / "index.html"
    lines.append(f"Latest plan: {plan}" if plan else "Latest plan: none yet.")
    lines.append(f"Dashboard: {dashboard}" if dashboard.exists() else "Dashboard: none yet.")
    alerts = settings.alert_log
    if alerts.exists():
        last = alerts.read_text(encoding="utf-8").strip().splitlines()[-1:]
        lines.append(f"Last alert: {last[0]}" if last else "")
    return "\n".join(line for line in lines if line)
