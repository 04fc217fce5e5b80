"""The forecast as the plan reads it: weekly rows split into days, and per-row sums over the lead time
and the protection window (point forecast, variance, quantile excess).

Pure numpy/pandas/scipy; never imports dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from models_ml.replenishment.inputs import KEYS, _num, _str_keys

FREQ_DAYS = {"D": 1, "W": 7}
_QUANTILE_COL = re.compile(r"^p(\d{1,2}(?:\.\d+)?)$")


def window_sums(cum: np.ndarray, start: np.ndarray | int, length: np.ndarray) -> np.ndarray:
    """Sum of a daily matrix over [start, start + length) per column, length fractional.

    ``cum`` is the cumulative sum along axis 0 with a leading zero row: cum[k] = sum of days < k.
    Beyond the last day the series continues at its last available daily rate (callers extend the
    matrix first when they want a different tail).
    """
    n_days = cum.shape[0] - 1
    cols = np.arange(cum.shape[1])
    start = np.broadcast_to(np.asarray(start, dtype=float), length.shape)

    def at(x: np.ndarray) -> np.ndarray:
        x = np.clip(x, 0.0, None)
        k = np.minimum(np.floor(x).astype(np.int64), n_days - 1)
        frac = x - k
        lo = cum[k, cols]
        return lo + frac * (cum[k + 1, cols] - lo)

    return at(start + length) - at(start)


def _quantile_columns(df: pd.DataFrame) -> dict[str, float]:
    out = {}
    for c in df.columns:
        m = _QUANTILE_COL.match(str(c))
        if m and 0 < float(m.group(1)) < 100:
            out[c] = float(m.group(1)) / 100.0
    return dict(sorted(out.items(), key=lambda kv: kv[1]))


@dataclass(frozen=True)
class ForecastWindows:
    """Per-row forecast aggregates over the lead time and the protection window."""

    demand_lead: np.ndarray
    demand_protection: np.ndarray
    var_protection: np.ndarray
    quantile_excess: np.ndarray | None
    has_forecast: np.ndarray
    extended: np.ndarray


def forecast_windows(
    forecast: pd.DataFrame,
    keys: pd.DataFrame,
    as_of: pd.Timestamp,
    lead: np.ndarray,
    protection: np.ndarray,
    z: np.ndarray,
    method: str = "normal",
) -> ForecastWindows:
    """Aggregate the long daily forecast over [as_of, as_of + L) and [as_of, as_of + P) per key row."""
    n = len(keys)
    f = _str_keys(forecast)
    f = f[pd.to_datetime(f["date"]) >= as_of]
    row = pd.MultiIndex.from_frame(keys[KEYS]).get_indexer(pd.MultiIndex.from_frame(f[KEYS]))
    f = f[row >= 0]
    row = row[row >= 0]
    day = (pd.to_datetime(f["date"]) - as_of).dt.days.to_numpy()
    width = int(day.max()) + 1 if len(day) else 1
    qcols = _quantile_columns(f)
    point_col = "mean" if "mean" in f.columns and f["mean"].notna().any() else "p50"
    point = _num(f, point_col).fillna(_num(f, "p50")).fillna(0.0).clip(lower=0).to_numpy()
    if "sigma" in f.columns and f["sigma"].notna().any():
        sigma = _num(f, "sigma").to_numpy()
    else:
        sigma = np.full(len(f), np.nan)
    upper = [c for c, q in qcols.items() if q > 0.5]
    if upper and np.isnan(sigma).any():
        top = upper[-1]
        from_q = (_num(f, top) - _num(f, "p50").fillna(_num(f, point_col))).clip(lower=0) / norm.ppf(
            qcols[top]
        )
        sigma = np.where(np.isnan(sigma), from_q.to_numpy(), sigma)
    sigma = np.nan_to_num(sigma, nan=0.0)

    def matrix(values: np.ndarray) -> np.ndarray:
        m = np.full((width, n), np.nan)
        m[day, row] = values
        count = np.isfinite(m).sum(axis=0)
        avg = np.where(count > 0, np.nansum(m, axis=0) / np.maximum(count, 1), 0.0)
        # missing days inside and beyond the horizon take the series' average forecast day
        m = np.where(np.isfinite(m), m, avg)
        return m, count

    pm, count = matrix(point)
    horizon = np.zeros(n)
    np.maximum.at(horizon, row, day + 1)
    var_m, _ = matrix(sigma**2)
    p_long = np.maximum(protection, lead)
    pad = int(np.ceil(max(p_long.max(initial=0.0) - width, 0.0))) + 1

    def cum(m: np.ndarray) -> np.ndarray:
        m = np.vstack([m, np.repeat(m.mean(axis=0, keepdims=True) if len(m) else 0.0, pad, axis=0)])
        return np.vstack([np.zeros((1, n)), np.cumsum(m, axis=0)])

    cp, cv = cum(pm), cum(var_m)
    d_lead = window_sums(cp, 0, lead)
    d_prot = window_sums(cp, 0, protection)
    var_prot = window_sums(cv, 0, protection)
    excess = None
    if method == "quantile":
        excess = _quantile_excess(f, qcols, point, row, day, width, n, protection, z, matrix, cum)
        excess = np.where(np.isnan(excess), z * np.sqrt(var_prot), excess)
    return ForecastWindows(d_lead, d_prot, var_prot, excess, count > 0, (count > 0) & (protection > horizon))


def _quantile_excess(f, qcols, point, row, day, width, n, protection, z, matrix, cum) -> np.ndarray:
    """sum over the window of (quantile at the row's service level - point), interpolated in z."""
    cols = [c for c, q in qcols.items() if q > 0.5]
    if not cols:
        return np.full(n, np.nan)
    zs = np.array([0.0] + [norm.ppf(qcols[c]) for c in cols])
    sums = [np.zeros(n)]
    for c in cols:
        m, _ = matrix(np.maximum(_num(f, c).fillna(0.0).to_numpy() - point, 0.0))
        sums.append(window_sums(cum(m), 0, protection))
    s = np.column_stack(sums)  # [n, K]; sums are linear in the per-day values, so interpolate the sums
    j = np.clip(np.searchsorted(zs, z), 1, len(zs) - 1)
    r = np.arange(n)
    z0, z1 = zs[j - 1], zs[j]
    return s[r, j - 1] + (z - z0) / (z1 - z0) * (s[r, j] - s[r, j - 1])


def forecast_step_days(forecast: pd.DataFrame, freq: str | None = None) -> int:
    """Days per forecast row: 1 (daily) or 7 (weekly) from ``freq``, the frame's ``attrs["freq"]`` or the
    spacing of each series' dates (the smallest gap between consecutive dates of a series)."""
    freq = freq or forecast.attrs.get("freq")
    if freq is not None:
        if freq not in FREQ_DAYS:
            raise ValueError(f"freq must be one of {tuple(FREQ_DAYS)}, not {freq!r}")
        return FREQ_DAYS[freq]
    if len(forecast) == 0:
        return 1
    f = forecast[[*KEYS, "date"]].drop_duplicates().sort_values([*KEYS, "date"])
    gaps = pd.to_datetime(f["date"]).diff().dt.days
    same = (f["sku"] == f["sku"].shift()) & (f["warehouse_id"] == f["warehouse_id"].shift())
    gaps = gaps[same]
    if gaps.empty:  # one date per series: nothing to infer from
        return 1
    step = int(gaps.min())
    if step not in FREQ_DAYS.values():
        raise ValueError(
            f"forecast dates are {step} days apart: plan_replenishment plans from daily or weekly (W) "
            "forecasts; pass freq='D' or 'W' or aggregate the forecast"
        )
    return step


def daily_forecast(forecast: pd.DataFrame, freq: str | None = None) -> tuple[pd.DataFrame, int]:
    """The forecast as one row per day, and the days per row it came with.

    A weekly row (dated on the last of its 7 days, pandas' ``W``) becomes 7 days of mean / 7 and p50 / 7;
    each other quantile keeps its weekly distance from the point forecast divided by sqrt(7), and a
    ``sigma`` column is divided by sqrt(7), so that the 7 days add up to the week's mean and variance
    (days of one week treated as independent draws of the week's error)."""
    step = forecast_step_days(forecast, freq)
    if step == 1:
        return forecast, 1
    f = forecast.reset_index(drop=True)
    point_col = "mean" if "mean" in f.columns and f["mean"].notna().any() else "p50"
    point_w = _num(f, point_col).fillna(0.0)
    out = f.loc[f.index.repeat(step)].reset_index(drop=True)
    offset = np.tile(np.arange(step - 1, -1, -1), len(f))
    out["date"] = pd.to_datetime(out["date"]) - pd.to_timedelta(offset, unit="D")
    root = np.sqrt(step)
    point_d = np.repeat(point_w.to_numpy() / step, step)
    for col in [c for c in _quantile_columns(f)] + (["mean"] if "mean" in f.columns else []):
        if col == point_col:
            out[col] = point_d
        else:
            excess = np.repeat((_num(f, col) - point_w).to_numpy(), step) / root
            out[col] = np.clip(point_d + excess, 0.0, None)
    if "sigma" in f.columns:
        out["sigma"] = _num(out, "sigma") / root
    return out, step
