"""The SKUs: codes, names and specs drawn from the product range, cost and price, supplier, MOQ and
pack size, launch and discontinuation days, and the popularity that drives their demand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.demo.catalogue.days import NO_DAY, Calendar
from pipelines.demo.catalogue.names import pick
from pipelines.demo.catalogue.partners import Suppliers
from pipelines.demo.catalogue.products import BRANDS, DRINKS, UOM_EN, Category

PACK_SIZES = np.array([1, 6, 12, 24, 50, 100])


@dataclass
class Skus:
    ids: list[str]
    names: list[str]
    specs: list[str]
    category: np.ndarray  # index into Catalogue.categories
    brands: list[str]
    uoms: list[str]
    cost: np.ndarray  # reference cost at the start of history, CNY per base unit
    price: np.ndarray  # list price at the start of history, CNY per base unit
    supplier: np.ndarray
    moq: np.ndarray
    pack: np.ndarray
    max_order: np.ndarray  # 0 = no cap
    box: np.ndarray  # >1: sold by the box of this many base units (document unit in zh files)
    launch_day: np.ndarray  # day number of launch (negative: before history)
    disc_day: np.ndarray  # day number of discontinuation (NO_DAY: still active)
    rate: np.ndarray  # base demand, base units per day at a warehouse of weight 1
    shape: np.ndarray  # negative-binomial shape (small = lumpy)
    trend: np.ndarray  # yearly log growth
    promo_elasticity: np.ndarray

    @property
    def n(self) -> int:
        return len(self.ids)


def build_skus(
    rng: np.random.Generator,
    lang: str,
    cal: Calendar,
    categories: tuple[Category, ...],
    suppliers: Suppliers,
    n: int,
) -> Skus:
    n_cat = len(categories)
    cat = rng.choice(n_cat, n, p=_normalise(rng.uniform(0.5, 1.5, n_cat)))
    if n >= n_cat:
        cat[:n_cat] = np.arange(n_cat)  # every category has a SKU
    cat = np.sort(cat)
    ids, names, specs, brands, uoms = [], [], [], [], []
    serial = np.zeros(n_cat, dtype=int)
    brand_of_cat = [rng.choice(len(BRANDS), 4, replace=False) for _ in range(n_cat)]
    for i in range(n):
        c = categories[cat[i]]
        serial[cat[i]] += 1
        ids.append(f"{c.code}-{serial[cat[i]]:05d}")
        brand = BRANDS[int(rng.choice(brand_of_cat[cat[i]]))]
        product = c.products[int(rng.integers(len(c.products)))]
        brands.append(pick(brand, lang))
        names.append(f"{brand[0]}{product.name[0]}" if lang == "zh" else f"{brand[1]} {product.name[1]}")
        specs.append(product.spec(int(rng.integers(len(product.specs))), lang))
        uoms.append(product.uom if lang == "zh" else UOM_EN[product.uom])
    medians = np.array([categories[k].cost_median for k in cat])
    cost = np.round(medians * rng.lognormal(0.0, 0.6, n), 2).clip(0.5)
    margin = rng.uniform(0.20, 0.45, n)
    price = np.round(cost / (1 - margin), 2)
    supplier = np.array([_choose_supplier(rng, suppliers, int(k)) for k in cat], dtype=np.int64)
    # cheap items come in bigger packs; the supplier's MOQ applies on top of the item's
    level = len(PACK_SIZES) - 1 - np.digitize(cost, [4, 10, 25, 60, 200]) - rng.integers(0, 2, n)
    pack = PACK_SIZES[np.clip(level, 0, len(PACK_SIZES) - 1)].astype(np.int64)
    supplier_moq = -(-suppliers.moq[supplier] // pack) * pack
    moq = np.maximum(pack * rng.choice([1, 1, 2, 4, 10], n), supplier_moq).astype(np.int64)
    box = np.ones(n, dtype=np.int64)
    boxed = _boxed_skus(rng, cat, n)
    box[boxed] = rng.choice([12, 24], len(boxed))
    pack[boxed] = box[boxed]
    moq[boxed] = np.maximum(moq[boxed] // box[boxed], 1) * box[boxed]
    for i in boxed:  # drinks, sold by the case
        drink = DRINKS[int(rng.integers(len(DRINKS)))]
        names[i] = f"{brands[i]}{drink[0]}" if lang == "zh" else f"{brands[i]} {drink[1]}"
        specs[i] = f"{rng.choice(['330ml', '500ml', '1L'])}x{box[i]}"
        uoms[i] = pick(("瓶", "bottle"), lang)
    max_order = np.where(rng.random(n) < 0.05, moq * 20, 0).astype(np.int64)
    launch_day, disc_day = _lifecycle(rng, cal, n)
    # heavy-tailed popularity: a few best sellers and a long, intermittent tail
    rate = rng.lognormal(np.log(0.8), 1.15, n).clip(0.03, 400.0)
    shape = np.clip(0.6 + 0.6 * rate**0.5, 0.5, 6.0) * rng.uniform(0.7, 1.3, n)
    trend = rng.normal(0.0, 0.15, n)
    return Skus(
        ids,
        names,
        specs,
        cat,
        brands,
        uoms,
        cost,
        price,
        supplier,
        moq,
        pack,
        max_order,
        box,
        launch_day,
        disc_day,
        rate,
        shape,
        trend,
        rng.uniform(2.0, 4.0, n),
    )


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / x.sum()


def _choose_supplier(rng: np.random.Generator, suppliers: Suppliers, category: int) -> int:
    options = [v for v, cats in enumerate(suppliers.categories) if category in cats]
    weights = np.linspace(1.0, 0.3, len(options))
    return int(options[int(rng.choice(len(options), p=weights / weights.sum()))])


def _boxed_skus(rng: np.random.Generator, cat: np.ndarray, n: int) -> np.ndarray:
    """A few food & beverage SKUs (drinks by the case) are sold by the box of 12 or 24."""
    food = np.flatnonzero(cat == 1)
    if len(food) == 0:
        return food
    k = max(1, round(0.04 * n))
    return np.sort(rng.choice(food, min(k, len(food)), replace=False))


def _lifecycle(rng: np.random.Generator, cal: Calendar, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Launch and discontinuation days: most SKUs predate history, some launch or end during it."""
    days = cal.days
    launch = -rng.integers(60, 6 * 365, n)
    disc = np.full(n, NO_DAY, dtype=np.int64)
    order = rng.permutation(n)
    n_new = max(1, round(0.10 * n))
    n_gone = max(1, round(0.08 * n))
    n_legacy = max(1, round(0.04 * n))
    new, gone, legacy = (
        order[:n_new],
        order[n_new : n_new + n_gone],
        order[n_new + n_gone : n_new + n_gone + n_legacy],
    )
    launch[new] = rng.integers(int(days * 0.1), max(int(days * 0.1) + 1, days - 45), len(new))
    disc[gone] = rng.integers(int(days * 0.2), max(int(days * 0.2) + 1, int(days * 0.75)), len(gone))
    disc[legacy] = -rng.integers(30, 400, len(legacy))  # discontinued before history, stock left over
    launch[legacy] = disc[legacy] - rng.integers(365, 4 * 365, len(legacy))
    return launch.astype(np.int64), disc
