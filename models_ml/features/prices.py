"""Price and promotion features: the promoted periods (a flag on or a price cut), the base level (mean
log demand of the periods without a promotion), the usual price and the series' own price response
(a windowed log-log line of demand on price).

Never imports: ``models_ml.forecast``, nor dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

import numpy as np

from models_ml.config import ResolvedConfig
from models_ml.features.panel import Panel, series_batch_bounds
from models_ml.features.window_sums import _price_response_inputs, _window_stat

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


def base_levels(
    panel: Panel, idx: np.ndarray, y0: np.ndarray, ok: np.ndarray, windows: tuple[int, ...]
) -> dict[str, np.ndarray]:
    """The base level at origin rows ``idx``, ``base_<w>`` for each window ``w``: the mean log demand
    over the periods without a promotion (``promoted_periods``), the demand a promotion lifts."""
    f: dict[str, np.ndarray] = {}
    base = ok & ~panel.promo
    by = np.where(base, np.log1p(y0), 0.0)
    for w in windows:
        bs = _window_stat(panel, "by", by, idx, w)
        bc = _window_stat(panel, "bn", base.astype(np.float64), idx, w)
        f[f"base_{w}"] = np.where(bc > 0, bs / np.maximum(bc, 1), np.nan)
    return f


def price_levels(
    panel: Panel, idx: np.ndarray, y0: np.ndarray, ok: np.ndarray, rc: ResolvedConfig
) -> dict[str, np.ndarray]:
    """The usual price at origin rows ``idx`` (``price_ref``, the mean over the ``price_window`` periods
    up to the origin) and, for the log target, the series' own price response (``price_response``)."""
    f: dict[str, np.ndarray] = {}
    p = panel.drivers[panel.price_col]
    pok = ~np.isnan(p)
    ps = _window_stat(panel, "p", np.where(pok, p, 0.0), idx, rc.price_window)
    pc = _window_stat(panel, "pn", pok.astype(np.float64), idx, rc.price_window)
    f["price_ref"] = np.where(pc > 0, ps / np.maximum(pc, 1), np.nan)
    if panel.log_target:
        f.update(price_response(panel, idx, y0, ok, rc.windows[-1]))
    return f
