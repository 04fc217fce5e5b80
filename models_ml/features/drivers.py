"""Drivers (numeric exogenous columns: prices, promotion flags): which history columns are drivers or
static attributes, carrying a driver forward within a series, the drivers derived from the other series
of a location, and the drivers' values over the horizon from ``future`` (``future_drivers``).

Never imports: ``models_ml.forecast``, nor dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from models_ml.features.panel import (
    BATCH_ROWS,
    DATE_COL,
    ID_COLS,
    STOCKOUT_COL,
    TARGET_COL,
    Panel,
    period_index,
)


def driver_columns(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Numeric (and boolean) extra columns are drivers; text/categorical extra columns are static."""
    skip = {*ID_COLS, DATE_COL, TARGET_COL, STOCKOUT_COL}
    drivers, static = [], []
    for col in frame.columns:
        if col in skip:
            continue
        dtype = frame[col].dtype
        if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
            drivers.append(col)
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            continue
        else:
            static.append(col)
    return drivers, static


def _is_flag(values: np.ndarray, sample: int = 1 << 20) -> bool:
    """A driver whose (sampled) values are all 0 or 1: a promotion, feature or display flag."""
    v = values[:sample]
    v = v[~np.isnan(v)]
    return v.size > 0 and bool(np.all((v == 0) | (v == 1)))


def fill_within_series(
    values: np.ndarray, sid: np.ndarray, offset: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """Carry the last value forward within each series; leading gaps take the first value.

    Works through batches of whole series (rows of a series are contiguous), so the temporaries are
    the size of a batch; ``out`` may be ``values`` itself."""
    n = len(values)
    out = np.empty(n, dtype=np.float64) if out is None else out
    starts = offset[np.flatnonzero(np.diff(offset // BATCH_ROWS) != 0) + 1] if len(offset) else offset
    bounds = [0, *starts.tolist(), n]
    for a, b in zip(bounds[:-1], bounds[1:], strict=False):
        if b > a:
            out[a:b] = _fill_forward(values[a:b], offset[sid[a:b]] - a)
    return out


def _fill_forward(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    """``fill_within_series`` on whole series; ``first`` is each row's series start."""
    n = len(values)
    idx = np.arange(n)
    ok = ~np.isnan(values)
    last = np.maximum.accumulate(np.where(ok, idx, -1))
    out = np.where(last >= first, values[np.maximum(last, 0)], np.nan)
    # backward fill of the leading gap
    nxt = np.minimum.accumulate(np.where(ok, idx, n)[::-1])[::-1]
    lead = np.isnan(out) & (nxt < n)
    same = lead & (first[np.minimum(nxt, n - 1)] == first)
    out[same] = values[nxt[same]]
    return out


def location_drivers(
    panel: Panel, drivers: dict[str, np.ndarray], loc: np.ndarray, period: np.ndarray
) -> dict[str, np.ndarray]:
    """Each row's drivers against the other series of its location (warehouse) in the same period:
    ``loc_rel_<price>`` = price / the location's mean price of that period (competing items' prices),
    ``loc_share_<flag>`` = share of the location's series with the flag on (competing promotions).
    ``loc`` and ``period`` give each value's location number and period (any integers)."""
    p0 = int(period.min()) if period.size else 0
    width = int(period.max()) - p0 + 1 if period.size else 1
    key = loc.astype(np.int64) * width + (period.astype(np.int64) - p0)
    size = int(key.max()) + 1 if key.size else 0
    out: dict[str, np.ndarray] = {}
    names = ([panel.price_col] if panel.price_col is not None else []) + list(panel.flag_cols)
    for name in names:
        vals = drivers[name]
        ok = ~np.isnan(vals)
        total = np.bincount(key[ok], weights=vals[ok], minlength=size)
        count = np.bincount(key[ok], minlength=size)
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)[key]
        if name == panel.price_col:
            out[f"loc_rel_{name}"] = np.where(mean > 0, vals / np.where(mean > 0, mean, 1.0), np.nan)
        else:
            out[f"loc_share_{name}"] = mean
    return out


def future_drivers(
    panel: Panel, future: pd.DataFrame | None, horizon: int, missing: str = "carry"
) -> dict[str, np.ndarray]:
    """[series, horizon] driver values: from ``future`` where given; what it lacks (a driver, a series or
    a period) is the last observed value with ``missing="carry"`` (a ``FutureDriverWarning`` names it
    when ``future`` was given) or a ``ValueError`` with ``missing="error"``. Drivers derived from the
    other series of a location are recomputed from the horizon's values."""
    base = [name for name in panel.drivers if name not in panel.location_driver_names]
    last = panel.last_row(0)
    out = {name: np.repeat(panel.drivers[name][last][:, None], horizon, axis=1) for name in base}
    given = {name: np.zeros((panel.n_series, horizon), dtype=bool) for name in base}
    if future is not None and not future.empty and out:
        fut = future.copy()
        fut["_t"] = period_index(pd.to_datetime(fut[DATE_COL]).dt.normalize(), panel.origin, panel.step_days)
        fut = fut[(fut["_t"] >= 1) & (fut["_t"] <= horizon)]
        keys = panel.keys[list(ID_COLS)].copy()
        keys["_sid"] = np.arange(len(keys))
        fut = fut.merge(keys, on=list(ID_COLS), how="inner")
        s, h = fut["_sid"].to_numpy(), fut["_t"].to_numpy() - 1
        for name in base:
            if name in fut.columns:
                vals = pd.to_numeric(fut[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
                ok = ~np.isnan(vals)
                out[name][s[ok], h[ok]] = vals[ok]
                given[name][s[ok], h[ok]] = True
    if future is not None and base:
        lacking = {name: int((~g).sum()) for name, g in given.items() if not g.all()}
        if lacking:
            what = ", ".join(f"{name} ({n} series-periods)" for name, n in sorted(lacking.items()))
            msg = f"future lacks driver values for {what}"
            if missing == "error":
                raise ValueError(msg + "; pass them in `future` or set future_missing='carry'")
            warnings.warn(
                msg + ": the last observed value is carried forward", FutureDriverWarning, stacklevel=3
            )
    if panel.location_driver_names and panel.loc_code is not None:
        flat = {name: v.reshape(-1) for name, v in out.items()}
        loc = np.repeat(panel.loc_code, horizon)
        period = np.tile(np.arange(horizon), panel.n_series)
        for name, v in location_drivers(panel, flat, loc, period).items():
            out[name] = v.reshape(panel.n_series, horizon)
    return out


class FutureDriverWarning(UserWarning):
    """``future`` did not give every driver for every series and period: the last value was carried."""
