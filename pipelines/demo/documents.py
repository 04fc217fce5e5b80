"""Turn the simulation's records into ERP documents: numbered orders, lines, receipts, movements.

Every builder returns pyarrow tables with the canonical column names of ``pipelines.ingest.extracts.schema``
and values in the run's language (statuses, movement types, reasons). Large kinds are produced in
batches of days so that memory stays bounded at M5 scale. The master data tables (items, suppliers,
warehouses, FX rates, promotions) are built in ``masters`` with the column helpers defined here.

Deliberate flaw: about 1% of month-end snapshot rows (never the opening or the final snapshot) report
an on-hand quantity 1-3 units off the stock ledger, as when a month-end count is keyed in without
booking the difference. The next snapshot agrees with the ledger again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.demo.catalogue import BASE_CURRENCY, CURRENCIES, Catalogue
from pipelines.demo.demand import Demand
from pipelines.demo.policy import Policy
from pipelines.demo.simulate import MOVEMENT_TYPES, STATUS_CANCELLED, STATUS_OPEN, SimResult

SALES_BATCH_DAYS = 61
SNAPSHOT_ERROR_SHARE = 0.01
LINE_STATUS = {"en": ("open", "closed", "cancelled"), "zh": ("未关闭", "关闭", "作废")}
MOVEMENT_NAMES = {
    "en": MOVEMENT_TYPES,
    "zh": ("盘点调整", "调拨入库", "调拨出库", "销售退货", "采购退货", "报废"),
}
MOVEMENT_PREFIX = ("PD", "DR", "DC", "TH", "CT", "BF")
MOVEMENT_REASONS = {
    "en": (
        "count loss",
        "count gain",
        "rebalancing",
        "rebalancing",
        "customer return",
        "quality return",
        "damaged",
    ),
    "zh": ("盘亏", "盘盈", "库存调拨", "库存调拨", "客户退货", "质量问题退货", "破损报废"),
}


@dataclass
class Company:
    """Everything the documents are built from."""

    cat: Catalogue
    demand: Demand
    policy: Policy
    sim: SimResult

    @property
    def n_wh(self) -> int:
        return len(self.cat.warehouses.ids)

    @property
    def lang(self) -> str:
        return self.cat.lang


def dates(cat: Catalogue, day: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    values = np.datetime64(cat.cal.start, "D") + np.asarray(day, dtype=np.int64)
    return pa.array(values, type=pa.date32(), mask=mask)


def text(values: list[str] | tuple[str, ...], index: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    out = pa.array(values, pa.string()).take(pa.array(np.asarray(index, dtype=np.int64)))
    if mask is not None:
        out = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), out)
    return out


def doc_ids(prefix: str, stamp: np.ndarray, seq: np.ndarray) -> pa.Array:
    """Document numbers such as SO2024010100017: prefix, date, and the sequence within the day."""
    width = max(3, len(str(int(seq.max())))) if seq.size else 3
    number = pa.array(stamp.astype(np.int64) * 10**width + seq)
    return pc.binary_join_element_wise(prefix, pc.cast(number, pa.string()), "")


def number_documents(day: np.ndarray, new_doc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For rows sorted by document: (document index, sequence of the document within its day, line no)."""
    doc = np.cumsum(new_doc) - 1
    row = np.arange(len(day))
    starts = np.flatnonzero(new_doc)
    line_no = row - starts[doc] + 1
    doc_day = day[starts]
    first_of_day = np.r_[True, doc_day[1:] != doc_day[:-1]] if len(doc_day) else np.zeros(0, dtype=bool)
    day_start = np.flatnonzero(first_of_day)
    seq_of_doc = np.arange(len(doc_day)) - day_start[np.cumsum(first_of_day) - 1] + 1
    return doc, seq_of_doc[doc], line_no


