"""Between the warehouse and the forecaster: the demand history it reads and the tables it writes.

`demand_history` turns the mart `fct_sku_daily_demand` (plus `dim_skus` and planned promotions) into
`models_ml.forecast.fit_predict`'s contract; `save_forecasts` and `save_backtest` append results with
the run id and forecast origin, keeping history so later actuals can be compared (fct_forecast_accuracy).
No Dagster here; the connection is opened and closed by the caller, never held while a model trains.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import duckdb
import pandas as pd

from pipelines import warehouse

SCHEMA = "forecast"
FORECASTS = f"{SCHEMA}.sku_demand_forecasts"
BACKTEST = f"{SCHEMA}.forecast_backtest_metrics"


@dataclass(frozen=True)
class DemandHistory:
    history: pd.DataFrame  # sku, warehouse_id, date, qty, price, is_on_promotion, discount_pct, category
    future: pd.DataFrame  # sku, warehouse_id, date, is_on_promotion, discount_pct over the horizon
    segments: pd.DataFrame  # sku, warehouse_id, segment (ABC x XYZ)
    origin: pd.Timestamp


def forecast_config(settings) -> ForecastConfig:  # noqa: F821 (imported lazily: lightgbm is heavy)
    """The forecaster's settings from Stockflow's: threads as configured, the mean column for planning."""
    from models_ml.config import ForecastConfig

    return ForecastConfig(num_threads=settings.forecast_threads, include_mean=True)


def demand_history(conn: duckdb.DuckDBPyConnection, horizon_days: int, history_days: int) -> DemandHistory:
    """The last `history_days` of daily demand per SKU x warehouse, drivers and planned promotions."""
    origin = conn.execute("select max(date_day) from marts.fct_sku_daily_demand").fetchall()[0][0]
    if origin is None:
        raise ValueError("marts.fct_sku_daily_demand is empty: no sales history to forecast from")
    history = conn.execute(
        """
        select d.sku, d.warehouse_id, d.date_day as date, d.ordered_qty as qty,
               d.avg_unit_price as price, cast(d.is_on_promotion as integer) as is_on_promotion,
               coalesce(d.max_discount_pct, 0) as discount_pct, coalesce(s.category, 'uncategorised') as category
        from marts.fct_sku_daily_demand d
        left join marts.dim_skus s on s.sku = d.sku
        where d.date_day > ? - cast(? as integer) and d.is_active
        order by 1, 2, 3
        """,
        [origin, history_days],
    ).df()
    # Prices exist only on days with sales, which would reveal those days to the model: carry them forward.
    history["price"] = history.groupby(["sku", "warehouse_id"])["price"].ffill()
    history["price"] = history["price"].fillna(history.groupby("sku")["price"].transform("median"))
    future = conn.execute(
        """
        with days as (
            select cast(? as date) + cast(h as integer) as date
            from range(1, ? + 1) as t(h)
        ),
        series as (select distinct sku, warehouse_id from marts.fct_sku_daily_demand)
        select series.sku, series.warehouse_id, days.date,
               cast(count(p.promo_id) > 0 as integer) as is_on_promotion,
               coalesce(max(p.discount_pct), 0) as discount_pct
        from series cross join days
        left join staging.stg_erp__promotions p
            on p.sku = series.sku and (p.warehouse_id = series.warehouse_id or p.applies_to_all_warehouses)
            and days.date between p.start_date and p.end_date
        group by 1, 2, 3
        """,
        [origin, horizon_days],
    ).df()
    segments = conn.execute(
        "select sku, coalesce(abc_class, 'C') || coalesce(xyz_class, 'Z') as segment from marts.dim_skus"
    ).df()
    return DemandHistory(history, future, segments, pd.Timestamp(origin))


def save_forecasts(
    conn: duckdb.DuckDBPyConnection, forecasts: pd.DataFrame, run_id: str, origin: pd.Timestamp
) -> int:
    """Append one run's forecasts, replacing an earlier run's for the same origin; returns rows written.

    Stored: p50, p90 and mean (other configured quantiles are returned by models_ml but not kept)."""
    frame = forecasts.rename(columns={"date": "forecast_date"}).assign(
        run_id=run_id,
        origin_date=pd.Timestamp(origin).normalize(),
        created_at=datetime.now(UTC).replace(tzinfo=None),
    )
    frame["horizon_days"] = (frame["forecast_date"] - frame["origin_date"]).dt.days
    if "mean" not in frame:
        frame["mean"] = float("nan")
    frame = frame[
        [
            "sku",
            "warehouse_id",
            "forecast_date",
            "p50",
            "p90",
            "mean",
            "run_id",
            "origin_date",
            "created_at",
            "horizon_days",
        ]
    ]
    warehouse.ensure_raw_schema(conn)
    conn.execute("begin transaction")
    try:
        conn.execute(f"delete from {FORECASTS} where origin_date = ?", [frame["origin_date"].iloc[0]])
        conn.register("_frame", frame)
        conn.execute(f"insert into {FORECASTS} by name select * from _frame")
        conn.unregister("_frame")
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return len(frame)


def save_backtest(conn: duckdb.DuckDBPyConnection, metrics: pd.DataFrame, run_id: str) -> None:
    warehouse.append_frame(
        conn, BACKTEST, metrics.assign(run_id=run_id, created_at=datetime.now(UTC).replace(tzinfo=None))
    )


def backtest_fingerprint(settings) -> str:  # noqa: F821 (Settings; avoids an import cycle)
    """What the backtest's result depends on besides the data: forecaster settings (threads aside),
    horizon, history window and origins. A backtest made under another fingerprint is stale."""
    config = {k: v for k, v in asdict(forecast_config(settings)).items() if k != "num_threads"}
    config |= {
        "horizon_days": settings.forecast_horizon_days,
        "history_days": settings.forecast_history_days,
        "origins": settings.backtest_origins,
    }
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class LastBacktest:
    at: datetime  # when it was materialised (timezone-aware)
    fingerprint: str | None  # backtest_fingerprint at the time (None: recorded before fingerprints)


def backtest_due(
    last: LastBacktest | None, now: datetime, every_days: int, fingerprint: str
) -> tuple[bool, str]:
    """Whether a refresh should re-run the backtest, and why. It is due when there is none yet, when the
    forecaster's settings changed since, or when it is `every_days` calendar days old or more (dates in
    `now`'s timezone, so a daily 06:00 run backtests every `every_days`-th day). ``every_days <= 0``:
    every run."""
    if every_days <= 0:
        return True, "STOCKFLOW_BACKTEST_EVERY_DAYS is 0: the backtest runs with every refresh"
    if last is None:
        return True, "no backtest yet"
    if last.fingerprint != fingerprint:
        return True, "the forecaster's settings changed since the last backtest"
    age = (now.date() - last.at.astimezone(now.tzinfo).date()).days
    if age >= every_days:
        return True, f"the last backtest is {age} days old (STOCKFLOW_BACKTEST_EVERY_DAYS={every_days})"
    return False, (
        f"the backtest of {last.at.astimezone(now.tzinfo):%Y-%m-%d %H:%M} is {age} days old, under "
        f"STOCKFLOW_BACKTEST_EVERY_DAYS={every_days}: forecasts use its method choice"
    )


def choose_method(wape_by_method: dict[str, float]) -> tuple[str, str]:
    """Which forecasts the plan gets: the model when its backtest WAPE beats seasonal naive, else the
    baseline with the lowest WAPE. Returns (method, reason for the run's log and metadata)."""
    model, naive = wape_by_method.get("model"), wape_by_method.get("seasonal_naive")
    if model is None or naive is None:
        return "model", "no backtest for this run: using the model"
    if model < naive:
        return "model", f"model WAPE {model:.3f} beats seasonal naive {naive:.3f}"
    baselines = {m: w for m, w in wape_by_method.items() if m != "model" and w == w}
    best = min(baselines, key=baselines.get)
    return best, (
        f"model WAPE {model:.3f} does not beat seasonal naive {naive:.3f}: "
        f"forecasts fall back to the best baseline, {best} (WAPE {baselines[best]:.3f})"
    )


def latest_backtest_wape(conn: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, float]:
    """Overall WAPE per method from this run's backtest (else the latest one), {} when none."""
    rows = (
        conn.execute(
            f"""
        with runs as (
            select run_id, max(created_at) as last_created_at from {BACKTEST} group by 1
        ),
        chosen as (
            select run_id from runs order by case when run_id = ? then 0 else 1 end, last_created_at desc limit 1
        )
        select method, wape from {BACKTEST} where scope = 'all' and run_id = (select run_id from chosen)
        """,
            [run_id],
        ).fetchall()
        if warehouse.table_exists(conn, BACKTEST)
        else []
    )
    return {m: float(w) for m, w in rows if w is not None}
