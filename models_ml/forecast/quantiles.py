"""From a mean forecast (or the log model's output) to the output columns: quantiles of a negative
binomial or gamma around the mean, pinball loss and the shape that minimises it, the log model's
quantiles and smeared mean, the ``point`` column, and the quantile column names.

Never imports: LightGBM, the features, the rest of ``models_ml.forecast`` at run time, nor
dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import special

if TYPE_CHECKING:
    from models_ml.forecast.calibration import Calibration


SHAPE_GRID = np.concatenate([np.geomspace(0.05, 100.0, 16), [1e6]])  # NB size / gamma shape; 1e6 ~ Poisson
DEFAULT_SHAPE = 2.0
MAX_CALIBRATION_ROWS = 10_000


def quantile_column(q: float) -> str:
    """0.5 -> 'p50', 0.9 -> 'p90', 0.975 -> 'p97.5'."""
    return f"p{q * 100:g}"


def dist_quantile(mean: np.ndarray, shape: np.ndarray, q: float, integer: bool) -> np.ndarray:
    """Quantile ``q`` of a negative binomial (integer data) or gamma with this mean and shape.

    The negative binomial has variance mean + mean^2 / shape (shape -> infinity: Poisson); its
    quantile is found by bisection on the CDF (regularised incomplete beta), vectorised."""
    mean = np.clip(np.asarray(mean, dtype=np.float64), 0.0, None)
    shape = np.broadcast_to(np.asarray(shape, dtype=np.float64), mean.shape)
    pos = mean > 1e-9
    out = np.zeros(mean.shape)
    m, k = mean[pos], shape[pos]
    if not integer:
        out[pos] = special.gammaincinv(k, q) * m / k
        return np.nan_to_num(out)
    p = k / (k + m)
    lo = np.full(m.shape, -1.0)  # cdf(lo) < q
    hi = np.ceil(m + 12.0 * np.sqrt(m + m * m / k) + 10.0)  # cdf(hi) >= q
    while True:
        open_ = hi - lo > 1
        if not open_.any():
            break
        mid = np.floor((lo + hi) / 2)
        ok = special.betainc(k, mid + 1.0, p) >= q
        hi = np.where(open_ & ok, mid, hi)
        lo = np.where(open_ & ~ok, mid, lo)
    out[pos] = hi
    return out


def pinball(y: np.ndarray, f: np.ndarray, q: float) -> float:
    d = y - f
    return float(np.mean(np.maximum(q * d, (q - 1) * d)))


def fit_shape(mean: np.ndarray, y: np.ndarray, q: float, integer: bool, seed: int = 0) -> float:
    """The distribution shape whose ``q`` quantile has the lowest pinball loss on (mean, y)."""
    if mean.size > MAX_CALIBRATION_ROWS:
        keep = np.random.default_rng(seed).choice(mean.size, MAX_CALIBRATION_ROWS, replace=False)
        mean, y = mean[keep], y[keep]
    losses = [pinball(y, dist_quantile(mean, np.full(mean.shape, k), q, integer), q) for k in SHAPE_GRID]
    return float(SHAPE_GRID[int(np.argmin(losses))])


def log_model_output(
    z: np.ndarray, pattern: np.ndarray, qs: list[float], calib: Calibration
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and quantiles [len(qs), ...] of demand from the log-target model's output ``z`` (the median or
    mean of log(1 + y), ``log_objective``):
    quantile q = exp(z + r_q) - 1 with r_q the holdout residual quantile of the series' pattern, mean =
    exp(z) E[exp(r)] - 1 (Duan's smearing estimate over the same residuals)."""
    pat = np.broadcast_to(pattern.reshape(-1, *([1] * (z.ndim - 1))), z.shape)
    mean = np.empty(z.shape)
    out = np.empty((len(qs), *z.shape))
    for p in np.unique(pat):
        sel = pat == p
        mean[sel] = np.exp(z[sel]) * calib.smear(int(p)) - 1.0
        for k, q in enumerate(qs):
            out[k][sel] = np.expm1(z[sel] + calib.log_quantile(int(p), q))
    return np.clip(mean, 0.0, None), np.clip(out, 0.0, None)


def point_forecast(
    metric: str, mean: np.ndarray, p50: np.ndarray, pattern: np.ndarray, calib: Calibration
) -> np.ndarray:
    """The ``point`` column: the mean ("mse"), the median ("mae") or the median times the holdout's MAPE
    scale of the series' pattern ("mape")."""
    if metric == "mse":
        return mean
    if metric == "mae":
        return p50
    scale = np.array([calib.point_scale.get(int(p), calib.point_scale.get(None, 1.0)) for p in pattern])
    return p50 * scale[:, None]