def boundaries(*keys: np.ndarray) -> np.ndarray:
    """True where any key changes from the previous (sorted) row."""
    n = len(keys[0])
    new = np.zeros(n, dtype=bool)
    if n:
        new[0] = True
        for k in keys:
            new[1:] |= k[1:] != k[:-1]
    return new


# ------------------------------------------------------------------------------------------- documents


def sales_order_batches(co: Company, rng: np.random.Generator) -> Iterator[pa.Table]:
    """Sales order lines, a batch of days at a time. One order per customer, warehouse and day."""
    s = co.sim.sales
    bounds = np.searchsorted(s["day"], np.arange(0, co.cat.cal.days + SALES_BATCH_DAYS, SALES_BATCH_DAYS))
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        if b > a or b == len(s["day"]) == 0:  # an empty history still gets a file with a header
            yield _sales_orders(co, rng, {k: v[a:b] for k, v in s.items()})
            if b == 0:
                return


def _choose_customers(co: Company, rng: np.random.Generator, wh: np.ndarray) -> np.ndarray:
    cust = co.cat.customers
    out = np.zeros(len(wh), dtype=np.int64)
    u = rng.random(len(wh))
    for w in range(co.n_wh):
        rows = np.flatnonzero(wh == w)
        eligible = np.flatnonzero((cust.home == w) | cust.key_account)
        if not eligible.size:  # fewer customers than warehouses
            eligible = np.arange(len(cust.ids))
        cum = np.cumsum(cust.weight[eligible])
        out[rows] = eligible[np.minimum(np.searchsorted(cum, u[rows] * cum[-1]), len(eligible) - 1)]
    return out


def _sales_orders(co: Company, rng: np.random.Generator, s: dict[str, np.ndarray]) -> pa.Table:
    cat, lang, n_wh = co.cat, co.lang, co.n_wh
    sku, wh = s["series"] // n_wh, s["series"] % n_wh
    customer = _choose_customers(co, rng, wh)
    key = ((s["day"].astype(np.int64) * n_wh + wh) * len(cat.customers.ids) + customer) * cat.skus.n + sku
    order = np.argsort(key, kind="stable")
    day, sku, wh, customer = s["day"][order], sku[order], wh[order], customer[order]
    series = s["series"][order]
    new_order = boundaries(day, wh, customer)
    doc, seq, line_no = number_documents(day, new_order)
    requested = day + rng.integers(0, 4, int(new_order.sum()))[doc]
    box = cat.skus.box[sku] if lang == "zh" else np.ones(len(sku), dtype=np.int64)
    price = (
        cat.skus.price[sku]
        * co.demand.price_factor[day, sku]
        * (1 - co.demand.promo_pct[day, series] / 100)
        * (1 - cat.customers.discount[customer])
    )
    delay = s["delay"][order]
    cols = {
        "order_id": doc_ids("SO", cat.cal.yyyymmdd[day], seq),
        "line_no": line_no,
        "order_date": dates(cat, day),
        "sku": text(cat.skus.ids, sku),
        "warehouse_id": text(cat.warehouses.ids, wh),
        "ordered_qty": s["ordered"][order] // box,
        "shipped_qty": s["shipped"][order] // box,
        "ship_date": dates(cat, day + np.maximum(delay, 0), mask=delay < 0),
        "requested_date": dates(cat, requested),
        "customer_id": text(cat.customers.ids, customer),
        "customer_name": text(cat.customers.names, customer),
        "unit_price": np.round(price * box, 2),
        "currency": pa.array([BASE_CURRENCY] * len(day), pa.string()),
    }
    if lang == "zh":
        cols["unit_factor"] = box
    cols["line_status"] = text(LINE_STATUS[lang], s["status"][order])
    return pa.table(cols)


@dataclass
class PurchaseNumbers:
    """Document numbers of the PO lines, in the simulation's PO line order."""

    po_id: pa.Array
    line_no: np.ndarray


