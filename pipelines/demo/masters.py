"""The master data extracts of the demo company: items, suppliers, warehouses, FX rates and promotions.

Each builder returns one pyarrow table with the canonical column names of
``pipelines.ingest.extracts.schema`` and values in the run's language (statuses, promotion types,
weekday names); the column helpers come from ``documents``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from pipelines.demo.catalogue import BASE_CURRENCY, CURRENCIES, WEEKDAYS, pick, yyyymmdd_of
from pipelines.demo.demand import PROMO_618, PROMO_1111
from pipelines.demo.documents import Company, dates, doc_ids, number_documents, text

ITEM_STATUS = {"en": ("active", "discontinued"), "zh": ("启用", "停用")}
PROMO_TYPES = {"en": ("discount", "festival_618", "festival_1111"), "zh": ("折扣", "618大促", "双11大促")}


def items_table(co: Company) -> pa.Table:
    cat, skus, p = co.cat, co.cat.skus, co.policy
    n, lang, last = skus.n, co.lang, co.cat.cal.days - 1
    per_sku = np.repeat(np.arange(n), co.n_wh)
    discontinued = skus.disc_day <= last
    return pa.table(
        {
            "sku": skus.ids,
            "sku_name": skus.names,
            "spec": skus.specs,
            "category": text([c.code for c in cat.categories], skus.category),
            "category_name": text([pick(c.name, lang) for c in cat.categories], skus.category),
            "brand": skus.brands,
            "uom": skus.uoms,
            "unit_cost": np.round(skus.cost * co.demand.cost_factor[-1], 2),
            "unit_price": np.round(skus.price * co.demand.price_factor[-1], 2),
            "currency": [BASE_CURRENCY] * n,
            "supplier_id": text(cat.suppliers.ids, skus.supplier),
            "moq": skus.moq,
            "pack_size": skus.pack,
            "max_order_qty": pa.array(skus.max_order, mask=skus.max_order == 0),
            "lead_time_days": cat.suppliers.lead_time[skus.supplier],
            "safety_stock_qty": np.bincount(per_sku, p.safety_qty, n).astype(np.int64),
            "min_qty": np.bincount(per_sku, p.min_qty, n).astype(np.int64),
            "max_qty": np.bincount(per_sku, p.max_qty, n).astype(np.int64),
            "status": text(ITEM_STATUS[lang], discontinued.astype(np.int64)),
            "launch_date": dates(cat, skus.launch_day),
            "discontinued_date": dates(cat, np.where(discontinued, skus.disc_day, 0), mask=~discontinued),
        }
    )


def suppliers_table(co: Company) -> pa.Table:
    sup, lang = co.cat.suppliers, co.lang
    days = [",".join(pick(WEEKDAYS[d], lang) for d in np.flatnonzero(row)) for row in sup.order_days]
    return pa.table(
        {
            "supplier_id": sup.ids,
            "supplier_name": sup.names,
            "country": sup.countries,
            "currency": text(CURRENCIES, sup.currency),
            "lead_time_days": sup.lead_time,
            "moq": sup.moq,
            "order_days": days,
        }
    )


def warehouses_table(co: Company) -> pa.Table:
    wh = co.cat.warehouses
    blank = np.array([c == "" for c in wh.cities])
    return pa.table(
        {
            "warehouse_id": wh.ids,
            "warehouse_name": wh.names,
            "city": text(wh.cities, np.arange(len(wh.ids)), mask=blank),
            "region": text(wh.regions, np.arange(len(wh.ids)), mask=blank),
        }
    )


def fx_table(co: Company) -> pa.Table:
    fx = co.cat.fx
    n_ccy, n_days = fx.rates.shape
    day = np.repeat((fx.dates - np.datetime64(co.cat.cal.start, "D")).astype(np.int64), n_ccy)
    return pa.table(
        {
            "rate_date": dates(co.cat, day),
            "currency": text(CURRENCIES, np.tile(np.arange(1, n_ccy + 1), n_days)),
            "rate": fx.rates.T.ravel(),
            "base_currency": [BASE_CURRENCY] * len(day),
        }
    )


def promotions_table(co: Company) -> pa.Table:
    cat, pr = co.cat, co.demand.promotions
    stamp = yyyymmdd_of(np.datetime64(cat.cal.start, "D") + pr.start)
    festival = pr.kind != 0
    ids = np.empty(len(pr), dtype=object)
    year = stamp // 10000
    ids[pr.kind == PROMO_618] = [f"P{y}618" for y in year[pr.kind == PROMO_618]]
    ids[pr.kind == PROMO_1111] = [f"P{y}1111" for y in year[pr.kind == PROMO_1111]]
    regular = np.flatnonzero(~festival)  # sorted by start day
    _, seq, _ = number_documents(pr.start[regular], np.ones(len(regular), dtype=bool))
    ids[regular] = doc_ids("P", stamp[regular], seq).to_pylist()
    return pa.table(
        {
            "promo_id": pa.array(ids.tolist(), pa.string()),
            "sku": text(cat.skus.ids, pr.sku),
            "warehouse_id": text(cat.warehouses.ids, np.maximum(pr.warehouse, 0), mask=pr.warehouse < 0),
            "start_date": dates(cat, pr.start),
            "end_date": dates(cat, pr.end),
            "discount_pct": pr.pct,
            "promo_type": text(PROMO_TYPES[co.lang], pr.kind),
        }
    )
