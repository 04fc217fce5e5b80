"""Replenishment settings: ``ReplenishmentConfig``, the policies it may name and the default service matrix.

Owns the validated settings every other module of the package reads. Pure Python; never imports
dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

POLICIES = ("RS", "sQ", "minmax")

DEFAULT_SERVICE_MATRIX: Mapping[str, float] = {
    "AX": 0.98, "AY": 0.97, "AZ": 0.95,
    "BX": 0.96, "BY": 0.95, "BZ": 0.92,
    "CX": 0.93, "CY": 0.90, "CZ": 0.87,
}  # fmt: skip


@dataclass(frozen=True)
class ReplenishmentConfig:
    """Policy settings; every field has a default (zero configuration for a first run).

    policy: "RS" periodic review order-up-to (default), "sQ" reorder point + fixed lot, "minmax".
    service_matrix: cycle service level (alpha, P(no stockout per cycle)) per ABC x XYZ cell.
    safety_stock_method: "normal" (z * sqrt(sum sigma_d^2 + d^2 sigma_L^2)) or "quantile" (sum over
    the protection window of the forecast quantile at the service level minus the point forecast).
    min/max_safety_stock_days clamp safety stock to [min, max] days of mean forecast demand.
    order_cover_days: lot size of (s, Q) and max - min of min/max, in days of demand (at least MOQ).
    """

    policy: str = "RS"
    service_matrix: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SERVICE_MATRIX))
    default_class: str = "CZ"
    # a row without ABC/XYZ: "forecast" computes them from the plan's forecasts (ABC by forecast value
    # over all SKUs, XYZ by the forecast's weekly CV; flag CLASS_FROM_FORECAST), "default" takes
    # default_class (flag DEFAULT_CLASS)
    missing_class: str = "forecast"
    abc_shares: tuple[float, float] = (0.8, 0.95)  # cumulative value share closing A and B (as dim_skus)
    xyz_max_cv: tuple[float, float] = (0.5, 1.0)  # weekly CV below which X, then Y (as dim_skus)
    safety_stock_method: str = "normal"
    min_safety_stock_days: float = 0.0
    max_safety_stock_days: float = 30.0
    order_cover_days: float = 14.0
    default_lead_time_days: float = 14.0
    default_lead_time_cv: float = 0.0
    default_review_period_days: float = 7.0
    default_pack_size: float = 1.0
    default_moq: float = 0.0
    allow_transfers: bool = True
    transfer_keep_days: float = 0.0  # donors keep their order-up-to level plus this many days of demand
    service_allocation: str = "matrix"  # or "optimised": see optimised_service_z
    fill_measure: str = "value"  # optimised: fill rate in "value" (units x unit cost) or in "units"
    target_fill_rate: float | None = None  # optimised: aggregate fill; None = what the matrix promises
    optimised_service_bounds: tuple[float, float] = (0.5, 0.995)

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise ValueError(f"policy must be one of {POLICIES}, not {self.policy!r}")
        if self.safety_stock_method not in ("normal", "quantile"):
            raise ValueError("safety_stock_method must be 'normal' or 'quantile'")
        if self.min_safety_stock_days > self.max_safety_stock_days:
            raise ValueError("min_safety_stock_days must not exceed max_safety_stock_days")
        if self.missing_class not in ("forecast", "default"):
            raise ValueError("missing_class must be 'forecast' or 'default'")
        if self.default_class not in self.service_matrix:
            raise ValueError(f"default_class {self.default_class!r} is not in the service matrix")
        bad = {k: v for k, v in self.service_matrix.items() if not 0.5 <= v < 1.0}
        if bad:
            raise ValueError(f"service levels must be in [0.5, 1): {bad}")
        if self.service_allocation not in ("matrix", "optimised"):
            raise ValueError("service_allocation must be 'matrix' or 'optimised'")
        if self.fill_measure not in ("value", "units"):
            raise ValueError("fill_measure must be 'value' or 'units'")
        if self.target_fill_rate is not None and not 0.0 < self.target_fill_rate < 1.0:
            raise ValueError("target_fill_rate must be in (0, 1)")
        lo, hi = self.optimised_service_bounds
        if not 0.5 <= lo <= hi < 1.0:
            raise ValueError("optimised_service_bounds must satisfy 0.5 <= low <= high < 1")