def purchase_tables(co: Company) -> tuple[pa.Table, pa.Table]:
    """Purchase order lines (one PO per supplier, warehouse and day) and the receipts against them."""
    cat, lang, n_wh = co.cat, co.lang, co.n_wh
    po, last = co.sim.po_lines, cat.cal.days - 1
    sku, wh = po["series"] // n_wh, po["series"] % n_wh
    supplier = cat.skus.supplier[sku]
    order = np.lexsort((sku, wh, supplier, po["day"]))
    day = po["day"][order]
    _, seq, line_no = number_documents(day, boundaries(day, supplier[order], wh[order]))
    po_id = doc_ids("PO", cat.cal.yyyymmdd[day], seq)
    status = np.where(po["closed"] > last, STATUS_OPEN, np.where(po["cancelled"], STATUS_CANCELLED, 1))
    ones = np.ones(len(day), dtype=np.int64)
    cols = {
        "po_id": po_id,
        "line_no": line_no,
        "order_date": dates(cat, day),
        "supplier_id": text(cat.suppliers.ids, supplier[order]),
        "sku": text(cat.skus.ids, sku[order]),
        "warehouse_id": text(cat.warehouses.ids, wh[order]),
        "ordered_qty": po["qty"][order],
        "expected_date": dates(cat, po["expected"][order]),
        "unit_cost": po["unit_cost"][order],
        "currency": text(CURRENCIES, po["currency"][order]),
    }
    if lang == "zh":
        cols["unit_factor"] = ones
    cols["line_status"] = text(LINE_STATUS[lang], status[order])
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return pa.table(cols), _receipts(co, po_id, line_no, rank)


def _receipts(co: Company, po_id: pa.Array, po_line_no: np.ndarray, rank: np.ndarray) -> pa.Table:
    cat, n_wh = co.cat, co.n_wh
    po, r = co.sim.po_lines, co.sim.receipts
    line = r["po_line"]
    sku, wh = po["series"][line] // n_wh, po["series"][line] % n_wh
    supplier = cat.skus.supplier[sku]
    order = np.lexsort((sku, wh, supplier, r["day"]))
    day, line = r["day"][order], line[order]
    _, seq, line_no = number_documents(day, boundaries(day, supplier[order], wh[order]))
    cols = {
        "receipt_id": doc_ids("RK", cat.cal.yyyymmdd[day], seq),
        "line_no": line_no,
        "receipt_date": dates(cat, day),
        "sku": text(cat.skus.ids, sku[order]),
        "warehouse_id": text(cat.warehouses.ids, wh[order]),
        "received_qty": r["qty"][order],
        "po_id": po_id.take(pa.array(rank[line])),
        "po_line_no": po_line_no[rank[line]],
        "supplier_id": text(cat.suppliers.ids, supplier[order]),
        "unit_cost": po["unit_cost"][line],
        "currency": text(CURRENCIES, po["currency"][line]),
    }
    if co.lang == "zh":
        cols["unit_factor"] = np.ones(len(day), dtype=np.int64)
    return pa.table(cols)


