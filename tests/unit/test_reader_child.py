"""Excel files read in a child process with a memory and a time limit (issue 16, item 6): a workbook that
exhausts the limit, crashes its reader or runs too long is quarantined with the reason, the files beside it
load, and what the child reads is exactly what the ingest process would read itself. Real children, real
limits, real crafted workbooks; nothing mocked."""

from __future__ import annotations

import ctypes
import datetime as dt
import linecache
import os
import time
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipelines.ingest import load as ingest
from pipelines.ingest.extracts.mapping import load_header_map
from pipelines.ingest.extracts.readers import ExtractReadError, read_extract
from pipelines.ingest.extracts.readers.excel import MAX_SHEET_CELLS, sheet_extents
from pipelines.ingest.extracts.readers.isolated import IsolatedReader, ReaderCrashed, shared_reader
from pipelines.warehouse import connection as wh
from tests.conftest import SO_HEADER, write_csv


@pytest.fixture(scope="module")
def hints() -> frozenset[str]:
    return load_header_map().all_labels


def _orders_workbook(path: Path, rows: list[list], far_cell: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "订单"
    ws.append(SO_HEADER)
    for row in rows:
        ws.append(row)
    if far_cell:
        ws[far_cell] = 1
    wb.save(path)
    return path


def _wide_workbook(path: Path) -> Path:
    """5 KB on disk, a cell at XFD1000: 16.4 million cells, under the 50 million the extent check refuses,
    but calamine lays them out in one 500 MB block (and in process reads it for 25-40 s)."""
    return _orders_workbook(path, [["SO9", 1, "2025-01-02", "A1", "W01", 4, 4, "2025-01-02"]], "XFD1000")


def _busy_workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    data = wb.active
    data.title = "明细"
    data["A1"] = "销售订单执行明细"
    data.append([])
    data.append(["订单号", "行号", "订单日期", "存货编码", "仓库编码", "数量", "单价", "备注"])
    data.append(["SO1", 1, dt.datetime(2024, 1, 5), "A001", "W01", 12.0, 0.1 + 0.2, None])
    data.append(["SO1", 2, dt.datetime(2024, 1, 6, 13, 45), 6901234567890, "W01", 7, 19.99, "  加急  "])
    data.append([None] * 8)
    data.append(["合计", None, None, None, None, 19, None, None])
    data.append(["SO2", 1, "2024/1/7", "A003", "W02", 1234.5, 1e-7, True])
    other = wb.create_sheet("仓库2")
    other.append(["订单号", "行号", "订单日期", "存货编码", "仓库编码", "数量"])
    other.append(["SO3", 1, dt.date(2024, 2, 1), "B1", "W02", 3])
    wb.create_sheet("说明")["A1"] = "本表由系统导出"
    wb.save(path)
    return path


def test_the_child_reads_exactly_what_the_process_reads(tmp_path: Path, hints: frozenset[str]):
    path = _busy_workbook(tmp_path / "销售订单.xlsx")
    expected = IsolatedReader(memory_mb=0).read_extract(path, hints)  # 0: read in this process
    reader = shared_reader(4096, 600)  # as ingest reads
    got = reader.read_extract(path, hints)
    child = reader.run(path, os.getpid)
    assert child != os.getpid()  # a child reads
    reader.read_extract(path, hints)
    assert reader.run(path, os.getpid) == child  # and stays up for the next files
    assert [s.sheet for s in got] == [s.sheet for s in expected] == ["明细", "仓库2"]
    for child, here in zip(got, expected, strict=True):
        pd.testing.assert_frame_equal(child.frame, here.frame, check_exact=True)
        assert child.source_rows.dtype == here.source_rows.dtype
        assert child.source_rows.tolist() == here.source_rows.tolist()
        assert (child.header_row, child.total_rows_dropped, child.blank_rows_dropped, child.title_lines) == (
            here.header_row, here.total_rows_dropped, here.blank_rows_dropped, here.title_lines,
        )  # fmt: skip
    assert got[0].frame.iloc[1].tolist() == [
        "SO1",
        "2",
        "2024-01-06 13:45:00",
        "6901234567890",
        "W01",
        "7",
        "19.99",
        "加急",
    ]


def test_the_readers_own_errors_come_back_as_they_are(tmp_path: Path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(ExtractReadError) as here:
        read_extract(broken)
    with pytest.raises(ExtractReadError) as child:
        shared_reader(4096, 600).read_extract(broken)
    assert type(child.value) is ExtractReadError and str(child.value) == str(here.value)
    assert "cannot read the workbook" in str(child.value)


def test_a_workbook_needing_more_than_the_limit_is_stopped_and_the_next_one_reads(
    tmp_path: Path, hints: frozenset[str]
):
    wide = _wide_workbook(tmp_path / "wide.xlsx")
    rows, cols = next(iter(sheet_extents(wide).values()))
    assert rows * cols == 16_384_000 < MAX_SHEET_CELLS  # the first defence lets it through
    good = _busy_workbook(tmp_path / "good.xlsx")
    with IsolatedReader(memory_mb=64) as reader:
        with pytest.raises(ReaderCrashed) as crashed:
            reader.read_extract(wide, hints)
        message = str(crashed.value)
        assert message.startswith("wide.xlsx: the Excel reader ran out of its 64 MB memory limit")
        assert "(STOCKFLOW_READER_MEMORY_MB) reading sheet '订单' (it asked for 500 MB at once)" in message
        with pytest.raises(ReaderCrashed) as again:  # not read a second time in the same step
            reader.read_extract(wide, hints)
        assert again.value is crashed.value
        assert [s.sheet for s in reader.read_extract(good, hints)] == ["明细", "仓库2"]


def test_python_running_out_of_the_limit_in_the_child_is_the_files_fault(tmp_path: Path):
    path = _busy_workbook(tmp_path / "book.xlsx")
    with IsolatedReader(memory_mb=64) as reader:
        with pytest.raises(
            ReaderCrashed, match=r"book.xlsx: the Excel reader ran out of its 64 MB memory limit"
        ):
            reader.run(path, bytearray, 256 << 20)  # a MemoryError in the child, not in this process
        assert len(reader.run(path, bytearray, 16 << 20)) == 16 << 20  # a new child, within the limit


def test_a_child_left_using_over_half_its_limit_hands_the_next_file_to_a_new_one(tmp_path: Path):
    text = tmp_path / "lines.txt"
    text.write_text(("x" * 100_000 + "\n") * 400, encoding="ascii")  # 40 MB that linecache keeps
    with IsolatedReader(memory_mb=64) as reader:
        first = reader.run(text, os.getpid)
        assert reader.run(text, linecache.getline, str(text), 1) == "x" * 100_000 + "\n"
        assert reader.run(text, os.getpid) != first  # 40 MB of 64 were still taken: a new child ran it
        second = reader.run(text, os.getpid)
        assert reader.run(text, os.getpid) == second


@pytest.mark.parametrize(
    ("crash", "args", "signal_name"),
    [(os.abort, (), "SIGABRT"), (ctypes.string_at, (0,), "SIGSEGV")],
    ids=["abort", "segfault"],
)
def test_a_reader_killed_by_a_signal_is_reported_and_the_next_file_reads(
    tmp_path: Path, hints: frozenset[str], crash, args, signal_name: str
):
    path = _busy_workbook(tmp_path / "book.xlsx")
    with IsolatedReader() as reader:
        assert len(reader.read_extract(path, hints)) == 2
        with pytest.raises(ReaderCrashed) as crashed:
            reader.run(path, crash, *args)
        assert str(crashed.value).startswith(f"book.xlsx: the Excel reader crashed (signal {signal_name})")
        assert len(reader.read_extract(path, hints)) == 2


def test_a_reader_past_its_time_limit_is_stopped(tmp_path: Path, hints: frozenset[str]):
    path = _busy_workbook(tmp_path / "book.xlsx")
    with IsolatedReader(timeout_seconds=0.5) as reader:
        with pytest.raises(
            ReaderCrashed, match=r"took longer than its 0.5 s limit \(STOCKFLOW_READER_TIMEOUT"
        ):
            reader.run(path, time.sleep, 60)
        assert len(reader.read_extract(path, hints)) == 2


def test_ingest_quarantines_a_workbook_past_the_memory_limit_and_loads_the_others(settings, tmp_path: Path):
    """Issue 16: a crafted workbook made the reader abort the ingest process on every run. Now the child
    dies, the file is quarantined with the reason in its report and the ingest log, and a good CSV and a
    good workbook beside it load, also a crafted workbook whose name does not tell its kind."""
    settings = replace(settings, reader_memory_mb=64)
    header_map = load_header_map()
    write_csv(settings.inbox / "warehouses.csv", ["warehouse_id", "warehouse_name"], [["W01", "Shanghai"]])
    write_csv(settings.inbox / "items.csv", ["sku", "sku_name", "unit_cost"], [["A1", "Cup", 2.5]])
    with wh.connect(settings.warehouse_path) as conn:
        for kind in ("warehouses", "items"):
            ingest.ingest_kind(conn, settings, kind, header_map)
    _wide_workbook(settings.inbox / "sales_orders_crafted.xlsx")
    _wide_workbook(settings.inbox / "export.xlsx")
    write_csv(
        settings.inbox / "sales_orders.csv",
        SO_HEADER,
        [["SO1", 1, "2025-01-02", "A1", "W01", 4, 4, "2025-01-02"]],
    )
    _orders_workbook(
        settings.inbox / "sales_orders_b.xlsx", [["SO2", 1, "2025-01-03", "A1", "W01", 2, 2, "2025-01-03"]]
    )
    with wh.connect(settings.warehouse_path) as conn:
        result = ingest.ingest_kind(conn, settings, "sales_orders", header_map)
        logged = dict(conn.execute("select file_name, message from raw._files").fetchall())
        orders = conn.execute("select order_id, _source_file from raw.sales_orders order by 1").fetchall()
    by_file = {o.file_name: o for o in result.outcomes}
    assert by_file["sales_orders.csv"].status == by_file["sales_orders_b.xlsx"].status == "loaded"
    assert orders == [("SO1", "sales_orders.csv"), ("SO2", "sales_orders_b.xlsx")]
    assert by_file["sales_orders_crafted.xlsx"].status == "rejected"
    assert by_file["export.xlsx"].status == "unrecognised"
    for name in ("sales_orders_crafted.xlsx", "export.xlsx"):
        reason = f"{name}: the Excel reader ran out of its 64 MB memory limit (STOCKFLOW_READER_MEMORY_MB) reading sheet '订单'"
        assert reason in by_file[name].message and reason in logged[name]
        assert (settings.quarantine / name).exists() and not (settings.inbox / name).exists()
        report = (settings.quarantine / f"{name}.report.md").read_text(encoding="utf-8")
        assert reason in report and "raise the limit if the workbook is really that large |" in report
