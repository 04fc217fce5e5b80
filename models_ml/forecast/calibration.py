"""The holdout backtest that fixes a ``Calibration``: distribution shapes per method, pattern and
quantile, the log model's residual quantiles and smearing factors, the intermittent routes and the
point-forecast scales (``calibrate`` in named steps).

Never imports: the orchestration (``fit_predict``) or the baselines, nor dagster, duckdb, dbt, pipelines
or benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
from scipy import special

from models_ml.config import ResolvedConfig
from models_ml.features import PATTERNS, Panel, series_patterns
from models_ml.forecast.croston import CROSTON_METHODS, INTERMITTENT, croston_family
from models_ml.forecast.model import predict_global, train_global
from models_ml.forecast.quantiles import DEFAULT_SHAPE, dist_quantile, fit_shape, log_model_output, pinball

Z90 = float(special.ndtri(0.9))
MIN_CALIBRATION_ROWS = 50


@dataclass
class Calibration:
    """What the holdout backtest fixed: distribution shapes per (method, pattern or None, quantile) and
    the route per pattern; for the log-target global model, residual quantiles and the smearing factor
    per pattern (or None); the target transform of the global model."""

    shapes: dict[tuple[str, int | None, float], float] = field(default_factory=dict)
    routes: dict[int, str] = field(default_factory=dict)
    holdout_wape: dict[tuple[str, int], float] = field(default_factory=dict)
    transform: str = "none"
    log_quantiles: dict[tuple[int | None, float], float] = field(default_factory=dict)
    log_smear: dict[int | None, float] = field(default_factory=dict)
    holdout_loss: dict[str, float] = field(default_factory=dict)  # mean scaled pinball of the global model
    point_scale: dict[int | None, float] = field(default_factory=dict)  # point = scale x p50 (point_metric)

    def shape(self, method: str, pattern: int, q: float) -> float:
        for key in ((method, pattern, q), (method, None, q), ("global", pattern, q), ("global", None, q)):
            if key in self.shapes:
                return self.shapes[key]
        return DEFAULT_SHAPE

    def log_quantile(self, pattern: int, q: float) -> float:
        for key in ((pattern, q), (None, q)):
            if key in self.log_quantiles:
                return self.log_quantiles[key]
        return 0.0

    def smear(self, pattern: int) -> float:
        return self.log_smear.get(pattern, self.log_smear.get(None, 1.0))


def fixed_transform(panel: Panel) -> str:
    """The global model's target: "log" when ``build_panel`` chose it (``target_transform``), else "none"."""
    return "log" if panel.log_target else "none"


def _log_residual_fit(
    calib: Calibration, z: np.ndarray, y: np.ndarray, pattern: np.ndarray, qs: list[float]
) -> None:
    """Residual quantiles and smearing factors of log(1 + y) - z, pooled and per pattern.

    The smearing factor E[exp(r)] is that of the normal matching the residuals' median and their 10-90%
    range, exp(median + s^2 / 2) with s = (r90 - r10) / 2.563: the plain mean of exp(r) over a few weeks
    of holdout is set by its largest few residuals (unexplained promotion spikes) and overstated the mean
    by 11-15% on real weekly sales."""
    ok = ~np.isnan(y) & ~np.isnan(z)
    r = np.log1p(np.clip(y, 0.0, None)) - z
    groups: list[tuple[int | None, np.ndarray]] = [(None, ok)]
    groups += [(p, ok & (pattern == p)[:, None]) for p in range(len(PATTERNS))]
    for p, sel in groups:
        if sel.sum() < MIN_CALIBRATION_ROWS:
            continue
        res = r[sel]
        lo, mid, hi = np.quantile(res, [0.1, 0.5, 0.9])
        spread = (hi - lo) / (2 * Z90)
        calib.log_smear[p] = float(np.exp(mid + spread**2 / 2))
        for q in qs:
            calib.log_quantiles[(p, q)] = float(np.quantile(res, q))


def _mean_pinball(y: np.ndarray, quantiles: np.ndarray, qs: list[float]) -> float:
    """Mean pinball loss over the quantiles, scaled by the mean demand (a WAPE-like figure)."""
    ok = ~np.isnan(y)
    scale = max(float(np.mean(y[ok])), 1e-9)
    return float(np.mean([pinball(y[ok], quantiles[k][ok], q) for k, q in enumerate(qs)]) / scale)


