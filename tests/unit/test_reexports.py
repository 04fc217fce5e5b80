"""A corrected re-export replaces what it corrects, deletions included (issue 16, item 4).

A file with the same name and kind as an earlier one replaces it: the keys whose current version came
from that name and that the new file lacks get a tombstone (a copy of their row with ``_deleted``), in
the load's transaction. Real files, real ingest into a DuckDB file under tmp_path, on each load path.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.ingest import fastpath
from pipelines.ingest import load as ingest
from pipelines.ingest.extracts.mapping import load_header_map
from pipelines.operations.settings import Settings
from pipelines.warehouse import connection as wh
from tests.conftest import SO_HEADER, home_at, write_csv

HEADER = SO_HEADER
KEY = ["order_id", "line_no"]


def _line(n: int, shipped: int = 1) -> list:
    return [
        f"SO{n:03d}",
        1,
        f"2025-06-{1 + n % 28:02d}",
        "A1" if n % 2 else "B2",
        "W01",
        2,
        shipped,
        "2025-06-28",
    ]


FIRST = [_line(n) for n in range(60)]  # SO000 .. SO059
DELETED = {f"SO{n:03d}" for n in range(40, 60)}  # 20 lines the re-export no longer holds
CHANGED = {f"SO{n:03d}" for n in range(10)}  # 10 lines shipped 2, not 1
# the corrected re-export: 10 changed, 30 as they were, 5 new (SO100 .. SO104), 20 gone
SECOND = [_line(n, shipped=2 if n < 10 else 1) for n in range(40)] + [_line(n) for n in range(100, 105)]


def _home(settings: Settings, name: str, **changes) -> Settings:
    other = home_at(settings, name, **changes)
    _deliver(other, "warehouses.csv", ["warehouse_id", "warehouse_name"], [["W01", "Shanghai"]], "warehouses")
    _deliver(other, "items.csv", ["sku", "sku_name"], [["A1", "Cup"], ["B2", "Pen"]], "items")
    return other


def _deliver(settings: Settings, name: str, header: list[str], rows: list[list], kind: str = "sales_orders"):
    """Drop one file in the inbox (CSV, or Parquet by its suffix) and ingest its kind: its outcome."""
    path = settings.inbox / name
    if path.suffix.lower() == ".parquet":
        frame = pd.DataFrame(rows, columns=header).astype({"line_no": "int64"})
        for column in ("order_date", "ship_date"):
            frame[column] = pd.to_datetime(frame[column]).dt.date
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    else:
        write_csv(path, header, rows)
    with wh.connect(settings.warehouse_path) as conn:
        (outcome,) = ingest.ingest_kind(conn, settings, kind, load_header_map()).outcomes
    return outcome


def _query(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    with wh.connect(settings.warehouse_path, read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def _current(settings: Settings, kind: str = "sales_orders") -> set[str]:
    """The order ids staging keeps: latest version per key, tombstones dropped (as dbt's latest_rows)."""
    rows = _query(
        settings,
        f"""select order_id from (
              select *, row_number() over (partition by order_id, line_no
                                           order by _load_id desc, _source_row desc) as rk
              from raw.{kind}) where rk = 1 and not _deleted""",
    )
    return {r[0] for r in rows}


def _log(settings: Settings, file_name: str) -> tuple:
    return _query(
        settings,
        "select load_id, replaces_load_id, rows_loaded, rows_superseded, rows_changed, rows_added, rows_deleted "
        "from raw._files where file_name = ?",
        [file_name],
    )[0]


@pytest.mark.parametrize("path", ["pandas", "fast", "parquet_in_place", "parquet_copy"])
def test_a_same_name_reexport_deletes_the_lines_it_no_longer_holds(settings, monkeypatch, path):
    parquet = path.startswith("parquet")
    home = _home(settings, path, parquet_load="copy" if path == "parquet_copy" else "in_place")
    monkeypatch.setattr(fastpath, "FAST_PATH_MIN_BYTES", 1 << 40 if path == "pandas" else 0)
    first_name, second_name = ("sales_2025-06.parquet", "SALES_2025-06.Parquet") if parquet else (
        "sales_2025-06.csv", "Sales_2025-06.CSV")  # fmt: skip
    _deliver(home, first_name, HEADER, FIRST)
    outcome = _deliver(home, second_name, HEADER, SECOND)
    assert outcome.status == "loaded"
    assert ("read by DuckDB (fast path)" in outcome.message) == (path != "pandas")
    assert ("loaded in place" in outcome.message) == (path == "parquet_in_place")

    first_id = _log(home, first_name)[0]
    second_id, replaces, rows, superseded, changed, added, deleted = _log(home, second_name)
    assert (replaces, rows, superseded, changed, added, deleted) == (first_id, 45, 40, 10, 5, 20)
    assert (outcome.replaces_load_id, outcome.rows_changed, outcome.rows_added, outcome.rows_deleted) == (
        first_id, 10, 5, 20)  # fmt: skip
    tombstones = _query(
        home,
        "select order_id, shipped_qty, _source_file, _source_row, _load_id from raw.sales_orders "
        "where _deleted order by order_id",
    )
    assert [t[0] for t in tombstones] == sorted(DELETED)
    # a copy of the deleted line's last values, with the deleting load's lineage and no row number
    assert {t[1:] for t in tombstones} == {(1.0, second_name, None, second_id)}
    assert _current(home) == {r[0] for r in SECOND}
    changed_now = _query(home, "select order_id from raw.sales_orders where _load_id = ? and shipped_qty = 2",
                         [second_id])  # fmt: skip
    assert {r[0] for r in changed_now} == CHANGED


def test_the_pandas_and_fast_paths_write_the_same_rows_and_tombstones(settings, monkeypatch):
    raw = []
    for name, threshold in (("slow", 1 << 40), ("quick", 0)):
        home = _home(settings, name)
        monkeypatch.setattr(fastpath, "FAST_PATH_MIN_BYTES", threshold)
        _deliver(home, "sales_2025-06.csv", HEADER, FIRST)
        _deliver(home, "sales_2025-06.csv", HEADER, SECOND)
        with wh.connect(home.warehouse_path, read_only=True) as conn:
            frame = conn.execute("select * from raw.sales_orders order by _load_id, order_id").df()
            log = conn.execute("select * exclude (processed_at, moved_to, message) from raw._files").df()
        raw.append((frame.drop(columns=["_loaded_at"]), log))
    pd.testing.assert_frame_equal(raw[0][0], raw[1][0])
    pd.testing.assert_frame_equal(raw[0][1], raw[1][1])


def test_a_file_with_another_name_merges_and_deletes_nothing(settings):
    home = _home(settings, "merge")
    _deliver(home, "sales_2025-06.csv", HEADER, FIRST)
    outcome = _deliver(home, "sales_2025-06_fix.csv", HEADER, SECOND)
    assert (outcome.replaces_load_id, outcome.rows_deleted, outcome.rows_superseded) == (None, 0, 40)
    assert _query(home, "select count(*) from raw.sales_orders where _deleted") == [(0,)]
    assert _current(home) == {r[0] for r in FIRST} | {r[0] for r in SECOND}


def _day(n: int, shipped: int = 1) -> list:
    """Line n, dated 2025-06-01 like every other: each re-export below covers the same one-day period."""
    return [f"SO{n:03d}", 1, "2025-06-01", "A1", "W01", 2, shipped, "2025-06-01"]


def test_a_key_another_file_took_over_is_not_deleted(settings):
    home = _home(settings, "takeover")
    _deliver(home, "sales.csv", HEADER, [_day(1), _day(2), _day(3)])
    _deliver(home, "sales_correction.csv", HEADER, [_day(3, shipped=2)])  # SO003 is this file's now
    outcome = _deliver(home, "sales.csv", HEADER, [_day(1)])
    assert (outcome.rows_changed, outcome.rows_added, outcome.rows_deleted) == (0, 0, 1)
    assert _query(home, "select order_id from raw.sales_orders where _deleted") == [("SO002",)]
    assert _current(home) == {"SO001", "SO003"}
    # a line deleted, then exported again under the same name, is current again; SO001 goes now
    outcome = _deliver(home, "sales.csv", HEADER, [_day(2)])
    assert (outcome.rows_changed, outcome.rows_added, outcome.rows_deleted) == (0, 1, 1)
    assert _current(home) == {"SO002", "SO003"}


def test_rejected_and_duplicate_files_delete_nothing(settings):
    home = _home(settings, "refused")
    _deliver(home, "sales.csv", HEADER, FIRST)
    bad = [[*_line(1)[:5], -3, 1, "2025-06-28"]]  # a negative quantity: the file is quarantined
    assert _deliver(home, "sales.csv", HEADER, bad).status == "rejected"
    assert _deliver(home, "sales.csv", HEADER, FIRST).status == "duplicate"  # same bytes as the first
    assert _query(home, "select count(*) from raw.sales_orders where _deleted") == [(0,)]
    assert _current(home) == {r[0] for r in FIRST}


@pytest.mark.parametrize("setting, deleted", [("all", (1, 1)), ("transactions", (0, 1)), ("none", (0, 0))])
def test_which_kinds_replace_is_a_setting(settings, setting, deleted):
    home = _home(settings, setting, reexports_replace=setting)
    _deliver(home, "sales.csv", HEADER, [_day(1), _day(2)])
    items = ["sku", "sku_name"]
    dropped = _deliver(home, "items.csv", items, [["A1", "Cup"]], "items").rows_deleted  # B2 not exported
    assert (dropped, _deliver(home, "sales.csv", HEADER, [_day(1)]).rows_deleted) == deleted


def test_an_older_warehouse_gains_the_new_columns(settings):
    home = _home(settings, "old", reexports_replace="all")
    with wh.connect(home.warehouse_path) as conn:
        conn.execute("alter table raw.items drop column _deleted")
        for column in ("replaces_load_id", "rows_changed", "rows_added", "rows_deleted"):
            conn.execute(f"alter table raw._files drop column {column}")
        wh.ensure_raw_schema(conn)
        assert conn.execute("select distinct _deleted from raw.items").fetchall() == [(False,)]
    _deliver(home, "items.csv", ["sku", "sku_name"], [["A1", "Cup"]], "items")
    assert _current_items(home) == {"A1"}


def _current_items(settings: Settings) -> set[str]:
    rows = _query(
        settings,
        "select sku from (select *, row_number() over (partition by sku order by _load_id desc) rk "
        "from raw.items) where rk = 1 and not _deleted",
    )
    return {r[0] for r in rows}


def test_a_deleted_master_row_is_no_longer_known_to_transactions(settings):
    home = _home(settings, "masters", reexports_replace="all")
    _deliver(home, "items.csv", ["sku", "sku_name"], [["A1", "Cup"]], "items")  # B2 deleted
    outcome = _deliver(home, "sales.csv", HEADER, [_line(2)])  # SO002 sells B2
    assert outcome.status == "rejected" and "B2" not in _current_items(home)
    _deliver(home, "items.csv", ["sku", "sku_name"], [["A1", "Cup"], ["B2", "Pen 2"]], "items")  # back again
    assert _deliver(home, "sales.csv", HEADER, [_line(2)]).status == "loaded"


def test_the_run_summary_and_the_ingest_metadata_say_what_a_reexport_replaced(settings):
    from pipelines.defs.ingest.assets import _files_markdown
    from pipelines.operations.runner import format_summary, summarise

    home = _home(settings, "summary")
    _deliver(home, "sales_2025-06.csv", HEADER, FIRST)
    outcome = _deliver(home, "sales_2025-06.csv", HEADER, SECOND)
    text = format_summary(home, summarise(home))
    assert "  REPLACED sales_2025-06.csv (sales_orders): 10 changed, 5 added, 20 deleted" in text.splitlines()
    assert text.count("REPLACED") == 1  # the first load replaced nothing
    table = _files_markdown(ingest.IngestResult("sales_orders", [outcome]))
    assert f"| 45 | 40 | load {outcome.replaces_load_id}: 10 / 5 / 20 |" in table


def _dated(n: int, day: str) -> list:
    return [f"SO{n:03d}", 1, day, "A1", "W01", 2, 1, day]


def test_a_reexport_replaces_only_the_period_it_covers(settings):
    """A daily export under one fixed name deletes nothing of the days before it; a corrected export of a
    period deletes what it dropped within that period only."""
    home = _home(settings, "period")
    _deliver(home, "sales_daily.csv", HEADER, [_dated(1, "2025-06-01"), _dated(2, "2025-06-01")])
    second_day = _deliver(home, "sales_daily.csv", HEADER, [_dated(3, "2025-06-02")])
    assert second_day.rows_deleted == 0 and _current(home) == {"SO001", "SO002", "SO003"}
    # June 1 again, corrected: SO002 dropped; June 2's SO003 lies outside the file's period and stays
    corrected = _deliver(home, "sales_daily.csv", HEADER, [_dated(1, "2025-06-01")])
    assert corrected.rows_deleted == 1 and _current(home) == {"SO001", "SO003"}
    # both days re-exported: SO003 is now within the period and is gone
    both = _deliver(home, "sales_daily.csv", HEADER, [_dated(1, "2025-06-01"), _dated(4, "2025-06-02")])
    assert both.rows_deleted == 1 and _current(home) == {"SO001", "SO004"}
