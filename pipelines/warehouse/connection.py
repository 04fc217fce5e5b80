"""DuckDB helpers: the one writer connection, raw table DDL and transactional loads.

DuckDB allows one writing process per file. `connect()` waits for a conflicting lock to clear (up to
a timeout) and then fails with a message that says what to do, so two runs never interleave writes.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.ingest.extracts.schema import DATE, KINDS, NUMBER, ExtractKind

RAW_SCHEMA = "raw"
FILES_TABLE = f"{RAW_SCHEMA}._files"
LINEAGE_COLUMNS = {
    "_source_file": "VARCHAR",
    "_source_sheet": "VARCHAR",
    "_source_row": "BIGINT",
    "_file_sha256": "VARCHAR",
    "_load_id": "BIGINT",
    "_loaded_at": "TIMESTAMP",
    "_deleted": "BOOLEAN",  # a tombstone: a re-export no longer holds the key (warehouse/loads.py)
}
_SQL_TYPES = {NUMBER: "DOUBLE", DATE: "DATE"}
_LOCK_PATTERN = re.compile(r"lock", re.IGNORECASE)
# what stage code is handed to open the warehouse: connect(read_only=...) as a context manager
Connect = Callable[..., contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]]


class WarehouseBusyError(RuntimeError):
    """The warehouse file stayed locked by another process for longer than the timeout."""


@contextlib.contextmanager
def connect(
    path: Path,
    *,
    read_only: bool = False,
    timeout_seconds: float = 300.0,
    poll_seconds: float = 0.5,
    memory_limit: str | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse, waiting while another process holds it; always closes the connection.

    `memory_limit` (e.g. "6GB", STOCKFLOW_DUCKDB_MEMORY_LIMIT) caps DuckDB's buffer pool in this
    process; without it DuckDB may take 80% of the machine's memory, and a step that copies every mart
    (publish) keeps what it read cached up to that."""
    path = Path(path)
    config = {"memory_limit": memory_limit} if memory_limit else {}
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            conn = duckdb.connect(str(path), read_only=read_only, config=config)
            break
        except duckdb.IOException as exc:
            if not _LOCK_PATTERN.search(str(exc)):
                raise
            if time.monotonic() >= deadline:
                holder = re.search(r"PID (\d+)", str(exc))
                who = f" (held by process {holder.group(1)})" if holder else ""
                raise WarehouseBusyError(
                    f"The warehouse {path} is in use by another run{who} and stayed locked for "
                    f"{timeout_seconds:.0f} s. Wait for that run to finish and run again, or raise "
                    "STOCKFLOW_LOCK_TIMEOUT_SECONDS."
                ) from exc
            time.sleep(poll_seconds)
    try:
        yield conn
    finally:
        conn.close()


def wait_until_free(path: Path, timeout_seconds: float = 300.0) -> None:
    """Block until no other process holds the warehouse (used before handing it to dbt)."""
    with connect(path, timeout_seconds=timeout_seconds):
        pass


def raw_table(kind: str) -> str:
    return f"{RAW_SCHEMA}.{kind}"


def raw_table_ddl(kind: ExtractKind) -> str:
    cols = [f'"{c.name}" {_SQL_TYPES.get(c.dtype, "VARCHAR")}' for c in kind.columns]
    cols += [f"{name} {sqltype}" for name, sqltype in LINEAGE_COLUMNS.items() if name != "_deleted"]
    cols.append("_deleted BOOLEAN default false")  # rows of files; a tombstone sets it (warehouse/loads.py)
    return f"create table if not exists {raw_table(kind.name)} (\n  " + ",\n  ".join(cols) + "\n)"


