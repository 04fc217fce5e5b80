"""The replay's fixed inputs: the series, their daily demand over warm-up + window, supply parameters,
review days, discontinuation days, opening stock and unit cost, and the forecast (or stand-in) each
review reads (``ReplayInputs``, built by ``replay_inputs``).

Pure numpy/pandas; never imports dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models_ml.current_rule import CurrentRule, hand_set_levels
from models_ml.replenishment.config import ReplenishmentConfig
from models_ml.replenishment.inputs import KEYS, SupplyParams, _merge_params, _num, _str_keys, resolve_supply
from models_ml.replenishment.windows import window_sums
from models_ml.simulation.config import SimulationConfig


@dataclass(frozen=True)
class ReplayInputs:
    """What the replay reads and never changes. Day arrays are [day, series]; day t of the window is
    row ``t0 + t`` of the demand matrix ``dm`` (the first ``t0`` rows are the warm-up)."""

    keys: pd.DataFrame  # sku, warehouse_id, sorted
    start: pd.Timestamp  # first day of the window
    t0: int  # warm-up days before the window
    dm: np.ndarray  # daily demand, warm-up + window
    c1: np.ndarray  # cumulative demand (leading zero row)
    c2: np.ndarray  # cumulative squared demand (leading zero row)
    first_demand: np.ndarray  # first day with demand per series (warm-up + window index)
    df: pd.DataFrame  # merged parameter rows
    sp: SupplyParams
    protection: np.ndarray  # lead time + review period
    blocked: np.ndarray  # dead or discontinued: never orders
    stop: np.ndarray  # window day from which a series may not order (discontinued_date)
    review_day: np.ndarray  # [T, n] bool
    opening_on_hand: np.ndarray  # the evening before the window
    unit_cost: np.ndarray
    point_cum: np.ndarray | None  # cumulative point forecast from the window start (None: stand-in)
    var_cum: np.ndarray | None  # cumulative forecast variance
    sku_code: np.ndarray  # integer SKU code per series (keys sorted by sku)
    hand: dict[str, np.ndarray] | None  # hand-set min / max / safety of the "items" rule
    sim: SimulationConfig

    def history_stats(self, rows: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Trailing mean (``standin_mean_days``, from a series' first demand) and variance
        (``standin_std_days``) of daily demand before day t of the window: no look-ahead."""
        c1, c2, first_demand, sc = self.c1, self.c2, self.first_demand, self.sim
        a = self.t0 + t
        length = np.clip(a - first_demand[rows], 7, sc.standin_mean_days).astype(float)
        mean = np.where(
            a > first_demand[rows],
            (c1[a, rows] - c1[np.maximum(a - length, 0).astype(int), rows]) / length,
            0.0,
        )
        k = min(sc.standin_std_days, a)
        if k >= 2:
            s1, s2 = c1[a, rows] - c1[a - k, rows], c2[a, rows] - c2[a - k, rows]
            var = np.maximum(s2 / k - (s1 / k) ** 2, 0.0) * k / (k - 1)
        else:
            var = np.zeros(rows.size)
        return mean, var

    def windows(self, rows: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Forecast demand over L and P, its variance over P, and the daily rate, at day t of the window."""
        point_cum, var_cum = self.point_cum, self.var_cum
        lead, protection = self.sp.lead_time, self.protection
        if point_cum is None:
            mean, var = self.history_stats(rows, t)
            return mean * lead[rows], mean * protection[rows], var * protection[rows], mean
        sub = np.ix_(np.arange(point_cum.shape[0]), rows)
        p = protection[rows]
        d_prot = window_sums(point_cum[sub], t, p)
        daily = np.where(p > 0, d_prot / np.where(p > 0, p, 1), 0.0)
        return window_sums(point_cum[sub], t, lead[rows]), d_prot, window_sums(var_cum[sub], t, p), daily


def replay_inputs(
    demand: pd.DataFrame,
    params: pd.DataFrame | None,
    stock: pd.DataFrame,
    forecast: pd.DataFrame | None,
    rule: CurrentRule | None,
    cfg: ReplenishmentConfig,
    sc: SimulationConfig,
) -> ReplayInputs:
    """The window (the last ``sc.days`` dates of ``demand``), its series and everything fixed about them."""
    demand = _str_keys(demand)
    demand_dates = pd.to_datetime(demand["date"]).dt.normalize()
    end = demand_dates.max()
    start = end - pd.Timedelta(days=sc.days - 1)
    first = min(demand_dates.min(), start)
    keys = _keys_of(
        demand, stock, params if params is not None and "warehouse_id" in params.columns else None
    )
    T = sc.days
    t0 = (start - first).days
    dm = demand_matrix(demand, demand_dates, keys, first, t0 + T)
    c1 = np.vstack([np.zeros((1, len(keys))), np.cumsum(dm, axis=0)])
    c2 = np.vstack([np.zeros((1, len(keys))), np.cumsum(dm**2, axis=0)])
    nonzero = dm > 0
    first_demand = np.where(nonzero.any(axis=0), nonzero.argmax(axis=0), t0 + T)

    df = _merge_params(keys, params)
    sp = resolve_supply(df, cfg)
    protection = sp.lead_time + sp.review_period
    on_hand, unit_cost = opening_stock(keys, stock, df)
    point_cum = var_cum = None
    if forecast is not None and len(forecast):
        point_cum, var_cum = _forecast_cumsums(forecast, keys, start, T + int(np.ceil(protection.max())) + 1)
    hand = (
        hand_set_levels(df, keys, dm[:t0] if t0 > 0 else dm)
        if rule is not None and rule.kind == "items"
        else None
    )
    return ReplayInputs(
        keys=keys,
        start=start,
        t0=t0,
        dm=dm,
        c1=c1,
        c2=c2,
        first_demand=first_demand,
        df=df,
        sp=sp,
        protection=protection,
        blocked=sp.dead | sp.discontinued,
        stop=stop_days(df, start, T),
        review_day=review_days(sp, start, T),
        opening_on_hand=on_hand,
        unit_cost=unit_cost,
        point_cum=point_cum,
        var_cum=var_cum,
        sku_code=pd.factorize(keys["sku"].to_numpy())[0],  # keys are sorted by sku, warehouse_id
        hand=hand,
        sim=sc,
    )


def _keys_of(*frames: pd.DataFrame | None) -> pd.DataFrame:
    parts = [_str_keys(f)[KEYS] for f in frames if f is not None and len(f) and "warehouse_id" in f.columns]
    keys = pd.concat(parts, ignore_index=True).dropna().drop_duplicates()
    return keys.sort_values(KEYS, ignore_index=True)


def _row_index(keys: pd.DataFrame, df: pd.DataFrame) -> np.ndarray:
    return pd.MultiIndex.from_frame(keys[KEYS]).get_indexer(pd.MultiIndex.from_frame(_str_keys(df)[KEYS]))


def demand_matrix(
    demand: pd.DataFrame, demand_dates: pd.Series, keys: pd.DataFrame, first: pd.Timestamp, total_days: int
) -> np.ndarray:
    """Daily demand [day, series] over warm-up + window; missing days are zero, negative quantities 0."""
    dm = np.zeros((total_days, len(keys)))
    np.add.at(
        dm,
        ((demand_dates - first).dt.days.to_numpy(), _row_index(keys, demand)),
        _num(demand, "qty").fillna(0.0).clip(lower=0).to_numpy(),
    )
    return dm


def stop_days(df: pd.DataFrame, start: pd.Timestamp, T: int) -> np.ndarray:
    """Window day from which each series may not order: its ``discontinued_date`` (clipped), else T."""
    stop = np.full(len(df), T, dtype=np.int64)
    if "discontinued_date" in df.columns:
        dd = pd.to_datetime(df["discontinued_date"], errors="coerce")
        days_to = (dd - start).dt.days.to_numpy(dtype=float, na_value=np.nan)
        stop = np.where(np.isfinite(days_to), np.clip(days_to, 0, T), T).astype(np.int64)
    return stop


def review_days(sp: SupplyParams, start: pd.Timestamp, T: int) -> np.ndarray:
    """[T, n] review days: the order weekdays when known, else every round(R) days from the window start."""
    weekday = ((start.dayofweek + np.arange(T)) % 7)[:, None]
    has_wd = sp.order_weekdays.any(axis=1)
    every = np.maximum(np.round(sp.review_period), 1).astype(np.int64)
    return np.where(
        has_wd[None, :], sp.order_weekdays.T[weekday[:, 0]], (np.arange(T)[:, None] % every[None, :]) == 0
    )


def opening_stock(keys: pd.DataFrame, stock: pd.DataFrame, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """On hand the evening before the window and the unit cost per series (stock's, else the params',
    else 0)."""
    n = len(keys)
    st = (
        _str_keys(stock) if stock is not None and len(stock) else pd.DataFrame(columns=[*KEYS, "on_hand_qty"])
    )
    si = _row_index(keys, st)
    on_hand = np.zeros(n)
    np.add.at(on_hand, si[si >= 0], _num(st, "on_hand_qty").fillna(0.0).clip(lower=0).to_numpy()[si >= 0])
    unit_cost = np.full(n, np.nan)
    unit_cost[si[si >= 0]] = _num(st, "unit_cost").to_numpy()[si >= 0]
    unit_cost = np.where(np.isnan(unit_cost), _num(df, "unit_cost").to_numpy(), unit_cost)
    unit_cost = np.nan_to_num(unit_cost, nan=0.0)
    return on_hand, unit_cost


def _forecast_cumsums(
    forecast: pd.DataFrame, keys: pd.DataFrame, start: pd.Timestamp, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative point forecast and forecast variance per day from the window start (leading zero row)."""
    f = _str_keys(forecast)
    day = (pd.to_datetime(f["date"]).dt.normalize() - start).dt.days.to_numpy()
    row = _row_index(keys, f)
    ok = (row >= 0) & (day >= 0) & (day < width)
    point_col = "mean" if "mean" in f.columns and f["mean"].notna().any() else "p50"
    point = _num(f, point_col).fillna(_num(f, "p50")).fillna(0.0).clip(lower=0).to_numpy()
    if "sigma" in f.columns:
        sigma = _num(f, "sigma").to_numpy()
    else:
        sigma = ((_num(f, "p90") - _num(f, "p50")).clip(lower=0) / 1.2815515655446004).to_numpy()
    sigma = np.nan_to_num(sigma, nan=0.0)
    n = len(keys)
    pm, vm = np.zeros((width, n)), np.zeros((width, n))
    pm[day[ok], row[ok]] = point[ok]
    vm[day[ok], row[ok]] = sigma[ok] ** 2
    zero = np.zeros((1, n))
    return np.vstack([zero, np.cumsum(pm, axis=0)]), np.vstack([zero, np.cumsum(vm, axis=0)])
