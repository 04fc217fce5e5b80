"""dbt over Parquet extracts loaded in place: the staging models and the incremental daily facts read
raw views over the archived files and give what they give from the same extracts as CSV.

Two deliveries of the inventory fixture (the second overlaps the first and corrects a line), each
followed by an incremental `dbt build`; then a full refresh of the same warehouse, and a warehouse built
from the same deliveries as CSV files. The watermark of the incremental models is the raw _load_id,
which a view reads from each archived file's load.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.ingest.extracts.mapping import load_header_map
from pipelines.ingest.extracts.schema import LOAD_ORDER
from pipelines.ingest.load import ingest_kind
from pipelines.operations.settings import Settings
from pipelines.warehouse import connection as wh
from tests.conftest import write_csv
from tests.integration.conftest import run_dbt
from tests.integration.test_incremental import CUT, OVERLAP_FROM, _assert_same, _delivery, _tables
from tests.integration.test_marts_inventory import VARS

MASTERS = ("warehouses", "items", "suppliers")


def _column(values: list) -> pa.Array:
    values = [None if v == "" else v for v in values]
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed numbers and text: text, as an ERP would write
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def _write(folder: Path, extracts: dict, parquet: bool) -> None:
    for name, (header, rows) in extracts.items():
        if parquet and not name.startswith(MASTERS):
            table = pa.table({h: _column([r[i] for r in rows]) for i, h in enumerate(header)})
            pq.write_table(table, folder / name.replace(".csv", ".parquet"))
        else:
            write_csv(folder / name, header, rows)


def _load(settings: Settings, extracts: dict, parquet: bool) -> list:
    _write(settings.inbox, extracts, parquet)
    with wh.connect(settings.warehouse_path) as conn:
        outcomes = [o for k in LOAD_ORDER for o in ingest_kind(conn, settings, k, load_header_map()).outcomes]
    assert all(o.status == "loaded" for o in outcomes), outcomes
    return outcomes


def _build(settings: Settings, target: Path, *args: str) -> dict:
    proc = run_dbt(settings, "build", "--vars", VARS, *args, target_path=target)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return _tables(con)


def _home(root: Path) -> Settings:
    settings = Settings.from_env({"STOCKFLOW_HOME": str(root)})
    settings.ensure_dirs()
    return settings


def _with_line_numbers(extracts: dict) -> dict:
    """Documents with their line numbers written out (a file without them is numbered by position,
    which only a copy can do: such a Parquet file is loaded by copy)."""
    out = {}
    for name, (header, rows) in extracts.items():
        if name.startswith(("sales_orders", "receipts", "stock_movements")) and "line_no" not in header:
            seen: dict[str, int] = {}
            numbered = []
            for r in rows:
                seen[r[0]] = seen.get(r[0], 0) + 1
                numbered.append([r[0], seen[r[0]], *r[1:]])
            header, rows = [header[0], "line_no", *header[1:]], numbered
        out[name] = (header, rows)
    return out


def _deliveries() -> list[dict]:
    first = _delivery("20250131", lambda d: d <= CUT, masters=True)
    second = _delivery("20250207", lambda d: d >= OVERLAP_FROM, masters=False)
    header, rows = second["sales_orders_20250207.csv"]
    rows[:] = [r if r[0] != "S2" else [*r[:5], 7, "2025-01-30", *r[7:]] for r in rows]
    return [_with_line_numbers(first), _with_line_numbers(second)]


def test_dbt_reads_parquet_in_place_as_it_reads_the_same_csv(tmp_path):
    pq_home, csv_home = _home(tmp_path / "parquet"), _home(tmp_path / "csv")
    for delivery in _deliveries():
        outcomes = _load(pq_home, delivery, parquet=True)
        placed = [o.file_name for o in outcomes if "loaded in place" in o.message]
        assert sorted(placed) == sorted(
            n.replace(".csv", ".parquet") for n in delivery if not n.startswith(MASTERS)
        )
        incremental = _build(pq_home, tmp_path / "target_pq")
        _load(csv_home, delivery, parquet=False)
    with duckdb.connect(str(pq_home.warehouse_path), read_only=True) as con:
        kinds = {k for (k,) in con.execute("select distinct kind from raw._parquet_loads").fetchall()}
        assert {"sales_orders", "receipts", "stock_snapshots"} <= kinds
        s2 = con.execute(
            "select shipped_qty, ship_date from staging.stg_erp__sales_order_lines where order_id = 'S2'"
        ).fetchall()
    assert [(q, str(d)) for q, d in s2] == [(7.0, "2025-01-30")]  # the correction from the second file wins
    full = _build(pq_home, tmp_path / "target_pq", "--full-refresh")
    _assert_same(incremental, full)  # incremental builds over the views = a full rebuild
    from_csv = _build(csv_home, tmp_path / "target_csv")
    for table, frame in full.items():
        frame = frame.drop(columns=["_source_row"], errors="ignore")
        other = from_csv[table].drop(columns=["_source_row"], errors="ignore")
        _assert_same({table: frame}, {table: other})
