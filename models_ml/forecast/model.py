"""The global LightGBM model: its parameters, the (origin, horizon) training rows, training on the
targets up to a cutoff and predicting the horizon from origin rows, batch of series by batch.

Never imports: the quantiles, the calibration or the orchestration (they build on it), nor
dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np

from models_ml.config import ResolvedConfig
from models_ml.features import BATCH_ROWS, Panel, design_batches, design_matrix


def lgb_params(rc: ResolvedConfig, transform: str = "none") -> dict[str, object]:
    c = rc.base
    params: dict[str, object] = {
        "objective": (
            {"l1": "regression_l1", "l2": "regression"}[c.log_objective]
            if transform == "log"
            else c.objective
        ),
        "learning_rate": c.learning_rate,
        "num_leaves": c.num_leaves,
        "min_data_in_leaf": c.min_data_in_leaf,
        "feature_fraction": c.feature_fraction,
        "bagging_fraction": c.bagging_fraction,
        "bagging_freq": 1,
        "lambda_l2": c.lambda_l2,
        "num_threads": c.num_threads,
        "seed": c.seed,
        "deterministic": True,
        "force_row_wise": True,
        "max_bin": 127,
        "verbose": -1,
    }
    if c.objective == "tweedie" and transform != "log":
        params["tweedie_variance_power"] = c.tweedie_variance_power
    return params


def training_rows(
    panel: Panel, cutoff_t: int, horizon: int, rc: ResolvedConfig
) -> tuple[np.ndarray, np.ndarray]:
    """(origin row, horizon) pairs whose target period is observed, uncensored and <= ``cutoff_t``.

    One random horizon per target, drawn in row order, chunk by chunk (the same draws as one call for
    all targets); the candidates are kept as int32 and int16 until ``max_train_rows`` are sampled."""
    rng = np.random.default_rng(rc.base.seed)
    n = len(panel.y)
    row_dtype = np.int32 if n < 2**31 else np.int64
    h_dtype = np.int16 if horizon < 2**15 else np.int32
    origins, hs = [], []
    samples = rc.base.horizon_samples
    if samples is None:  # as many horizons per target as fit in max_train_rows, at most all of them
        n_obs = int((~np.isnan(panel.y)).sum())
        samples = max(1, min(horizon, rc.base.max_train_rows // max(n_obs, 1)))
    for _ in range(samples):
        for a in range(0, n, BATCH_ROWS):
            b = min(a + BATCH_ROWS, n)
            target = a + np.flatnonzero((panel.t[a:b] <= cutoff_t) & ~np.isnan(panel.y[a:b]))
            h = rng.integers(1, horizon + 1, target.size)
            origin = target - h
            ok = origin >= panel.offset[panel.sid[target]]
            origins.append(origin[ok].astype(row_dtype))
            hs.append(h[ok].astype(h_dtype))
    origin, h = np.concatenate(origins), np.concatenate(hs)
    del origins, hs
    if origin.size > rc.base.max_train_rows:
        keep = np.sort(rng.choice(origin.size, rc.base.max_train_rows, replace=False))
        origin, h = origin[keep], h[keep]
    return origin.astype(np.int64), h.astype(np.int64)


def train_global(
    panel: Panel, cutoff_t: int, horizon: int, rc: ResolvedConfig, n_estimators: int, transform: str = "none"
) -> lgb.Booster | None:
    """The global model trained on targets up to ``cutoff_t``; with ``transform="log"`` it learns
    log(1 + demand) with ``config.log_objective``, else demand with ``config.objective``."""
    origin, h = training_rows(panel, cutoff_t, horizon, rc)
    if origin.size < 2 * rc.base.min_data_in_leaf or np.nansum(panel.y[origin + h]) <= 0:
        return None
    target = origin + h
    drivers = {name: vals[target] for name, vals in panel.drivers.items()}
    X = design_matrix(panel, origin, h, drivers, rc)
    cats = [c for c in X.columns if c.startswith("cat_")]
    label = np.log1p(panel.y[target]) if transform == "log" else panel.y[target]
    data = lgb.Dataset(X, label=label, categorical_feature=cats, free_raw_data=True)
    return lgb.train(lgb_params(rc, transform), data, num_boost_round=n_estimators)


def predict_global(
    model: lgb.Booster,
    panel: Panel,
    rows: np.ndarray,
    horizon: int,
    drivers: dict[str, np.ndarray],
    rc: ResolvedConfig,
) -> np.ndarray:
    """[len(rows), horizon] mean forecasts from origin rows ``rows``, one batch of series at a time
    (the feature rows of all series x horizon at once grow with the number of series)."""
    idx = np.repeat(rows, horizon)
    h = np.tile(np.arange(1, horizon + 1), len(rows))
    flat = {name: vals.reshape(-1) for name, vals in drivers.items()}
    pred = np.empty(idx.size)
    for pos, X in design_batches(panel, idx, h, flat, rc):
        pred[pos] = model.predict(X, num_threads=rc.base.num_threads)
    return np.clip(pred, 0.0, None).reshape(len(rows), horizon)
