"""Policy formulas: reorder point, order-up-to level and net requirement of (R, S), (s, Q) and min/max,
and the demand one replenishment cycle covers under each.

Pure numpy; never imports dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

import numpy as np


def cycle_quantity(
    policy: str, daily_demand: np.ndarray, review: np.ndarray, moq: np.ndarray, order_cover_days: float
) -> np.ndarray:
    """Expected demand between two replenishments: d x R for (R, S); the lot for (s, Q) and min/max."""
    if policy == "RS":
        return daily_demand * review
    return np.maximum(daily_demand * order_cover_days, moq)


def policy_order(
    policy: str,
    position: np.ndarray,
    demand_lead: np.ndarray,
    demand_protection: np.ndarray,
    ss: np.ndarray,
    daily_demand: np.ndarray,
    moq: np.ndarray,
    pack: np.ndarray,
    order_cover_days: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reorder point, order-up-to level and unrounded net requirement for the chosen policy.

    All three policies protect lead time + review period (P = L + R; a continuous review is R = 0).
    RS:     S = D(P) + SS; order S - position whenever position < S.
    sQ:     s = D(P) + SS, Q = max(d * cover, MOQ, pack); when position <= s order n*Q, the smallest
            multiple bringing the position above s.
    minmax: min = D(P) + SS, max = min + max(d * cover, MOQ); when position <= min order max - position.
    demand_lead is accepted for symmetry with callers that report it; the trigger uses D(P).
    """
    del demand_lead
    rop = demand_protection + ss
    if policy == "RS":
        up_to = rop
        net = np.where(position < rop - 1e-9, rop - position, 0.0)
    elif policy == "sQ":
        lot = np.maximum.reduce([daily_demand * order_cover_days, moq, pack, np.ones_like(rop)])
        trigger = (position <= rop) & (rop > 0)
        n_lots = np.floor((rop - position) / lot) + 1.0
        net = np.where(trigger, n_lots * lot, 0.0)
        up_to = rop + lot
    elif policy == "minmax":
        up_to = rop + np.maximum(daily_demand * order_cover_days, moq)
        trigger = (position <= rop) & (rop > 0)
        net = np.where(trigger, up_to - position, 0.0)
    else:
        raise ValueError(f"unknown policy {policy!r}")
    return rop, up_to, net
