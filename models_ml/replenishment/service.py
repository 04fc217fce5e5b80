"""Service allocation: which cycle service level each row gets.

The ABC x XYZ matrix cell (``service_levels``), the classes computed from the plan's own forecast when
the master has none (``classes_from_forecast``), and the optimiser that sets service factors to reach
an aggregate fill rate with the least safety-stock value (``optimised_service_z``, with the normal loss
function it rests on). Pure numpy/pandas/scipy; never imports dagster, duckdb, dbt, pipelines or
benchmarks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from models_ml.replenishment.config import ReplenishmentConfig


def service_levels(
    abc: pd.Series, xyz: pd.Series, config: ReplenishmentConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Service level per row from the ABC x XYZ matrix; unknown/missing cells -> default class."""
    cell = abc.astype("string").str.upper().str.strip() + xyz.astype("string").str.upper().str.strip()
    level = cell.map(dict(config.service_matrix)).astype("float64")
    missing = level.isna().to_numpy()
    return level.fillna(config.service_matrix[config.default_class]).to_numpy(), missing


def classes_from_forecast(
    sku: np.ndarray,
    daily_demand: np.ndarray,
    sigma_daily: np.ndarray,
    unit_cost: np.ndarray,
    abc_shares: tuple[float, float] = (0.8, 0.95),
    xyz_max_cv: tuple[float, float] = (0.5, 1.0),
) -> tuple[np.ndarray, np.ndarray]:
    """ABC and XYZ class per row, computed per SKU (all its warehouses) from the forecast, as the
    ``dim_skus`` mart computes them from history: ABC by the cumulative share of forecast value (units x
    unit cost; units alone when any SKU lacks a cost) held by the SKUs ranked before it, XYZ by the weekly coefficient of
    variation sqrt(7 sum sigma_daily^2) / (7 sum daily demand). A SKU without forecast demand is CZ."""
    frame = pd.DataFrame({"sku": sku, "d": daily_demand, "v": sigma_daily**2, "c": unit_cost})
    frame["value"] = frame["d"] * frame["c"]
    per = frame.groupby("sku", sort=False).agg(d=("d", "sum"), v=("v", "sum"), value=("value", "sum"))
    weight = per["value"] if frame["c"].notna().all() else per["d"]
    order = weight.sort_values(ascending=False, kind="stable")
    total = float(order.sum())
    # the share held by the SKUs before each one: the SKU that crosses a cut-off is in the class (as
    # dim_skus), so the top SKU is always A
    preceding = (order.cumsum() - order) / total if total > 0 else order * 0.0 + 1.0
    abc = pd.Series(
        np.select([preceding < abc_shares[0], preceding < abc_shares[1]], ["A", "B"], "C"), index=order.index
    )
    abc[order <= 0] = "C"
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.sqrt(7.0 * per["v"]) / (7.0 * per["d"])
    xyz = pd.Series(np.select([cv < xyz_max_cv[0], cv < xyz_max_cv[1]], ["X", "Y"], "Z"), index=per.index)
    xyz[per["d"] <= 0] = "Z"
    return abc.reindex(sku).to_numpy(dtype=object), xyz.reindex(sku).to_numpy(dtype=object)


def normal_loss(k: np.ndarray) -> np.ndarray:
    """Standard normal loss G(k) = E[(X - k)+] = phi(k) - k (1 - Phi(k))."""
    return norm.pdf(k) - k * norm.sf(k)


def optimised_service_z(
    daily_demand: np.ndarray,
    sigma_protection: np.ndarray,
    cycle_qty: np.ndarray,
    unit_cost: np.ndarray,
    matrix_z: np.ndarray,
    target_fill: float | None = None,
    bounds: tuple[float, float] = (0.5, 0.995),
    measure: str = "value",
) -> np.ndarray:
    """Safety factors that reach an aggregate fill rate with the least safety-stock value.

    Per row, expected units short per cycle = sigma_P G(k) (normal loss), cycles per day = d / q, so
    the expected fill is 1 - sigma_P G(k) / q. One more unit of safety stock costs its unit cost v
    and saves (d / q) P(stockout per cycle) units short a day, worth v each when fill is measured in
    value. At the optimum the marginal fill per unit of stock value is equal across rows:
    P(stockout per cycle) = 1 - Phi(k) = lambda x q / d (value) or lambda x v x q / d (units; cheap
    items then get more service), clipped to the service bounds. lambda is found by bisection so that
    the aggregate expected fill (weights d x v, or d) equals ``target_fill``; None means the expected
    fill of ``matrix_z`` (the aggregate service the matrix promises, at less stock). Rows without
    demand, spread, cycle or cost keep their ``matrix_z``.
    """
    d, sig, q = (np.asarray(x, dtype=float) for x in (daily_demand, sigma_protection, cycle_qty))
    v = np.asarray(unit_cost, dtype=float)
    z0 = np.asarray(matrix_z, dtype=float)
    if measure not in ("value", "units"):
        raise ValueError("measure must be 'value' or 'units'")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = q / d * (v if measure == "units" else 1.0)
        w = d * v if measure == "value" else d
    ok = (d > 0) & (sig > 0) & (q > 0) & (v > 0) & np.isfinite(scale) & (scale > 0) & np.isfinite(w) & (w > 0)
    if not ok.any():
        return z0.copy()
    with np.errstate(over="ignore"):
        spread = sig[ok] / q[ok]  # sigma_P per unit of cycle demand
    log_scale, w = np.log(scale[ok]), w[ok] / w[ok].sum()
    p_lo, p_hi = 1.0 - bounds[1], 1.0 - bounds[0]  # stockout probability per cycle

    def fill(k: np.ndarray) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return float((w * np.clip(1.0 - spread * normal_loss(k), 0.0, 1.0)).sum())

    target = fill(z0[ok]) if target_fill is None else float(target_fill)

    def k_of(log_lam: float) -> np.ndarray:
        return norm.isf(np.exp(np.clip(log_lam + log_scale, np.log(p_lo), np.log(p_hi))))

    lo = np.log(p_lo) - log_scale.max() - 1.0  # every row at the upper bound: best fill reachable
    hi = np.log(p_hi) - log_scale.min() + 1.0  # every row at the lower bound
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if fill(k_of(mid)) >= target:
            lo = mid
        else:
            hi = mid
    out = z0.copy()
    out[ok] = k_of(lo)
    return out