FILES_DDL = f"""
create table if not exists {FILES_TABLE} (
  load_id bigint,
  file_name varchar,
  kind varchar,
  sha256 varchar,
  status varchar,          -- loaded | rejected | duplicate | unrecognised
  rows_loaded bigint,
  rows_superseded bigint,
  error_count bigint,
  total_rows_dropped bigint,
  encoding varchar,
  sheets varchar,
  message varchar,
  moved_to varchar,
  processed_at timestamp,
  replaces_load_id bigint, -- the latest earlier load of this file name and kind (null: replaces nothing)
  rows_changed bigint,     -- rows whose key the replaced file's current rows hold, with other values
  rows_added bigint,       -- rows whose key the replaced file's current rows do not hold
  rows_deleted bigint      -- the replaced file's current keys this file lacks: one tombstone each
)
"""
# columns added since the first warehouses were made: ensure_raw_schema adds them where missing
_ADDED_COLUMNS = [
    (FILES_TABLE, "replaces_load_id bigint"),
    *((FILES_TABLE, f"{name} bigint") for name in ("rows_changed", "rows_added", "rows_deleted")),
]


# Forecasts written by the forecast asset and read by dbt (source forecast.sku_demand_forecasts): created
# up front so that dbt builds, by hand or before the first forecast, find the table (empty).
FORECASTS_DDL = """
create table if not exists forecast.sku_demand_forecasts (
  sku varchar,
  warehouse_id varchar,
  forecast_date timestamp,
  p50 double,
  p90 double,
  mean double,
  run_id varchar,
  origin_date timestamp,
  created_at timestamp,
  horizon_days bigint
)
"""


# Parquet extracts loaded in place (pipelines/ingest/fastpath/in_place.py, load_in_place): the rows stay in the archived
# file and raw.<kind> becomes a view over the rows stored in the warehouse plus one branch per such file.
PARQUET_LOADS = f"{RAW_SCHEMA}._parquet_loads"
PARQUET_LOADS_DDL = f"""
create table if not exists {PARQUET_LOADS} (
  load_id bigint,          -- raw._files.load_id of the load
  kind varchar,
  archived_file varchar,   -- the file's path relative to STOCKFLOW_ARCHIVE
  select_sql varchar       -- its rows as raw.<kind> has them; {{archived_file}} stands for the file's path
)
"""
ARCHIVED_FILE = "{archived_file}"


class ArchiveMissingError(RuntimeError):
    """An archived Parquet file that a raw view reads is not where STOCKFLOW_ARCHIVE says."""


def ensure_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the tables Python writes if missing (idempotent): every raw table, the file log and
    the forecasts table."""
    conn.execute(f"create schema if not exists {RAW_SCHEMA}")
    conn.execute(FILES_DDL)
    conn.execute(PARQUET_LOADS_DDL)
    conn.execute("create sequence if not exists raw._load_ids start 1")
    for table, column in _ADDED_COLUMNS:
        conn.execute(f"alter table {table} add column if not exists {column}")
    for kind in KINDS.values():
        conn.execute(raw_table_ddl(kind))
        conn.execute(
            f"alter table {insert_target(conn, kind.name)} add column if not exists _deleted boolean default false"
        )
    conn.execute("create schema if not exists forecast")
    conn.execute(FORECASTS_DDL)


def stored_table(kind: str) -> str:
    """Where a kind's rows read from CSV and Excel (and Parquet loaded by copy) are kept once raw.<kind>
    has become a view: raw._<kind>_stored."""
    return f"{RAW_SCHEMA}._{kind}_stored"


def _is_view(conn: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    rows = conn.execute(
        "select table_type from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    return bool(rows) and rows[0][0] == "VIEW"


def insert_target(conn: duckdb.DuckDBPyConnection, kind: str) -> str:
    """The table new copied rows of a kind go into: raw.<kind>, or raw._<kind>_stored when raw.<kind>
    is a view (a Parquet file of that kind was loaded in place)."""
    table = raw_table(kind)
    return stored_table(kind) if _is_view(conn, table) else table


def _column_casts(kind: ExtractKind, in_place: bool = False) -> list[str]:
    """raw.<kind>'s columns, cast; a Parquet file loaded in place holds no tombstones (in_place)."""
    cols = [f'cast("{c.name}" as {_SQL_TYPES.get(c.dtype, "VARCHAR")}) as "{c.name}"' for c in kind.columns]
    cols += [f"cast({name} as {sqltype}) as {name}" for name, sqltype in LINEAGE_COLUMNS.items()]
    return [c for c in cols if not c.endswith(" _deleted")] + ["false as _deleted"] if in_place else cols


