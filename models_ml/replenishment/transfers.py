"""Transfers between warehouses: a warehouse with excess stock of a SKU serves warehouses that would buy it.

``suggest_transfers`` on a plan; ``transfer_excess`` and ``allocate_transfers`` are the rule itself,
shared with the policy replay (``models_ml.simulation``). Pure numpy/pandas; never imports dagster,
duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models_ml.replenishment.config import ReplenishmentConfig
from models_ml.replenishment.explanations import (
    NO_ORDER_DEAD_STOCK,
    NO_ORDER_DISCONTINUED,
    ORDER_BELOW_REORDER_POINT,
    TRANSFER_INSTEAD,
)


def suggest_transfers(plan: pd.DataFrame, config: ReplenishmentConfig | None = None) -> pd.DataFrame:
    """Transfers from a warehouse holding excess of a SKU to warehouses that would otherwise buy it.

    ``plan`` needs ``sku, warehouse_id, on_hand_qty, backorder_qty, inventory_position_qty,
    order_up_to_qty, daily_demand, net_requirement_qty, reason_code``. A donor's excess is its physical
    stock above what it needs itself: min(on hand - backorders, position - order-up-to level - keep
    days x daily demand), all of it for dead or discontinued rows. Per SKU the warehouse with the largest
    excess gives; receivers (rows that would order) are served largest shortfall first as long as the
    donor's excess covers their whole shortfall (no partial transfers: those still buy).

    Returns ``sku, from_warehouse_id, to_warehouse_id, qty, reason_code`` (TRANSFER_INSTEAD).
    """
    cfg = config or ReplenishmentConfig()
    p = plan.reset_index(drop=True)
    blocked = p["reason_code"].isin([NO_ORDER_DEAD_STOCK, NO_ORDER_DISCONTINUED]).to_numpy()
    excess = transfer_excess(
        p["on_hand_qty"].to_numpy(dtype=float),
        p["backorder_qty"].to_numpy(dtype=float),
        p["inventory_position_qty"].to_numpy(dtype=float),
        p["order_up_to_qty"].to_numpy(dtype=float),
        p["daily_demand"].to_numpy(dtype=float),
        blocked,
        cfg.transfer_keep_days,
    )
    need = np.where(
        p["reason_code"].to_numpy() == ORDER_BELOW_REORDER_POINT, np.ceil(p["net_requirement_qty"]), 0.0
    )
    empty = pd.DataFrame(
        {
            "sku": pd.Series(dtype="string"),
            "from_warehouse_id": pd.Series(dtype="string"),
            "to_warehouse_id": pd.Series(dtype="string"),
            "qty": pd.Series(dtype="float64"),
            "reason_code": pd.Series(dtype="string"),
        }
    )
    # rows in (sku, warehouse) order, so ties go to the first warehouse as before
    order = np.lexsort((p["warehouse_id"].astype("string").to_numpy(), p["sku"].astype("string").to_numpy()))
    group = pd.factorize(p["sku"].astype("string").to_numpy()[order])[0]
    to_pos, from_pos = allocate_transfers(group, excess[order], need[order])
    if not len(to_pos):
        return empty
    to_idx, from_idx = order[to_pos], order[from_pos]
    return pd.DataFrame(
        {
            "sku": p["sku"].astype("string").to_numpy()[to_idx],
            "from_warehouse_id": p["warehouse_id"].astype("string").to_numpy()[from_idx],
            "to_warehouse_id": p["warehouse_id"].astype("string").to_numpy()[to_idx],
            "qty": need[to_idx],
            "reason_code": TRANSFER_INSTEAD,
        }
    ).astype(
        {"sku": "string", "from_warehouse_id": "string", "to_warehouse_id": "string", "reason_code": "string"}
    )


def transfer_excess(
    on_hand: np.ndarray,
    backorders: np.ndarray,
    position: np.ndarray,
    order_up_to: np.ndarray,
    daily_demand: np.ndarray,
    blocked: np.ndarray,
    keep_days: float,
) -> np.ndarray:
    """Whole units a row can give away: its free stock above what it needs itself.

    min(on hand - backorders, position - order-up-to - keep_days x daily demand), floored at 0; all free
    stock for blocked (dead or discontinued) rows.
    """
    free = on_hand - backorders
    above = position - order_up_to - keep_days * daily_demand
    return np.floor(np.maximum(np.where(blocked, free, np.minimum(free, above)), 0.0))


def allocate_transfers(
    group: np.ndarray, excess: np.ndarray, need: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Whole-shortfall transfers within groups (SKUs): the rule shared by the plan and the replay.

    ``group`` holds integer codes with rows ordered so that ties resolve to the earlier row. Per group the
    row with the largest excess gives; rows with need > 0 are served largest need first (ties: earlier
    row) while the cumulative need fits in the donor's excess; a row is served fully or not at all.
    Returns (receiver rows, donor rows), aligned; each receiver gets its ``need``.
    """
    n = len(group)
    rows = np.arange(n)
    empty = np.zeros(0, dtype=np.int64)
    has_excess = excess > 0
    if not has_excess.any() or not (need > 0).any():
        return empty, empty
    cand = rows[has_excess]
    cand = cand[np.lexsort((cand, -excess[cand], group[cand]))]
    first = np.ones(len(cand), dtype=bool)
    first[1:] = group[cand][1:] != group[cand][:-1]
    n_groups = int(group.max()) + 1
    donor = np.full(n_groups, -1, dtype=np.int64)
    donor[group[cand[first]]] = cand[first]
    r = rows[(need > 0) & (donor[group] >= 0)]
    r = r[r != donor[group[r]]]
    if not len(r):
        return empty, empty
    r = r[np.lexsort((r, -need[r], group[r]))]
    g = group[r]
    cum = np.cumsum(need[r])
    start = np.ones(len(r), dtype=bool)
    start[1:] = g[1:] != g[:-1]
    before = np.maximum.accumulate(np.where(start, cum - need[r], 0.0))
    cum_in_group = cum - before
    ok = cum_in_group <= excess[donor[g]]
    return r[ok], donor[g[ok]]
