"""What the benchmark measures, each a function run in its own process by ``harness.Bench``.

They call the project's own code paths: the demo generator, ``runner.run_refresh`` (the daily refresh
job the schedule runs, whole or for a selection of assets), ``forecasting.demand_history`` and
``models_ml.forecast.fit_predict``. Each returns a dict for the harness: ``rows``, ``rows_what``,
``detail`` and, for a Dagster run, ``steps`` (each step's window, status and rows).
"""

from __future__ import annotations

import os
import resource
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

# the settings that place Stockflow's files: the bench points them all into its own folder
PLACEMENT = (
    "STOCKFLOW_HOME",
    "STOCKFLOW_INBOX",
    "STOCKFLOW_ARCHIVE",
    "STOCKFLOW_QUARANTINE",
    "STOCKFLOW_WAREHOUSE_PATH",
    "STOCKFLOW_EXPORTS",
    "STOCKFLOW_HEADER_MAP",
    "DAGSTER_HOME",
)


def bench_settings(home: Path):
    """Stockflow's settings with every file under ``home``; tuning settings (threads, history) kept."""
    from pipelines.operations.settings import Settings

    for name in PLACEMENT:
        os.environ.pop(name, None)
    os.environ["STOCKFLOW_HOME"] = str(home)
    settings = Settings.from_env()
    settings.export_env()
    return settings


# ---- extract generation -------------------------------------------------------------------------


def generate(
    home: str,
    skus: int,
    warehouses: int,
    days: int,
    seed: int,
    end: str,
    holdback: str,
    extract_format: str = "csv",
) -> dict:
    """The demo company over ``days`` + 1 days; the last day is held back in ``holdback`` (the
    increment), the rest goes to the inbox. ``extract_format``: the large extracts as CSV or Parquet."""
    from pipelines.demo.generator import DemoConfig, generate_demo

    settings = bench_settings(Path(home))
    settings.ensure_dirs()
    config = DemoConfig(
        skus=skus,
        warehouses=warehouses,
        days=days + 1,
        seed=seed,
        end_date=date.fromisoformat(end),
        extract_format=extract_format,
    )
    summary = generate_demo(settings.inbox, config, progress=False, holdback_dir=Path(holdback))
    sizes = sum(p.stat().st_size for p in summary.files)
    return {
        "rows": sum(summary.rows.values()),
        "rows_what": "extract rows",
        "detail": {
            "rows_by_kind": summary.rows,
            "bytes": sizes,
            "history": f"{summary.start_date} to {summary.end_date}",
            "holdback_day": end,
            "extract_format": extract_format,
            "generator_stats": summary.stats,
        },
    }


# ---- the refresh (Dagster run) ------------------------------------------------------------------

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


def refresh(home: str, part: str = "all") -> dict:
    """One run of the daily refresh job through ``runner.run_refresh``: ``part='all'`` on a fresh
    warehouse (the first load of all history; the backtest is due), ``part='daily'`` the next day's
    run (every asset, the backtest only when due, as the schedule runs it), ``part='ingest+dbt'`` only
    the ingest and the warehouse build."""
    from dagster import DagsterInstance

    from pipelines.operations.runner import run_refresh, summarise
    from pipelines.warehouse import connection as warehouse

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
    horizon, history, sim_days = (
        settings.forecast_horizon_days,
        settings.forecast_history_days,
        settings.simulation_days,
    )
    rows: dict[str, tuple[int | None, str]] = {"ingest": (loaded, "rows loaded")}
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
            _count(conn, "select count(*) from plans.replenishment_plan where run_id = ?", [outcome.run_id]),
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
    return {
        "status": "ok" if outcome.success else "failed",
        "error": outcome.reason or None,
        "rows": loaded,
        "rows_what": "extract rows loaded",
        "steps": out_steps,
        "detail": {
            "run_id": outcome.run_id,
            "backtest": outcome.backtest,
            "files": len(files),
            "files_by_status": {s: sum(1 for f in files if f[2] == s) for s in {f[2] for f in files}},
            "forecast_rows": forecasts,
            "horizon_days": horizon,
        },
    }


# ---- the SQL floor ------------------------------------------------------------------------------


