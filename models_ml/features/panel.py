"""The dense panel and its batches: ``Panel`` (every series' history up to the origin as flat numpy
arrays), the column names of the history frame, period numbering, and the batches of whole series that
bound the size of temporaries (``Panel.batches``, ``batched_rows``, ``by_batch``).

Never imports: the feature modules built on it (only ``window_sums``), ``models_ml.forecast``, nor
dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models_ml.features.window_sums import cumulative_inputs

ID_COLS = ("sku", "warehouse_id")
DATE_COL, TARGET_COL, STOCKOUT_COL = "date", "qty", "is_stockout"
# Panel rows per batch of series when features are computed (Panel.batches): bounds the temporary
# arrays (about 15 of this many float64 values) whatever the number of series
BATCH_ROWS = 1 << 21


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


def period_index(dates: pd.Series, origin: pd.Timestamp, step_days: int) -> np.ndarray:
    days = (dates - origin).dt.days.to_numpy()
    return np.floor_divide(days, step_days).astype(np.int64)


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