def movements_table(co: Company) -> pa.Table:
    """Other stock movements, one document per day, type, warehouse (and counterpart for transfers)."""
    cat, lang, n_wh = co.cat, co.lang, co.n_wh
    m = co.sim.movements
    sku, wh = m["series"] // n_wh, m["series"] % n_wh
    order = np.lexsort((sku, m["counterpart"], wh, m["type"], m["day"]))
    day, kind, sku, wh = m["day"][order], m["type"][order], sku[order], wh[order]
    counterpart, qty = m["counterpart"][order], m["qty"][order]
    _, seq, line_no = number_documents(day * 8 + kind, boundaries(day, kind, wh, counterpart))
    parts, position, offset = [], np.zeros(len(day), dtype=np.int64), 0
    for k, prefix in enumerate(MOVEMENT_PREFIX):
        rows = np.flatnonzero(kind == k)
        parts.append(doc_ids(prefix, cat.cal.yyyymmdd[day[rows]], seq[rows]))
        position[rows] = offset + np.arange(len(rows))
        offset += len(rows)
    ids = pa.concat_arrays(parts).take(pa.array(position))
    reason = np.where(kind == 0, (qty > 0).astype(np.int64), kind.astype(np.int64) + 1)
    return pa.table(
        {
            "movement_id": ids,
            "line_no": line_no,
            "movement_date": dates(cat, day),
            "sku": text(cat.skus.ids, sku),
            "warehouse_id": text(cat.warehouses.ids, wh),
            "movement_type": text(MOVEMENT_NAMES[lang], kind),
            "qty": qty,
            "counterpart_warehouse_id": text(
                cat.warehouses.ids, np.maximum(counterpart, 0), mask=counterpart < 0
            ),
            "unit_cost": np.round(m["unit_cost"][order], 4),
            "reason": text(MOVEMENT_REASONS[lang], reason),
        }
    )


def snapshots_table(co: Company, rng: np.random.Generator, opening: bool = True) -> pa.Table:
    """Opening (unless ``opening`` is False: the Chinese rendering writes it as U8's 期初结存 sheet,
    ``opening_balances_table``), month-end and final on-hand, with the deliberate month-end count
    differences (drawn over every row either way, so both renderings plant the same ones)."""
    cat, n_wh = co.cat, co.n_wh
    snap = co.sim.snapshots
    qty = snap["qty"].copy()
    month_end = (snap["day"] >= 0) & (snap["day"] < cat.cal.days - 1)
    hit = month_end & (rng.random(len(qty)) < SNAPSHOT_ERROR_SHARE)
    delta = rng.integers(1, 4, len(qty)) * np.where(rng.random(len(qty)) < 0.6, -1, 1)
    qty[hit] = np.maximum(qty[hit] + delta[hit], 0)
    unit_cost = np.round(snap["unit_cost"], 4)
    table = pa.table(
        {
            "snapshot_date": dates(cat, snap["day"]),
            "sku": text(cat.skus.ids, snap["series"] // n_wh),
            "warehouse_id": text(cat.warehouses.ids, snap["series"] % n_wh),
            "on_hand_qty": qty,
            "unit_cost": unit_cost,
            "stock_value": np.round(qty * unit_cost, 2),
            "currency": pa.array([BASE_CURRENCY] * len(qty), pa.string()),
        }
    )
    return table if opening else table.filter(pa.array(snap["day"] >= 0))


def opening_balances_table(co: Company) -> pa.Table:
    """U8's 期初结存 sheet: the stock at the start of the history's first day, dated that day (期初 of day D
    is the closing stock of D-1, the simulation's opening snapshot), by warehouse then item, with their
    names, spec and unit, the opening snapshot's cost and value."""
    cat, n_wh, snap = co.cat, co.n_wh, co.sim.snapshots
    first = np.flatnonzero(snap["day"] < 0)
    sku, wh = snap["series"][first] // n_wh, snap["series"][first] % n_wh
    order = first[np.lexsort((sku, wh))]
    sku, wh, qty = snap["series"][order] // n_wh, snap["series"][order] % n_wh, snap["qty"][order]
    unit_cost = np.round(snap["unit_cost"][order], 4)
    return pa.table(
        {
            "snapshot_date": dates(cat, np.zeros(len(order), dtype=np.int64)),
            "warehouse_id": text(cat.warehouses.ids, wh),
            "warehouse_name": text(cat.warehouses.names, wh),
            "sku": text(cat.skus.ids, sku),
            "sku_name": text(cat.skus.names, sku),
            "spec": text(cat.skus.specs, sku),
            "uom": text(cat.skus.uoms, sku),
            "on_hand_qty": qty,
            "unit_cost": unit_cost,
            "stock_value": np.round(qty * unit_cost, 2),
        }
    )
