"""The planners' replenishment parameters: min/max levels, safety stock, ordering window and opening
stock per series (SKU x warehouse, ``s = sku * n_warehouses + w``).

The min/max levels are what planners set by hand from stale or wrong estimates: best sellers'
levels are too low (they stock out), slow movers' far too high (excess), and discontinued SKUs keep
whatever stock is left when ordering stops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.demo.catalogue import Catalogue


@dataclass
class Policy:
    """Hand-set replenishment parameters per series."""

    min_qty: np.ndarray
    max_qty: np.ndarray
    safety_qty: np.ndarray
    order_start: np.ndarray  # first day planners may order (before a launch: one lead time ahead)
    order_stop: np.ndarray  # no orders from this day (discontinuation)
    opening: np.ndarray  # on hand the day before history starts


def plan_policy(rng: np.random.Generator, cat: Catalogue) -> Policy:
    """Min/max as planners set them: from popularity-dependent misjudgements of demand."""
    skus, n_wh = cat.skus, len(cat.warehouses.ids)
    sku_of = np.repeat(np.arange(skus.n), n_wh)
    wh_of = np.tile(np.arange(n_wh), skus.n)
    rank = np.argsort(np.argsort(skus.rate)) / max(skus.n - 1, 1)
    best, slow = rank >= 0.9, rank < 0.5
    bias = np.where(
        best,
        rng.uniform(0.6, 0.9, skus.n),
        np.where(slow, rng.uniform(1.5, 4.0, skus.n), rng.lognormal(0.0, 0.25, skus.n)),
    )
    cover = np.where(
        best,
        rng.uniform(10, 20, skus.n),
        np.where(slow, rng.uniform(60, 150, skus.n), rng.uniform(15, 35, skus.n)),
    )
    safety = np.where(best, 1.0, rng.uniform(1.1, 1.4, skus.n))
    sup = skus.supplier
    review = 7.0 / cat.suppliers.order_days.sum(axis=1)[sup]
    lead = cat.suppliers.lead_time[sup]
    est = (skus.rate * bias)[sku_of] * cat.warehouses.weight[wh_of] * rng.lognormal(0.0, 0.2, len(sku_of))
    min_qty = np.ceil(est * ((lead + review / 2) * safety)[sku_of]).astype(np.int64)
    max_qty = min_qty + np.maximum(np.ceil(est * cover[sku_of]), 1).astype(np.int64)
    order_start = (skus.launch_day - lead - 3)[sku_of]
    order_stop = (skus.disc_day - rng.integers(-10, 30, skus.n))[sku_of]
    opening = _opening_stock(rng, cat, min_qty, max_qty, rank[sku_of])
    return Policy(
        min_qty, max_qty, np.round(0.3 * min_qty).astype(np.int64), order_start, order_stop, opening
    )


def _opening_stock(
    rng: np.random.Generator, cat: Catalogue, min_qty: np.ndarray, max_qty: np.ndarray, rank: np.ndarray
) -> np.ndarray:
    skus, n_wh = cat.skus, len(cat.warehouses.ids)
    n = len(min_qty)
    sku_of = np.repeat(np.arange(skus.n), n_wh)
    launch, disc = skus.launch_day[sku_of], skus.disc_day[sku_of]
    u = rng.random(n)
    level = np.where(rank < 0.5, max_qty * (0.5 + 0.8 * u), min_qty + (max_qty - min_qty) * u)
    leftover = (skus.moq[sku_of] + max_qty) * rng.uniform(0.2, 1.0, n) * (rng.random(n) < 0.7)
    opening = np.where(disc <= 0, leftover, np.where(launch <= 0, level, 0.0))
    return np.round(opening).astype(np.int64)
