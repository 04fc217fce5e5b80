"""ERP file readers: encodings, delimiters, title rows, totals, blanks, Excel typing and row numbers."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import xlwt

from pipelines.ingest.extracts import readers
from pipelines.ingest.extracts.mapping import HeaderMap, load_header_map
from pipelines.ingest.extracts.parsing import parse_dates, parse_numbers
from pipelines.ingest.extracts.readers import (
    ExtractReadError,
    RawSheet,
    find_header_row,
    header_labels,
    read_extract,
)


@pytest.fixture(scope="module")
def hints() -> frozenset[str]:
    hm: HeaderMap = load_header_map()
    return hm.all_labels


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _one(sheets: list[RawSheet]) -> RawSheet:
    assert len(sheets) == 1
    return sheets[0]


def _rows(sheet: RawSheet) -> list[list[str | None]]:
    return sheet.frame.to_numpy().tolist()


# --- encodings ------------------------------------------------------------------------------

ZH_CSV = "订单号,存货编码,数量\nSO1,A001,5\nSO2,A002,7\n"


def test_utf8_csv(tmp_path: Path, hints: frozenset[str]) -> None:
    sheet = _one(read_extract(_write(tmp_path, "so.csv", ZH_CSV), hints))
    assert sheet.encoding == "utf-8"
    assert list(sheet.frame.columns) == ["订单号", "存货编码", "数量"]
    assert _rows(sheet) == [["SO1", "A001", "5"], ["SO2", "A002", "7"]]
    assert sheet.source_rows.tolist() == [2, 3] and sheet.source_rows.dtype == np.int64
    assert sheet.header_row == 1 and sheet.sheet is None


def test_utf8_bom_csv_has_no_bom_in_the_first_header(tmp_path: Path, hints: frozenset[str]) -> None:
    sheet = _one(read_extract(_write(tmp_path, "so.csv", ZH_CSV, "utf-8-sig"), hints))
    assert sheet.encoding == "utf-8-sig"
    assert list(sheet.frame.columns)[0] == "订单号"


def test_gbk_csv_is_read_as_gb18030(tmp_path: Path, hints: frozenset[str]) -> None:
    text = "存货编码,存货名称,仓库\nA001,螺丝钉（不锈钢）,北京仓\nA002,垫片,上海仓\n"
    sheet = _one(read_extract(_write(tmp_path, "存货档案.csv", text, "gbk"), hints))
    assert sheet.encoding == "gb18030"
    assert list(sheet.frame.columns) == ["存货编码", "存货名称", "仓库"]
    assert _rows(sheet) == [["A001", "螺丝钉（不锈钢）", "北京仓"], ["A002", "垫片", "上海仓"]]


def test_utf16_csv_with_bom(tmp_path: Path, hints: frozenset[str]) -> None:
    sheet = _one(read_extract(_write(tmp_path, "so.txt", ZH_CSV.replace(",", "\t"), "utf-16"), hints))
    assert sheet.encoding == "utf-16"
    assert _rows(sheet)[1] == ["SO2", "A002", "7"]


def test_undetectable_encoding_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "weird.csv"
    path.write_bytes(b"a,b\n\x80\xff,\xfe\n")  # neither UTF-8 nor GB18030

    class _NoGuess:
        def best(self) -> None:
            return None

    monkeypatch.setattr(readers.delimited.charset_normalizer, "from_bytes", lambda data: _NoGuess())
    with pytest.raises(ExtractReadError, match=r"^weird\.csv: cannot detect the text encoding"):
        read_extract(path)


def test_latin1_csv_falls_back_to_charset_normalizer(tmp_path: Path) -> None:
    text = "sku;name;qty\nA1;Café crème glacée;3\nA2;Crème brûlée;4\n"
    sheet = _one(read_extract(_write(tmp_path, "items.csv", text, "cp1252")))
    assert sheet.encoding not in ("utf-8", "gb18030")  # a single-byte code page guessed by charset_normalizer
    rows = _rows(sheet)
    assert [(r[0], r[2]) for r in rows] == [("A1", "3"), ("A2", "4")]
    assert rows[0][1].startswith("Café cr")  # é is the same in every Western code page it may pick


# --- delimiters and ragged rows -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "delimiter"), [("so.txt", "\t"), ("so.tsv", "\t"), ("so.csv", ";"), ("so.csv", "|")]
)
def test_delimiters(tmp_path: Path, hints: frozenset[str], name: str, delimiter: str) -> None:
    text = f"report: sales, all warehouses\norder_id{delimiter}sku{delimiter}qty\nSO1{delimiter}A,1{delimiter}1,234\n"
    sheet = _one(read_extract(_write(tmp_path, name, text), hints))
    assert list(sheet.frame.columns) == ["order_id", "sku", "qty"]
    assert _rows(sheet) == [["SO1", "A,1", "1,234"]]
    assert sheet.header_row == 2 and sheet.source_rows.tolist() == [3]


def test_quoted_commas_and_line_breaks_keep_source_rows_aligned(
    tmp_path: Path, hints: frozenset[str]
) -> None:
    text = 'order_id,sku,qty,note\nSO1,A1,"1,234.50","two\nlines"\nSO2,A2,3,x\n'
    sheet = _one(read_extract(_write(tmp_path, "so.csv", text), hints))
    assert _rows(sheet) == [["SO1", "A1", "1,234.50", "two\nlines"], ["SO2", "A2", "3", "x"]]
    assert sheet.source_rows.tolist() == [2, 4]  # SO2 sits on line 4 of the file


def test_short_rows_are_padded_with_none(tmp_path: Path, hints: frozenset[str]) -> None:
    text = "order_id,sku,qty,note\nSO1,A1,5\nSO2,A2,6,ok\n"
    sheet = _one(read_extract(_write(tmp_path, "so.csv", text), hints))
    assert _rows(sheet) == [["SO1", "A1", "5", None], ["SO2", "A2", "6", "ok"]]


def test_a_row_wider_than_the_sample_is_still_read(
    tmp_path: Path, hints: frozenset[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers.delimited, "_SAMPLE_BYTES", 40)  # the sample sees only the first lines
    text = "order_id,sku,qty\nSO1,A1,5\nSO2,A2,6\nSO3,A3,7,extra\n"
    sheet = _one(read_extract(_write(tmp_path, "so.csv", text), hints))
    assert list(sheet.frame.columns) == ["order_id", "sku", "qty", "column_4"]
    assert _rows(sheet)[2] == ["SO3", "A3", "7", "extra"]
    assert sheet.source_rows.tolist() == [2, 3, 4]


# --- title rows, totals, blanks -------------------------------------------------------------

REPORT = (
    "销售订单执行明细表\n"  # 1 title
    "日期: 2024-01-01 至 2024-01-31,仓库: 全部,,,,\n"  # 2 filter row
    ",,,,,,\n"  # 3 blank
    "订单号,订单日期,存货编码,仓库编码,数量,,备注\n"  # 4 header (one blank header cell over a blank column)
    'SO1,2024-01-05,A001,WH1,"1,234.50",, \n'  # 5
    ",,,,,,\n"  # 6 blank row
    "SO2,45297,A002,WH1,3,,加急\n"  # 7 (Excel serial date as text)
    '小计,,,,"1,237.50",,\n'  # 8 subtotal
    "\n"  # 9 empty line
    "SO3,2024/1/7,A003,WH2,(2),,退货冲回\n"  # 10
    '合 计:,,,,"1,235.50",,\n'  # 11 grand total
)


def test_title_filter_total_and_blank_rows(tmp_path: Path, hints: frozenset[str]) -> None:
    sheet = _one(read_extract(_write(tmp_path, "销售订单执行明细.csv", REPORT, "gbk"), hints))
    assert sheet.header_row == 4
    assert sheet.title_lines == ["销售订单执行明细表", "日期: 2024-01-01 至 2024-01-31 仓库: 全部"]
    assert list(sheet.frame.columns) == ["订单号", "订单日期", "存货编码", "仓库编码", "数量", "备注"]
    assert _rows(sheet) == [
        ["SO1", "2024-01-05", "A001", "WH1", "1,234.50", None],
        ["SO2", "45297", "A002", "WH1", "3", "加急"],
        ["SO3", "2024/1/7", "A003", "WH2", "(2)", "退货冲回"],
    ]
    assert sheet.source_rows.tolist() == [5, 7, 10]
    assert sheet.total_rows_dropped == [8, 11]
    assert sheet.blank_rows_dropped == 2


def test_parsed_values_from_a_report(tmp_path: Path, hints: frozenset[str]) -> None:
    sheet = _one(read_extract(_write(tmp_path, "销售订单执行明细.csv", REPORT, "gbk"), hints))
    qty, bad_qty = parse_numbers(sheet.frame["数量"])
    assert qty.tolist() == [1234.5, 3.0, -2.0] and not bad_qty.any()
    dates, bad_dates = parse_dates(sheet.frame["订单日期"])
    assert dates.dt.strftime("%Y-%m-%d").tolist() == ["2024-01-05", "2024-01-06", "2024-01-07"]
    assert not bad_dates.any()


def test_header_is_found_without_hints(tmp_path: Path) -> None:
    sheet = _one(read_extract(_write(tmp_path, "销售订单执行明细.csv", REPORT)))
    assert sheet.header_row == 4
    assert sheet.frame.columns[0] == "订单号"


def test_total_label_deep_in_a_row_is_data(tmp_path: Path, hints: frozenset[str]) -> None:
    text = "order_id,sku,warehouse_id,qty,note\nSO1,A1,WH1,5,Total\nSO2,小计,WH1,5,x\n"
    sheet = _one(read_extract(_write(tmp_path, "so.csv", text), hints))
    assert sheet.source_rows.tolist() == [
        2
    ]  # "小计" in the 2nd cell drops the row; "Total" in the 5th does not
    assert sheet.total_rows_dropped == [3]


def test_duplicate_and_blank_headers_are_named(tmp_path: Path, hints: frozenset[str]) -> None:
    text = "存货编码,数量,数量,,备注\nA1,1,2,x,\nA2,3,4,,\n"
    sheet = _one(read_extract(_write(tmp_path, "so.csv", text), hints))
    assert list(sheet.frame.columns) == ["存货编码", "数量", "数量 (2)", "column_4", "备注"]
    assert _rows(sheet) == [["A1", "1", "2", "x", None], ["A2", "3", "4", None, None]]


def test_header_labels_helper() -> None:
    assert header_labels(["a", None, "a", "a", ""]) == ["a", "column_2", "a (2)", "a (3)", "column_5"]


def test_find_header_row_prefers_hint_matches_over_text_rows() -> None:
    rows = [["库存报表", None], ["制表人", "张三"], ["存货编码", "数量"], ["A1", "5"]]
    assert find_header_row(rows, frozenset({"存货编码", "数量"})) == (2, 2)
    assert find_header_row(rows, frozenset()) == (1, 0)  # without hints the first text row with 2 cells
    assert find_header_row([["1", "2"], ["3", "4"]], frozenset()) is None


# --- Excel ----------------------------------------------------------------------------------


def _workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    data = wb.active
    data.title = "明细"
    data["A1"] = "采购入库单列表"
    data.append([])
    data.append(["入库单号", "入库日期", "存货编码", "数量", "单价", "已审核", None, "备注"])
    data.append(["RK001", dt.datetime(2024, 1, 5), "A001", 12.0, 0.1 + 0.2, True, None, None])
    data.append(["RK002", dt.datetime(2024, 1, 6, 13, 45), 6901234567890, 7, 19.99, False, None, "  加急  "])
    data.append([None] * 8)
    data.append(["合计", None, None, 19, None, None, None, None])
    data.append(["RK003", "2024/1/7", "A003", 1234.5, 1e-7, None, None, None])
    notes = wb.create_sheet("说明")
    notes["A1"] = "本表由系统导出"
    notes["A2"] = "数量单位为主计量单位"
    wb.create_sheet("空白")
    wb.save(path)
    return path


def test_xlsx_typed_cells_titles_totals_and_sheets(tmp_path: Path, hints: frozenset[str]) -> None:
    sheet = _one(read_extract(_workbook(tmp_path / "采购入库单列表.xlsx"), hints))
    assert sheet.sheet == "明细" and sheet.encoding is None
    assert sheet.header_row == 3 and sheet.title_lines == ["采购入库单列表"]
    assert list(sheet.frame.columns) == ["入库单号", "入库日期", "存货编码", "数量", "单价", "已审核", "备注"]
    assert _rows(sheet) == [
        ["RK001", "2024-01-05", "A001", "12", "0.3", "true", None],
        ["RK002", "2024-01-06 13:45:00", "6901234567890", "7", "19.99", "false", "加急"],
        ["RK003", "2024/1/7", "A003", "1234.5", "0.0000001", None, None],
    ]
    assert sheet.source_rows.tolist() == [4, 5, 8]  # Excel row numbers
    assert sheet.total_rows_dropped == [7] and sheet.blank_rows_dropped == 1
    assert sheet.frame["备注"].dtype == object


def test_xlsx_sheet_without_hint_matches_is_kept_when_alone(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["colour", "size"])
    ws.append(["red", "L"])
    wb.save(tmp_path / "other.xlsx")
    sheet = _one(read_extract(tmp_path / "other.xlsx", frozenset({"sku"})))
    assert sheet.sheet == "Data" and _rows(sheet) == [["red", "L"]]


def test_xlsx_lookup_sheet_is_skipped_when_another_sheet_matches(
    tmp_path: Path, hints: frozenset[str]
) -> None:
    wb = openpyxl.Workbook()
    data = wb.active
    data.title = "Sheet1"
    data.append(["sku", "warehouse_id", "qty"])
    data.append(["A1", "WH1", 3])
    lookup = wb.create_sheet("下拉选项")
    lookup.append(["颜色", "尺码"])
    lookup.append(["红", "L"])
    wb.save(tmp_path / "stock.xlsx")
    assert [s.sheet for s in read_extract(tmp_path / "stock.xlsx", hints)] == ["Sheet1"]
    assert [s.sheet for s in read_extract(tmp_path / "stock.xlsx")] == ["Sheet1", "下拉选项"]


def test_xlsx_with_an_excel_serial_number_cell(tmp_path: Path, hints: frozenset[str]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["结存日期", "存货编码", "仓库编码", "结存数量"])
    ws.append([45296, "A1", "WH1", "1,200"])  # a date left as a General-format number
    wb.save(tmp_path / "现存量.xlsx")
    sheet = _one(read_extract(tmp_path / "现存量.xlsx", hints))
    assert _rows(sheet) == [["45296", "A1", "WH1", "1,200"]]
    dates, bad = parse_dates(sheet.frame["结存日期"])
    assert dates.iloc[0].strftime("%Y-%m-%d") == "2024-01-05" and not bad.any()


def test_legacy_xls(tmp_path: Path, hints: frozenset[str]) -> None:
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("现存量")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    ws.write(0, 0, "现存量查询")
    for col, label in enumerate(["结存日期", "存货编码", "仓库编码", "结存数量", "结存金额"]):
        ws.write(2, col, label)
    ws.write(3, 0, dt.date(2024, 1, 31), date_style)
    ws.write(3, 1, "A001")
    ws.write(3, 2, "01")
    ws.write(3, 3, 15)
    ws.write(3, 4, 1234.56)
    ws.write(4, 0, "总计")
    ws.write(4, 3, 15)
    path = tmp_path / "现存量.XLS"  # upper-case suffix
    book.save(str(path))
    sheet = _one(read_extract(path, hints))
    assert sheet.sheet == "现存量" and sheet.header_row == 3 and sheet.title_lines == ["现存量查询"]
    assert _rows(sheet) == [["2024-01-31", "A001", "01", "15", "1234.56"]]
    assert sheet.source_rows.tolist() == [4] and sheet.total_rows_dropped == [5]


def test_text_saved_as_xls_is_read_as_text(tmp_path: Path, hints: frozenset[str]) -> None:
    text = "存货编码\t仓库编码\t结存数量\nA001\t01\t5\n"
    sheet = _one(read_extract(_write(tmp_path, "现存量.xls", text, "gbk"), hints))
    assert sheet.encoding == "gb18030" and sheet.sheet is None
    assert _rows(sheet) == [["A001", "01", "5"]]


def test_html_saved_as_xls_raises(tmp_path: Path) -> None:
    path = _write(tmp_path, "report.xls", "<html><table><tr><td>a</td></tr></table></html>")
    with pytest.raises(ExtractReadError, match=r"^report\.xls: .*web page"):
        read_extract(path)


# --- unreadable files -----------------------------------------------------------------------


def test_empty_file_raises_with_the_file_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "sales_orders_20251231.csv", "")
    with pytest.raises(ExtractReadError) as info:
        read_extract(path)
    assert str(info.value) == "sales_orders_20251231.csv: the file is empty"
    assert info.value.path == path


def test_blank_only_file_raises(tmp_path: Path) -> None:
    with pytest.raises(ExtractReadError, match=r"^blank\.csv: the file has no data"):
        read_extract(_write(tmp_path, "blank.csv", "\ufeff\n ,, \n\n", "utf-8"))


def test_empty_workbook_raises(tmp_path: Path) -> None:
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    with pytest.raises(ExtractReadError, match=r"^empty\.xlsx: the file has no data"):
        read_extract(tmp_path / "empty.xlsx")


def test_corrupt_xlsx_raises_with_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "items_20251231.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    with pytest.raises(ExtractReadError, match=r"^items_20251231\.xlsx: cannot read the workbook"):
        read_extract(path)


def test_text_named_xlsx_is_corrupt_not_text(tmp_path: Path) -> None:
    with pytest.raises(ExtractReadError, match=r"^items\.xlsx: cannot read the workbook"):
        read_extract(_write(tmp_path, "items.xlsx", "sku,name\nA,B\n"))


def test_unknown_extension_raises(tmp_path: Path) -> None:
    with pytest.raises(ExtractReadError, match=r"^report\.pdf: unsupported file type '\.pdf'"):
        read_extract(_write(tmp_path, "report.pdf", "%PDF-1.4"))


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(ExtractReadError, match=r"^gone\.csv: cannot open the file"):
        read_extract(tmp_path / "gone.csv")


def test_a_csv_without_a_table_gives_no_sheets(tmp_path: Path) -> None:
    assert read_extract(_write(tmp_path, "notes.txt", "just one line of notes\nand another\n")) == []


def test_extract_modules_import_neither_dagster_nor_duckdb() -> None:
    code = (
        "import sys, pipelines.ingest.extracts.readers, pipelines.ingest.extracts.mapping, pipelines.ingest.extracts.parsing;"
        "print(sorted(m for m in ('dagster', 'duckdb') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_two_row_merged_header_of_a_stock_report(tmp_path):
    """收发存汇总表: 期初/收入/发出/结存 merged over 数量/金额; the balance lands on 结存数量."""
    import openpyxl

    from pipelines.ingest.extracts.mapping import load_header_map
    from pipelines.ingest.extracts.validate import validate_file

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["收发存汇总表"])
    ws.append(["期间：2025-06-01 至 2025-06-30"])
    ws.append(["存货编码", "存货名称", "仓库", "期初", None, "收入", None, "发出", None, "结存", None])
    ws.append([None, None, None, "数量", "金额", "数量", "金额", "数量", "金额", "数量", "金额"])
    for rng in ("D3:E3", "F3:G3", "H3:I3", "J3:K3", "A3:A4", "B3:B4", "C3:C4"):
        ws.merge_cells(rng)
    ws.append(["A1", "杯", "W01", 10, 100, 5, 50, 3, 30, 12, 120])
    ws.append(["合计", None, None, 10, 100, 5, 50, 3, 30, 12, 120])
    path = tmp_path / "收发存汇总表.xlsx"
    wb.save(path)

    (sheet,) = read_extract(path, header_hints=load_header_map().all_labels)
    assert list(sheet.frame.columns) == [
        "存货编码",
        "存货名称",
        "仓库",
        "期初数量",
        "期初金额",
        "收入数量",
        "收入金额",
        "发出数量",
        "发出金额",
        "结存数量",
        "结存金额",
    ]
    assert sheet.header_row == 4 and list(sheet.source_rows) == [5] and sheet.total_rows_dropped == [6]
    v = validate_file(path, load_header_map(), {"items": {"A1"}, "warehouses": {"W01"}})
    assert v.ok
    row = v.rows.iloc[0]
    assert (str(row["snapshot_date"].date()), row["on_hand_qty"], row["stock_value"]) == (
        "2025-06-30",
        12.0,
        120.0,
    )


def test_header_rows_that_are_not_a_pair_stay_apart():
    from pipelines.ingest.extracts.readers import combine_header_rows

    assert combine_header_rows(["销售订单执行明细表", None, None], ["订单号", "数量", "金额"]) is None
    assert combine_header_rows(["期初", None, "期末", None], ["1", "2", "3", "4"]) is None


def test_a_file_mixing_utf8_and_gbk_lines_is_refused_with_the_lines(tmp_path):
    """Issue 16: a CSV of GBK lines with UTF-8 lines pasted in was read as GB18030 and the UTF-8 text
    loaded as garbage without an error."""
    from pipelines.ingest.extracts.readers import ExtractReadError, read_extract

    path = tmp_path / "销售订单.csv"
    gbk = "单号,行号,日期,存货编码,仓库编码,数量\nSO1,1,2025-01-02,A1,上海仓,4\n".encode("gbk")
    utf8 = "SO2,1,2025-01-03,A1,成都仓,5\n".encode()
    path.write_bytes(gbk + utf8)
    with pytest.raises(ExtractReadError, match=r"line 3 is UTF-8 and line 1 is GBK/GB18030"):
        read_extract(path)
    path.write_bytes(gbk)  # one encoding: read as before
    assert read_extract(path)[0].encoding == "gb18030"
