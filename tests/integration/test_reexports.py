"""A corrected re-export under the same file name replaces the earlier file in the warehouse: staging holds
the corrected file's lines (the deleted ones gone), and incremental builds equal a full rebuild.

The inventory fixture's extracts are delivered, then re-exported under the same names:
1. sales_orders.csv again with S2 corrected (7 shipped on 01-30, not 6 on 01-29), S3 and S5 gone
   (S5 was D's only sale, on 02-02) and a new line S10;
2. stock_movements.csv re-exported for 02-06 only (M2, M3): M1 (02-03) lies outside the period it covers
   and stays; then re-exported for 02-01 .. 02-06 without M1 and with an adjustment M4 on 02-01: M1 is
   within the period now and is deleted, and the build goes back to 02-01.
After each, the incremental `dbt build` is compared, table by table, with `dbt build --full-refresh`.
"""

from __future__ import annotations

from datetime import date

from tests.integration.test_incremental import _assert_same, _rebuilt_from, _tables
from tests.integration.test_marts_inventory import VARS, _extracts

BUILD = ("build", "--vars", VARS)
FULL = ("build", "--full-refresh", "--vars", VARS)


def _compare_with_full_refresh(build_warehouse, con) -> None:
    incremental = _tables(con)
    con.close()
    con = build_warehouse({}, dbt_args=FULL)
    _assert_same(incremental, _tables(con))
    con.close()


def test_a_reexport_under_the_same_name_deletes_its_missing_lines(build_warehouse):
    extracts = _extracts()
    first = build_warehouse(extracts, dbt_args=BUILD)
    assert first.execute("select count(*) from staging.stg_erp__sales_order_lines").fetchall() == [(7,)]
    first.close()

    # 1. the sales extract re-exported: S2 corrected, S3 and S5 deleted, S10 added
    header, orders = extracts["sales_orders.csv"]
    corrected = [
        [*o[:5], 7, "2025-01-30", *o[7:]] if o[0] == "S2" else o for o in orders if o[0] not in ("S3", "S5")
    ]
    corrected.append(["S10", "2025-02-04", "C", "W1", 1, 1, "2025-02-05", 6.0, "closed"])
    con = build_warehouse({"sales_orders.csv": (header, corrected)}, dbt_args=BUILD)
    staged = con.execute(
        "select order_id, shipped_qty, ship_date from staging.stg_erp__sales_order_lines order by order_id"
    ).fetchall()
    expected = [
        (o[0], None if o[5] is None else float(o[5]), None if not o[6] else date.fromisoformat(o[6]))
        for o in corrected
    ]
    assert staged == sorted(expected)
    log = con.execute(
        "select rows_loaded, rows_changed, rows_added, rows_deleted from raw._files "
        "where file_name = 'sales_orders.csv' and replaces_load_id is not null"
    ).fetchall()
    assert log == [(6, 1, 1, 2)]
    # D sold nothing once S5 is gone: its demand on 02-02 is zero in the incremental build
    d_demand = con.execute(
        "select coalesce(sum(ordered_qty), 0) from marts.fct_sku_daily_demand where sku = 'D'"
    ).fetchall()
    assert d_demand == [(0,)]
    _compare_with_full_refresh(build_warehouse, con)

    # 2. the movements extract re-exported for 02-06 only: M1 (02-03) is outside that period and stays
    header, movements = extracts["stock_movements.csv"]
    later = [m for m in movements if m[0] != "M1"]
    con = build_warehouse({"stock_movements.csv": (header, later)}, dbt_args=BUILD)
    ids = "select movement_id from staging.stg_erp__stock_movements order by 1"
    assert con.execute(ids).fetchall() == [("M1",), ("M2",), ("M3",)]
    con.close()
    # ... then for 02-01 .. 02-06, without M1: deleted, and the build goes back to the period's start
    m4 = ["M4", "2025-02-01", "A", "W1", "adjustment", 1, None]
    con = build_warehouse({"stock_movements.csv": (header, [m4, *later])}, dbt_args=BUILD)
    assert con.execute(ids).fetchall() == [("M2",), ("M3",), ("M4",)]
    assert _rebuilt_from(con) == date(2025, 2, 1)
    _compare_with_full_refresh(build_warehouse, con)
