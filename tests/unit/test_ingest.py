"""Ingestion into a real DuckDB file under tmp_path: loads, idempotency, supersession, quarantine."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from pipelines.ingest import load as ingest
from pipelines.ingest.extracts.mapping import load_header_map
from pipelines.ingest.extracts.schema import KINDS
from pipelines.warehouse import connection as wh
from tests.conftest import SO_HEADER, write_csv


@pytest.fixture
def header_map():
    return load_header_map()


def _masters(settings) -> None:
    write_csv(
        settings.inbox / "warehouses.csv",
        ["warehouse_id", "warehouse_name"],
        [["W01", "Shanghai"], ["W02", "Chengdu"]],
    )
    write_csv(
        settings.inbox / "items.csv", ["sku", "sku_name", "unit_cost"], [["A1", "Cup", 2.5], ["B2", "Pen", 1]]
    )


def _run(settings, header_map, *kinds):
    with wh.connect(settings.warehouse_path) as conn:
        return [ingest.ingest_kind(conn, settings, k, header_map) for k in kinds]


def _query(settings, sql):
    with wh.connect(settings.warehouse_path, read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _load_masters(settings, header_map):
    _masters(settings)
    _run(settings, header_map, "warehouses", "items")


def test_loads_rows_with_lineage_and_archives_the_file(settings, header_map):
    _load_masters(settings, header_map)
    write_csv(
        settings.inbox / "sales_orders_20250131.csv",
        SO_HEADER,
        [
            ["SO1", 1, "2025-01-02", "A1", "W01", "1,200", 1200, "2025-01-03"],
            ["SO1", 2, "2025/1/2", "B2", "W01", 5, 3, "2025-01-04"],
        ],
    )
    (result,) = _run(settings, header_map, "sales_orders")
    assert [o.status for o in result.outcomes] == ["loaded"]
    rows = _query(
        settings,
        "select order_id, line_no, order_date::varchar, ordered_qty, shipped_qty, _source_file, "
        "_source_row from raw.sales_orders order by line_no",
    )
    assert rows == [
        ("SO1", "1", "2025-01-02", 1200.0, 1200.0, "sales_orders_20250131.csv", 2),
        ("SO1", "2", "2025-01-02", 5.0, 3.0, "sales_orders_20250131.csv", 3),
    ]
    assert list(settings.inbox.iterdir()) == []
    archived = list(settings.archive.rglob("sales_orders_20250131.csv"))
    assert len(archived) == 1
    log = _query(settings, "select status, rows_loaded, moved_to from raw._files where kind = 'sales_orders'")
    assert log == [("loaded", 2, str(archived[0]))]
    sha = _query(settings, "select distinct _file_sha256 from raw.sales_orders")[0][0]
    assert sha == ingest.sha256_of(archived[0])


def test_same_file_twice_is_skipped_and_kept(settings, header_map):
    _load_masters(settings, header_map)
    path = write_csv(
        settings.inbox / "sales_orders.csv",
        SO_HEADER,
        [["SO1", 1, "2025-01-02", "A1", "W01", 4, 4, "2025-01-02"]],
    )
    copy = settings.home / "copy.csv"
    shutil.copy(path, copy)
    _run(settings, header_map, "sales_orders")
    shutil.copy(copy, settings.inbox / "sales_orders.csv")
    (result,) = _run(settings, header_map, "sales_orders")
    assert [o.status for o in result.outcomes] == ["duplicate"]
    assert _query(settings, "select count(*) from raw.sales_orders") == [(1,)]
    assert len(list(settings.archive.rglob("sales_orders*.csv"))) == 2  # both copies kept, none deleted


def test_corrected_reexport_supersedes_by_key(settings, header_map):
    _load_masters(settings, header_map)
    write_csv(
        settings.inbox / "sales_orders_1.csv",
        SO_HEADER,
        [
            ["SO1", 1, "2025-01-02", "A1", "W01", 4, 4, "2025-01-02"],
            ["SO1", 2, "2025-01-02", "B2", "W01", 6, 0, None],
        ],
    )
    _run(settings, header_map, "sales_orders")
    write_csv(
        settings.inbox / "sales_orders_2.csv",
        SO_HEADER,
        [
            ["SO1", 2, "2025-01-02", "B2", "W01", 6, 6, "2025-01-05"],
            ["SO2", 1, "2025-01-05", "A1", "W02", 1, 1, "2025-01-05"],
        ],
    )
    (result,) = _run(settings, header_map, "sales_orders")
    assert result.rows_superseded == 1 and result.rows_loaded == 2
    assert _query(settings, "select count(*) from raw.sales_orders") == [(4,)]
    latest = _query(
        settings,
        """
        select order_id, line_no, shipped_qty from (
          select *, row_number() over (partition by order_id, line_no order by _load_id desc, _source_row desc) rk
          from raw.sales_orders) where rk = 1 order by 1, 2""",
    )
    assert latest == [("SO1", "1", 4.0), ("SO1", "2", 6.0), ("SO2", "1", 1.0)]


def test_bad_file_is_quarantined_with_report_and_nothing_is_lost(settings, header_map):
    _load_masters(settings, header_map)
    write_csv(
        settings.inbox / "sales_orders_good.csv",
        SO_HEADER,
        [["SO1", 1, "2025-01-02", "A1", "W01", 4, 4, "2025-01-02"]],
    )
    _run(settings, header_map, "sales_orders")
    bad = write_csv(
        settings.inbox / "sales_orders_bad.csv",
        SO_HEADER,
        [
            ["SO2", 1, "2025-01-02", "A1", "W01", -3, 0, None],  # row 2: negative quantity
            ["SO2", 2, "2025-02-30", "A1", "W01", 1, 1, None],  # row 3: impossible date
            ["SO2", 3, "2025-01-02", "ZZ9", "W01", 1, 1, None],  # row 4: unknown SKU
            [
                "SO2",
                3,
                "2025-01-02",
                "A1",
                "W09",
                "lots",
                1,
                None,
            ],  # row 5: duplicate key, unknown warehouse, not a number
        ],
    )
    bad_bytes = bad.read_bytes()
    (result,) = _run(settings, header_map, "sales_orders")
    assert [o.status for o in result.outcomes] == ["rejected"]
    assert _query(settings, "select order_id from raw.sales_orders") == [("SO1",)]
    moved = settings.quarantine / "sales_orders_bad.csv"
    assert moved.read_bytes() == bad_bytes
    errors = pd.read_csv(
        settings.quarantine / "sales_orders_bad.csv.errors.csv", encoding="utf-8-sig", dtype=str
    )
    found = {(int(r.row), r.column) for r in errors.itertuples()}
    assert {
        (2, "ordered_qty"),
        (3, "order_date"),
        (4, "sku"),
        (5, "warehouse_id"),
        (5, "ordered_qty"),
        (4, "order_id+line_no"),
        (5, "order_id+line_no"),
    } <= found
    reasons = dict(((int(r.row), r.column), r.reason) for r in errors.itertuples())
    assert "negative" in reasons[(2, "ordered_qty")]
    assert "not a date" in reasons[(3, "order_date")]
    assert "unknown sku" in reasons[(4, "sku")]
    report = (settings.quarantine / "sales_orders_bad.csv.report.md").read_text(encoding="utf-8")
    assert "2025-02-30" in report and "| order_date | order_date |" in report
    assert _query(
        settings, "select status, error_count from raw._files where file_name = 'sales_orders_bad.csv'"
    ) == [("rejected", len(errors))]


def test_missing_required_column_names_it(settings, header_map):
    _load_masters(settings, header_map)
    write_csv(
        settings.inbox / "sales_orders.csv",
        ["order_id", "order_date", "sku", "warehouse_id"],
        [["SO1", "2025-01-02", "A1", "W01"]],
    )
    _run(settings, header_map, "sales_orders")
    errors = pd.read_csv(settings.quarantine / "sales_orders.csv.errors.csv", encoding="utf-8-sig", dtype=str)
    assert list(errors["column"]) == ["ordered_qty"]
    assert "required column missing" in errors["reason"][0]


def test_transactions_before_masters_get_a_hint(settings, header_map):
    write_csv(
        settings.inbox / "receipts.csv",
        ["receipt_id", "receipt_date", "sku", "warehouse_id", "received_qty"],
        [["R1", "2025-01-02", "A1", "W01", 10]],
    )
    _run(settings, header_map, "receipts")
    errors = pd.read_csv(settings.quarantine / "receipts.csv.errors.csv", encoding="utf-8-sig", dtype=str)
    assert "has not been loaded yet" in errors["reason"][0]


def test_unrecognisable_file_is_quarantined_with_reason(settings, header_map):
    write_csv(settings.inbox / "export (3).csv", ["colour", "mood"], [["red", "happy"]])
    (result,) = _run(settings, header_map, "items")
    assert [o.status for o in result.outcomes] == ["unrecognised"]
    report = (settings.quarantine / "export (3).csv.report.md").read_text(encoding="utf-8")
    assert "cannot tell what this file is" in report


def test_file_of_unknown_name_detected_from_headers(settings, header_map):
    _load_masters(settings, header_map)
    write_csv(
        settings.inbox / "export_0001.csv",
        ["receipt_id", "receipt_date", "sku", "warehouse_id", "received_qty"],
        [["R1", "2025-01-02", "A1", "W01", 10]],
    )
    (result,) = _run(settings, header_map, "receipts")
    assert [(o.status, o.rows_loaded) for o in result.outcomes] == [("loaded", 1)]


def test_failed_load_rolls_back_and_leaves_the_file(settings, header_map, monkeypatch):
    _load_masters(settings, header_map)
    write_csv(
        settings.inbox / "sales_orders.csv",
        SO_HEADER,
        [["SO1", 1, "2025-01-02", "A1", "W01", 4, 4, "2025-01-02"]],
    )

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(wh, "_log", boom)
    with pytest.raises(OSError):
        _run(settings, header_map, "sales_orders")
    monkeypatch.undo()
    assert _query(settings, "select count(*) from raw.sales_orders") == [(0,)]
    assert (settings.inbox / "sales_orders.csv").exists()
    (result,) = _run(settings, header_map, "sales_orders")  # the next run converges
    assert [o.status for o in result.outcomes] == ["loaded"]


def test_crash_after_commit_before_archive_converges(settings, header_map, monkeypatch):
    _load_masters(settings, header_map)
    write_csv(
        settings.inbox / "sales_orders.csv",
        SO_HEADER,
        [["SO1", 1, "2025-01-02", "A1", "W01", 4, 4, "2025-01-02"]],
    )
    real_move = ingest.move_file

    def crash(source, target):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(ingest, "move_file", crash)
    with pytest.raises(KeyboardInterrupt):
        _run(settings, header_map, "sales_orders")
    monkeypatch.setattr(ingest, "move_file", real_move)
    (result,) = _run(settings, header_map, "sales_orders")
    # the next run finishes the interrupted archive: no second log entry, no "duplicate" of itself
    assert [(o.status, o.message) for o in result.outcomes] == [
        ("loaded", "loaded by an earlier run that stopped before archiving it; archived now")
    ]
    assert _query(settings, "select count(*) from raw.sales_orders") == [(1,)]
    assert not (settings.inbox / "sales_orders.csv").exists()
    logged = _query(settings, "select status, moved_to from raw._files where file_name = 'sales_orders.csv'")
    assert [status for status, _ in logged] == ["loaded"] and Path(logged[0][1]).is_file()


def test_contract_violations_counts_rows_breaking_rules(settings):
    with wh.connect(settings.warehouse_path) as conn:
        wh.ensure_raw_schema(conn)
        assert not any(wh.contract_violations(conn, KINDS["stock_movements"]).values())
        conn.execute(
            "insert into raw.stock_movements (movement_id, line_no, movement_date, sku, warehouse_id, "
            "movement_type, qty) values ('M1', '1', date '2025-01-01', 'A1', 'W01', 'teleport', 1), "
            "('M2', '1', null, 'A1', 'W01', 'scrap', -1)"
        )
        v = wh.contract_violations(conn, KINDS["stock_movements"])
    assert v["movement_type_not_accepted"] == 1 and v["movement_date_missing"] == 1 and v["qty_missing"] == 0


def test_connect_waits_for_another_writer_then_fails_clearly(settings):
    with wh.connect(settings.warehouse_path) as conn:
        wh.ensure_raw_schema(conn)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(3)"
            ),
            str(settings.warehouse_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(wh.WarehouseBusyError, match="in use by another run"),
            wh.connect(settings.warehouse_path, timeout_seconds=0.5),
        ):
            pass
        t0 = time.monotonic()
        with wh.connect(settings.warehouse_path, timeout_seconds=30) as conn:  # waits for the holder to exit
            assert conn.execute("select count(*) from raw.items").fetchall()[0] == (0,)
        assert time.monotonic() - t0 > 0.5
    finally:
        holder.wait(timeout=30)


def test_raw_tables_match_the_contract(settings):
    with wh.connect(settings.warehouse_path) as conn:
        wh.ensure_raw_schema(conn)
        for kind in KINDS.values():
            cols = [
                r[0]
                for r in conn.execute(
                    "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ? "
                    "order by ordinal_position",
                    [kind.name],
                ).fetchall()
            ]
            assert cols == kind.column_names + list(wh.LINEAGE_COLUMNS)


def test_odoo_style_export_without_line_numbers(settings, header_map):
    write_csv(settings.inbox / "warehouses.csv", ["warehouse_id", "warehouse_name"], [["WH", "Main"]])
    write_csv(
        settings.inbox / "product.product.csv",
        ["Internal Reference", "Name"],
        [["FURN_001", "Desk"], ["FURN_002", "Chair"]],
    )
    write_csv(
        settings.inbox / "sale.order.line.csv",
        [
            "Order Reference",
            "Order Lines/Product",
            "Order Lines/Quantity",
            "Order Lines/Delivered Quantity",
            "Order Date",
            "Warehouse",
        ],
        [
            ["S00012", "[FURN_001] Desk", 3, 3, "2025-06-02 10:22:11", "WH"],
            ["S00012", "[FURN_002] Chair", 4, 2, "2025-06-02 10:22:11", "WH"],
        ],
    )
    _run(settings, header_map, "warehouses", "items", "sales_orders")
    assert _query(
        settings,
        "select order_id, line_no, sku, ordered_qty, shipped_qty, order_date::varchar "
        "from raw.sales_orders order by line_no",
    ) == [
        ("S00012", "1", "FURN_001", 3.0, 3.0, "2025-06-02"),
        ("S00012", "2", "FURN_002", 4.0, 2.0, "2025-06-02"),
    ]


def test_stock_report_dated_in_its_title(settings, header_map):
    _load_masters(settings, header_map)
    path = settings.inbox / "即时库存.csv"
    path.write_text(
        "即时库存查询\n截止日期：2025年6月30日\n物料编码,仓库,库存量\nA1,W01,12\nB2,W02,0\n合计,,12\n",
        encoding="gb18030",
    )
    (result,) = _run(settings, header_map, "stock_snapshots")
    assert [o.status for o in result.outcomes] == ["loaded"], result.outcomes
    assert _query(
        settings, "select snapshot_date::varchar, sku, on_hand_qty from raw.stock_snapshots order by sku"
    ) == [("2025-06-30", "A1", 12.0), ("2025-06-30", "B2", 0.0)]


def test_u8_opening_balance_export_loads_as_the_previous_days_closing_stock(settings, header_map):
    """Issue 16: a U8 期初结存 sheet was refused ("required column missing: on_hand_qty"). Opening balances
    are the stock at the start of their date, so they load as the closing stock of the day before."""
    _load_masters(settings, header_map)
    write_csv(
        settings.inbox / "期初结存.csv",
        ["日期", "仓库编码", "仓库", "存货编码", "存货名称", "规格型号", "计量单位", "期初数量", "单价", "期初金额"],
        [["2025-01-01", "W01", "上海仓", "A1", "杯子", "350ml", "个", 40, 2.5, 100.0],
         ["2025-01-01", "W02", "成都仓", "B2", "笔", "黑", "支", 10, 1, 10.0]],
    )  # fmt: skip
    (result,) = _run(settings, header_map, "stock_snapshots")
    assert [o.status for o in result.outcomes] == ["loaded"], result.outcomes
    assert _query(
        settings,
        "select snapshot_date::varchar, sku, on_hand_qty, unit_cost, stock_value from raw.stock_snapshots order by sku",
    ) == [("2024-12-31", "A1", 40.0, 2.5, 100.0), ("2024-12-31", "B2", 10.0, 1.0, 10.0)]


def test_stock_summary_with_opening_and_closing_balances_takes_the_closing_one(settings, header_map):
    """A 收发存汇总 sheet carries both: the closing balance (结存) is the stock at the end of the date."""
    _load_masters(settings, header_map)
    write_csv(
        settings.inbox / "收发存汇总.csv",
        ["日期", "仓库编码", "存货编码", "期初数量", "期初金额", "收入数量", "发出数量", "结存数量", "结存金额"],
        [["2025-01-31", "W01", "A1", 40, 100.0, 5, 15, 30, 75.0]],
    )  # fmt: skip
    (result,) = _run(settings, header_map, "stock_snapshots")
    assert [o.status for o in result.outcomes] == ["loaded"], result.outcomes
    assert _query(
        settings, "select snapshot_date::varchar, on_hand_qty, stock_value from raw.stock_snapshots"
    ) == [("2025-01-31", 30.0, 75.0)]


def test_opening_balance_rule_reads_the_quantity_header():
    from pipelines.ingest.extracts.mapping import map_headers, opening_balance_label

    hm = load_header_map()
    for headers, expected in [
        (["日期", "存货编码", "仓库编码", "期初数量"], "期初数量"),
        (["Date", "Item Code", "Warehouse", "Opening Qty", "Opening Value"], "Opening Qty"),
        (["日期", "存货编码", "仓库编码", "期初数量", "结存数量"], None),
        (["日期", "存货编码", "仓库编码", "现存量"], None),
    ]:
        assert opening_balance_label(map_headers(headers, "stock_snapshots", hm)) == expected, headers


def test_symbolic_link_in_the_inbox_is_quarantined_unread(settings, header_map, tmp_path):
    """Issue 16: a symlink in the inbox was followed to a file outside it."""
    _load_masters(settings, header_map)
    outside = tmp_path / "elsewhere" / "sales_orders.csv"
    outside.parent.mkdir()
    write_csv(outside, ["order_id", "line_no", "order_date", "sku", "warehouse_id", "ordered_qty"],
              [["SO1", 1, "2025-01-02", "A1", "W01", 4]])  # fmt: skip
    (settings.inbox / "sales_orders.csv").symlink_to(outside)
    (result,) = _run(settings, header_map, "sales_orders")
    assert [(o.status, o.file_name) for o in result.outcomes] == [("rejected", "sales_orders.csv")]
    assert "symbolic link" in result.outcomes[0].message
    assert _query(settings, "select count(*) from raw.sales_orders") == [(0,)]
    moved = settings.quarantine / "sales_orders.csv"
    assert moved.is_symlink() and not (settings.inbox / "sales_orders.csv").exists()
    assert outside.exists()  # the file it pointed to is untouched
    assert "symbolic link" in (settings.quarantine / "sales_orders.csv.report.md").read_text()
    errors = (settings.quarantine / "sales_orders.csv.errors.csv").read_text(encoding="utf-8-sig")
    assert "copy the file itself into the inbox" in errors


def test_second_run_waits_then_fails_clearly_while_the_first_holds_the_run_lock(settings):
    from pipelines.operations.runner import RunBusyError, run_lock

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import fcntl, sys, time\n"
                "fh = open(sys.argv[1], 'a+'); fcntl.flock(fh, fcntl.LOCK_EX); print('held', flush=True)\n"
                "time.sleep(2); fcntl.flock(fh, fcntl.LOCK_UN); print('released', flush=True); time.sleep(5)"
            ),
            str(settings.home / ".stockflow-run.lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        quick = type(settings)(**{**settings.__dict__, "lock_timeout_seconds": 0.3})
        with pytest.raises(RunBusyError, match="another Stockflow run"), run_lock(quick):
            pass
        with run_lock(settings):  # waits for the first run to release the lock, then proceeds
            assert holder.stdout.readline().strip() == "released"
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_workbook_with_a_far_away_cell_is_quarantined_and_the_run_goes_on(settings, header_map):
    """Issue 16: a tiny crafted xlsx (one cell at XFD1048576) made the reader ask for 550 GB and the
    process abort on every run, so the good files beside it were never loaded."""
    from openpyxl import Workbook

    _load_masters(settings, header_map)
    wb = Workbook()
    ws = wb.active
    ws.append(["order_id", "line_no", "order_date", "sku", "warehouse_id", "ordered_qty"])
    ws.append(["SO9", 1, "2025-01-02", "A1", "W01", 4])
    ws["XFD1048576"] = 1
    wb.save(settings.inbox / "sales_orders_crafted.xlsx")
    write_csv(
        settings.inbox / "sales_orders.csv",
        SO_HEADER,
        [["SO1", 1, "2025-01-02", "A1", "W01", 4, 4, "2025-01-02"]],
    )
    (result,) = _run(settings, header_map, "sales_orders")
    by_file = {o.file_name: o for o in result.outcomes}
    assert by_file["sales_orders.csv"].status == "loaded"
    assert by_file["sales_orders_crafted.xlsx"].status in ("rejected", "unrecognised")
    assert "17,179,869,184 cells" in by_file["sales_orders_crafted.xlsx"].message
    assert (settings.quarantine / "sales_orders_crafted.xlsx").exists()
    assert _query(settings, "select order_id from raw.sales_orders") == [("SO1",)]


def test_parquet_extract_without_rows_is_rejected_not_a_crash(settings, header_map):
    """Issue 16: a header-only extract stopped the run; a Parquet one with no rows raised a TypeError in
    the fast path's counts and took the whole ingest step down."""
    _load_masters(settings, header_map)
    empty = pd.DataFrame({c: pd.Series([], dtype="string") for c in SO_HEADER[:5]}).assign(
        ordered_qty=pd.Series([], dtype="float64")
    )
    empty.to_parquet(settings.inbox / "sales_orders_empty.parquet")
    write_csv(
        settings.inbox / "sales_orders.csv",
        SO_HEADER,
        [["SO1", 1, "2025-01-02", "A1", "W01", 4, 4, "2025-01-02"]],
    )
    (result,) = _run(settings, header_map, "sales_orders")
    by_file = {o.file_name: o for o in result.outcomes}
    assert by_file["sales_orders.csv"].status == "loaded"
    assert by_file["sales_orders_empty.parquet"].status == "rejected"
    assert "no data rows" in by_file["sales_orders_empty.parquet"].message


