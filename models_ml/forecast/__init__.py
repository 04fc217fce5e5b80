"""Demand forecasts per SKU x warehouse: ``fit_predict`` and the baselines it is measured against.

``fit_predict(history, horizon, freq="D", future=None, config=None)`` is the stable entry point used by
the Dagster asset, the benchmarks and other tools; ``docs/forecasting.md`` documents the contract.

Model, in short (details in the docs and in ``features``):

1. One global LightGBM model (Tweedie objective by default) predicts the mean demand of period o + h
   from features known at the origin o (direct, horizon-aware strategy: the horizon is a feature, all
   lags lie at or before the origin). Training rows are (observed period, random horizon) pairs.
2. Quantiles (p50, p90, ...) come from a negative-binomial distribution around that mean (a gamma
   distribution for non-integer demand) whose shape is fitted, per demand pattern and quantile, by
   pinball loss on a holdout backtest (the last ``horizon`` periods): residuals calibrated on the
   backtest. The p50 is therefore a median, which is what WAPE rewards.
3. Intermittent and lumpy series (SBC classes) go to Croston, SBA or TSB (statsforecast) when that
   method beats the global model on the same holdout for that class.
4. Censored periods (``is_stockout``) are never training targets and are imputed in the features by the
   in-stock rate before them.

The modules, from the bottom up (each imports, at run time, only ``features`` and those above it in this
list):

- ``quantiles``: distributions around a mean, pinball loss, shape fitting, the ``point`` column;
- ``model``: the global LightGBM model (parameters, training rows, train, predict);
- ``croston``: the Croston family and the series mean, the methods beside the global model;
- ``calibration``: the holdout backtest that fixes the ``Calibration``;
- ``baselines``: seasonal naive, moving average, Croston and ``baseline_forecast``;
- ``orchestration``: ``fit_predict`` and ``forecast_panel``.

This package is the public surface: import from ``models_ml.forecast``. It never imports
``models_ml.backtest`` (the backtest runs the forecaster, not the reverse), nor dagster, duckdb, dbt,
pipelines or benchmarks.
"""

from __future__ import annotations

from models_ml.features import FutureDriverWarning, future_drivers, series_patterns
from models_ml.forecast.baselines import (
    BASELINES,
    baseline_forecast,
    croston_forecast,
    moving_average,
    seasonal_naive,
)
from models_ml.forecast.calibration import (
    MIN_CALIBRATION_ROWS,
    POINT_SCALES,
    Z90,
    Calibration,
    calibrate,
    fit_point_scales,
    fixed_transform,
    holdout_origins,
)
from models_ml.forecast.croston import CROSTON_METHODS, INTERMITTENT, croston_family, series_mean
from models_ml.forecast.model import lgb_params, predict_global, train_global, training_rows
from models_ml.forecast.orchestration import PanelForecast, fit_predict, forecast_panel
from models_ml.forecast.quantiles import (
    DEFAULT_SHAPE,
    MAX_CALIBRATION_ROWS,
    SHAPE_GRID,
    dist_quantile,
    fit_shape,
    log_model_output,
    pinball,
    point_forecast,
    quantile_column,
)

__all__ = [
    "BASELINES",
    "CROSTON_METHODS",
    "DEFAULT_SHAPE",
    "INTERMITTENT",
    "MAX_CALIBRATION_ROWS",
    "MIN_CALIBRATION_ROWS",
    "POINT_SCALES",
    "SHAPE_GRID",
    "Z90",
    "Calibration",
    "FutureDriverWarning",
    "PanelForecast",
    "baseline_forecast",
    "calibrate",
    "croston_family",
    "croston_forecast",
    "dist_quantile",
    "fit_point_scales",
    "fit_predict",
    "fit_shape",
    "fixed_transform",
    "forecast_panel",
    "future_drivers",
    "holdout_origins",
    "lgb_params",
    "log_model_output",
    "moving_average",
    "pinball",
    "point_forecast",
    "predict_global",
    "quantile_column",
    "seasonal_naive",
    "series_mean",
    "series_patterns",
    "train_global",
    "training_rows",
]
