"""The refresh stages: one run of the daily refresh job through ``runner.run_refresh`` (whole, as the
next day's run, or only ingest and dbt), its Dagster steps grouped into the bench's stages, each with its
window, status and the rows it handled."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.bench.stages.home import bench_settings

STEP_NAMES = [  # step key prefix -> stage name in the results (the job's order)
    ("erp__", "ingest"),
    ("warehouse_dbt_assets", "dbt build"),
    ("forecast__forecast_backtest", "forecast backtest"),
    ("forecast__sku_demand_forecasts", "forecast (train + predict)"),
    ("forecast_accuracy_dbt_assets", "forecast accuracy (dbt)"),
    ("plans__replenishment_plan", "plan"),
    ("plans__policy_simulation", "policy simulation"),
    ("publish__", "publish"),
]


def stage_of(step_key: str) -> str:
    for prefix, name in STEP_NAMES:
        if step_key.startswith(prefix):
            return name
    return step_key


def _error_message(error) -> str:
    while error is not None and error.cause is not None:
        error = error.cause
    lines = [line.strip() for line in (error.message if error else "failed").splitlines() if line.strip()]
    return lines[0] if lines else "failed"


def _steps(instance, run_id: str) -> dict[str, dict[str, Any]]:
    """Step windows of a run, grouped into stages (the ten ingest steps are one stage)."""
    from dagster import DagsterEventType

    failures = {
        rec.dagster_event.step_key: _error_message(rec.dagster_event.step_failure_data.error)
        for rec in instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE)
    }
    grouped: dict[str, dict[str, Any]] = {}
    for stat in instance.get_run_step_stats(run_id):
        name = stage_of(stat.step_key)
        g = grouped.setdefault(
            name, {"name": name, "started": None, "finished": None, "status": "ok", "keys": []}
        )
        g["keys"].append(stat.step_key)
        if stat.start_time:
            g["started"] = min(filter(None, [g["started"], stat.start_time]))
        if stat.end_time:
            g["finished"] = max(filter(None, [g["finished"], stat.end_time]))
        if stat.step_key in failures:
            g["status"], g["error"] = "failed", f"{stat.step_key}: {failures[stat.step_key]}"
    return grouped


def _count(conn, sql: str, params: list | None = None) -> int | None:
    from pipelines.warehouse import connection as warehouse

    table = sql.split(" from ", 1)[1].split()[0]
    if not warehouse.table_exists(conn, table):
        return None
    return int(conn.execute(sql, params or []).fetchall()[0][0])


def _rows(settings, part: str, run_id: str) -> tuple[dict[str, tuple[int | None, str]], int | None]:
    """What each stage handled, counted in the warehouse after the run: {stage: (rows, what they are)},
    and the forecasts made from the latest day (without the ingest, which the run's file log gives)."""
    from pipelines.warehouse import connection as warehouse

    history, sim_days = settings.forecast_history_days, settings.simulation_days
    rows: dict[str, tuple[int | None, str]] = {}
    with warehouse.connect(settings.warehouse_path, read_only=True) as conn:
        demand = "marts.fct_sku_daily_demand"
        if part in ("all", "ingest+dbt"):  # the first load (bench, benchmarks/scaling.py): the whole mart
            rows["dbt build"] = (
                _count(conn, f"select count(*) from {demand}"),
                "SKU-wh-days in the demand mart",
            )
        else:
            rows["dbt build"] = (
                _count(
                    conn,
                    f"select count(*) from {demand} where date_day = (select max(date_day) from {demand})",
                ),
                "SKU-wh-days of the new day",
            )
        window = _count(
            conn,
            f"select count(*) from {demand} where is_active and date_day > "
            f"(select max(date_day) from {demand}) - cast(? as integer)",
            [history],
        )
        rows["forecast backtest"] = (window, "SKU-wh-days of history")
        rows["forecast (train + predict)"] = (window, "SKU-wh-days of history")
        rows["forecast accuracy (dbt)"] = (
            _count(conn, "select count(*) from marts.fct_forecast_accuracy"),
            "rows in fct_forecast_accuracy",
        )
        rows["plan"] = (
            _count(conn, "select count(*) from plans.replenishment_plan where run_id = ?", [run_id]),
            "plan lines",
        )
        rows["policy simulation"] = (
            _count(
                conn,
                f"select count(*) from {demand} where date_day > "
                f"(select max(date_day) from {demand}) - cast(? as integer)",
                [sim_days],
            ),
            "SKU-wh-days replayed",
        )
        marts = warehouse.table_row_counts(conn, "marts")
        rows["publish"] = (sum(marts.values()), f"rows in {len(marts)} marts")
        forecasts = _count(
            conn,
            "select count(*) from forecast.sku_demand_forecasts where origin_date = "
            f"(select max(date_day) from {demand})",
        )
    return rows, forecasts


def _out_steps(
    steps: dict[str, dict[str, Any]], rows: dict[str, tuple[int | None, str]], part: str
) -> list[dict[str, Any]]:
    """The stages of the run in the job's order, with their rows; a selected stage that did not run is
    skipped (except the daily run's backtest when it is not due)."""
    out_steps = []
    for _, name in STEP_NAMES:
        if name not in steps:
            continue
        step = steps[name]
        n, what = rows.get(name, (None, ""))
        out_steps.append({**step, "rows": n, "rows_what": what, "detail": {"steps": step.pop("keys")}})
    selected = [name for _, name in STEP_NAMES if part != "ingest+dbt" or name in ("ingest", "dbt build")]
    for name in selected:
        if part == "daily" and name == "forecast backtest" and name not in steps:
            continue  # not due: the schedule's daily run leaves it out too (run tag stockflow/backtest)
        if name not in steps:
            out_steps.append(
                {"name": name, "status": "skipped", "error": "did not run (an upstream step failed)"}
            )
    return out_steps


def refresh(home: str, part: str = "all") -> dict:
    """One run of the daily refresh job through ``runner.run_refresh``: ``part='all'`` on a fresh
    warehouse (the first load of all history; the backtest is due), ``part='daily'`` the next day's
    run (every asset, the backtest only when due, as the schedule runs it), ``part='ingest+dbt'`` only
    the ingest and the warehouse build."""
    from dagster import DagsterInstance

    from pipelines.operations.runner import run_refresh, summarise

    settings = bench_settings(Path(home))
    selection = None
    if part == "ingest+dbt":
        from pipelines.defs.ingest.assets import ingest_assets
        from pipelines.defs.warehouse.dbt import warehouse_dbt_assets

        selection = [k for a in (*ingest_assets, warehouse_dbt_assets) for k in a.keys]
    elif part not in ("all", "daily"):
        raise ValueError(f"part must be 'all', 'daily' or 'ingest+dbt', not {part!r}")
    since = datetime.now(UTC).replace(tzinfo=None)
    outcome = run_refresh(settings, asset_selection=selection, log_level="DEBUG")
    with DagsterInstance.get() as instance:
        steps = _steps(instance, outcome.run_id)
    files = summarise(settings, since=since).files
    loaded = sum(f[3] or 0 for f in files if f[2] == "loaded")
    counted, forecasts = _rows(settings, part, outcome.run_id)
    rows: dict[str, tuple[int | None, str]] = {"ingest": (loaded, "rows loaded"), **counted}
    return {
        "status": "ok" if outcome.success else "failed",
        "error": outcome.reason or None,
        "rows": loaded,
        "rows_what": "extract rows loaded",
        "steps": _out_steps(steps, rows, part),
        "detail": {
            "run_id": outcome.run_id,
            "backtest": outcome.backtest,
            "files": len(files),
            "files_by_status": {s: sum(1 for f in files if f[2] == s) for s in {f[2] for f in files}},
            "forecast_rows": forecasts,
            "horizon_days": settings.forecast_horizon_days,
        },
    }