def holdout_origins(horizon: int, rc: ResolvedConfig) -> list[int]:
    """Origins of the holdout backtest, one horizon apart, covering at least ``calibration_days`` (the
    last ``horizon`` periods at least): residuals of a few periods only reflect those periods' shocks."""
    span_days = rc.calibration_days
    n = max(1, -(-span_days // (horizon * rc.step_days)))
    return [-(n - k) * horizon for k in range(n)]


# the holdout forecasts from one origin: (origin, the series alive there, their demand over the horizon,
# their demand patterns at the origin, the global model's output) (``_holdout_forecasts``)
HoldoutPart = tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def calibrate(panel: Panel, horizon: int, rc: ResolvedConfig) -> Calibration:
    """Holdout backtest: one model trained on the periods before the first holdout origin forecasts the
    ``horizon`` periods after each holdout origin (``holdout_origins``) from what was known there. Fixes
    the global model's residual distribution (log target) or distribution shapes, the intermittent
    routes and the point-forecast scales."""
    calib = Calibration(transform=fixed_transform(panel))
    origins = holdout_origins(horizon, rc)
    n_est = rc.base.calibration_estimators or rc.base.n_estimators
    model = train_global(panel, origins[0], horizon, rc, n_est, calib.transform)
    if model is None:
        return calib
    parts = _holdout_forecasts(model, panel, origins, horizon, rc)
    if not parts:
        return calib
    y = np.concatenate([p[2] for p in parts])
    pattern = np.concatenate([p[3] for p in parts])
    z_global = np.concatenate([p[4] for p in parts])
    qs = sorted(rc.base.quantiles)
    score_qs = sorted({*qs, 0.5})
    mu_global = _fit_global_distribution(calib, z_global, y, pattern, score_qs, panel.integer)

    means = {"global": mu_global}
    if np.isin(pattern, INTERMITTENT).any():
        means.update(_croston_holdout(panel, parts, y.shape, horizon, rc))
    methods = list(means)
    for m in methods:
        _fit_method(calib, m, means[m], z_global, y, pattern, score_qs, panel.integer)
    _choose_routes(calib, methods)
    if rc.base.point_metric == "mape":
        _fit_holdout_point_scales(calib, mu_global, z_global, y, pattern, panel.integer)
    return calib


def _holdout_forecasts(
    model: lgb.Booster, panel: Panel, origins: list[int], horizon: int, rc: ResolvedConfig
) -> list[HoldoutPart]:
    """The global model's forecasts of the ``horizon`` periods after each holdout origin, from the
    drivers that were then observed, for the series alive at that origin."""
    steps = np.arange(1, horizon + 1)
    parts: list[HoldoutPart] = []
    for o in origins:
        rows = panel.last_row(o)
        alive = np.flatnonzero(rows >= 0)
        if alive.size == 0:
            continue
        r = rows[alive]
        target = r[:, None] + steps[None, :]
        drivers = {name: vals[target] for name, vals in panel.drivers.items()}
        pred = predict_global(model, panel, r, horizon, drivers, rc)
        parts.append((o, alive, panel.y[target], series_patterns(panel, r, rc), pred))
    return parts


def _fit_global_distribution(
    calib: Calibration,
    z_global: np.ndarray,
    y: np.ndarray,
    pattern: np.ndarray,
    score_qs: list[float],
    integer: bool,
) -> np.ndarray:
    """The global model's residual quantiles (log target) or pooled distribution shapes, and its holdout
    loss; returns its mean forecasts."""
    ok = ~np.isnan(y)
    if calib.transform == "log":
        _log_residual_fit(calib, z_global, y, pattern, score_qs)
        mu_global, quant = log_model_output(z_global, pattern, score_qs, calib)
    else:
        mu_global = z_global
        valid = ok & ~np.isnan(mu_global)
        if valid.sum() >= MIN_CALIBRATION_ROWS:
            for q in score_qs:
                calib.shapes[("global", None, q)] = fit_shape(mu_global[valid], y[valid], q, integer)
        quant = np.stack(
            [dist_quantile(mu_global, calib.shape("global", -1, q), q, integer) for q in score_qs]
        )
    calib.holdout_loss[calib.transform] = _mean_pinball(y, quant, score_qs)
    return mu_global


def _croston_holdout(
    panel: Panel, parts: list[HoldoutPart], shape: tuple[int, ...], horizon: int, rc: ResolvedConfig
) -> dict[str, np.ndarray]:
    """Each Croston method's (``intermittent_method``, or all when "auto") holdout forecasts of the
    intermittent and lumpy series, NaN for the other series; rows as in the concatenated ``parts``."""
    means: dict[str, np.ndarray] = {}
    forced = rc.base.intermittent_method
    croston = CROSTON_METHODS if forced == "auto" else tuple(m for m in CROSTON_METHODS if m == forced)
    for m in croston:
        means[m] = np.full(shape, np.nan)
        at = 0
        for o, alive, _, pat, _ in parts:
            sel = np.isin(pat, INTERMITTENT)
            if sel.any():
                block = np.full((len(alive), horizon), np.nan)
                block[sel] = croston_family(panel, alive[sel], o, horizon, m, rc)
                means[m][at : at + len(alive)] = block
            at += len(alive)
    return means


def _fit_method(
    calib: Calibration,
    m: str,
    mu: np.ndarray,
    z_global: np.ndarray,
    y: np.ndarray,
    pattern: np.ndarray,
    score_qs: list[float],
    integer: bool,
) -> None:
    """Method ``m``'s distribution shapes (pooled and per pattern) and its holdout WAPE per pattern."""
    ok = ~np.isnan(y)
    valid = ok & ~np.isnan(mu)
    as_dist = not (m == "global" and calib.transform == "log")
    if as_dist and m != "global" and valid.sum() >= MIN_CALIBRATION_ROWS:
        for q in score_qs:
            calib.shapes[(m, None, q)] = fit_shape(mu[valid], y[valid], q, integer)
    for p in range(len(PATTERNS)):
        sel = valid & (pattern == p)[:, None]
        if sel.sum() < MIN_CALIBRATION_ROWS:
            continue
        if as_dist:
            for q in score_qs:
                calib.shapes[(m, p, q)] = fit_shape(mu[sel], y[sel], q, integer)
            p50 = dist_quantile(mu[sel], calib.shape(m, p, 0.5), 0.5, integer)
        else:
            p50 = np.clip(np.expm1(z_global[sel] + calib.log_quantile(p, 0.5)), 0.0, None)
        calib.holdout_wape[(m, p)] = float(np.abs(y[sel] - p50).sum() / max(y[sel].sum(), 1e-9))


def _choose_routes(calib: Calibration, methods: list[str]) -> None:
    """Per intermittent pattern: the method with the lowest holdout WAPE (the global model on a tie)."""
    for p in INTERMITTENT:
        scores = {m: calib.holdout_wape[(m, p)] for m in methods if (m, p) in calib.holdout_wape}
        if scores and "global" in scores:
            calib.routes[p] = min(scores, key=lambda m: (scores[m], m != "global"))


def _fit_holdout_point_scales(
    calib: Calibration,
    mu_global: np.ndarray,
    z_global: np.ndarray,
    y: np.ndarray,
    pattern: np.ndarray,
    integer: bool,
) -> None:
    """The point-forecast scales (``point_metric="mape"``) from the global model's holdout medians,
    vectorised over series."""
    if calib.transform == "log":
        shift = np.array([calib.log_quantile(int(p), 0.5) for p in pattern])
        p50 = np.clip(np.expm1(z_global + shift[:, None]), 0.0, None)
    else:
        shape = np.array([calib.shape("global", int(p), 0.5) for p in pattern])
        p50 = dist_quantile(mu_global, shape[:, None], 0.5, integer)
    fit_point_scales(calib, p50, y, pattern)


POINT_SCALES = np.geomspace(0.25, 2.0, 91)


def fit_point_scales(calib: Calibration, p50: np.ndarray, y: np.ndarray, pattern: np.ndarray) -> None:
    """Per pattern (and pooled): the multiple of the median with the lowest holdout MAPE (periods with
    demand only: MAPE is undefined at zero). For skewed demand it lies below 1 (the median weighted by
    1 / demand). (Per SKU it did not carry over from the holdout to the next weeks: OJ 33.4% -> 34.1%.)"""
    ok = ~np.isnan(y) & (y > 0) & ~np.isnan(p50)
    groups: list[tuple[int | None, np.ndarray]] = [(None, ok)]
    groups += [(p, ok & (pattern == p)[:, None]) for p in range(len(PATTERNS))]
    for p, sel in groups:
        if sel.sum() < MIN_CALIBRATION_ROWS:
            continue
        f, a = p50[sel], y[sel]
        losses = [float(np.mean(np.abs(c * f - a) / a)) for c in POINT_SCALES]
        calib.point_scale[p] = float(POINT_SCALES[int(np.argmin(losses))])
