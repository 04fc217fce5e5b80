"""The company's suppliers, warehouses and customers: codes, names and trading terms.

Codes (supplier, warehouse, customer) are the same in both languages; names follow the run's ``lang``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.demo.catalogue.fx import CURRENCIES
from pipelines.demo.catalogue.names import (
    CITIES,
    CUSTOMER_KINDS,
    IMPORTERS,
    SUPPLIER_TRADES,
    TRADE_NAMES,
    WAREHOUSES,
    pick,
)


@dataclass
class Suppliers:
    ids: list[str]
    names: list[str]
    countries: list[str]
    currency: np.ndarray  # index into CURRENCIES
    lead_time: np.ndarray  # quoted lead time, days
    lead_bias: np.ndarray  # log-mean of actual / quoted lead time (> 0: often late)
    lead_sigma: np.ndarray  # log-sd of actual / quoted lead time
    split_prob: np.ndarray  # chance that a PO line arrives in two receipts
    moq: np.ndarray
    order_days: np.ndarray  # bool [n, 7]: weekdays the supplier takes orders
    categories: list[set[int]]  # categories the supplier sells


@dataclass
class Warehouses:
    ids: list[str]
    names: list[str]
    cities: list[str]
    regions: list[str]
    weight: np.ndarray  # demand of the warehouse relative to the main DC (about 1)


@dataclass
class Customers:
    ids: list[str]
    names: list[str]
    weight: np.ndarray
    home: np.ndarray  # home warehouse
    key_account: np.ndarray  # bool: buys from every warehouse
    discount: np.ndarray  # negotiated discount off list, fraction


def build_suppliers(rng: np.random.Generator, lang: str, n_skus: int, n_cat: int) -> Suppliers:
    n = int(np.clip(round(n_skus / 25), 15, 40))
    n_import = max(2, round(n * 0.2))
    is_import = np.zeros(n, dtype=bool)
    is_import[rng.choice(n, n_import, replace=False)] = True
    # every category has at least one domestic supplier; the others cover one or two categories
    cats = [{v % n_cat} for v in range(n)]
    for v in range(n):
        if rng.random() < 0.4:
            cats[v].add(int(rng.integers(n_cat)))
    for c in range(n_cat):
        if not any(c in cats[v] and not is_import[v] for v in range(n)):
            domestic = np.flatnonzero(~is_import)
            cats[int(domestic[c % len(domestic)])].add(c)
    ids, names, countries = [], [], []
    currency = np.zeros(n, dtype=np.int8)
    trade_names = rng.permutation(len(TRADE_NAMES))
    imports = 0
    for v in range(n):
        ids.append(f"S{v + 1:03d}")
        if is_import[v]:
            country, ccy, firm = IMPORTERS[imports % len(IMPORTERS)]
            countries.append(pick(country, lang))
            currency[v] = CURRENCIES.index(ccy)
            names.append(
                pick(firm, lang) + ("" if imports < len(IMPORTERS) else f" {imports // len(IMPORTERS) + 1}")
            )
            imports += 1
        else:
            city = CITIES[int(rng.integers(len(CITIES)))]
            trade = TRADE_NAMES[int(trade_names[v % len(TRADE_NAMES)])]
            goods = SUPPLIER_TRADES[min(cats[v]) % len(SUPPLIER_TRADES)]
            countries.append(pick(("中国", "China"), lang))
            if lang == "zh":
                names.append(f"{city[0]}{trade[0]}{goods[0]}有限公司")
            else:
                names.append(f"{city[1]} {trade[1]} {goods[1]} Co. Ltd")
    lead_time = np.where(is_import, rng.integers(25, 46, n), rng.integers(5, 22, n))
    late = rng.random(n) < 0.3
    lead_bias = np.where(late, rng.uniform(0.1, 0.3, n), rng.uniform(-0.2, -0.1, n))
    order_days = np.zeros((n, 7), dtype=bool)
    for v in range(n):
        k = int(rng.choice([1, 2, 2, 3, 5]))
        order_days[v, np.sort(rng.choice(5, k, replace=False))] = True
    return Suppliers(
        ids,
        names,
        countries,
        currency,
        lead_time.astype(np.int64),
        lead_bias,
        rng.uniform(0.1, 0.4, n),
        rng.uniform(0.02, 0.15, n),
        rng.choice([0, 0, 0, 24, 50, 100], n).astype(np.int64),
        order_days,
        cats,
    )


def build_warehouses(rng: np.random.Generator, lang: str, n: int) -> Warehouses:
    width = max(2, len(str(n)))
    ids, names, cities, regions = [], [], [], []
    for w in range(n):
        ids.append(f"W{w + 1:0{width}d}")
        if w < len(WAREHOUSES):
            row = WAREHOUSES[w]
            names.append(pick(row[0:2], lang))
            cities.append(pick(row[2:4], lang))
            regions.append(pick(row[4:6], lang))
        else:
            names.append(f"区域仓{w + 1}" if lang == "zh" else f"Regional warehouse {w + 1}")
            cities.append("")
            regions.append("")
    weight = 1.0 / (1.0 + 0.25 * np.arange(n)) * rng.uniform(0.85, 1.15, n)  # the main DC is the largest
    return Warehouses(ids, names, cities, regions, weight)


def build_customers(rng: np.random.Generator, lang: str, n: int, n_warehouses: int) -> Customers:
    combos = len(CITIES) * len(TRADE_NAMES) * len(CUSTOMER_KINDS)
    picks = rng.choice(combos, n, replace=combos < n)
    ids, names = [], []
    for c, p in enumerate(picks):
        city = CITIES[p % len(CITIES)]
        trade = TRADE_NAMES[(p // len(CITIES)) % len(TRADE_NAMES)]
        kind = CUSTOMER_KINDS[p // (len(CITIES) * len(TRADE_NAMES))]
        ids.append(f"C{c + 1:04d}")
        suffix = "" if combos >= n or c < combos else f" {c}"
        names.append(
            (f"{city[0]}{trade[0]}{kind[0]}" if lang == "zh" else f"{city[1]} {trade[1]} {kind[1]}") + suffix
        )
    weight = rng.pareto(1.2, n) + 0.2
    home = rng.integers(0, n_warehouses, n)
    home[:n_warehouses] = np.arange(min(n, n_warehouses))  # every warehouse has a customer
    key = rng.random(n) < 0.08
    discount = np.where(key, rng.uniform(0.03, 0.08, n), rng.choice([0.0, 0.0, 0.02, 0.05], n))
    return Customers(ids, names, weight, home, key, discount)
