"""Incremental builds of the daily facts give exactly what a full rebuild gives, and keep the old rows.

The inventory fixture's extracts arrive in three deliveries, as daily ERP exports do:
1. everything up to 2025-01-31;
2. an export of 2025-01-28 .. 2025-02-07 that overlaps the first (re-states its last days) and corrects
   one line: order S2 shipped on 01-30, not 01-29, and 7 units, not 6;
3. an item master in which D's cost changed (D's history starts 2024-12-01: all of it is rebuilt);
4. orders into March (the data date moves to 2025-03-02) and a February line S9 that is not due until
   2025-03-20;
5. a receipt on 2025-03-25 only: the data date moves on and S9 becomes due (counted, short) with no new
   version of it, so February, an earlier month than the last one built, must be rebuilt.
After each incremental `dbt build` the tables (the incremental ones and the marts that read them) are
compared, row by row, with `dbt build --full-refresh`.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from tests.integration.test_marts_inventory import VARS, _extracts

D = date.fromisoformat
CUT = D("2025-01-31")
OVERLAP_FROM = D("2025-01-28")
DAILY_TABLES = {
    "staging.stg_erp__sales_order_lines": ["order_id", "line_no"],
    "intermediate.int_stock_movements_unioned": ["source_kind", "source_document_id", "source_line_no"],
    "intermediate.int_sales_order_lines_evaluated": ["order_id", "line_no"],
    "intermediate.int_sales_demand_daily": ["sku", "warehouse_id", "order_date"],
    "intermediate.int_promotions_daily": ["sku", "warehouse_id", "date_day"],
    "intermediate.int_stock_daily_rollforward": ["sku", "warehouse_id", "date_day"],
    "marts.fct_daily_stock": ["sku", "warehouse_id", "date_day"],
    "marts.fct_sku_daily_demand": ["sku", "warehouse_id", "date_day"],
    # downstream marts read the incremental tables: they must agree too
    "marts.fct_inventory_turnover": ["sku", "warehouse_id", "month_start"],
    "marts.fct_dead_stock": ["sku", "warehouse_id"],
    "marts.fct_fill_rate": ["sku", "warehouse_id", "month_start"],
    "marts.fct_order_fill_rate": ["month_start", "warehouse_id", "customer_id"],
    "marts.fct_inventory_turnover_summary": ["month_start", "rollup_level", "category", "warehouse_id"],
    "marts.fct_kpi_monthly": ["month_start", "warehouse_id"],
    "marts.fct_stock_reconciliation": ["sku", "warehouse_id", "snapshot_date"],
}
DATE_COLUMN = {  # the column that decides which delivery a row belongs to
    "receipts.csv": 1,
    "sales_orders.csv": 1,
    "stock_movements.csv": 1,
    "stock_snapshots.csv": 0,
    "promotions.csv": 3,
    "fx_rates.csv": 0,
}


def _delivery(name_suffix: str, keep, masters: bool) -> dict:
    out = {}
    for name, (header, rows) in _extracts().items():
        if name not in DATE_COLUMN and not masters:
            continue
        kept = [r for r in rows if name not in DATE_COLUMN or keep(D(r[DATE_COLUMN[name]]))]
        if kept:
            out[name.replace(".csv", f"_{name_suffix}.csv")] = (header, kept)
    return out


def _tables(con) -> dict[str, pd.DataFrame]:
    out = {}
    for table, keys in DAILY_TABLES.items():
        frame = con.execute(f"select * from {table}").df()
        frame = frame.drop(columns=["built_from_load_id", "_load_id", "_source_file"], errors="ignore")
        out[table] = frame.sort_values(keys).reset_index(drop=True)
    return out


def _assert_same(incremental: dict, full: dict) -> None:
    for table, frame in full.items():
        pd.testing.assert_frame_equal(incremental[table], frame, check_exact=False, rtol=1e-9, obj=table)


def _rebuilt_from(con) -> date:
    """First day the last build rewrote: rows before it kept an older built_from_load_id."""
    return con.execute(
        """
        select min(date_day) from marts.fct_daily_stock
        where built_from_load_id = (select max(built_from_load_id) from marts.fct_daily_stock)
        """
    ).fetchall()[0][0]


def test_incremental_builds_match_full_rebuilds(build_warehouse):
    build_args = ("build", "--vars", VARS)
    full_args = ("build", "--full-refresh", "--vars", VARS)

    first = build_warehouse(_delivery("20250131", lambda d: d <= CUT, masters=True), dbt_args=build_args)
    first_rows = first.execute("select count(*) from marts.fct_daily_stock").fetchall()[0][0]
    first.close()

    # delivery 2: overlapping export with one corrected line
    second = _delivery("20250207", lambda d: d >= OVERLAP_FROM, masters=False)
    header, rows = second["sales_orders_20250207.csv"]
    rows[:] = [r if r[0] != "S2" else [*r[:5], 7, "2025-01-30", *r[7:]] for r in rows]
    con = build_warehouse(second, dbt_args=build_args)
    # the earliest date the delivery touches is S2's order date (01-28); nothing before it was rewritten
    assert _rebuilt_from(con) == D("2025-01-28")
    assert con.execute("select count(*) from marts.fct_daily_stock").fetchall()[0][0] > first_rows
    s2 = con.execute(
        "select shipped_qty, ship_date from staging.stg_erp__sales_order_lines where order_id = 'S2'"
    ).fetchall()
    assert s2 == [(7.0, D("2025-01-30"))]
    incremental = _tables(con)
    con.close()
    con = build_warehouse({}, dbt_args=full_args)
    _assert_same(incremental, _tables(con))
    con.close()

    # delivery 3: D's cost changed in the item master; D's series starts on 2024-12-01
    header, rows = _extracts()["items.csv"]
    changed = [[*r[:3], 1.25, r[4]] if r[0] == "D" else r for r in rows]
    con = build_warehouse({"items_20250208.csv": (header, changed)}, dbt_args=build_args)
    assert _rebuilt_from(con) == D("2024-12-01")
    incremental = _tables(con)
    con.close()
    con = build_warehouse({}, dbt_args=full_args)
    full = _tables(con)
    _assert_same(incremental, full)
    con.close()

    # nothing new: an incremental build leaves every table as it was
    con = build_warehouse({}, dbt_args=build_args)
    _assert_same(_tables(con), full)
    con.close()

    # delivery 4: March begins; S9, ordered in February, is short and not due until 03-20
    order_header = [*_extracts()["sales_orders.csv"][0], "requested_date"]
    march = [
        ["S8", "2025-03-02", "A", "W1", 1, 1, "2025-03-02", 12.0, "closed", ""],
        ["S9", "2025-02-20", "D", "W2", 5, 2, "2025-02-21", 3.0, "open", "2025-03-20"],
    ]
    con = build_warehouse({"sales_orders_20250302.csv": (order_header, march)}, dbt_args=build_args)
    assert _status(con, "S9") == "not_yet_due"
    incremental = _tables(con)
    con.close()
    con = build_warehouse({}, dbt_args=full_args)
    _assert_same(incremental, _tables(con))
    con.close()

    # delivery 5: only a receipt on 03-25; S9 is due now and counts (not complete) in February
    receipt_header = _extracts()["receipts.csv"][0]
    con = build_warehouse(
        {"receipts_20250325.csv": (receipt_header, [["R9", "2025-03-25", "D", "W2", 5, 1.2, "CNY"]])},
        dbt_args=build_args,
    )
    assert _status(con, "S9") == "counted"
    february_d = con.execute(
        "select order_lines, lines_shipped_complete, lines_not_yet_due from marts.fct_fill_rate"
        " where sku = 'D' and warehouse_id = 'W2' and month_start = date '2025-02-01'"
    ).fetchall()
    assert february_d == [(2, 1, 0)]  # S5 (complete) and S9 (short)
    incremental = _tables(con)
    con.close()
    con = build_warehouse({}, dbt_args=full_args)
    _assert_same(incremental, _tables(con))


def _status(con, order_id: str) -> str:
    return con.execute(
        "select count_status from intermediate.int_sales_order_lines_evaluated where order_id = ?", [order_id]
    ).fetchall()[0][0]