def sql_floor(home: str, repeats: int = 3) -> dict:
    """A plain DuckDB scan of the daily demand table: the Parquet copy BI reads, and the warehouse table."""
    import duckdb

    settings = bench_settings(Path(home))
    parquet = settings.exports / "bi" / "parquet" / "fct_sku_daily_demand.parquet"
    if not parquet.is_file():
        raise FileNotFoundError(f"{parquet} is missing: the publish step did not run")
    query = "select count(*), sum(ordered_qty), sum(shipped_qty) from read_parquet('{}')"
    times = []
    with duckdb.connect() as conn:
        for _ in range(repeats):
            t0 = time.perf_counter()
            rows = conn.execute(query.format(parquet)).fetchall()[0][0]
            times.append(time.perf_counter() - t0)
    table_times = []
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        for _ in range(repeats):
            t0 = time.perf_counter()
            conn.execute(
                "select count(*), sum(ordered_qty), sum(shipped_qty) from marts.fct_sku_daily_demand"
            ).fetchall()
            table_times.append(time.perf_counter() - t0)
    zero = None
    with duckdb.connect() as conn:
        zero = conn.execute(
            f"select avg(case when ordered_qty = 0 then 1.0 else 0.0 end) from read_parquet('{parquet}') "
            "where is_active"
        ).fetchall()[0][0]
    return {
        "rows": int(rows),
        "rows_what": "rows scanned (best of runs)",
        "detail": {
            "query": "select count(*), sum(ordered_qty), sum(shipped_qty) from fct_sku_daily_demand.parquet",
            "parquet_seconds": times,
            "warehouse_table_seconds": table_times,
            "seconds": min(times),
            "zero_demand_share_mart": None if zero is None else float(zero),
        },
    }


# ---- forecast peers on one holdout --------------------------------------------------------------

HOLDOUT = {"train": "train.parquet", "future": "future.parquet", "truth": "truth.parquet"}


def prepare_holdout(home: str, data_dir: str) -> dict:
    """The forecaster's input as the refresh reads it (``demand_history``), history_days + horizon long;
    the last ``horizon`` days become the holdout that every method forecasts from the same origin."""
    import pandas as pd

    from models_ml.backtest import actuals, series_scales
    from models_ml.config import ForecastConfig
    from pipelines.forecast.forecasting import demand_history
    from pipelines.warehouse import connection as warehouse

    settings = bench_settings(Path(home))
    horizon = settings.forecast_horizon_days
    with warehouse.connect(settings.warehouse_path, read_only=True) as conn:
        demand = demand_history(conn, horizon, settings.forecast_history_days + horizon)
    hist = demand.history
    hist["date"] = pd.to_datetime(hist["date"])
    origin = hist["date"].max() - pd.Timedelta(days=horizon)
    train, window = hist[hist["date"] <= origin], hist[hist["date"] > origin]
    # what the refresh knows of the horizon: planned promotions (as demand_history's `future`); prices are
    # known only on days with sales, so they are not passed (fit_predict carries the last one forward)
    planned = [c for c in ("is_on_promotion", "discount_pct") if c in hist.columns]
    future = window[["sku", "warehouse_id", "date", *planned]]
    truth = actuals(train, window, horizon, 1, True, origin)
    scales = series_scales(train, 7, "D", ForecastConfig())
    truth = truth.merge(scales, on=["sku", "warehouse_id"], how="left")
    out = Path(data_dir)
    out.mkdir(parents=True, exist_ok=True)
    train.to_parquet(out / HOLDOUT["train"], index=False)
    future.to_parquet(out / HOLDOUT["future"], index=False)
    truth.to_parquet(out / HOLDOUT["truth"], index=False)
    return {
        "rows": len(train),
        "rows_what": "training SKU-wh-days",
        "detail": {
            "origin": str(origin.date()),
            "train_days": int(train["date"].nunique()),
            "series": int(train[["sku", "warehouse_id"]].drop_duplicates().shape[0]),
            "holdout_rows": len(truth),
            "holdout_zero_share": float((truth["y"] == 0).mean()),
        },
    }


STATSFORECAST = ("ADIDA", "CrostonClassic", "CrostonSBA", "CrostonOptimized", "TSB", "IMAPA")
PEERS = ("stockflow", "seasonal_naive", *STATSFORECAST, "mlforecast_lgbm")


def peer_family(method: str) -> str:
    if method == "stockflow":
        return "ours (models_ml.fit_predict)"
    if method == "seasonal_naive":
        return "baseline"
    if method in STATSFORECAST:
        return "statsforecast"
    return "mlforecast"


