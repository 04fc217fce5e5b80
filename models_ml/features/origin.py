"""Origin features of a series: lags and rolling-window statistics computed from the periods up to and
including the origin row only (age, lags, means, log means, standard deviation, share of non-zero
periods, trend, demand pattern, periods since the last sale, base level and price terms).

Never imports: ``models_ml.forecast``, nor dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

import numpy as np

from models_ml.config import ResolvedConfig
from models_ml.features.panel import Panel
from models_ml.features.patterns import pattern_stats
from models_ml.features.prices import base_levels, price_levels
from models_ml.features.window_sums import _window_stat


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
        f.update(base_levels(panel, idx, y0, ok, (mid, rc.windows[-1])))
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
        f.update(price_levels(panel, idx, y0, ok, rc))
    return f
