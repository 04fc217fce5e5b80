"""Stock movements with signed quantities (issue 16, item 1), through real ingest and a real `dbt build`.

The report: an extract whose adjustment lines carry signed quantities (-5 for a write-down, +3 for a count
gain) passed ingestion and then failed the dbt build. Signed adjustments, in the shapes ERPs export them
(a U8 其他出入库 workbook with title and 合计 rows and 收发类别 盘亏 / 盘盈, a Kingdee-style GB18030 盘点
export with English and Chinese types, thousands separators and an accounting negative, an ERPNext stock
reconciliation, a zero line), build and give the on-hand the ledger says: they are data. What failed the
build was a quantity of 1.7e308 (twice: the roll-forward's sums overflowed to infinity and its identity
tests failed); it is now stopped at the door with the other rows ingest cannot take as they are (a sign
against the type, a type the contract does not know), each with file, row and column, while the rest loads.

The expected figures are worked by hand from the events below.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from pipelines.ingest.extracts.mapping import load_header_map
from pipelines.ingest.extracts.schema import LOAD_ORDER
from pipelines.ingest.load import ingest_kind
from pipelines.warehouse import connection as wh
from tests.conftest import write_csv
from tests.integration.conftest import run_dbt

D = dt.date.fromisoformat

MASTERS = {
    "warehouses.csv": (["warehouse_id", "warehouse_name"], [["W1", "North"], ["W2", "South"]]),
    "items.csv": (
        ["sku", "sku_name", "unit_cost"],
        [["A", "cup", 5.0], ["B", "plate", 2.0], ["C", "bowl", 3.0]],
    ),
}
# Opening stock on 2025-03-02, receipts on the 3rd, a shipment on the 6th, closing counts on the 8th.
BASE = {
    **MASTERS,
    "stock_snapshots.csv": (
        ["snapshot_date", "sku", "warehouse_id", "on_hand_qty", "unit_cost"],
        [["2025-03-02", "A", "W1", 10, 4.0], ["2025-03-02", "B", "W1", 5, 2.0]],
    ),
    "receipts.csv": (
        ["receipt_id", "receipt_date", "sku", "warehouse_id", "received_qty", "unit_cost"],
        [["R1", "2025-03-03", "A", "W1", 20, 5.5], ["R2", "2025-03-03", "B", "W1", 10, 2.0]],
    ),
    "sales_orders.csv": (
        ["order_id", "order_date", "sku", "warehouse_id", "ordered_qty", "shipped_qty", "ship_date"],
        [["S1", "2025-03-06", "A", "W1", 2, 2, "2025-03-06"]],
    ),
}


def _u8_workbook(path: Path) -> None:
    """U8 其他出入库单列表 as exported: title and filter rows, 收发类别, signed 数量, a 合计 row."""
    wb = Workbook()
    ws = wb.active
    ws.title = "其他出入库"
    ws.append(["其他出入库单列表"])
    ws.append(["单据日期: 2025-03-04 至 2025-03-05  仓库: 全部"])
    ws.append(
        ["单据号", "单据日期", "仓库编码", "存货编码", "存货名称", "收发类别", "数量", "单价", "金额", "备注"]
    )
    ws.append(["PD001", dt.datetime(2025, 3, 4), "W1", "A", "cup", "盘亏", -5, 5.0, -25.0, "盘点短缺"])
    ws.append(["PD001", dt.datetime(2025, 3, 4), "W1", "B", "plate", "盘盈", 3, 2.0, 6.0, "盘点多出"])
    ws.append(["PD002", dt.datetime(2025, 3, 5), "W1", "A", "cup", "盘点调整", 0, 5.0, 0.0, "复盘无差异"])
    ws.append(["合计", None, None, None, None, None, -2, None, -19.0, None])
    wb.save(path)


def _kingdee_csv(path: Path) -> None:
    """A Kingdee-style 盘点 export in GB18030: 仓库 by name column, English and Chinese types, no line
    numbers, "1,200" and the accounting negative "(200)"."""
    header = ["单据编号", "日期", "仓库", "物料编码", "物料名称", "业务类型", "数量", "备注"]
    rows = [
        ["PK01", "2025/3/5", "W2", "C", "bowl", "Inventory Adjustment", "1,200", "count gain"],
        ["PK01", "2025/3/5", "W2", "A", "cup", "adjustment", "+4", "count gain"],
        ["PK02", "2025/3/7", "W2", "C", "bowl", "盘亏", "(200)", "count loss"],
    ]
    write_csv(path, header, rows, encoding="gb18030")


def _erpnext_csv(path: Path) -> None:
    header = [
        "Voucher No",
        "Posting Date",
        "Warehouse",
        "Item Code",
        "Voucher Type",
        "Qty Change",
        "Valuation Rate",
    ]
    write_csv(path, header, [["MAT-RECO-0001", "2025-03-07", "W1", "A", "Stock Reconciliation", -2, 5.0]])


def _daily(conn, sku: str, warehouse: str) -> pd.DataFrame:
    return (
        conn.execute(
            "select date_day, opening_qty, adjustment_qty, net_movement_qty, on_hand_qty, unit_cost, on_hand_value, "
            "is_fallback_cost from marts.fct_daily_stock where sku = ? and warehouse_id = ? "
            "order by date_day",
            [sku, warehouse],
        )
        .df()
        .set_index("date_day")
    )


def test_signed_adjustments_are_stock_out_and_in_at_cost(settings, build_warehouse):
    _u8_workbook(settings.inbox / "其他出入库单.xlsx")
    _kingdee_csv(settings.inbox / "盘点调整单.csv")
    _erpnext_csv(settings.inbox / "stock_reconciliation.csv")
    closing = (["snapshot_date", "sku", "warehouse_id", "on_hand_qty", "unit_cost"],
               [["2025-03-08", "A", "W1", 21, 5.0], ["2025-03-08", "B", "W1", 18, 2.0]])  # fmt: skip
    conn = build_warehouse({**BASE, "stock_snapshots_0308.csv": closing})

    ledger = conn.execute(
        "select source_document_id, source_line_no, sku, warehouse_id, movement_date, movement_class, qty "
        "from intermediate.int_stock_movements_unioned where source_kind = 'stock_movements' order by 1, 2"
    ).fetchall()
    assert ledger == [
        ("MAT-RECO-0001", "1", "A", "W1", D("2025-03-07"), "adjustment", -2.0),
        ("PD001", "1", "A", "W1", D("2025-03-04"), "adjustment", -5.0),
        ("PD001", "2", "B", "W1", D("2025-03-04"), "adjustment", 3.0),
        ("PK01", "1", "C", "W2", D("2025-03-05"), "adjustment", 1200.0),
        ("PK01", "2", "A", "W2", D("2025-03-05"), "adjustment", 4.0),
        ("PK02", "1", "C", "W2", D("2025-03-07"), "adjustment", -200.0),
    ]  # the zero line of PD002 moves nothing and is not in the ledger

    # A at W1: 10 opening at 4.00, +20 received at 5.50 (moving average 150 / 30 = 5.00), 盘亏 -5 on the
    # 4th, a zero line on the 5th, 2 shipped on the 6th, ERPNext -2 on the 7th: 21, as counted on the 8th
    a = _daily(conn, "A", "W1")
    assert a.loc["2025-03-03", "on_hand_qty"] == 30 and a.loc["2025-03-03", "unit_cost"] == 5.0
    write_down = a.loc["2025-03-04"]
    assert (write_down["opening_qty"], write_down["adjustment_qty"], write_down["on_hand_qty"]) == (
        30,
        -5,
        25,
    )
    assert write_down["on_hand_value"] == 125.0  # the 5 units left at the day's moving-average cost
    assert (a.loc["2025-03-05", "on_hand_qty"], a.loc["2025-03-05", "net_movement_qty"]) == (25, 0)
    assert list(a.loc["2025-03-06":, "on_hand_qty"]) == [23, 21, 21]
    assert a.loc["2025-03-07", "adjustment_qty"] == -2 and a.loc["2025-03-08", "on_hand_value"] == 105.0

    # B at W1: 5 + 10 received, 盘盈 +3 on the 4th: 18, valued at 2.00
    b = _daily(conn, "B", "W1")
    assert (b.loc["2025-03-04", "adjustment_qty"], b.loc["2025-03-04", "on_hand_qty"]) == (3, 18)
    assert b.loc["2025-03-08", "on_hand_value"] == 36.0

    # C at W2 starts with a count gain of 1,200 (the item master's 3.00, no receipt cost yet), then (200)
    c = _daily(conn, "C", "W2")
    assert list(c["on_hand_qty"]) == [1200, 1200, 1000, 1000]
    assert c.loc["2025-03-05", "on_hand_value"] == 3600.0 and c["is_fallback_cost"].all()
    assert _daily(conn, "A", "W2").loc["2025-03-08", "on_hand_qty"] == 4

    # the counts on the 8th agree with the roll-forward: nothing to reconcile
    assert conn.execute("select count(*) from marts.fct_stock_reconciliation").fetchall() == [(0,)]
    # a count gain is stock in like a receipt: a FIFO layer, at the day's cost
    layers = conn.execute(
        "select layer_source, layer_date, remaining_qty, unit_cost from intermediate.int_fifo_layers "
        "where sku = 'B' and warehouse_id = 'W1' order by layer_date desc"
    ).fetchall()
    assert layers == [
        ("adjustment", D("2025-03-04"), 3.0, 2.0),
        ("receipt", D("2025-03-03"), 10.0, 2.0),
        ("opening_balance", D("2025-03-02"), 5.0, 2.0),
    ]


def test_what_failed_the_build_is_stopped_at_the_door_and_the_rest_loads(settings, tmp_path):
    header = ["单据号", "单据日期", "仓库编码", "存货编码", "业务类型", "数量"]
    files = {
        **BASE,
        "盘点调整.csv": (
            header,
            [["PD1", "2025-03-04", "W1", "A", "盘亏", -5], ["PD1", "2025-03-04", "W1", "B", "盘盈", 3]],
        ),
        # two mistyped 1.7e308: passed ingest, overflowed the roll-forward's sums and failed `dbt build`
        "盘点调整_overflow.csv": (
            header,
            [
                ["PX1", "2025-03-04", "W1", "A", "盘盈", "1.7e308"],
                ["PX1", "2025-03-05", "W1", "A", "盘盈", "1.7e308"],
            ],
        ),
        "盘亏单.csv": (header, [["PK1", "2025-03-04", "W1", "B", "盘亏", 5]]),  # unsigned: a loss of 5 as +5
        "其他入库单.csv": (header, [["QR1", "2025-03-05", "W1", "A", "其他入库", -5]]),
        "盘点单.csv": (header, [["PT1", "2025-03-05", "W1", "A", "盘点损失", -3]]),  # unknown type
    }
    for name, (head, rows) in files.items():
        write_csv(settings.inbox / name, head, rows)
    with wh.connect(settings.warehouse_path) as conn:
        outcomes = [
            o for kind in LOAD_ORDER for o in ingest_kind(conn, settings, kind, load_header_map()).outcomes
        ]
    status = {o.file_name: o.status for o in outcomes}
    rejected = {"盘点调整_overflow.csv", "盘亏单.csv", "其他入库单.csv", "盘点单.csv"}
    assert {n for n, s in status.items() if s == "rejected"} == rejected
    assert all(s == "loaded" for n, s in status.items() if n not in rejected)

    errors = pd.concat(
        pd.read_csv(settings.quarantine / f"{name}.errors.csv", encoding="utf-8-sig", dtype=str)
        for name in rejected
    )
    found = {
        (r.file, int(r.row), r.column, r.file_column, r.reason.split(":")[0]) for r in errors.itertuples()
    }
    assert found == {
        ("盘点调整_overflow.csv", 2, "qty", "数量", "too large"),
        ("盘点调整_overflow.csv", 3, "qty", "数量", "too large"),
        ("盘亏单.csv", 2, "qty", "数量", "movement_type '盘亏' says stock went out of the warehouse"),
        (
            "其他入库单.csv",
            2,
            "qty",
            "数量",
            "movement_type '其他入库' (other_in) only moves stock into the warehouse",
        ),
        ("盘点单.csv", 2, "movement_type", "业务类型", "not one of"),
    }

    proc = run_dbt(settings, "build", target_path=tmp_path / "dbt_target")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    with wh.connect(settings.warehouse_path, read_only=True) as conn:
        moved = conn.execute(
            "select movement_id, qty from staging.stg_erp__stock_movements order by 2"
        ).fetchall()
        assert moved == [("PD1", -5.0), ("PD1", 3.0)]  # nothing of the rejected files
        on_hand = conn.execute(
            "select sku, on_hand_qty, on_hand_value from marts.fct_daily_stock where date_day = '2025-03-06' "
            "order by sku"
        ).fetchall()
    # A: 10 + 20 - 5 (盘亏) - 2 shipped at 5.00; B: 5 + 10 + 3 (盘盈) at 2.00
    assert on_hand == [("A", 23.0, 115.0), ("B", 18.0, 36.0)]