def _statsforecast(train, method: str, horizon: int):
    import statsforecast.models as sm
    from statsforecast import StatsForecast

    model = sm.TSB(alpha_d=0.2, alpha_p=0.2) if method == "TSB" else getattr(sm, method)()
    df = train.assign(unique_id=train["sku"].astype(str) + "|" + train["warehouse_id"].astype(str))
    df = df.rename(columns={"date": "ds", "qty": "y"})[["unique_id", "ds", "y"]]
    fc = StatsForecast(models=[model], freq="D", n_jobs=1).forecast(df=df, h=horizon)
    fc = fc.reset_index() if "unique_id" not in fc.columns else fc
    col = [c for c in fc.columns if c not in ("unique_id", "ds")][0]
    ids = fc["unique_id"].str.split("|", n=1, expand=True)
    return fc.assign(sku=ids[0], warehouse_id=ids[1], date=fc["ds"], p50=fc[col])


def _mlforecast(train, horizon: int, threads: int):
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean

    df = train.assign(unique_id=train["sku"].astype(str) + "|" + train["warehouse_id"].astype(str))
    df = df.rename(columns={"date": "ds", "qty": "y"})[["unique_id", "ds", "y"]]
    model = lgb.LGBMRegressor(n_estimators=200, num_threads=threads, verbosity=-1, random_state=0)
    fcst = MLForecast(
        models={"lgbm": model},
        freq="D",
        lags=[7, 14, 28],
        lag_transforms={1: [RollingMean(7), RollingMean(28)], 7: [RollingMean(7), RollingMean(28)]},
        date_features=["dayofweek", "day", "month", "dayofyear"],
        num_threads=1,
    )
    fcst.fit(df, static_features=[])
    fc = fcst.predict(horizon)
    ids = fc["unique_id"].str.split("|", n=1, expand=True)
    return fc.assign(sku=ids[0], warehouse_id=ids[1], date=fc["ds"], p50=fc["lgbm"].clip(lower=0))


def peer(method: str, data_dir: str, horizon: int, threads: int) -> dict:
    """Fit + predict ``method`` on the prepared training window; WAPE and RMSSE on the holdout.

    Timed: fit and predict only (data loading and scoring are not); peak memory: this process's."""
    import numpy as np
    import pandas as pd

    from models_ml.metrics import summarise

    folder = Path(data_dir)
    train = pd.read_parquet(folder / HOLDOUT["train"])
    truth = pd.read_parquet(folder / HOLDOUT["truth"])
    train["sku"], train["warehouse_id"] = train["sku"].astype(str), train["warehouse_id"].astype(str)
    t0 = time.perf_counter()
    extra: dict[str, Any] = {}
    if method == "stockflow":
        from models_ml.config import ForecastConfig
        from models_ml.forecast import fit_predict

        future = pd.read_parquet(folder / HOLDOUT["future"])
        fc = fit_predict(train, horizon, "D", future, ForecastConfig(num_threads=threads, include_mean=True))
    elif method == "seasonal_naive":
        from models_ml.forecast import seasonal_naive

        fc = seasonal_naive(train, horizon, "D")
    elif method in STATSFORECAST:
        fc = _statsforecast(train, method, horizon)
    elif method == "mlforecast_lgbm":
        fc = _mlforecast(train, horizon, threads)
    else:
        raise ValueError(f"unknown peer {method!r}; expected one of {', '.join(PEERS)}")
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports kB
    fc = fc[
        [
            "sku",
            "warehouse_id",
            "date",
            "p50",
            *(["p90"] if "p90" in fc else []),
            *(["mean"] if "mean" in fc else []),
        ]
    ]
    fc = fc.assign(date=pd.to_datetime(fc["date"]))
    scored = truth.merge(fc, on=["sku", "warehouse_id", "date"], how="left")
    missing = int(scored["p50"].isna().sum())
    scored["p50"] = scored["p50"].fillna(0.0)
    if "p90" not in scored:
        scored["p90"] = np.nan
    scored["series"] = scored["sku"] + "|" + scored["warehouse_id"]
    m = summarise(scored.assign(all="all"), ["all"]).iloc[0]
    if "mean" in scored:  # our mean column too: plans use it, and RMSSE rewards the mean
        mm = summarise(scored.assign(all="all", p50=scored["mean"].fillna(0.0)), ["all"]).iloc[0]
        extra = {"mean_wape": float(mm["wape"]), "mean_rmsse": float(mm["rmsse"])}
    return {
        "rows": len(train),
        "rows_what": "training SKU-wh-days",
        "detail": {
            "method": method,
            "fit_predict_seconds": seconds,
            "peak_rss_bytes": peak,
            "wape": float(m["wape"]),
            "rmsse": float(m["rmsse"]),
            "mase": float(m["mase"]),
            "bias": float(m["bias"]),
            "holdout_rows": int(m["n"]),
            "forecast_rows_missing": missing,
            **extra,
        },
    }