def rebuild_raw_view(conn: duckdb.DuckDBPyConnection, kind: ExtractKind, archive: Path) -> int:
    """Make raw.<kind> read every Parquet file of that kind loaded in place, at its place under
    ``archive`` (STOCKFLOW_ARCHIVE), plus the rows stored in the warehouse; returns the number of files.

    Nothing changes for a kind without such loads (raw.<kind> stays a table). The first time, the table
    is renamed raw._<kind>_stored and raw.<kind> becomes a view with the same columns. Raises
    ArchiveMissingError when a file is not under ``archive`` (the view is left as it was)."""
    loads = conn.execute(
        f"select load_id, archived_file, select_sql from {PARQUET_LOADS} where kind = ? order by load_id",
        [kind.name],
    ).fetchall()
    if not loads:
        return 0
    archive = Path(archive)
    missing = [(load_id, rel) for load_id, rel, _ in loads if not (archive / rel).is_file()]
    if missing:
        listed = ", ".join(f"{rel} (load {load_id})" for load_id, rel in missing[:5])
        raise ArchiveMissingError(
            f"raw.{kind.name} reads {len(missing)} archived Parquet file(s) that are not under {archive}: "
            f"{listed}. Their rows are kept in those files, not in the warehouse: if the archive folder "
            "moved, set STOCKFLOW_ARCHIVE to where it is now and run again."
        )
    table, stored = raw_table(kind.name), stored_table(kind.name)
    if not _is_view(conn, table):
        conn.execute(f"alter table {table} rename to _{kind.name}_stored")
    casts, in_place = ", ".join(_column_casts(kind)), ", ".join(_column_casts(kind, in_place=True))
    branches = [f"select {casts} from {stored}"]
    for _, rel, select_sql in loads:
        path = "'" + str(archive / rel).replace("'", "''") + "'"
        branches.append(f"select {in_place} from ({select_sql.replace(ARCHIVED_FILE, path)})")
    conn.execute(f"create or replace view {table} as\n" + "\nunion all\n".join(branches))
    conn.execute(
        f"comment on view {table} is "
        + "'"
        + (
            f"{kind.description} The rows of {stored} (CSV and Excel extracts) and of {len(loads)} Parquet "
            f"extract(s) loaded in place, read from the archive ({archive}); {PARQUET_LOADS} lists them, "
            "by path relative to STOCKFLOW_ARCHIVE."
        ).replace("'", "''")
        + "'"
    )
    return len(loads)


def is_loaded(conn: duckdb.DuckDBPyConnection, sha256: str) -> bool:
    row = conn.execute(
        f"select count(*) from {FILES_TABLE} where sha256 = ? and status = 'loaded'", [sha256]
    ).fetchall()[0]
    return bool(row and row[0])


def known_values(conn: duckdb.DuckDBPyConnection, kind: str, column: str) -> set[str]:
    """The current values of a master's key ``column``: not those whose latest version is a tombstone."""
    rows = conn.execute(
        f'select "{column}" from {raw_table(kind)} where "{column}" is not null '
        "group by all having not arg_max(_deleted, _load_id)"
    )
    return {r[0] for r in rows.fetchall()}


@dataclass(frozen=True)
class FileLogEntry:
    file_name: str
    kind: str | None
    sha256: str
    status: str
    rows_loaded: int = 0
    rows_superseded: int = 0
    error_count: int = 0
    total_rows_dropped: int = 0
    encoding: str | None = None
    sheets: str | None = None
    message: str = ""
    moved_to: str | None = None
    replaces_load_id: int | None = None  # a re-export of the same name: see warehouse/loads.py
    rows_changed: int = 0
    rows_added: int = 0
    rows_deleted: int = 0