def test_a_file_that_breaks_its_validation_is_set_aside_and_the_others_load(
    settings, header_map, monkeypatch
):
    """One bad file never stops a run: a file whose reader or checks raise is quarantined with the error,
    the files beside it load."""
    _load_masters(settings, header_map)
    write_csv(
        settings.inbox / "sales_orders_a.csv",
        SO_HEADER,
        [["SO1", 1, "2025-01-02", "A1", "W01", 4, 4, "2025-01-02"]],
    )
    write_csv(
        settings.inbox / "sales_orders_b.csv",
        SO_HEADER,
        [["SO2", 1, "2025-01-03", "A1", "W01", 2, 2, "2025-01-03"]],
    )
    real = ingest.validate_file

    def breaks_on_b(path, *args, **kwargs):
        if path.name == "sales_orders_b.csv":
            raise TypeError("unsupported operand")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(ingest, "validate_file", breaks_on_b)
    (result,) = _run(settings, header_map, "sales_orders")
    by_file = {o.file_name: (o.status, o.message) for o in result.outcomes}
    assert by_file["sales_orders_a.csv"][0] == "loaded"
    assert by_file["sales_orders_b.csv"][0] == "rejected"
    assert "could not be validated (TypeError: unsupported operand)" in by_file["sales_orders_b.csv"][1]
    assert (settings.quarantine / "sales_orders_b.csv").exists()
