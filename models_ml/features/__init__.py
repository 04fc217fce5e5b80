"""Feature building for the global demand model: a dense panel, origin features, target features.

Everything is vectorised over all series (numpy arrays plus cumulative sums), with no per-series
Python loop, so that M5-sized panels (30k series) stay feasible.

The model is *direct and horizon-aware*: a training row is a pair (origin o, horizon h) of one series.
Its features are

- origin features, computed from the series **up to and including o** only (lags, rolling means,
  standard deviation, share of non-zero periods, periods since the last sale, demand pattern,
  usual price): ``origin_features``;
- target features of the period o + h: horizon, calendar and Chinese holidays of the target date,
  the "same weekday" and "same week last year" values that lie at or before o, drivers (price,
  price relative to the usual price at o, promotion flags) of the target period: ``target_features``.

So nothing after the origin can reach a feature, for any horizon; the same code builds the training
rows (o = t - h for observed periods t) and the forecast rows (o = the forecast origin).

Censored periods (``is_stockout``) are not demand observations: the target is missing there, and for
the features the period's value is imputed by the in-stock mean of the periods before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import holidays
import numpy as np
import pandas as pd

from models_ml.config import ResolvedConfig

ID_COLS = ("sku", "warehouse_id")
DATE_COL, TARGET_COL, STOCKOUT_COL = "date", "qty", "is_stockout"
SPRING_FESTIVAL = "Chinese New Year (Spring Festival)"
PATTERNS = ("smooth", "erratic", "intermittent", "lumpy", "zero")
ADI_CUT, CV2_CUT = 1.32, 0.49  # Syntetos-Boylan-Croston
# Panel rows per batch of series when features are computed (Panel.batches): bounds the temporary
# arrays (about 15 of this many float64 values) whatever the number of series
BATCH_ROWS = 1 << 21


# --------------------------------------------------------------------------------------- panel


@dataclass
class Panel:
    """Dense per-series history up to an origin: row ``i`` is series ``sid[i]`` at period ``t[i]``.

    Period 0 is the forecast origin (the latest date in the history), -1 the period before, ...
    Rows of one series are contiguous and ordered by ``t``; series ``s`` occupies rows
    ``offset[s] .. offset[s] + length[s] - 1`` and always ends at period 0.
    """

    keys: pd.DataFrame  # one row per series: sku, warehouse_id, static categorical columns
    sid: np.ndarray
    t: np.ndarray
    y: np.ndarray  # demand; NaN where censored (stockout) or unknown
    y_feat: np.ndarray  # y with censored periods imputed from the in-stock past, for features
    offset: np.ndarray
    length: np.ndarray
    drivers: dict[str, np.ndarray]  # numeric exogenous columns, carried forward within the series
    static_cols: list[str]
    price_col: str | None
    origin: pd.Timestamp
    step_days: int
    integer: bool  # every observed demand is a whole number
    log_target: bool = False  # the global model learns log(1 + demand) (ForecastConfig.target_transform)
    sku_category: bool = False  # the SKU code is a categorical feature
    loc_code: np.ndarray | None = None  # per series: location (warehouse) number
    flag_cols: tuple[str, ...] = ()  # 0/1 drivers (promotion, feature, display flags)
    location_driver_names: tuple[str, ...] = ()  # drivers derived from the other series of a location
    promo: np.ndarray | None = None  # per row: a flag driver is on or the price is cut (``promoted_periods``)
    _cs: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    # a batch of series (``Panel.batches``): the whole panel's cumulative sums where the batch starts
    _cs_start: dict[str, float] = field(default_factory=dict, repr=False)

    @property
    def n_series(self) -> int:
        return len(self.offset)

    def last_row(self, at_t: int = 0) -> np.ndarray:
        """Row index of each series at period ``at_t`` (-1 where the series starts later)."""
        idx = self.offset + self.length - 1 + at_t
        return np.where(idx >= self.offset, idx, -1)

    def date_of(self, t: np.ndarray) -> pd.DatetimeIndex:
        return self.origin + pd.to_timedelta(np.asarray(t) * self.step_days, unit="D")

    def cumsum(self, name: str, values: np.ndarray) -> np.ndarray:
        """Cached cumulative sum with a leading zero: sum of values[a..b] = C[b + 1] - C[a].

        In a batch of series the sum starts from the whole panel's at the batch's first row, so every
        value is the one the whole panel would give, bit for bit (the additions are the same, in order)."""
        if name not in self._cs:
            start = self._cs_start.get(name, 0.0)
            self._cs[name] = np.cumsum(np.concatenate([[start], values]), dtype=np.float64)
        return self._cs[name]

    def subset(self, s0: int, s1: int) -> Panel:
        """Series ``s0 .. s1 - 1`` as a panel of their own (views of this panel's rows)."""
        r0, r1 = int(self.offset[s0]), int(self.offset[s1 - 1] + self.length[s1 - 1])
        return Panel(
            keys=self.keys,  # static features index the whole panel's keys; not used per batch
            sid=self.sid[r0:r1] - s0,
            t=self.t[r0:r1],
            y=self.y[r0:r1],
            y_feat=self.y_feat[r0:r1],
            offset=self.offset[s0:s1] - r0,
            length=self.length[s0:s1],
            drivers={k: v[r0:r1] for k, v in self.drivers.items()},
            static_cols=self.static_cols,
            price_col=self.price_col,
            origin=self.origin,
            step_days=self.step_days,
            integer=self.integer,
            log_target=self.log_target,
            sku_category=self.sku_category,
            loc_code=None if self.loc_code is None else self.loc_code[s0:s1],
            flag_cols=self.flag_cols,
            location_driver_names=self.location_driver_names,
            promo=None if self.promo is None else self.promo[r0:r1],
        )

    def batches(self, max_rows: int = BATCH_ROWS) -> Iterator[tuple[Panel, int, int]]:
        """Consecutive batches of whole series of about ``max_rows`` rows: ``(batch, first row, end row)``.

        Features computed batch by batch equal the whole panel's (cumulative sums carry over from one
        batch to the next), while the temporary arrays stay the size of a batch, not of the panel."""
        bounds = series_batch_bounds(self.offset, max_rows)
        carry: dict[str, float] = {}
        for s0, s1 in zip(bounds[:-1], bounds[1:], strict=False):
            if s1 <= s0:
                continue
            sub = self.subset(s0, s1)
            sub._cs_start = carry
            for name, values in cumulative_inputs(sub).items():
                sub.cumsum(name, values)
            yield sub, int(self.offset[s0]), int(self.offset[s1 - 1] + self.length[s1 - 1])
            carry = {name: float(c[-1]) for name, c in sub._cs.items()}


def series_batch_bounds(offset: np.ndarray, max_rows: int = BATCH_ROWS) -> list[int]:
    """Series numbers where batches of whole series of about ``max_rows`` rows start (and the end)."""
    starts = np.flatnonzero(np.diff(offset // max(max_rows, 1)) != 0) + 1
    return [0, *starts.tolist(), len(offset)]


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


def validate_history(history: pd.DataFrame) -> None:
    missing = [c for c in (*ID_COLS, DATE_COL, TARGET_COL) if c not in history.columns]
    if missing:
        raise ValueError(f"history lacks columns {missing}")
    if history.empty:
        raise ValueError("history is empty")


def period_index(dates: pd.Series, origin: pd.Timestamp, step_days: int) -> np.ndarray:
    days = (dates - origin).dt.days.to_numpy()
    return np.floor_divide(days, step_days).astype(np.int64)


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
    days, origin = _day_offsets(history, origin)
    keep = days <= 0
    rows = None if keep.all() else np.flatnonzero(keep)  # history rows at or before the origin
    del keep
    if rows is not None:
        days = days[rows]
    t_obs = np.floor_divide(days, rc.step_days) if rc.step_days != 1 else days
    del days
    drivers, static = driver_columns(history)

    sid_all, n_series = _series_ids(history, rows)
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
    keys = id_keys if keys is None else pd.concat([id_keys, keys], axis=1)
    del first_row, at

    # a series whose every row is older than max_history still starts max_history periods back
    first_t = np.full(n_series, 0, dtype=np.int64)
    np.minimum.at(first_t, sid_all, np.maximum(t_obs, -rc.max_history + 1))
    in_window = t_obs > -rc.max_history
    if not in_window.all():
        sel = np.flatnonzero(in_window)
        sid_all, t_obs = sid_all[sel], t_obs[sel]
        rows = sel if rows is None else rows[sel]
        del sel
    del in_window

    def column(name: str) -> pd.Series:
        return history[name] if rows is None else history[name].iloc[rows]

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
    del sid_all, t_obs

    qty = pd.to_numeric(column(TARGET_COL), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
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
        so = column(STOCKOUT_COL).fillna(False).astype(bool).to_numpy()
        y[row[so]] = np.nan
        del so
    unrecorded = y == UNRECORDED
    zero_share = (int(unrecorded.sum()) + int((y == 0).sum())) / max(n, 1)
    log_target = rc.base.target_transform == "log" or (
        rc.base.target_transform == "auto" and zero_share <= rc.base.log_max_zero_share
    )
    missing_zero = rc.base.missing_as_zero if rc.base.missing_as_zero is not None else not log_target
    y[unrecorded] = 0.0 if missing_zero else np.nan
    del unrecorded

    drv: dict[str, np.ndarray] = {}
    for col in drivers:
        vals = pd.to_numeric(column(col), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
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
    # competing items: the series of the same warehouse and, when the history has one, the same first
    # static attribute (category): prices of unlike items (a battery, a television) do not compete
    group = keys["warehouse_id"].astype(str)
    if static:
        group = group + "\x1f" + keys[static[0]].astype(str)
    panel.loc_code = pd.factorize(group, sort=True)[0].astype(np.int64)
    several = n_series >= 2 * (int(panel.loc_code.max()) + 1)
    if rc.base.location_drivers and several and (price_col is not None or flags):
        derived = location_drivers(panel, drv, panel.loc_code[sid], t)
        panel.drivers.update(derived)
        panel.location_driver_names = tuple(derived)
    # the base level and the price response: measured on weekly store panels (log target, OJ point MAPE
    # -2 points); on daily intermittent demand (the demo) they changed nothing but cost 6-14% more time
    if log_target and (flags or price_col is not None):
        panel.promo = promoted_periods(panel, rc.price_window)
    panel.y_feat = impute_censored(panel)
    return panel


PROMO_PRICE_CUT = 0.05  # a price this far below its trailing mean marks a promoted period


def promoted_periods(panel: Panel, price_window: int) -> np.ndarray:
    """Per row: a promoted period, where a 0/1 driver (deal, display, feature) is on or the price lies
    more than ``PROMO_PRICE_CUT`` below its mean over the ``price_window`` periods before. The periods
    that are not promoted give the series' base level (``origin_features``), the demand a promotion
    lifts. Computed batch by batch of whole series."""
    out = np.zeros(len(panel.y), dtype=bool)
    bounds = series_batch_bounds(panel.offset)
    for s0, s1 in zip(bounds[:-1], bounds[1:], strict=False):
        if s1 <= s0:
            continue
        sub = panel.subset(s0, s1)
        r0 = int(panel.offset[s0])
        r1 = r0 + len(sub.y)
        promo = np.zeros(r1 - r0, dtype=bool)
        for name in sub.flag_cols:
            promo |= np.nan_to_num(sub.drivers[name]) > 0
        if sub.price_col is not None:
            p = sub.drivers[sub.price_col]
            pok = ~np.isnan(p)
            idx = np.arange(r1 - r0)
            cs = np.concatenate([[0.0], np.cumsum(np.where(pok, p, 0.0))])
            cn = np.concatenate([[0.0], np.cumsum(pok)])
            lo = np.maximum(idx - price_window, sub.offset[sub.sid])
            n = cn[idx] - cn[lo]
            ref = np.where(n > 0, (cs[idx] - cs[lo]) / np.maximum(n, 1), np.nan)
            with np.errstate(invalid="ignore"):
                promo |= pok & (p < (1.0 - PROMO_PRICE_CUT) * ref)
        out[r0:r1] = promo
    return out


YEARLY_CALENDAR = ("month", "woy", "d_spring", "d_618", "d_1111")
YEARLY_CALENDAR_MIN_YEARS = 1
UNRECORDED = -1.0  # build_panel's marker of a period without a history row (demand is never negative)


def _is_flag(values: np.ndarray, sample: int = 1 << 20) -> bool:
    """A driver whose (sampled) values are all 0 or 1: a promotion, feature or display flag."""
    v = values[:sample]
    v = v[~np.isnan(v)]
    return v.size > 0 and bool(np.all((v == 0) | (v == 1)))


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


def cumulative_inputs(panel: Panel) -> dict[str, np.ndarray]:
    """The values whose cumulative sums the window features use (``Panel.cumsum`` names)."""
    yf = panel.y_feat
    ok = ~np.isnan(yf)
    y0 = np.where(ok, yf, 0.0)
    out = {"y": y0, "n": ok.astype(np.float64), "y2": y0**2, "nz": (y0 > 0).astype(np.float64)}
    if panel.log_target:
        out["ly"] = np.log1p(y0)
    if panel.promo is not None:
        base = ok & ~panel.promo
        out["bn"] = base.astype(np.float64)
        out["by"] = np.where(base, np.log1p(y0), 0.0)
    if panel.price_col is not None:
        p = panel.drivers[panel.price_col]
        pok = ~np.isnan(p)
        out["p"], out["pn"] = np.where(pok, p, 0.0), pok.astype(np.float64)
        if panel.log_target:
            out.update(_price_response_inputs(panel, y0, ok))
    return out


def _price_response_inputs(panel: Panel, y0: np.ndarray, ok: np.ndarray) -> dict[str, np.ndarray]:
    """Per row, the terms of the windowed log-log price regression (``price_response``): x = log price,
    z = log(1 + demand) where both are known (else 0), their squares and product, and the count."""
    p = panel.drivers[panel.price_col]
    both = ok & (np.nan_to_num(p) > 0)
    x = np.log(np.where(both, p, 1.0))
    z = np.where(both, np.log1p(y0), 0.0)
    return {"rn": both.astype(np.float64), "rx": x, "rz": z, "rxx": x * x, "rxz": x * z}


def batched_rows(
    panel: Panel, idx: np.ndarray, max_rows: int = BATCH_ROWS
) -> Iterator[tuple[Panel, np.ndarray, np.ndarray]]:
    """For each batch of series (``Panel.batches``) holding some of the rows ``idx``: the batch, those
    rows as the batch's row numbers, and their positions in ``idx``."""
    idx = np.asarray(idx)
    order = np.argsort(idx, kind="stable")
    ordered = idx[order]
    for sub, r0, r1 in panel.batches(max_rows):
        a, b = np.searchsorted(ordered, [r0, r1])
        if b > a:
            pos = order[a:b]
            yield sub, idx[pos] - r0, pos


def by_batch(
    panel: Panel,
    idx: np.ndarray,
    fn: Callable[[Panel, np.ndarray, np.ndarray], dict[str, np.ndarray]],
    max_rows: int = BATCH_ROWS,
) -> dict[str, np.ndarray]:
    """``fn(batch, batch rows, positions)`` over the batches of ``idx``, results put back in ``idx``
    order: the same arrays as ``fn`` on the whole panel, with batch-sized temporaries."""
    out: dict[str, np.ndarray] = {}
    for sub, rows, pos in batched_rows(panel, idx, max_rows):
        for name, vals in fn(sub, rows, pos).items():
            if name not in out:
                out[name] = np.empty(len(idx), dtype=vals.dtype)
            out[name][pos] = vals
    return out


# ------------------------------------------------------------------------------ origin features


def _window_stat(panel: Panel, name: str, values: np.ndarray, idx: np.ndarray, w: int) -> np.ndarray:
    """Sum of ``values`` over the ``w`` periods ending at rows ``idx`` (within each series)."""
    c = panel.cumsum(name, values)
    lo = np.maximum(idx - w + 1, panel.offset[panel.sid[idx]])
    return c[idx + 1] - c[lo]


def origin_features(panel: Panel, idx: np.ndarray, rc: ResolvedConfig) -> dict[str, np.ndarray]:
    """Features of each series at origin rows ``idx``: only rows ``<= idx`` of the same series."""
    yf = panel.y_feat
    ok = ~np.isnan(yf)
    y0 = np.where(ok, yf, 0.0)
    off = panel.offset[panel.sid[idx]]
    pos = idx - off
    f: dict[str, np.ndarray] = {"age": (pos + 1).astype(np.float64)}
    for k in rc.lags:
        f[f"lag_{k}"] = np.where(pos >= k, yf[np.maximum(idx - k, 0)], np.nan)
    for w in rc.windows:
        s = _window_stat(panel, "y", y0, idx, w)
        c = _window_stat(panel, "n", ok.astype(np.float64), idx, w)
        f[f"mean_{w}"] = np.where(c > 0, s / np.maximum(c, 1), np.nan)
        if panel.log_target:  # the level of multiplicative demand: mean of log(1 + y)
            ls = _window_stat(panel, "ly", np.log1p(y0), idx, w)
            f[f"lmean_{w}"] = np.where(c > 0, ls / np.maximum(c, 1), np.nan)
    mid = rc.windows[min(2, len(rc.windows) - 1)]
    if panel.promo is not None:  # base level: the mean log demand over the periods without a promotion
        base = ok & ~panel.promo
        by = np.where(base, np.log1p(y0), 0.0)
        for w in (mid, rc.windows[-1]):
            bs = _window_stat(panel, "by", by, idx, w)
            bc = _window_stat(panel, "bn", base.astype(np.float64), idx, w)
            f[f"base_{w}"] = np.where(bc > 0, bs / np.maximum(bc, 1), np.nan)
    s = _window_stat(panel, "y", y0, idx, mid)
    s2 = _window_stat(panel, "y2", y0**2, idx, mid)
    c = _window_stat(panel, "n", ok.astype(np.float64), idx, mid)
    mean = s / np.maximum(c, 1)
    f[f"std_{mid}"] = np.sqrt(np.maximum(s2 / np.maximum(c, 1) - mean**2, 0.0))
    nz = (y0 > 0).astype(np.float64)
    f[f"nz_share_{mid}"] = _window_stat(panel, "nz", nz, idx, mid) / np.maximum(c, 1)
    f["trend"] = f[f"mean_{rc.windows[0]}"] / (f[f"mean_{mid}"] + 1e-3)
    # demand pattern over the pattern window: ADI, CV² of non-zero sizes
    stats = pattern_stats(panel, idx, rc.pattern_window)
    f.update({k: stats[k] for k in ("adi", "cv2", "nz_size")})
    f["pattern"] = stats["pattern"].astype(np.float64)
    last_nz = np.maximum.accumulate(np.where(y0 > 0, np.arange(len(y0)), -1))[idx]
    f["since_sale"] = np.where(last_nz >= off, idx - last_nz, pos + 1).astype(np.float64)
    if panel.price_col is not None:
        p = panel.drivers[panel.price_col]
        pok = ~np.isnan(p)
        ps = _window_stat(panel, "p", np.where(pok, p, 0.0), idx, rc.price_window)
        pc = _window_stat(panel, "pn", pok.astype(np.float64), idx, rc.price_window)
        f["price_ref"] = np.where(pc > 0, ps / np.maximum(pc, 1), np.nan)
        if panel.log_target:
            f.update(price_response(panel, idx, y0, ok, rc.windows[-1]))
    return f


PRICE_RESPONSE_RIDGE = 0.002  # added to the variance of log price: a price that hardly moved gives no slope
PRICE_RESPONSE_MIN_ROWS = 8


def price_response(
    panel: Panel, idx: np.ndarray, y0: np.ndarray, ok: np.ndarray, w: int
) -> dict[str, np.ndarray]:
    """The series' own price response at origin rows ``idx``: a ridge least-squares line of
    log(1 + demand) on log price over the ``w`` periods up to the origin (its means and slope; private
    ``_resp_*`` entries that ``target_features`` evaluates at the target period's price as
    ``price_response``). A global tree model splits on price, but each item's own elasticity is a slope
    it can only approximate piecewise (OJ, four rounds: 1-2 MAPE points better with it)."""
    s = {k: _window_stat(panel, k, v, idx, w) for k, v in _price_response_inputs(panel, y0, ok).items()}
    n = np.maximum(s["rn"], 1.0)
    mx, mz = s["rx"] / n, s["rz"] / n
    slope = (s["rxz"] / n - mx * mz) / (s["rxx"] / n - mx**2 + PRICE_RESPONSE_RIDGE)
    enough = s["rn"] >= PRICE_RESPONSE_MIN_ROWS
    return {
        "_resp_mx": mx,
        "_resp_mz": np.where(enough, mz, np.nan),
        "_resp_slope": np.where(enough, slope, 0.0),
    }


def pattern_stats(panel: Panel, idx: np.ndarray, window: int) -> dict[str, np.ndarray]:
    """ADI, CV² of non-zero sizes and the SBC class (index into ``PATTERNS``) at rows ``idx``."""
    yf = panel.y_feat
    ok = ~np.isnan(yf)
    y0 = np.where(ok, yf, 0.0)
    c = _window_stat(panel, "n", ok.astype(np.float64), idx, window)
    n_nz = _window_stat(panel, "nz", (y0 > 0).astype(np.float64), idx, window)
    s = _window_stat(panel, "y", y0, idx, window)
    s2 = _window_stat(panel, "y2", y0**2, idx, window)
    size = s / np.maximum(n_nz, 1)
    var = np.maximum(s2 / np.maximum(n_nz, 1) - size**2, 0.0)
    cv2 = np.where(n_nz > 1, var / np.maximum(size, 1e-12) ** 2, np.nan)
    adi = np.where(n_nz > 0, c / np.maximum(n_nz, 1), np.nan)
    pattern = classify(adi, cv2)
    return {"adi": adi, "cv2": cv2, "nz_size": np.where(n_nz > 0, size, 0.0), "pattern": pattern}


def classify(adi: np.ndarray, cv2: np.ndarray) -> np.ndarray:
    """SBC demand pattern codes (see ``PATTERNS``); one non-zero period counts as intermittent."""
    high_adi = adi >= ADI_CUT
    high_cv = np.nan_to_num(cv2, nan=0.0) >= CV2_CUT
    code = np.select(
        [np.isnan(adi), ~high_adi & ~high_cv, ~high_adi & high_cv, high_adi & ~high_cv],
        [4, 0, 1, 2],
        3,
    )
    return code.astype(np.int64)


def demand_patterns(history: pd.DataFrame, rc: ResolvedConfig) -> pd.DataFrame:
    """Per series: ADI, CV² and the SBC class (smooth/erratic/intermittent/lumpy/zero) at the origin."""
    panel = build_panel(history, rc)
    stats = by_batch(panel, panel.last_row(), lambda b, rows, _: pattern_stats(b, rows, rc.pattern_window))
    out = panel.keys[list(ID_COLS)].copy()
    out["adi"], out["cv2"] = stats["adi"], stats["cv2"]
    out["pattern"] = np.asarray(PATTERNS, dtype=object)[stats["pattern"]]
    return out


# ------------------------------------------------------------------------------ target features


def target_features(
    panel: Panel,
    idx: np.ndarray,
    h: np.ndarray,
    drivers: dict[str, np.ndarray],
    origin_f: dict[str, np.ndarray],
    rc: ResolvedConfig,
) -> dict[str, np.ndarray]:
    """Features of target period ``t[idx] + h`` that are known at the origin ``idx``.

    ``drivers`` holds the driver values of the target periods (planned prices and promotions)."""
    yf = panel.y_feat
    off = panel.offset[panel.sid[idx]]
    f: dict[str, np.ndarray] = {"h": h.astype(np.float64)}

    def back(lag: np.ndarray) -> np.ndarray:
        j = idx + h - lag  # a period at or before the origin (lag >= h)
        return np.where(j >= off, yf[np.clip(j, 0, len(yf) - 1)], np.nan)

    s = rc.season
    first = s * np.ceil(h / s).astype(np.int64)
    seas = np.stack([back(first + s * m) for m in range(4)])
    f["seas_1"] = seas[0]
    f["seas_mean4"] = _nanmean(seas) if s < rc.year else seas[0]
    mid = rc.windows[min(2, len(rc.windows) - 1)]
    f["seas_index"] = f["seas_mean4"] / (origin_f[f"mean_{mid}"] + 1e-3)
    yr = rc.year
    ok_h = h <= yr - 3
    around = np.stack([back(np.full_like(h, yr + d)) for d in ((-3, -2, -1, 0, 1, 2, 3) if s < yr else (0,))])
    yr_mean = np.where(ok_h, _nanmean(around), np.nan)
    f["year_ago"] = yr_mean
    f["year_index"] = yr_mean / (origin_f[f"mean_{rc.windows[-1]}"] + 1e-3)

    cal = calendar_table(
        panel.origin, panel.step_days, int(panel.t.min()), int(h.max()), rc.base.holiday_country
    )
    rows = panel.t[idx] + h - int(panel.t.min())
    # a yearly calendar (month, week of the year, yearly festivals) cannot be learned from less than a
    # year of history: there it only adds noise (two years was too strict: the demo's two-year history
    # lost its festivals at every backtest origin, WAPE 75.7% -> 76.4%)
    short = -int(panel.t.min()) + 1 < YEARLY_CALENDAR_MIN_YEARS * rc.year
    for col in cal.columns:
        if short and col in YEARLY_CALENDAR:
            continue
        f[col] = cal[col].to_numpy()[rows]
    for name, vals in drivers.items():
        f[f"x_{name}"] = vals
    if panel.price_col is not None:
        f["price_rel"] = drivers[panel.price_col] / origin_f["price_ref"]
    if "_resp_mz" in origin_f:  # the series' own price response at the target period's price
        price = drivers[panel.price_col]
        with np.errstate(invalid="ignore", divide="ignore"):
            lp = np.log(np.where(price > 0, price, np.nan))
        fit = origin_f["_resp_mz"] + origin_f["_resp_slope"] * np.nan_to_num(lp - origin_f["_resp_mx"])
        f["price_response"] = fit
    return f


def _nanmean(stack: np.ndarray) -> np.ndarray:
    ok = ~np.isnan(stack)
    n = ok.sum(axis=0)
    return np.where(n > 0, np.where(ok, stack, 0.0).sum(axis=0) / np.maximum(n, 1), np.nan)


def static_features(panel: Panel, idx: np.ndarray, rc: ResolvedConfig) -> dict[str, np.ndarray]:
    """Integer codes of the warehouse, the SKU (optional) and other static text columns."""
    s = panel.sid[idx]
    f: dict[str, np.ndarray] = {}
    cols = ["warehouse_id", *panel.static_cols] + (["sku"] if panel.sku_category else [])
    for col in cols:
        codes = pd.factorize(panel.keys[col].astype(str), sort=True)[0]
        f[f"cat_{col}"] = codes[s].astype(np.int64)
    return f


# ---------------------------------------------------------------------------------- calendar


@lru_cache(maxsize=64)
def spring_festivals(first_year: int, last_year: int) -> tuple[pd.Timestamp, ...]:
    """First day of each Spring Festival holiday, from the ``holidays`` package (holidays.China)."""
    found: dict[int, object] = {}
    for day, name in holidays.China(years=range(first_year, last_year + 1)).items():
        if name.startswith(SPRING_FESTIVAL) and (day.year not in found or day < found[day.year]):
            found[day.year] = day
    return tuple(pd.Timestamp(found[y]) for y in sorted(found))


@lru_cache(maxsize=64)
def public_holidays(country: str, first_year: int, last_year: int) -> tuple[pd.Timestamp, ...]:
    """Public holidays of ``country`` (ISO 3166 code known to the ``holidays`` package), sorted."""
    try:
        days = holidays.country_holidays(country, years=range(first_year, last_year + 1))
    except NotImplementedError as exc:
        raise ValueError(f"holiday_country {country!r} is not a country the holidays package knows") from exc
    return tuple(sorted(pd.Timestamp(d) for d in days))


def _signed_distance(d64: np.ndarray, events: np.ndarray) -> np.ndarray:
    """Days from each date to the nearest event (negative: before it)."""
    if len(events) == 0:
        return np.zeros(len(d64), dtype=np.int64)
    pos = np.searchsorted(events, d64)
    prev_e = events[np.clip(pos - 1, 0, len(events) - 1)]
    next_e = events[np.clip(pos, 0, len(events) - 1)]
    d_prev = (d64 - prev_e).astype("timedelta64[D]").astype(np.int64)
    d_next = (d64 - next_e).astype("timedelta64[D]").astype(np.int64)
    return np.where(np.abs(d_prev) <= np.abs(d_next), d_prev, d_next)


def daily_calendar(days: pd.DatetimeIndex, country: str = "CN") -> pd.DataFrame:
    """Calendar and holiday features of single days for the holidays of ``country``.

    Every country: day of week and month, month, ISO week, month end, public holiday (``holidays``
    package). Other countries than China: the signed distance to the nearest public holiday, clipped to
    two weeks. China (``CN``) instead: the signed distance to the (moving) Spring Festival, from
    ``holidays.China``, and to 618 and 双11, fixed-date shopping festivals (June 18, November 11) that
    the package does not list, clipped to a month.
    """
    y0, y1 = int(days.year.min()) - 1, int(days.year.max()) + 1
    d64 = days.values.astype("datetime64[ns]")
    hol = np.array(public_holidays(country, y0, y1), dtype="datetime64[ns]")
    is_hol = np.isin(d64.astype("datetime64[D]"), hol.astype("datetime64[D]")).astype(np.float64)
    out = {
        "dow": days.day_of_week.to_numpy(dtype=np.float64),
        "dom": days.day.to_numpy(dtype=np.float64),
        "month": days.month.to_numpy(dtype=np.float64),
        "woy": days.isocalendar().week.to_numpy(dtype=np.float64),
        "is_month_end": days.is_month_end.astype(np.float64),
        "is_holiday": is_hol,
    }
    if country.upper() not in ("CN", "CHN", "CHINA"):
        # China's calendar has the Spring Festival distance below instead (the demo's daily WAPE got
        # 0.6-0.9 points worse with both)
        out["d_holiday"] = np.clip(_signed_distance(d64, hol), -14, 14).astype(np.float64)
    else:
        sf = np.array(spring_festivals(y0, y1), dtype="datetime64[ns]")

        def festival(month: int, day: int) -> np.ndarray:
            this = pd.to_datetime({"year": days.year, "month": month, "day": day}).to_numpy()
            return np.clip((d64 - this).astype("timedelta64[D]").astype(np.int64), -31, 31)

        out["d_spring"] = np.clip(_signed_distance(d64, sf), -46, 46).astype(np.float64)
        out["d_618"] = festival(6, 18).astype(np.float64)
        out["d_1111"] = festival(11, 11).astype(np.float64)
    return pd.DataFrame(out, index=days)


@lru_cache(maxsize=32)
def calendar_table(
    origin: pd.Timestamp, step_days: int, t_min: int, h_max: int, country: str = "CN"
) -> pd.DataFrame:
    """Calendar features for periods ``t_min .. h_max`` (row ``t - t_min``).

    Weekly periods use pandas' ``W`` convention: the date labels the 7 days ending on it; the
    features are those of the week's middle day plus the number of public holidays in the week."""
    ts = np.arange(t_min, h_max + 1)
    dates = origin + pd.to_timedelta(ts * step_days, unit="D")
    if step_days == 1:
        return daily_calendar(pd.DatetimeIndex(dates), country).reset_index(drop=True)
    mid = daily_calendar(pd.DatetimeIndex(dates - pd.Timedelta(days=step_days // 2)), country)
    out = mid.drop(columns=["dow", "dom", "is_month_end"]).reset_index(drop=True)
    n_hol = np.zeros(len(dates))
    for d in range(step_days):
        n_hol += daily_calendar(pd.DatetimeIndex(dates - pd.Timedelta(days=d)), country)[
            "is_holiday"
        ].to_numpy()
    out["is_holiday"] = n_hol
    out["month_end_in_period"] = ((dates - pd.Timedelta(days=step_days - 1)).month != dates.month).astype(
        np.float64
    )
    return out


# ---------------------------------------------------------------------------------- assembly


def _row_features(
    batch: Panel, rows: np.ndarray, h: np.ndarray, drivers: dict[str, np.ndarray], rc: ResolvedConfig
) -> dict[str, np.ndarray]:
    of = origin_features(batch, rows, rc)
    tf = target_features(batch, rows, h, drivers, of, rc)
    return {**{k: v for k, v in of.items() if not k.startswith("_")}, **tf}


def design_matrix(
    panel: Panel,
    idx: np.ndarray,
    h: np.ndarray,
    drivers: dict[str, np.ndarray],
    rc: ResolvedConfig,
) -> pd.DataFrame:
    """All features of the (origin row, horizon) pairs, one row each (computed per batch of series)."""
    features = by_batch(
        panel,
        idx,
        lambda b, rows, pos: _row_features(b, rows, h[pos], {k: v[pos] for k, v in drivers.items()}, rc),
    )
    return pd.DataFrame({**features, **static_features(panel, idx, rc)})


def design_batches(
    panel: Panel,
    idx: np.ndarray,
    h: np.ndarray,
    drivers: dict[str, np.ndarray],
    rc: ResolvedConfig,
    max_rows: int = BATCH_ROWS,
) -> Iterator[tuple[np.ndarray, pd.DataFrame]]:
    """``design_matrix`` one batch of series at a time: (positions in ``idx``, their feature rows)."""
    sf = static_features(panel, idx, rc)
    for batch, rows, pos in batched_rows(panel, idx, max_rows):
        f = _row_features(batch, rows, h[pos], {k: v[pos] for k, v in drivers.items()}, rc)
        yield pos, pd.DataFrame({**f, **{k: v[pos] for k, v in sf.items()}})