def _log(conn: duckdb.DuckDBPyConnection, load_id: int, entry: FileLogEntry) -> None:
    values = {"load_id": load_id, **entry.__dict__, "processed_at": datetime.now(UTC).replace(tzinfo=None)}
    columns = ", ".join(values)
    conn.execute(
        f"insert into {FILES_TABLE} ({columns}) values ({', '.join('?' * len(values))})",
        list(values.values()),
    )


def next_load_id(conn: duckdb.DuckDBPyConnection) -> int:
    return int(conn.execute("select nextval('raw._load_ids')").fetchall()[0][0])


def log_file(conn: duckdb.DuckDBPyConnection, entry: FileLogEntry) -> int:
    load_id = next_load_id(conn)
    _log(conn, load_id, entry)
    return load_id


def set_moved_to(conn: duckdb.DuckDBPyConnection, load_id: int, moved_to: str) -> None:
    conn.execute(f"update {FILES_TABLE} set moved_to = ? where load_id = ?", [moved_to, load_id])


def table_row_counts(conn: duckdb.DuckDBPyConnection, schema: str = RAW_SCHEMA) -> dict[str, int]:
    tables = conn.execute(
        "select table_name from information_schema.tables where table_schema = ? order by 1", [schema]
    ).fetchall()
    return {t: int(conn.execute(f'select count(*) from {schema}."{t}"').fetchall()[0][0]) for (t,) in tables}


def contract_violations(conn: duckdb.DuckDBPyConnection, kind: ExtractKind) -> dict[str, int]:
    """Rows of a raw table that break the extract contract, counted per rule (all zero when sound)."""
    rules: dict[str, str] = {}
    for col in kind.columns:
        if col.required or col.name in kind.key:
            rules[f"{col.name}_missing"] = f'"{col.name}" is null'
        if col.non_negative:
            rules[f"{col.name}_negative"] = f'"{col.name}" < 0'
        if col.allowed:
            allowed = ", ".join("'" + v.replace("'", "''") + "'" for v in col.allowed)
            rules[f"{col.name}_not_accepted"] = (
                f'"{col.name}" is not null and "{col.name}" not in ({allowed})'
            )
    if not rules:
        return {}
    select = ", ".join(f"count_if({cond}) as {name}" for name, cond in rules.items())
    row = conn.execute(f"select {select} from {raw_table(kind.name)}").fetchall()[0]
    return {name: int(n or 0) for name, n in zip(rules, row, strict=True)}  # null on an empty table


def append_frame(conn: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Append a frame to `schema.table` by column name, creating schema and table on first use."""
    conn.execute(f"create schema if not exists {table.split('.')[0]}")
    conn.register("_frame", frame)
    try:
        if table_exists(conn, table):
            conn.execute(f"insert into {table} by name select * from _frame")
        else:
            conn.execute(f"create table {table} as select * from _frame")
    finally:
        conn.unregister("_frame")


def replace_rows(
    conn: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame], key: dict[str, object]
) -> None:
    """Replace what an earlier run wrote for the same ``key`` (column -> value) in each table of
    ``frames`` (table name -> rows), in one transaction: a run killed half way, or run twice on the same
    data, leaves each table as one clean run would."""
    conn.execute("begin transaction")
    try:
        for name, frame in frames.items():
            if table_exists(conn, name):
                where = " and ".join(f'"{column}" = ?' for column in key)
                conn.execute(f"delete from {name} where {where}", list(key.values()))
            append_frame(conn, name, frame)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise


def table_exists(conn: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether `schema.table` exists in the open database."""
    schema, name = table.split(".")
    query = "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
    return bool(conn.execute(query, [schema, name]).fetchall()[0][0])
