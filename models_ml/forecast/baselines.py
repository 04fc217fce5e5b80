"""The baselines the model is measured against and falls back to: seasonal naive, moving average and
the Croston family as stand-alone forecasts, and ``baseline_forecast`` in ``fit_predict``'s output shape.

Never imports: LightGBM, the calibration or the orchestration, nor dagster, duckdb, dbt, pipelines or
benchmarks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models_ml.config import ForecastConfig, ResolvedConfig
from models_ml.features import DATE_COL, ID_COLS, TARGET_COL, Panel, build_panel
from models_ml.forecast.croston import CROSTON_METHODS, croston_family
from models_ml.forecast.quantiles import DEFAULT_SHAPE, dist_quantile, quantile_column


def _baseline_frame(panel: Panel, values: np.ndarray) -> pd.DataFrame:
    horizon = values.shape[1]
    frame = (
        panel.keys[list(ID_COLS)].iloc[np.repeat(np.arange(panel.n_series), horizon)].reset_index(drop=True)
    )
    frame[DATE_COL] = panel.date_of(np.tile(np.arange(1, horizon + 1), panel.n_series))
    frame["p50"] = np.clip(np.nan_to_num(values.reshape(-1)), 0.0, None)
    return frame


def _raw_panel(
    history: pd.DataFrame, freq: str, config: ForecastConfig | None
) -> tuple[Panel, ResolvedConfig]:
    rc = (config or ForecastConfig()).resolved(freq)
    cols = [c for c in (*ID_COLS, DATE_COL, "qty") if c in history.columns]
    return build_panel(history[cols], rc), rc


def seasonal_naive(
    history: pd.DataFrame, horizon: int, freq: str = "D", season_length: int | None = None
) -> pd.DataFrame:
    """The value one season earlier (7 days, 52 weeks); series shorter than a season repeat the last value."""
    panel, rc = _raw_panel(history, freq, None)
    s = season_length or rc.season
    last = panel.last_row(0)
    h = np.arange(1, horizon + 1)
    j = last[:, None] - s + ((h - 1) % s)[None, :] + 1
    first = panel.offset[:, None]
    y = np.nan_to_num(panel.y)
    vals = np.where(j >= first, y[np.clip(j, 0, len(y) - 1)], y[last][:, None])
    return _baseline_frame(panel, vals)


def moving_average(
    history: pd.DataFrame, horizon: int, freq: str = "D", window: int | None = None
) -> pd.DataFrame:
    """Mean of the last ``window`` periods (28 days, 4 weeks by default), flat over the horizon."""
    panel, _ = _raw_panel(history, freq, None)
    w = window or (28 if freq == "D" else 4)
    last = panel.last_row(0)
    c = np.concatenate([[0.0], np.cumsum(np.nan_to_num(panel.y))])
    lo = np.maximum(last - w + 1, panel.offset)
    vals = (c[last + 1] - c[lo]) / (last - lo + 1)
    return _baseline_frame(panel, np.repeat(vals[:, None], horizon, axis=1))


def croston_forecast(
    history: pd.DataFrame,
    horizon: int,
    freq: str = "D",
    method: str = "sba",
    config: ForecastConfig | None = None,
) -> pd.DataFrame:
    """Croston-family point forecast (``croston``, ``sba`` or ``tsb``) for every series."""
    if method not in CROSTON_METHODS:
        raise ValueError(f"method must be one of {CROSTON_METHODS}")
    rc = (config or ForecastConfig()).resolved(freq)
    panel = build_panel(history, rc)
    vals = croston_family(panel, np.arange(panel.n_series), 0, horizon, method, rc)
    return _baseline_frame(panel, vals)


BASELINES = ("seasonal_naive", "ma", *CROSTON_METHODS)


def baseline_forecast(
    history: pd.DataFrame,
    horizon: int,
    method: str,
    freq: str = "D",
    config: ForecastConfig | None = None,
    shape: float = DEFAULT_SHAPE,
) -> pd.DataFrame:
    """A baseline in ``fit_predict``'s output shape: the fallback when the model loses its backtest.

    The baseline's point forecast is the ``mean``; quantiles (``p50``, ``p90``, ...) come from a
    negative binomial (gamma for non-integer data) around it with dispersion ``shape``, so that a
    replenishment engine gets a spread as it does from the model.
    """
    cfg = config or ForecastConfig()
    if method == "seasonal_naive":
        base = seasonal_naive(history, horizon, freq)
    elif method == "ma":
        base = moving_average(history, horizon, freq)
    elif method in CROSTON_METHODS:
        base = croston_forecast(history, horizon, freq, method, cfg)
    else:
        raise ValueError(f"unknown baseline {method!r}; expected one of {', '.join(BASELINES)}")
    mean = np.clip(np.nan_to_num(base["p50"].to_numpy(dtype=np.float64)), 0.0, None)
    qty = pd.to_numeric(history[TARGET_COL], errors="coerce").dropna()
    integer = bool(np.all(np.isclose(qty, np.round(qty))))
    qs = sorted(cfg.quantiles)
    values = np.maximum.accumulate(
        np.stack([dist_quantile(mean, np.full_like(mean, shape), q, integer) for q in qs]), axis=0
    )
    out = base[[*ID_COLS, DATE_COL]].copy()
    for k, q in enumerate(qs):
        out[quantile_column(q)] = values[k]
    if cfg.include_mean:
        out["mean"] = mean
    return out
