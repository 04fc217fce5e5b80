"""From the history frame to the dense ``Panel``: ``build_panel`` in named steps (periods of the rows,
series numbers and keys, the ``max_history`` window, the dense layout, demand with duplicates, censoring
and unrecorded periods, dense drivers, derived drivers), and the in-stock imputation of censored periods.

Never imports: ``models_ml.forecast``, nor dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models_ml.config import ResolvedConfig
from models_ml.features.drivers import _is_flag, driver_columns, fill_within_series, location_drivers
from models_ml.features.panel import DATE_COL, ID_COLS, STOCKOUT_COL, TARGET_COL, Panel
from models_ml.features.prices import promoted_periods

UNRECORDED = -1.0  # build_panel's marker of a period without a history row (demand is never negative)


def validate_history(history: pd.DataFrame) -> None:
    missing = [c for c in (*ID_COLS, DATE_COL, TARGET_COL) if c not in history.columns]
    if missing:
        raise ValueError(f"history lacks columns {missing}")
    if history.empty:
        raise ValueError("history is empty")


def _day_offsets(history: pd.DataFrame, origin: pd.Timestamp | None) -> tuple[np.ndarray, pd.Timestamp]:
    """Days of each row from the origin (0 = origin day, negative before) and the origin, which
    defaults to the latest date. Tz-naive dates take a numpy path without pandas temporaries."""
    dates = history[DATE_COL]
    if not pd.api.types.is_datetime64_any_dtype(dates.dtype):
        dates = pd.to_datetime(dates)
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.normalize()
        origin = dates.max() if origin is None else pd.Timestamp(origin).normalize()
        return (dates - origin).dt.days.to_numpy(dtype=np.int64), origin
    unit = np.datetime_data(dates.dtype)[0]
    day = dates.to_numpy().astype("datetime64[D]")  # midnight of each date (normalize)
    origin = pd.Timestamp(day.max()).as_unit(unit) if origin is None else pd.Timestamp(origin).normalize()
    day = (day - np.datetime64(origin.date(), "D")).astype(np.int64)
    return day, origin


def _series_ids(history: pd.DataFrame, rows: np.ndarray | None) -> tuple[np.ndarray, int]:
    """Series number of each (selected) row, numbered in sorted (sku, warehouse_id) order like a
    ``groupby(sort=True, dropna=False)`` (missing keys last), and the number of series."""
    key: np.ndarray | None = None
    for col in ID_COLS:
        values = history[col] if rows is None else history[col].iloc[rows]
        codes, uniques = pd.factorize(values, sort=True)
        width = len(uniques) + 1
        codes[codes < 0] = len(uniques)  # missing key: after every value
        key = codes if key is None else key * width + codes
        del codes
    assert key is not None
    top = int(key.max()) + 1 if key.size else 0
    if top <= max(4 * key.size, 1 << 20):  # dense key space: count instead of sorting
        present = np.bincount(key, minlength=top) > 0
        number = np.cumsum(present, dtype=np.int64) - 1
        n_series = int(present.sum())
        sid = number.astype(np.int32 if n_series < 2**31 else np.int64)[key]
    else:
        uniq, inverse = np.unique(key, return_inverse=True)
        n_series = len(uniq)
        sid = inverse.astype(np.int32 if n_series < 2**31 else np.int64)
    return sid, n_series


def _all_close_to_integers(values: np.ndarray, chunk: int = 1 << 20) -> bool:
    """``np.allclose(values, np.round(values))``, chunk by chunk (no copies of the whole array)."""
    return all(
        np.allclose(part, np.round(part))
        for part in (values[i : i + chunk] for i in range(0, len(values), chunk))
    )


def build_panel(history: pd.DataFrame, rc: ResolvedConfig, origin: pd.Timestamp | None = None) -> Panel:
    """Dense panel of every series from its first observation (or ``max_history`` periods before the
    origin) to the origin. The origin defaults to the latest date in ``history``.

    Memory: besides the panel itself (about 40 bytes per series-period: int32 series and period,
    float64 demand and drivers), temporaries are a few arrays of one value per history row; the
    history frame is never copied."""
    validate_history(history)
    rows, t_obs, origin = _periods_to_origin(history, origin, rc.step_days)
    drivers, static = driver_columns(history)
    sid_all, n_series = _series_ids(history, rows)
    keys = _series_keys(history, rows, sid_all, n_series, static)
    first_t, sid_all, t_obs, rows = _within_max_history(sid_all, t_obs, rows, n_series, rc.max_history)
    length, offset, sid, t, row = _dense_layout(first_t, sid_all, t_obs, n_series)
    del sid_all, t_obs
    y, duplicates = _dense_demand(history, rows, row, len(sid))
    log_target = _resolve_unrecorded(y, rc)
    drv = _dense_drivers(history, rows, row, drivers, duplicates, sid, offset)
    del row
    price_col = "price" if "price" in drivers else next((c for c in drivers if "price" in c.lower()), None)
    flags = tuple(c for c in drivers if _is_flag(drv[c]))

    panel = Panel(
        keys=keys,
        sid=sid,
        t=t,
        y=y,
        y_feat=y,
        offset=offset,
        length=length,
        drivers=drv,
        static_cols=list(static),
        price_col=price_col,
        origin=origin,
        step_days=rc.step_days,
        integer=_all_close_to_integers(y[~np.isnan(y)]) if np.isnan(y).any() else _all_close_to_integers(y),
        log_target=log_target,
        flag_cols=flags,
    )
    panel.sku_category = _sku_as_category(panel, rc)
    _add_location_drivers(panel, rc)
    # the base level and the price response: measured on weekly store panels (log target, OJ point MAPE
    # -2 points); on daily intermittent demand (the demo) they changed nothing but cost 6-14% more time
    if log_target and (flags or price_col is not None):
        panel.promo = promoted_periods(panel, rc.price_window)
    panel.y_feat = impute_censored(panel)
    return panel


def _column(history: pd.DataFrame, rows: np.ndarray | None, name: str) -> pd.Series:
    """Column ``name`` of the kept history rows (all rows when ``rows`` is None), without a copy."""
    return history[name] if rows is None else history[name].iloc[rows]


def _periods_to_origin(
    history: pd.DataFrame, origin: pd.Timestamp | None, step_days: int
) -> tuple[np.ndarray | None, np.ndarray, pd.Timestamp]:
    """The history rows at or before the origin (None: all of them), their period numbers (0 = the
    origin's period, negative before) and the origin."""
    days, origin = _day_offsets(history, origin)
    keep = days <= 0
    rows = None if keep.all() else np.flatnonzero(keep)  # history rows at or before the origin
    del keep
    if rows is not None:
        days = days[rows]
    t_obs = np.floor_divide(days, step_days) if step_days != 1 else days
    return rows, t_obs, origin


def _series_keys(
    history: pd.DataFrame, rows: np.ndarray | None, sid_all: np.ndarray, n_series: int, static: list[str]
) -> pd.DataFrame:
    """One row per series: ``sku`` and ``warehouse_id`` of its first history row, then its static
    (text) columns as of its last history row."""
    if static:
        part = history[list(static)] if rows is None else history[list(static)].iloc[rows]
        keys = part.groupby(sid_all, sort=True).last().reset_index(drop=True)
        del part
    else:
        keys = None
    first_row = pd.Series(sid_all).drop_duplicates()  # first history row of each series
    at = np.empty(n_series, dtype=np.int64)
    at[first_row.to_numpy()] = first_row.index.to_numpy()
    if rows is not None:
        at = rows[at]
    id_keys = history[list(ID_COLS)].iloc[at].reset_index(drop=True)
    return id_keys if keys is None else pd.concat([id_keys, keys], axis=1)


def _within_max_history(
    sid_all: np.ndarray, t_obs: np.ndarray, rows: np.ndarray | None, n_series: int, max_history: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """The first period of each series (at most ``max_history`` periods back) and the rows' series,
    periods and history row numbers without the rows older than that."""
    # a series whose every row is older than max_history still starts max_history periods back
    first_t = np.full(n_series, 0, dtype=np.int64)
    np.minimum.at(first_t, sid_all, np.maximum(t_obs, -max_history + 1))
    in_window = t_obs > -max_history
    if not in_window.all():
        sel = np.flatnonzero(in_window)
        sid_all, t_obs = sid_all[sel], t_obs[sel]
        rows = sel if rows is None else rows[sel]
        del sel
    del in_window
    return first_t, sid_all, t_obs, rows


def _dense_layout(
    first_t: np.ndarray, sid_all: np.ndarray, t_obs: np.ndarray, n_series: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The panel's rows: each series' length and first row, the series and period of every panel row,
    and the panel row of every history row."""
    length = -first_t + 1
    offset = np.concatenate([[0], np.cumsum(length)[:-1]]).astype(np.int64)
    n = int(length.sum())
    idx_dtype = np.int32 if n < 2**31 else np.int64
    sid = np.repeat(np.arange(n_series, dtype=idx_dtype), length)
    step = np.ones(n, dtype=idx_dtype)  # period of each row: first_t .. 0 within each series
    step[offset] = first_t  # the first row of a series restarts the count
    t = np.cumsum(step, dtype=idx_dtype)
    del step
    row = offset[sid_all]
    row -= first_t[sid_all]
    row += t_obs
    return length, offset, sid, t, row


def _dense_demand(
    history: pd.DataFrame, rows: np.ndarray | None, row: np.ndarray, n: int
) -> tuple[np.ndarray, bool]:
    """Demand of every panel row (``UNRECORDED`` where no history row falls, NaN where censored) and
    whether some period had several history rows (their demand is added up)."""
    qty = pd.to_numeric(_column(history, rows, TARGET_COL), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    qty = np.clip(qty, 0.0, None)  # returns are not negative demand
    y = np.full(n, UNRECORDED)  # periods without a row; zero or unknown below
    # several rows for the same period (duplicates, or days of a week): add them up
    filled = np.bincount(row, minlength=n)
    duplicates = bool((filled > 1).any())
    if duplicates:
        sums = np.zeros(n)
        np.add.at(sums, row, np.nan_to_num(qty))
        nan_rows = np.zeros(n, dtype=bool)
        nan_rows[row[np.isnan(qty)]] = True
        y[filled > 0] = sums[filled > 0]
        y[nan_rows] = np.nan
        del sums, nan_rows
    else:
        del filled
        y[row] = qty
    del qty
    if STOCKOUT_COL in history.columns:
        so = _column(history, rows, STOCKOUT_COL).fillna(False).astype(bool).to_numpy()
        y[row[so]] = np.nan
        del so
    return y, duplicates


def _resolve_unrecorded(y: np.ndarray, rc: ResolvedConfig) -> bool:
    """Whether the global model learns log(1 + demand) (``target_transform``), and the periods without
    a history row set, in place, to zero or unknown (``missing_as_zero``, by default: zero unless the
    target is the log)."""
    n = len(y)
    unrecorded = y == UNRECORDED
    zero_share = (int(unrecorded.sum()) + int((y == 0).sum())) / max(n, 1)
    log_target = rc.base.target_transform == "log" or (
        rc.base.target_transform == "auto" and zero_share <= rc.base.log_max_zero_share
    )
    missing_zero = rc.base.missing_as_zero if rc.base.missing_as_zero is not None else not log_target
    y[unrecorded] = 0.0 if missing_zero else np.nan
    return log_target


def _dense_drivers(
    history: pd.DataFrame,
    rows: np.ndarray | None,
    row: np.ndarray,
    drivers: list[str],
    duplicates: bool,
    sid: np.ndarray,
    offset: np.ndarray,
) -> dict[str, np.ndarray]:
    """Each driver at every panel row (the mean of a period's history rows), carried forward within
    the series where a period has no value."""
    n = len(sid)
    drv: dict[str, np.ndarray] = {}
    for col in drivers:
        vals = pd.to_numeric(_column(history, rows, col), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        if duplicates:
            s, c = np.zeros(n), np.zeros(n)
            ok = ~np.isnan(vals)
            np.add.at(s, row[ok], vals[ok])
            np.add.at(c, row[ok], 1)
            dense = np.where(c > 0, s / np.maximum(c, 1), np.nan)
            del s, c, ok
        else:
            dense = np.full(n, np.nan)
            dense[row] = vals
        del vals
        drv[col] = fill_within_series(dense, sid, offset, out=dense)
    return drv


def _add_location_drivers(panel: Panel, rc: ResolvedConfig) -> None:
    """The location of each series (``Panel.loc_code``) and, when there are several series per location
    and a price or flag driver, the drivers derived from the other series of the location."""
    keys, static = panel.keys, panel.static_cols
    # competing items: the series of the same warehouse and, when the history has one, the same first
    # static attribute (category): prices of unlike items (a battery, a television) do not compete
    group = keys["warehouse_id"].astype(str)
    if static:
        group = group + "\x1f" + keys[static[0]].astype(str)
    panel.loc_code = pd.factorize(group, sort=True)[0].astype(np.int64)
    several = panel.n_series >= 2 * (int(panel.loc_code.max()) + 1)
    if rc.base.location_drivers and several and (panel.price_col is not None or panel.flag_cols):
        derived = location_drivers(panel, panel.drivers, panel.loc_code[panel.sid], panel.t)
        panel.drivers.update(derived)
        panel.location_driver_names = tuple(derived)


def _sku_as_category(panel: Panel, rc: ResolvedConfig) -> bool:
    """``sku_as_category``, or when None: few SKUs, each with many observed periods (across warehouses)."""
    if rc.base.sku_as_category is not None:
        return bool(rc.base.sku_as_category)
    codes = pd.factorize(panel.keys["sku"], sort=True)[0]
    n_sku = int(codes.max()) + 1 if codes.size else 0
    if n_sku == 0 or n_sku > rc.base.sku_category_max_skus:
        return False
    observed = np.add.reduceat(~np.isnan(panel.y), panel.offset, dtype=np.int64)
    per_sku = np.bincount(codes, weights=observed, minlength=n_sku)
    return bool(np.median(per_sku) >= rc.base.sku_category_min_periods)


def impute_censored(panel: Panel, short: int = 28, long: int = 364) -> np.ndarray:
    """Censored or unknown periods get the mean of the observed periods before them (``short``
    periods back, else ``long``): the in-stock rate, never a value from the future."""
    y = panel.y
    miss = np.isnan(y)
    if not miss.any():
        return y
    ok = ~miss
    cs = np.concatenate([[0.0], np.cumsum(np.where(ok, y, 0.0))])
    cn = np.concatenate([[0.0], np.cumsum(ok)])
    idx = np.flatnonzero(miss)
    off = panel.offset[panel.sid[idx]]
    out = y.copy()
    for w in (long, short):  # the short window wins where it has data
        lo = np.maximum(idx - w, off)
        s, c = cs[idx] - cs[lo], cn[idx] - cn[lo]
        est = np.where(c > 0, s / np.maximum(c, 1), np.nan)
        out[idx] = np.where(np.isnan(est), out[idx], est)
    return out
