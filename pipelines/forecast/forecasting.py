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
import numpy as np
import pandas as pd

from pipelines.warehouse import connection as warehouse

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

    return ForecastConfig(
        num_threads=settings.forecast_threads, include_mean=True, holiday_country=settings.holiday_country
    )


def demand_history(conn: duckdb.DuckDBPyConnection, horizon_days: int, history_days: int) -> DemandHistory:
    """The last `history_days` of daily demand per SKU x warehouse, drivers and planned promotions."""
    origin = conn.execute("select max(date_day) from marts.fct_sku_daily_demand").fetchall()[0][0]
    if origin is None:
        raise ValueError("marts.fct_sku_daily_demand is empty: no sales history to forecast from")
    history = _read_history(conn, origin, history_days)
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


# One row per active SKU x warehouse in the window, numbered in (sku, warehouse_id) order; the long read
# below refers to series by that number, so no text is read per day (see docs/forecasting.md, Memory).
_SERIES = """
    select sku, warehouse_id, (row_number() over (order by sku, warehouse_id) - 1)::integer as sid
    from (
        select distinct sku, warehouse_id from marts.fct_sku_daily_demand
        where date_day > ? - cast(? as integer) and is_active
    )
"""
_READ_BATCH_ROWS = 1 << 20


def _code_dtype(levels: int) -> type:
    return np.int8 if levels < 2**7 else np.int16 if levels < 2**15 else np.int32


def _read_history(conn: duckdb.DuckDBPyConnection, origin, history_days: int) -> pd.DataFrame:
    """The long history frame, ordered by sku, warehouse_id and date, with ``sku``, ``warehouse_id`` and
    ``category`` as pandas categoricals (integer codes): at M5 scale (19M rows) text columns of Python or
    Arrow strings, and DuckDB's materialised copy of them, were most of the forecast step's peak memory.
    Rows are streamed in Arrow batches into preallocated arrays and sorted in numpy."""
    window = [origin, history_days]
    series = conn.execute(
        f"""
        select s.sid, s.sku, s.warehouse_id, coalesce(k.category, 'uncategorised') as category
        from ({_SERIES}) s left join marts.dim_skus k on k.sku = s.sku
        order by s.sid
        """,
        window,
    ).df()
    if series["sid"].duplicated().any():
        raise ValueError("marts.dim_skus has duplicate SKUs: cannot give each series one category")
    n = conn.execute(
        "select count(*) from marts.fct_sku_daily_demand where date_day > ? - cast(? as integer) and is_active",
        window,
    ).fetchall()[0][0]
    cols = {
        "sid": np.empty(n, np.int32),
        "day": np.empty(n, np.int32),  # days before the origin
        "qty": np.empty(n, np.float64),
        "price": np.empty(n, np.float64),
        "is_on_promotion": np.empty(n, np.int32),
        "discount_pct": np.empty(n, np.float64),
    }
    _stream_into(conn, cols, window, origin)
    sid = cols.pop("sid")
    day = cols.pop("day")
    # DuckDB streams the rows in no particular order (an ORDER BY would hold all of them in DuckDB):
    # sort by series and date here, one column at a time
    key = sid.astype(np.int64) * (history_days + 1) + (day - (day.min() if n else 0))
    if (np.diff(key) < 0).any():
        order = np.argsort(key)
        del key
        for arr in (sid, day, *cols.values()):
            arr[:] = arr[order]
        del order
    else:
        del key
    sku_codes, sku_levels = pd.factorize(series["sku"], sort=True)
    wh_codes, wh_levels = pd.factorize(series["warehouse_id"], sort=True)
    cat_codes, cat_levels = pd.factorize(series["category"], sort=True)
    row_sku = sku_codes.astype(_code_dtype(len(sku_levels)))[sid]
    # Prices exist only on days with sales, which would reveal those days to the model: carry them forward
    # within the series, then fill a series' leading gap with its SKU's median price. A SKU's rows are
    # contiguous, so this runs over chunks of whole SKUs (same result, chunk-sized temporaries).
    price = cols["price"]
    sku_starts = np.flatnonzero(row_sku[1:] != row_sku[:-1]) + 1
    last_start = (
        np.searchsorted(sku_starts, np.arange(_READ_BATCH_ROWS, n, _READ_BATCH_ROWS), side="right") - 1
    )
    cuts = sku_starts[np.unique(last_start[last_start >= 0])]
    for a, b in zip([0, *cuts.tolist()], [*cuts.tolist(), n], strict=True):
        part = pd.Series(price[a:b]).groupby(sid[a:b], sort=False).ffill()
        median = part.groupby(row_sku[a:b], sort=False).transform("median")
        price[a:b] = part.fillna(median).to_numpy()
    del sku_starts, last_start, cuts
    date = (np.datetime64(pd.Timestamp(origin).date(), "D") + day).astype("datetime64[us]")
    del day
    frame = {
        "sku": pd.Categorical.from_codes(row_sku, categories=sku_levels),
        "warehouse_id": pd.Categorical.from_codes(
            wh_codes.astype(_code_dtype(len(wh_levels)))[sid], categories=wh_levels
        ),
        "date": date,
        "qty": cols["qty"],
        "price": cols["price"],
        "is_on_promotion": cols["is_on_promotion"],
        "discount_pct": cols["discount_pct"],
        "category": pd.Categorical.from_codes(
            cat_codes.astype(_code_dtype(len(cat_levels)))[sid], categories=cat_levels
        ),
    }
    return pd.DataFrame(frame, copy=False)


def _stream_into(conn: duckdb.DuckDBPyConnection, cols: dict[str, np.ndarray], window: list, origin) -> None:
    """Rows of the history window (no particular order) into the preallocated ``cols``."""
    n = len(cols["sid"])
    reader = conn.sql(
        f"""
        with series as ({_SERIES})
        select s.sid, cast(d.date_day - cast(? as date) as integer) as day, d.ordered_qty as qty,
               d.avg_unit_price as price, cast(d.is_on_promotion as integer) as is_on_promotion,
               coalesce(d.max_discount_pct, 0) as discount_pct
        from marts.fct_sku_daily_demand d join series s using (sku, warehouse_id)
        where d.date_day > ? - cast(? as integer) and d.is_active
        """,
        params=[*window, origin, *window],
    ).to_arrow_reader(_READ_BATCH_ROWS)
    at = 0
    for batch in reader:
        k = batch.num_rows
        for name, out in cols.items():
            column = batch.column(name)
            if column.null_count and out.dtype.kind == "i":
                raise ValueError(f"marts.fct_sku_daily_demand has nulls in the column read as {name}")
            out[at : at + k] = column.to_numpy(zero_copy_only=False)
        at += k
    if at != n:
        raise RuntimeError(f"fct_sku_daily_demand changed while it was read ({at} rows, expected {n})")


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
        f"the backtest of {last.at.astimezone(now.tzinfo):%Y-%m-%d %H:%M UTC%z} is {age} days old, under "
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
