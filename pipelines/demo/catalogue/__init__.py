"""Master data of the demo company: categories, suppliers, warehouses, SKUs, customers and FX rates.

Everything here is drawn once from a seeded generator and held in numpy arrays indexed by position
(SKU ``i``, warehouse ``w``, supplier ``v``, customer ``c``). Text comes in Chinese and English pairs;
the ``lang`` of the run picks one. Codes (SKU, supplier, warehouse, customer) are the same in both
languages so that an English and a Chinese run of the same seed describe the same company.

Day numbers are offsets from the first day of history: day 0 is ``start``, day ``days - 1`` is ``end``.

This package holds the ``Catalogue`` and ``build_catalogue``; the parts live in:

- ``products``: the product range (categories, products, specs, units) and the brands (data tables);
- ``names``: names of warehouses, cities, trading firms, customer kinds, importers (data tables);
- ``days``: the calendar of the history (day numbers, weekdays, date stamps);
- ``fx``: currencies and the business-day FX rates;
- ``partners``: suppliers, warehouses and customers;
- ``skus``: the SKUs and their cost, price, ordering terms, lifecycle and popularity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.demo.catalogue.days import NO_DAY, WEEKDAYS, Calendar, weekday_of, yyyymmdd_of
from pipelines.demo.catalogue.fx import BASE_CURRENCY, CURRENCIES, FX_CENTRE, FxRates, build_fx
from pipelines.demo.catalogue.names import pick
from pipelines.demo.catalogue.partners import (
    Customers,
    Suppliers,
    Warehouses,
    build_customers,
    build_suppliers,
    build_warehouses,
)
from pipelines.demo.catalogue.products import CATEGORIES, Category, Product
from pipelines.demo.catalogue.skus import Skus, build_skus

__all__ = [
    "BASE_CURRENCY",
    "CATEGORIES",
    "CURRENCIES",
    "FX_CENTRE",
    "NO_DAY",
    "WEEKDAYS",
    "Calendar",
    "Catalogue",
    "Category",
    "Customers",
    "FxRates",
    "Product",
    "Skus",
    "Suppliers",
    "Warehouses",
    "build_catalogue",
    "build_customers",
    "build_fx",
    "build_skus",
    "build_suppliers",
    "build_warehouses",
    "pick",
    "weekday_of",
    "yyyymmdd_of",
]


@dataclass
class Catalogue:
    lang: str
    cal: Calendar
    categories: tuple[Category, ...]
    suppliers: Suppliers
    warehouses: Warehouses
    skus: Skus
    customers: Customers
    fx: FxRates

    @property
    def n_series(self) -> int:
        return self.skus.n * len(self.warehouses.ids)


def build_catalogue(
    rng: np.random.Generator,
    cal: Calendar,
    lang: str,
    n_skus: int,
    n_warehouses: int,
    n_customers: int | None,
) -> Catalogue:
    n_cat = 8 if n_skus < 100 else 10 if n_skus < 1000 else 12
    categories = CATEGORIES[:n_cat]
    suppliers = build_suppliers(rng, lang, n_skus, n_cat)
    warehouses = build_warehouses(rng, lang, n_warehouses)
    skus = build_skus(rng, lang, cal, categories, suppliers, n_skus)
    if n_customers is None:
        n_customers = int(np.clip(round(20 + n_skus * n_warehouses / 10), 50, 400))
    customers = build_customers(rng, lang, n_customers, n_warehouses)
    fx = build_fx(rng, cal)
    return Catalogue(lang, cal, categories, suppliers, warehouses, skus, customers, fx)
