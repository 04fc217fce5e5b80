"""The plan's service step: for each row, the forecast sums over lead time and protection window and
the classes and cycle service level the plan uses (``row_service``).

The service level is the ABC x XYZ matrix cell or the row's own level; rows without a class are classed
from the plan's forecasts (``forecast_classes``); with ``service_allocation="optimised"`` the optimiser
sets the plannable rows' levels (``optimised_z``). The formulas are in ``service``; this module applies
them to the plan's rows. Pure pandas/numpy/scipy; never imports dagster, duckdb, dbt, pipelines or
benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from models_ml.replenishment.config import ReplenishmentConfig
from models_ml.replenishment.inputs import SupplyParams
from models_ml.replenishment.policy import cycle_quantity
from models_ml.replenishment.service import classes_from_forecast, optimised_service_z
from models_ml.replenishment.windows import ForecastWindows, forecast_windows


@dataclass(frozen=True)
class RowService:
    """Per-row classes and service level, and the forecast sums read at that level."""

    abc_class: np.ndarray
    xyz_class: np.ndarray
    level: np.ndarray
    z: np.ndarray
    protection: np.ndarray
    fw: ForecastWindows
    daily: np.ndarray
    sigma_daily: np.ndarray
    from_forecast: np.ndarray  # classes computed from the forecast (flag CLASS_FROM_FORECAST)


def row_service(
    forecast: pd.DataFrame,
    keys: pd.DataFrame,
    as_of: pd.Timestamp,
    sp: SupplyParams,
    unit_cost: pd.Series,
    cfg: ReplenishmentConfig,
) -> RowService:
    """Forecast sums over lead time and protection window (L + R), the daily rate and spread they imply,
    and each row's classes and service level: the matrix cell or the row's own level, classes from the
    forecast for rows without one, the optimiser's level when ``service_allocation="optimised"``. The
    quantile excess is read again whenever the levels change."""
    lead, lead_std, review, level, z = (
        sp.lead_time,
        sp.lead_time_std,
        sp.review_period,
        sp.service_level,
        sp.z,
    )
    protection = lead + review
    fw = forecast_windows(forecast, keys, as_of, lead, protection, z, cfg.safety_stock_method)
    daily = np.where(protection > 0, fw.demand_protection / np.where(protection > 0, protection, 1), 0.0)
    sigma_daily = np.sqrt(fw.var_protection / np.where(protection > 0, protection, 1))
    abc_class, xyz_class = sp.abc_class, sp.xyz_class
    from_forecast = np.zeros(len(keys), dtype=bool)
    if cfg.missing_class == "forecast" and (sp.default_class & ~sp.service_override).any():
        from_forecast = sp.default_class & ~sp.service_override
        abc_class, xyz_class, level = forecast_classes(
            keys, daily, sigma_daily, unit_cost, from_forecast, sp, level, cfg
        )
        z = norm.ppf(level)
        if cfg.safety_stock_method == "quantile":  # the quantile excess is read at the new levels
            fw = forecast_windows(forecast, keys, as_of, lead, protection, z, "quantile")
    if cfg.service_allocation == "optimised":
        z = optimised_z(daily, fw, lead_std, review, sp, unit_cost, z, cfg)
        level = norm.cdf(z)
        if cfg.safety_stock_method == "quantile":  # the quantile excess is read at the new levels
            fw = forecast_windows(forecast, keys, as_of, lead, protection, z, "quantile")
    return RowService(abc_class, xyz_class, level, z, protection, fw, daily, sigma_daily, from_forecast)


def forecast_classes(
    keys: pd.DataFrame,
    daily: np.ndarray,
    sigma_daily: np.ndarray,
    unit_cost: pd.Series,
    from_forecast: np.ndarray,
    sp: SupplyParams,
    level: np.ndarray,
    cfg: ReplenishmentConfig,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ABC, XYZ and service level with the rows in ``from_forecast`` classed from the plan's forecasts
    (``classes_from_forecast``) and given their matrix cell; the other rows keep theirs."""
    abc_f, xyz_f = classes_from_forecast(
        keys["sku"].to_numpy(), daily, sigma_daily, unit_cost.to_numpy(), cfg.abc_shares, cfg.xyz_max_cv
    )
    abc_class = np.where(from_forecast, abc_f, sp.abc_class)
    xyz_class = np.where(from_forecast, xyz_f, sp.xyz_class)
    cell_level = pd.Series(abc_f + xyz_f).map(dict(cfg.service_matrix)).to_numpy(dtype=float)
    cell_level = np.where(np.isnan(cell_level), cfg.service_matrix[cfg.default_class], cell_level)
    return abc_class, xyz_class, np.where(from_forecast, cell_level, level)


def optimised_z(
    daily: np.ndarray,
    fw: ForecastWindows,
    lead_std: np.ndarray,
    review: np.ndarray,
    sp: SupplyParams,
    unit_cost: pd.Series,
    z: np.ndarray,
    cfg: ReplenishmentConfig,
) -> np.ndarray:
    """Safety factors from ``optimised_service_z`` over the plannable rows; dead, discontinued rows and
    rows with their own service level keep ``z``."""
    plannable = ~(sp.discontinued | sp.dead | sp.service_override)  # a row's own service level stays
    return np.where(
        plannable,
        optimised_service_z(
            np.where(plannable, daily, 0.0),
            np.sqrt(np.maximum(fw.var_protection, 0.0) + (daily * lead_std) ** 2),
            cycle_quantity(cfg.policy, daily, review, sp.moq, cfg.order_cover_days),
            unit_cost.to_numpy(),
            z,
            cfg.target_fill_rate,
            cfg.optimised_service_bounds,
            cfg.fill_measure,
        ),
        z,
    )
