"""Hold back the last simulated day: the company as its ERP exported it the evening before, plus
the one day's extract that arrives next.

Used by the benchmark (an incremental build after one more day of extracts) through
``generate_demo(..., holdback_dir=...)``. The simulation runs once over the whole history; the
split is made on the documents it produced:

- a transaction row belongs to the day of its document date (order, receipt, movement, snapshot,
  rate date); rows dated the last day go to the day's extract, the rest to the main extract;
- a sales line ordered earlier but shipped on the last day is exported, the evening before, as it
  stood then (open, nothing shipped, no ship date) and re-exported in the day's extract as it
  stands after the shipment (ERPs re-export changed documents; staging keeps the latest version);
- likewise a purchase order line closed by a receipt on the last day is open in the main extract
  and re-exported closed in the day's extract;
- masters and promotions (planned ahead) stay whole in the main extract.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

# extract kind -> the column that dates its documents
DATE_COLUMNS = {
    "sales_orders": "order_date",
    "purchase_orders": "order_date",
    "receipts": "receipt_date",
    "stock_movements": "movement_date",
    "stock_snapshots": "snapshot_date",
    "fx_rates": "rate_date",
}


def _is_day(table: pa.Table, column: str, day: date) -> pa.ChunkedArray:
    return pc.fill_null(pc.equal(table[column], pa.scalar(day, pa.date32())), False)


def _set(table: pa.Table, column: str, mask: pa.ChunkedArray, value) -> pa.Table:
    field = table.schema.field(column)
    replaced = pc.if_else(mask, pa.scalar(value, field.type), table[column])
    return table.set_column(table.schema.get_field_index(column), field, replaced)


def split_last_day(
    kind: str, table: pa.Table, last_day: date, open_status: str, closed_by_day: pa.Array | None = None
) -> tuple[pa.Table, pa.Table]:
    """(rows as exported the evening before ``last_day``, rows of the ``last_day`` extract).

    ``open_status`` is the extract's word for an open line ('open', or '未关闭' in Chinese files);
    ``closed_by_day``: for purchase orders, the ``po_id|line_no`` keys received on ``last_day``."""
    column = DATE_COLUMNS.get(kind)
    if column is None:
        return table, table.slice(0, 0)
    on_day = _is_day(table, column, last_day)
    before = pc.invert(on_day)
    if kind == "sales_orders":
        changed = pc.and_(before, _is_day(table, "ship_date", last_day))
        main = _set(table, "shipped_qty", changed, 0)
        main = _set(main, "ship_date", changed, None)
        main = _set(main, "line_status", changed, open_status)
        return main.filter(before), table.filter(pc.or_(on_day, changed))
    if kind == "purchase_orders" and closed_by_day is not None and len(closed_by_day):
        keys = pc.binary_join_element_wise(table["po_id"], pc.cast(table["line_no"], pa.string()), "|")
        changed = pc.and_(before, pc.fill_null(pc.is_in(keys, value_set=closed_by_day), False))
        main = _set(table, "line_status", changed, open_status)
        return main.filter(before), table.filter(pc.or_(on_day, changed))
    return table.filter(before), table.filter(on_day)


def received_keys(receipts: pa.Table, last_day: date) -> pa.Array:
    """``po_id|po_line_no`` of the PO lines that received goods on ``last_day``."""
    day = receipts.filter(_is_day(receipts, "receipt_date", last_day))
    keys = pc.binary_join_element_wise(day["po_id"], pc.cast(day["po_line_no"], pa.string()), "|")
    return pc.unique(keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys)
