"""Parquet extracts loaded in place: validated where they are, raw.<kind> reads them from the archive.

Same rows, columns and lineage as loading them by copy (and as the CSV extracts of the same company),
errors still name file, row and column, a failed load leaves the file in the inbox, and a moved archive
is found again through STOCKFLOW_ARCHIVE or reported clearly.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.demo import DemoConfig, generate_demo
from pipelines.ingest import load as ingest
from pipelines.ingest.extracts.mapping import load_header_map
from pipelines.ingest.extracts.schema import KINDS, LOAD_ORDER
from pipelines.operations.settings import Settings
from pipelines.warehouse import connection as wh
from tests.conftest import home_at, write_csv

TEXT_KINDS = (
    "suppliers",
    "purchase_orders",
    "receipts",
    "sales_orders",
    "stock_snapshots",
    "stock_movements",
)


def _ingest(settings: Settings, *kinds: str) -> list[ingest.FileOutcome]:
    header_map = load_header_map()
    with wh.connect(settings.warehouse_path) as conn:
        return [o for k in kinds for o in ingest.ingest_kind(conn, settings, k, header_map).outcomes]


def _query(settings: Settings, sql: str) -> list[tuple]:
    with wh.connect(settings.warehouse_path, read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _table(settings: Settings, kind: str, lineage: bool = True) -> pd.DataFrame:
    with wh.connect(settings.warehouse_path, read_only=True) as conn:
        frame = conn.execute(f"select * from raw.{kind} order by _load_id, _source_row").df()
    drop = ["_load_id", "_loaded_at"] if lineage else list(wh.LINEAGE_COLUMNS)
    return frame.drop(columns=drop)


@pytest.fixture(scope="module")
def demo_extracts(tmp_path_factory):
    """One small demo company written twice: Parquet extracts and CSV extracts."""
    out = {}
    for fmt in ("parquet", "csv"):
        folder = tmp_path_factory.mktemp(f"demo_{fmt}")
        config = DemoConfig(
            skus=25, warehouses=2, days=45, seed=3, end_date=date(2025, 6, 30), extract_format=fmt
        )
        generate_demo(folder, config, progress=False)
        out[fmt] = folder
    return out


def _load_demo(settings: Settings, folder) -> list[ingest.FileOutcome]:
    for f in folder.iterdir():
        shutil.copy2(f, settings.inbox / f.name)
    outcomes = _ingest(settings, *LOAD_ORDER)
    assert all(o.status == "loaded" for o in outcomes), outcomes
    return outcomes


def test_in_place_gives_the_rows_and_lineage_of_a_copy(settings, demo_extracts):
    in_place, copied = home_at(settings, "in_place"), home_at(settings, "copy", parquet_load="copy")
    outcomes = _load_demo(in_place, demo_extracts["parquet"])
    _load_demo(copied, demo_extracts["parquet"])
    placed = {o.kind for o in outcomes if "loaded in place" in o.message}
    assert placed == set(TEXT_KINDS)  # every Parquet extract of the demo company is read in place
    views = {
        name
        for (name,) in _query(
            in_place,
            "select table_name from information_schema.tables where table_schema = 'raw' "
            "and table_type = 'VIEW'",
        )
    }
    assert views == set(TEXT_KINDS)
    assert _query(copied, "select count(*) from raw._parquet_loads") == [(0,)]
    for kind in LOAD_ORDER:
        a, b = _table(in_place, kind), _table(copied, kind)
        assert len(a), kind
        pd.testing.assert_frame_equal(a, b, obj=kind)
        # same column names and types as the table a copy fills (what the dbt source declares); a view has
        # no column defaults (the table's _deleted defaults to false)
        described = [_query(home, f"select column_name, column_type, null from (describe raw.{kind})")
                     for home in (in_place, copied)]  # fmt: skip
        assert described[0] == described[1], kind


def test_in_place_rows_trace_to_the_archived_file_and_record(settings, demo_extracts):
    home = home_at(settings, "trace")
    _load_demo(home, demo_extracts["parquet"])
    (moved_to, load_id, rows), *_ = _query(
        home, "select moved_to, load_id, rows_loaded from raw._files where kind = 'sales_orders'"
    )
    archived = (
        home.archive
        / _query(home, f"select archived_file from raw._parquet_loads where load_id = {load_id}")[0][0]
    )
    assert str(archived) == moved_to and archived.is_file()
    assert not any(home.inbox.iterdir())  # every file left the inbox
    sha = hashlib.sha256(archived.read_bytes()).hexdigest()
    lineage = _query(
        home,
        "select distinct _source_file, _source_sheet, _file_sha256, _load_id from raw.sales_orders",
    )
    assert lineage == [(archived.name, None, sha, load_id)]
    # _source_row is the record number in the file: record 5 of the file is row 5 of raw
    record = pq.read_table(archived).slice(4, 1).to_pylist()[0]
    (got,) = _query(home, "select order_id, line_no, ordered_qty from raw.sales_orders where _source_row = 5")
    assert got == (record["order_id"], str(record["line_no"]), float(record["ordered_qty"]))
    assert _query(home, "select min(_source_row), max(_source_row), count(*) from raw.sales_orders") == [
        (1, rows, rows)
    ]


def test_parquet_and_csv_extracts_give_the_same_values(settings, demo_extracts):
    pq_home, csv_home = home_at(settings, "pq"), home_at(settings, "csv")
    _load_demo(pq_home, demo_extracts["parquet"])
    _load_demo(csv_home, demo_extracts["csv"])
    for kind in LOAD_ORDER:
        keys = list(KINDS[kind].key)
        a = _table(pq_home, kind, lineage=False).sort_values(keys).reset_index(drop=True)
        b = _table(csv_home, kind, lineage=False).sort_values(keys).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, obj=kind)


def _masters(settings: Settings) -> None:
    write_csv(settings.inbox / "warehouses.csv", ["warehouse_id", "warehouse_name"], [["W01", "Shanghai"]])
    write_csv(settings.inbox / "items.csv", ["sku", "sku_name"], [["A1", "Cup"], ["B2", "Pen"]])
    _ingest(settings, "warehouses", "items")


def _orders(lines: list[tuple]) -> pa.Table:
    return pa.table(
        {
            "order_id": [x[0] for x in lines],
            "line_no": pa.array([x[1] for x in lines], pa.int64()),
            "order_date": pa.array([x[2] for x in lines], pa.date32()),
            "sku": [x[3] for x in lines],
            "warehouse_id": ["W01"] * len(lines),
            "ordered_qty": pa.array([x[4] for x in lines], pa.float64()),
        }
    )


def test_errors_in_a_parquet_file_name_file_record_and_column(settings):
    _masters(settings)
    table = _orders(
        [
            ("SO1", 1, date(2025, 1, 2), "A1", 4.0),
            ("SO1", 2, date(2025, 1, 2), "B2", 1.0),
            ("SO2", 1, date(2025, 1, 3), "A1", -3.0),  # record 3: negative
            ("SO3", 1, date(2025, 1, 3), "Z9", 1.0),  # record 4: unknown SKU
        ]
    )
    pq.write_table(table, settings.inbox / "sales_orders_bad.parquet")
    (outcome,) = _ingest(settings, "sales_orders")
    assert outcome.status == "rejected"
    errors = pd.read_csv(
        settings.quarantine / "sales_orders_bad.parquet.errors.csv", encoding="utf-8-sig", dtype=str
    )
    got = set(zip(errors["file"], errors["row"], errors["column"], errors["value"], strict=True))
    assert got == {
        ("sales_orders_bad.parquet", "3", "ordered_qty", "-3.0"),
        ("sales_orders_bad.parquet", "4", "sku", "Z9"),
    }
    assert _query(settings, "select count(*) from raw._parquet_loads") == [(0,)]
    assert _query(
        settings, "select table_type from information_schema.tables where table_name = 'sales_orders'"
    ) == [("BASE TABLE",)]
    assert not (settings.archive.exists() and any(settings.archive.rglob("*.parquet")))


def test_csv_then_parquet_then_csv_share_one_raw_view_with_versions_by_load_id(settings):
    _masters(settings)
    header = ["order_id", "line_no", "order_date", "sku", "warehouse_id", "ordered_qty"]
    write_csv(settings.inbox / "sales_orders_1.csv", header, [["SO1", "1", "2025-01-02", "A1", "W01", "4"]])
    (first,) = _ingest(settings, "sales_orders")
    pq.write_table(
        _orders([("SO1", 1, date(2025, 1, 2), "A1", 5.0), ("SO2", 1, date(2025, 1, 3), "B2", 2.0)]),
        settings.inbox / "sales_orders_2.parquet",
    )
    (second,) = _ingest(settings, "sales_orders")
    write_csv(settings.inbox / "sales_orders_3.csv", header, [["SO2", "1", "2025-01-03", "B2", "W01", "3"]])
    (third,) = _ingest(settings, "sales_orders")
    assert "loaded in place" in second.message and "loaded in place" not in third.message
    assert (second.rows_superseded, third.rows_superseded) == (1, 1)  # SO1/1, then SO2/1
    rows = _query(
        settings,
        "select _source_file, _source_row, order_id, ordered_qty from raw.sales_orders order by _load_id, _source_row",
    )
    assert rows == [
        ("sales_orders_1.csv", 2, "SO1", 4.0),
        ("sales_orders_2.parquet", 1, "SO1", 5.0),
        ("sales_orders_2.parquet", 2, "SO2", 2.0),
        ("sales_orders_3.csv", 2, "SO2", 3.0),
    ]
    # the rows read from CSV stay in the warehouse, in the table under the view
    assert _query(settings, f"select count(*) from {wh.stored_table('sales_orders')}") == [(2,)]
    comment = _query(settings, "select comment from duckdb_views() where view_name = 'sales_orders'")[0][0]
    assert "raw._parquet_loads" in comment and str(settings.archive) in comment


def test_a_failed_in_place_load_leaves_the_file_in_the_inbox(settings, monkeypatch):
    _masters(settings)
    path = settings.inbox / "sales_orders.parquet"
    pq.write_table(_orders([("SO1", 1, date(2025, 1, 2), "A1", 4.0)]), path)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(wh, "rebuild_raw_view", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        _ingest(settings, "sales_orders")
    monkeypatch.undo()
    assert path.is_file()
    assert not any(settings.archive.rglob("*.parquet"))  # the archive link was taken back
    assert _query(
        settings, "select count(*) from raw._files where status = 'loaded' and kind = 'sales_orders'"
    ) == [(0,)]
    (outcome,) = _ingest(settings, "sales_orders")  # the next run loads it
    assert outcome.status == "loaded" and "loaded in place" in outcome.message


def test_a_moved_archive_is_reported_and_found_through_the_setting(settings):
    _masters(settings)
    pq.write_table(
        _orders([("SO1", 1, date(2025, 1, 2), "A1", 4.0)]), settings.inbox / "sales_orders.parquet"
    )
    _ingest(settings, "sales_orders")
    moved = settings.home.parent / "elsewhere" / "archive"
    moved.parent.mkdir()
    shutil.move(settings.archive, moved)
    with pytest.raises(wh.ArchiveMissingError, match="STOCKFLOW_ARCHIVE") as info:
        _ingest(settings, "sales_orders")
    assert "sales_orders.parquet (load" in str(info.value)
    relocated = dataclasses.replace(settings, archive=moved)
    _ingest(relocated, "sales_orders")  # the view is rebuilt on the archive's new place
    assert _query(settings, "select order_id, ordered_qty from raw.sales_orders") == [("SO1", 4.0)]


def test_what_cannot_be_read_in_place_is_copied_and_says_why(settings):
    _masters(settings)
    table = _orders([("SO1", 1, date(2025, 1, 2), " A1", 4.0)])  # a padded SKU: Python cleans it
    pq.write_table(table, settings.inbox / "sales_orders.parquet")
    (outcome,) = _ingest(settings, "sales_orders")
    assert outcome.status == "loaded" and "loaded in place" not in outcome.message
    assert "copied" in outcome.message and "pandas path's parsers" in outcome.message
    assert _query(settings, "select sku from raw.sales_orders") == [("A1",)]
