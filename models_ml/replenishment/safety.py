"""Safety stock: the buffer over the protection window for a row's service factor, clamped in days of demand.

Pure numpy; never imports dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

import numpy as np


def safety_stock(
    var_demand_window: np.ndarray,
    daily_demand: np.ndarray,
    lead_time_std: np.ndarray,
    z: np.ndarray,
    min_days: float,
    max_days: float,
    demand_quantile_excess: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Safety stock (units) and whether it hit the lower / upper days-of-cover clamp.

    normal:   SS = z * sqrt(sum_window sigma_d,t^2 + d^2 * sigma_L^2)  (= z*sqrt(P*sigma_d^2 + d^2*sigma_L^2))
    quantile: SS = sqrt(excess^2 + (z * d * sigma_L)^2), excess = sum_window (q_alpha,t - point_t)
    then clamped to [min_days * d, max_days * d].
    """
    lt_term = (daily_demand * lead_time_std) ** 2
    if demand_quantile_excess is None:
        raw = z * np.sqrt(np.maximum(var_demand_window, 0.0) + lt_term)
    else:
        raw = np.sqrt(np.maximum(demand_quantile_excess, 0.0) ** 2 + z**2 * lt_term)
    lo, hi = min_days * daily_demand, max_days * daily_demand
    ss = np.clip(raw, lo, hi)
    return ss, (raw < lo) & (lo > 0), raw > hi
