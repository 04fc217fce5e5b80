"""The DuckDB fast path gives the pandas path's raw tables and errors, file for file."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.ingest import fastpath
from pipelines.ingest import load as ingest
from pipelines.ingest.extracts.mapping import load_header_map
from pipelines.operations.settings import Settings
from pipelines.warehouse import connection as wh
from tests.conftest import write_csv

# Everything the readers clean up: padded cells, thousands separators, currency signs, every date
# format, enumerations in any case, Odoo "[CODE] Name" SKUs, missing line numbers, a blank record
# and a 合计 row, quoted delimiters, non-breaking and ideographic spaces.
SO_HEADER = [
    "order_id",
    "line_no",
    "order_date",
    "sku",
    "warehouse_id",
    "ordered_qty",
    "shipped_qty",
    "ship_date",
    "customer_name",
    "unit_price",
    "line_status",
    "notes",
]
SO_ROWS = [
    ["SO1", 1, "2025-01-02", "A1", "W01", "1,200", 1200, "2025-01-03", "Acme, Inc.", "¥12.50", "closed", ""],
    ["SO1", 2, "2025/1/2", "[B2] Pen", " W01 ", 5, 3, "2025年1月4日", "Acme, Inc.", "3", "Closed", "x"],
    ["SO2", None, "45659", "A1", "W02", "7", None, None, "\u3000Bob\u00a0", "1e1", "OPEN", ""],
    ["SO2", None, "20250105", "B2", "W02", "(0)", "0", "", "Bob", "2.5", "cancelled", ""],
    ["", "", "", "", "", "", "", "", "", "", "", ""],
    ["SO3", "1", "2025-01-06 10:22:11", "A1", "W01", "+4", "4", "2025-01-06", "C", "0.1", "closed", ""],
    ["SO3", "2", "2025-1-6", "B2", "W01", "2.000", "2", "2025-01-07", "C", "12", "", ""],
    ["合计", "", "", "", "", "1,218", "1,209", "", "", "", "", ""],
]


def _masters(settings: Settings) -> None:
    write_csv(
        settings.inbox / "warehouses.csv",
        ["warehouse_id", "warehouse_name"],
        [["W01", "Shanghai"], ["W02", "Chengdu"]],
    )
    write_csv(settings.inbox / "items.csv", ["sku", "sku_name"], [["A1", "Cup"], ["B2", "Pen"]])


def _ingest(settings: Settings, *kinds: str):
    header_map = load_header_map()
    with wh.connect(settings.warehouse_path) as conn:
        return [ingest.ingest_kind(conn, settings, k, header_map) for k in kinds]


def _table(settings: Settings, kind: str) -> pd.DataFrame:
    with wh.connect(settings.warehouse_path, read_only=True) as conn:
        frame = conn.execute(f"select * from raw.{kind} order by _source_row").df()
    return frame.drop(columns=["_load_id", "_loaded_at"])


def _message(settings: Settings, file_name: str) -> str:
    with wh.connect(settings.warehouse_path, read_only=True) as conn:
        return conn.execute("select message from raw._files where file_name = ?", [file_name]).fetchall()[0][
            0
        ]


def _settings_at(settings: Settings, name: str) -> Settings:
    home = settings.home.parent / name
    other = Settings(
        home=home,
        inbox=home / "inbox",
        archive=home / "archive",
        quarantine=home / "quarantine",
        warehouse_path=home / "warehouse.duckdb",
        exports=home / "exports",
        dagster_home=home / "dagster",
    )
    other.ensure_dirs()
    return other


@pytest.fixture
def both(settings, monkeypatch):
    """Two homes with the masters loaded: (pandas path home, fast path home)."""
    slow, fast = _settings_at(settings, "slow"), _settings_at(settings, "fast")
    for s in (slow, fast):
        _masters(s)
        _ingest(s, "warehouses", "items")
    return slow, fast


def _through_both(
    both, monkeypatch, name: str, write, kind: str = "sales_orders"
) -> tuple[pd.DataFrame, pd.DataFrame, str, str]:
    slow, fast = both
    write(slow.inbox / name)
    shutil.copy(slow.inbox / name, fast.inbox / name)
    monkeypatch.setattr(fastpath, "FAST_PATH_MIN_BYTES", 1 << 40)
    (result,) = _ingest(slow, kind)
    assert [o.status for o in result.outcomes] == ["loaded"], result.outcomes
    monkeypatch.setattr(fastpath, "FAST_PATH_MIN_BYTES", 0)
    (result,) = _ingest(fast, kind)
    assert [o.status for o in result.outcomes] == ["loaded"], result.outcomes
    return _table(slow, kind), _table(fast, kind), _message(slow, name), _message(fast, name)


def test_csv_gives_the_same_raw_table_on_both_paths(both, monkeypatch):
    def write(path):
        write_csv(path, SO_HEADER, SO_ROWS)
        with path.open("a", encoding="utf-8") as fh:
            fh.write("\r\n")  # a trailing blank line (csv.writer ends lines with CRLF)

    slow, fast, slow_msg, fast_msg = _through_both(both, monkeypatch, "sales_orders.csv", write)
    assert "fast path" in fast_msg and "fast path" not in slow_msg
    assert slow_msg.split(";")[0] == fast_msg.split(";")[0] == "1 total row(s) dropped"
    assert len(fast) == 6
    pd.testing.assert_frame_equal(slow, fast)
    assert list(fast["_source_row"]) == [2, 3, 4, 5, 7, 8]
    assert list(fast["sku"]) == ["A1", "B2", "A1", "B2", "A1", "B2"]
    assert list(fast["line_no"][2:4]) == ["1", "2"]  # numbered within the order, as the pandas path does
    assert list(fast["line_status"][:4]) == ["closed", "closed", "open", "cancelled"]


def test_chinese_gb18030_report_with_title_rows_gives_the_same_table(both, monkeypatch):
    text = (
        "销售订单明细表\n制表日期：2025-02-01\n"
        "单据号,行号,单据日期,存货编码,仓库编码,数量,累计出库数量\n"
        'SO1,1,2025-01-02,A1,W01,"1,000",800\n'
        "SO1,2,2025-01-02,B2,W02,5,5\n"
        ",,,,,,\n"
        '合 计,,,,,"1,005",805\n'
    )
    slow, fast, _, fast_msg = _through_both(
        both, monkeypatch, "销售订单.csv", lambda p: p.write_text(text, encoding="gb18030")
    )
    assert "fast path" in fast_msg
    pd.testing.assert_frame_equal(slow, fast)
    assert list(fast["_source_row"]) == [4, 5] and list(fast["ordered_qty"]) == [1000.0, 5.0]


def test_stock_report_dated_in_its_title_gives_the_same_table(both, monkeypatch):
    text = "即时库存查询\n截止日期：2025年6月30日\n物料编码,仓库,库存量\nA1,W01,12\nB2,W02,-3\n合计,,9\n"
    slow, fast, _, fast_msg = _through_both(
        both, monkeypatch, "即时库存.csv", lambda p: p.write_text(text, encoding="gb18030"), "stock_snapshots"
    )
    assert "fast path" in fast_msg and "taken from the title rows" in fast_msg
    pd.testing.assert_frame_equal(slow, fast)
    assert [str(d.date()) for d in fast["snapshot_date"]] == ["2025-06-30"] * 2
    assert list(fast["on_hand_qty"]) == [12.0, -3.0]


def test_parquet_is_an_extract_format_and_gives_the_same_table(both, monkeypatch):
    table = pa.table(
        {
            "Order No": ["SO1", "SO1", "SO2"],
            "Line": pa.array([1, 2, 1], pa.int64()),
            "Order Date": pa.array(
                [pd.Timestamp("2025-01-02"), pd.Timestamp("2025-01-02"), None], pa.date32()
            ),
            "SKU": ["A1", " B2", "A1"],
            "Warehouse": ["W01", "W01", "W02"],
            "Qty": [1.5, 0.1 + 0.2, float("nan")],
            "ship_date": pa.array(
                [pd.Timestamp("2025-01-03 10:00"), pd.Timestamp("2025-01-04"), None], pa.timestamp("us")
            ),
            "unit_price": pa.array([1, 2, None], pa.decimal128(10, 2)),
        }
    )
    # A missing order date and a NaN quantity would reject the file: fill them.
    table = table.set_column(2, "Order Date", pa.array([pd.Timestamp("2025-01-02")] * 3, pa.date32()))
    table = table.set_column(5, "Qty", pa.array([1.5, 0.1 + 0.2, 7.0]))
    slow, fast, _, fast_msg = _through_both(
        both, monkeypatch, "sales_orders.parquet", lambda p: pq.write_table(table, p)
    )
    assert "fast path" in fast_msg
    pd.testing.assert_frame_equal(slow, fast)
    assert list(fast["_source_row"]) == [1, 2, 3]
    assert list(fast["ordered_qty"]) == [1.5, 0.1 + 0.2, 7.0]  # numbers load unchanged
    assert list(fast["sku"]) == ["A1", "B2", "A1"]
    assert list(fast["unit_price"][:2]) == [1.0, 2.0]


def _errors(settings: Settings, name: str) -> pd.DataFrame:
    return pd.read_csv(settings.quarantine / f"{name}.errors.csv", encoding="utf-8-sig", dtype=str)


def test_fast_path_errors_name_file_row_column_and_match_the_pandas_path(both, monkeypatch):
    rows = [
        ["SO1", 1, "2025-01-02", "A1", "W01", 4, 4, "2025-01-02"],
        ["SO2", 1, "2025-02-30", "A1", "W01", 1, 1, ""],  # row 3: impossible date
        ["SO2", 2, "2025-01-02", "A1", "W01", -3, 0, ""],  # row 4: negative quantity
        [
            "SO2",
            3,
            "2025-01-02",
            "ZZ9",
            "W09",
            "lots",
            1,
            "",
        ],  # row 5: unknown SKU and warehouse, not a number
        ["SO2", 3, "2025-01-02", "A1", "W01", 1, "", ""],  # row 6: duplicate key with row 5
        ["SO3", 1, "", "A1", "W01", 1, 1, "2025/13/1"],  # row 7: order date empty, ship date bad
    ]
    header = SO_HEADER[:8]
    reports = []
    prepared = []
    real_prepare = fastpath.prepare

    def spy(*args, **kwargs):
        prepared.append(real_prepare(*args, **kwargs))  # raises Declined if the fast path gives up
        return prepared[-1]

    monkeypatch.setattr(fastpath, "prepare", spy)
    for home, threshold in zip(both, (1 << 40, 0), strict=True):
        write_csv(home.inbox / "sales_orders_bad.csv", header, rows)
        monkeypatch.setattr(fastpath, "FAST_PATH_MIN_BYTES", threshold)
        (result,) = _ingest(home, "sales_orders")
        assert [o.status for o in result.outcomes] == ["rejected"]
        reports.append(_errors(home, "sales_orders_bad.csv"))
        assert _table(home, "sales_orders").empty  # nothing of the file loaded
        assert (home.quarantine / "sales_orders_bad.csv").exists()
    slow, fast = reports
    assert len(prepared) == 1 and not prepared[0].validation.errors.empty  # the fast path found them
    found = {(int(r.row), r.column, r.reason.split(":")[0].split(" (")[0]) for r in fast.itertuples()}
    assert {
        (3, "order_date", "not a date"),
        (4, "ordered_qty", "must not be negative"),
        (5, "ordered_qty", "not a number"),
        (5, "sku", "unknown sku"),
        (5, "warehouse_id", "unknown warehouse_id"),
        (5, "order_id+line_no", "duplicate key"),
        (6, "order_id+line_no", "duplicate key"),
        (7, "order_date", "required value is empty"),
        (7, "ship_date", "not a date"),
    } == found
    assert set(fast["file"]) == {"sales_orders_bad.csv"}
    by_cell = fast.set_index(["row", "column"])
    assert by_cell.loc[("3", "order_date"), "value"] == "2025-02-30"
    assert by_cell.loc[("4", "ordered_qty"), "value"] == "-3.0"
    assert by_cell.loc[("5", "order_id+line_no"), "reason"] == (
        "duplicate key: the same order_id, line_no is on rows 5, 6"
    )
    key = ["row", "column", "value", "reason", "file_column"]
    pd.testing.assert_frame_equal(
        slow.sort_values(key).reset_index(drop=True), fast.sort_values(key).reset_index(drop=True)
    )


def test_dates_outside_the_accepted_window_are_rejected_on_both_paths(both, monkeypatch):
    """Issue 16: 0001-01-01 and 9999-12-31 were accepted, and the dbt build densified its calendars over
    them (24 GB spilled). Rows dated before STOCKFLOW_EARLIEST_DATE or more than STOCKFLOW_MAX_FUTURE_DAYS
    after today are errors of their file, with row, column and value, on either path."""
    rows = [
        ["SO1", 1, "2025-01-02", "A1", "W01", 4, 4, "2025-01-02"],
        ["SO2", 1, "0001-01-01", "A1", "W01", 1, 1, ""],  # row 3: far past
        ["SO3", 1, "2025-01-02", "A1", "W01", 1, 1, "9999-12-31"],  # row 4: far future ship date
    ]
    reports = []
    for home, threshold in zip(both, (1 << 40, 0), strict=True):
        write_csv(home.inbox / "sales_orders_dates.csv", SO_HEADER[:8], rows)
        monkeypatch.setattr(fastpath, "FAST_PATH_MIN_BYTES", threshold)
        (result,) = _ingest(home, "sales_orders")
        assert [o.status for o in result.outcomes] == ["rejected"], result.outcomes
        assert _table(home, "sales_orders").empty
        reports.append(_errors(home, "sales_orders_dates.csv"))
    slow, fast = reports
    found = {(int(r.row), r.column, r.value) for r in fast.itertuples()}
    assert found == {(3, "order_date", "0001-01-01"), (4, "ship_date", "9999-12-31")}
    assert all(r.startswith("outside the accepted dates 2000-01-01 to ") for r in fast["reason"])
    key = ["row", "column", "value", "reason", "file_column"]
    pd.testing.assert_frame_equal(
        slow.sort_values(key).reset_index(drop=True), fast.sort_values(key).reset_index(drop=True)
    )


def test_fast_path_missing_required_column_and_unknown_header(both, monkeypatch):
    _, home = both
    monkeypatch.setattr(fastpath, "FAST_PATH_MIN_BYTES", 0)
    write_csv(
        home.inbox / "sales_orders.csv",
        ["order_id", "order_date", "sku", "warehouse_id", "qty_xyz"],
        [["SO1", "2025-01-02", "A1", "W01", 3]],
    )
    (result,) = _ingest(home, "sales_orders")
    assert [o.status for o in result.outcomes] == ["rejected"]
    errors = _errors(home, "sales_orders.csv")
    assert list(errors["column"]) == ["ordered_qty"] and list(errors["file"]) == ["sales_orders.csv"]
    assert "required column missing" in errors["reason"][0] and "qty_xyz" in errors["reason"][0]
    report = (home.quarantine / "sales_orders.csv.report.md").read_text(encoding="utf-8")
    assert "| qty_xyz | (not used) |" in report


def test_fast_path_declines_what_it_cannot_number_and_the_pandas_path_loads_it(both, monkeypatch):
    _, home = both
    monkeypatch.setattr(fastpath, "FAST_PATH_MIN_BYTES", 0)
    path = write_csv(
        home.inbox / "sales_orders.csv", SO_HEADER[:6], [["SO1", 1, "2025-01-02", "A1", "W01", 1]]
    )
    with path.open("a", encoding="utf-8") as fh:
        fh.write('\n"SO2",1,2025-01-02,A1,W01,2\n"SO3","multi\nline",2025-01-02,A1,W01,3\n')
    (result,) = _ingest(home, "sales_orders")
    assert [o.status for o in result.outcomes] == ["loaded"], result.outcomes
    assert "read by pandas" in _message(home, "sales_orders.csv")
    assert list(_table(home, "sales_orders")["_source_row"]) == [2, 4, 5]


def test_large_file_without_a_keyword_is_classified_from_its_head(settings, monkeypatch):
    monkeypatch.setattr(fastpath, "FAST_PATH_MIN_BYTES", 0)
    path = write_csv(
        settings.inbox / "export_0001.csv",
        ["receipt_id", "receipt_date", "sku", "warehouse_id", "received_qty"],
        [["R1", "2025-01-02", "A1", "W01", 10]],
    )
    detection = ingest.classify(path, load_header_map())
    assert detection.kind == "receipts" and detection.method == "headers"


def test_total_label_regex_matches_what_the_pandas_path_drops():
    from pipelines.ingest.extracts.parsing import is_total_label

    labels = [
        "合计",
        "合 计",
        "合\u3000计：",
        "Total",
        "ＴＯＴＡＬ",
        "grand total:",
        "小计",
        "Sum",
        "本页合计",
    ]
    others = ["合计数量", "SO1", "totally", "", "sum1"]
    with duckdb.connect() as conn:
        for text in labels + others:
            got = conn.execute(
                "select regexp_full_match(?, ?)", [text, fastpath.total_label_regex()]
            ).fetchall()[0][0]
            assert got == is_total_label(text), text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_demo_company_loads_identically_on_both_paths(settings, tmp_path, lang, monkeypatch):
    """Every extract of a small demo company (zh: GB18030, title rows, 合计 rows, Chinese statuses),
    each large text file through the fast path in one warehouse and the pandas path in the other."""
    from datetime import date

    from pipelines.demo import DemoConfig, generate_demo
    from pipelines.ingest.extracts.schema import LOAD_ORDER

    extracts = tmp_path / "extracts"
    config = DemoConfig(skus=30, warehouses=2, days=60, seed=5, lang=lang, end_date=date(2025, 6, 30))
    generate_demo(extracts, config, progress=False)
    tables, messages = {}, {}
    for mode, threshold in (("pandas", 1 << 40), ("fast", 0)):
        home = _settings_at(settings, mode)
        for f in extracts.iterdir():
            shutil.copy2(f, home.inbox / f.name)
        monkeypatch.setattr(fastpath, "FAST_PATH_MIN_BYTES", threshold)
        results = _ingest(home, *LOAD_ORDER)
        assert all(o.status == "loaded" for r in results for o in r.outcomes), results
        messages[mode] = [o.message for r in results for o in r.outcomes]
        tables[mode] = {kind: _table(home, kind) for kind in LOAD_ORDER}
    assert sum("fast path" in m for m in messages["fast"]) == sum(
        f.suffix == ".csv" for f in extracts.iterdir()
    )  # every CSV took the fast path
    for kind in LOAD_ORDER:
        pd.testing.assert_frame_equal(tables["pandas"][kind], tables["fast"][kind], obj=kind)
        assert len(tables["fast"][kind]), kind


MOVE_HEADER = ["单据号", "单据日期", "仓库编码", "存货编码", "业务类型", "数量", "备注"]


def test_signed_movements_load_alike_and_their_sign_and_size_errors_match_on_both_paths(both, monkeypatch):
    """Issue 16, item 1: stock movements are signed by their effect on stock. Signed adjustments (盘亏 -5,
    盘盈 +3, 调整 either way, a zero, thousands separators) load the same on both paths; a quantity against
    its type's direction (其他入库 -5, 报损 +4, 盘亏 +5, 盘盈 -1) and one beyond 10^15 (two of 1.7e308
    overflowed the dbt build's sums) are errors naming file, row and column, the same on both paths."""
    good = [
        ["PD1", "2025-01-04", "W01", "A1", "盘亏", "-5", "count loss"],
        ["PD1", "2025-01-04", "W01", "B2", "盘盈", "+3", "count gain"],
        ["PD2", "2025-01-05", "W01", "A1", "盘点调整", "-1,234.5", ""],
        ["PD2", "2025-01-05", "W01", "B2", "adjustment", "(2)", ""],
        ["PD3", "2025-01-06", "W01", "A1", "盘亏", "0", "nothing found missing"],
        ["PD3", "2025-01-06", "W01", "B2", "报损", "-1", "damaged"],
    ]
    slow, fast, _, fast_msg = _through_both(
        both, monkeypatch, "盘点调整.csv", lambda p: write_csv(p, MOVE_HEADER, good), "stock_movements"
    )
    assert "fast path" in fast_msg
    pd.testing.assert_frame_equal(slow, fast)
    assert list(fast["qty"]) == [-5.0, 3.0, -1234.5, -2.0, 0.0, -1.0]
    assert list(fast["movement_type"]) == ["adjustment"] * 5 + ["scrap"]

    bad = [
        ["QT1", "2025-01-04", "W01", "A1", "其他入库", "-5", ""],  # row 2: an in type taking stock out
        ["QT1", "2025-01-04", "W01", "B2", "报损", "4", ""],  # row 3: scrap putting stock in
        ["QT2", "2025-01-05", "W01", "A1", "盘亏", "5", ""],  # row 4: an unsigned count loss
        ["QT2", "2025-01-05", "W01", "B2", "盘盈", "-1", ""],  # row 5: a count gain taking stock out
        ["QT3", "2025-01-06", "W01", "A1", "盘点调整", "1.7e308", ""],  # row 6: too large
        ["QT3", "2025-01-06", "W01", "B2", "盘点调整", "-3", ""],  # row 7: fine
        ["QT4", "2025-01-06", "W01", "A1", "调拨出库", "-2", ""],  # row 8: fine
    ]
    reports = []
    for home, threshold in zip(both, (1 << 40, 0), strict=True):
        write_csv(home.inbox / "其他出入库_bad.csv", MOVE_HEADER, bad)
        monkeypatch.setattr(fastpath, "FAST_PATH_MIN_BYTES", threshold)
        (result,) = _ingest(home, "stock_movements")
        assert [o.status for o in result.outcomes] == ["rejected"], result.outcomes
        reports.append(_errors(home, "其他出入库_bad.csv"))
    slow_errors, fast_errors = reports
    found = {(int(r.row), r.column, r.file_column, r.value) for r in fast_errors.itertuples()}
    assert found == {
        (2, "qty", "数量", "-5.0"),
        (3, "qty", "数量", "4.0"),
        (4, "qty", "数量", "5.0"),
        (5, "qty", "数量", "-1.0"),
        (6, "qty", "数量", "1.7e+308"),
    }
    reason = fast_errors.set_index("row")["reason"]
    assert reason["2"].startswith("movement_type '其他入库' (other_in) only moves stock into the warehouse")
    assert reason["4"].startswith(
        "movement_type '盘亏' says stock went out of the warehouse: its quantity must be 0 or less"
    )
    assert reason["6"].startswith("too large")
    assert set(fast_errors["file"]) == {"其他出入库_bad.csv"}
    key = ["row", "column", "value", "reason", "file_column"]
    pd.testing.assert_frame_equal(
        slow_errors.sort_values(key).reset_index(drop=True),
        fast_errors.sort_values(key).reset_index(drop=True),
    )


def test_an_exchange_rate_of_zero_or_less_is_rejected_on_both_paths(both, monkeypatch):
    """Issue 16: an FX rate of 0 passed ingest and failed the dbt build (its `rate > 0` test), skipping 171
    models. A rate must be greater than 0: the row is an error of its file, with row, column and value."""
    rows = [["2025-01-01", "USD", "7.1"], ["2025-01-02", "USD", "0"], ["2025-01-03", "EUR", "-7.8"]]
    reports = []
    for home, threshold in zip(both, (1 << 40, 0), strict=True):
        write_csv(home.inbox / "fx_rates.csv", ["rate_date", "currency", "rate"], rows)
        monkeypatch.setattr(fastpath, "FAST_PATH_MIN_BYTES", threshold)
        (result,) = _ingest(home, "fx_rates")
        assert [o.status for o in result.outcomes] == ["rejected"], result.outcomes
        reports.append(_errors(home, "fx_rates.csv"))
    for errors in reports:
        found = {(int(r.row), r.column, float(r.value), r.reason) for r in errors.itertuples()}
        assert found == {
            (3, "rate", 0.0, "must be greater than 0"),
            (4, "rate", -7.8, "must be greater than 0"),
        }
