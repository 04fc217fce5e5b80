"""``fit_predict``, the forecaster's entry point, and ``forecast_panel``: build the panel and the
horizon's drivers, calibrate on the holdout, route each series to the global model, a Croston method or
the mean, predict, turn means into quantiles and lay out the output frame.

Never imports: the baselines or the backtest, nor dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models_ml.config import ForecastConfig, ResolvedConfig
from models_ml.features import DATE_COL, ID_COLS, Panel, build_panel, future_drivers, series_patterns
from models_ml.forecast.calibration import Calibration, calibrate, fixed_transform
from models_ml.forecast.croston import CROSTON_METHODS, INTERMITTENT, croston_family, series_mean
from models_ml.forecast.model import predict_global, train_global
from models_ml.forecast.quantiles import dist_quantile, log_model_output, point_forecast, quantile_column


def fit_predict(
    history: pd.DataFrame,
    horizon: int,
    freq: str = "D",
    future: pd.DataFrame | None = None,
    config: ForecastConfig | None = None,
) -> pd.DataFrame:
    """Forecast every series of ``history`` for the ``horizon`` periods after its latest date.

    Args:
        history: long frame with ``sku``, ``warehouse_id``, ``date``, ``qty``; any further numeric or
            boolean column is a driver (price, promotion flags); text columns (e.g. ``category``) are
            static attributes; an optional boolean ``is_stockout`` marks censored periods.
        horizon: number of periods to forecast (days for ``freq="D"``, weeks for ``"W"``).
        freq: ``"D"`` or ``"W"`` (a weekly date labels the 7 days ending on it, pandas' ``W``).
        future: optional ``sku``, ``warehouse_id``, ``date`` plus driver columns over the horizon
            (planned prices, promotions); drivers it lacks are carried forward from the last observation.
        config: ``ForecastConfig``; defaults when ``None``.

    Returns:
        ``sku``, ``warehouse_id``, ``date``, ``p50``, ``p90`` (one column per configured quantile),
        non-negative, one row per series and future period, the same origin for every series; with
        ``config.include_mean`` also ``mean``, the expected demand (what replenishment sums over a
        lead time: the median of skewed daily demand is often 0).
    """
    if horizon < 1:
        raise ValueError("horizon must be at least 1")
    rc = (config or ForecastConfig()).resolved(freq)
    panel = build_panel(history, rc)
    drivers = future_drivers(panel, future, horizon, rc.base.future_missing)
    result = forecast_panel(panel, horizon, drivers, rc)
    result.frame.attrs["freq"] = freq  # plan_replenishment reads weekly rows as weeks
    return result.frame


@dataclass
class PanelForecast:
    frame: pd.DataFrame  # the fit_predict output
    method: np.ndarray  # per series: the method that produced it
    pattern: np.ndarray  # per series: SBC class code at the origin
    mean: np.ndarray  # [series, horizon] the mean forecast behind the quantiles
    calibration: Calibration


def forecast_panel(
    panel: Panel, horizon: int, drivers: dict[str, np.ndarray], rc: ResolvedConfig
) -> PanelForecast:
    """Forecast from a prepared panel; ``drivers`` maps each driver to a [series, horizon] array."""
    cfg = rc.base
    calib = calibrate(panel, horizon, rc) if cfg.calibrate else Calibration(transform=fixed_transform(panel))
    rows = panel.last_row(0)
    pattern = series_patterns(panel, rows, rc)
    n_valid = np.add.reduceat(~np.isnan(panel.y), panel.offset, dtype=np.int64)

    method = np.full(panel.n_series, "global", dtype=object)
    forced = cfg.intermittent_method
    for p in INTERMITTENT:
        chosen = calib.routes.get(p, "global") if forced == "auto" else forced
        method[pattern == p] = chosen
    method[n_valid < cfg.min_history] = "mean"

    qs = sorted(rc.base.quantiles)
    qs_all = sorted({*qs, 0.5})  # the median is always computed (the point forecast scales it)
    mean = np.zeros((panel.n_series, horizon))
    out = np.zeros((len(qs_all), panel.n_series, horizon))
    model = train_global(panel, 0, horizon, rc, cfg.n_estimators, calib.transform)
    log_rows = np.zeros(panel.n_series, dtype=bool)
    if model is not None:
        pred = predict_global(model, panel, rows, horizon, drivers, rc)
        if calib.transform == "log":
            log_rows = method == "global"
            mean[:], out[:] = log_model_output(pred, pattern, qs_all, calib)
        else:
            mean[:] = pred
    else:  # too little data for a model
        method[method == "global"] = "mean"
        log_rows[:] = False
    for m in CROSTON_METHODS:
        sel = np.flatnonzero(method == m)
        if sel.size:
            mean[sel] = croston_family(panel, sel, 0, horizon, m, rc)
    sel = np.flatnonzero(method == "mean")
    if sel.size:
        mean[sel] = series_mean(panel, sel)[:, None]
    mean = np.clip(np.nan_to_num(mean), 0.0, None)

    dist = ~log_rows  # quantiles from a distribution around the mean
    for k, q in enumerate(qs_all):
        shape = np.array([calib.shape(m, p, q) for m, p in zip(method[dist], pattern[dist], strict=True)])
        out[k][dist] = dist_quantile(mean[dist], shape[:, None], q, panel.integer)
    out = np.maximum.accumulate(out, axis=0)  # quantiles never cross

    frame = (
        panel.keys[list(ID_COLS)].iloc[np.repeat(np.arange(panel.n_series), horizon)].reset_index(drop=True)
    )
    frame[DATE_COL] = panel.date_of(np.tile(np.arange(1, horizon + 1), panel.n_series))
    for q in qs:
        frame[quantile_column(q)] = out[qs_all.index(q)].reshape(-1)
    if cfg.include_mean:
        frame["mean"] = mean.reshape(-1)
    if cfg.point_metric is not None:
        p50 = out[qs_all.index(0.5)]
        frame["point"] = point_forecast(cfg.point_metric, mean, p50, pattern, calib).reshape(-1)
    return PanelForecast(frame, method, pattern, mean, calib)
