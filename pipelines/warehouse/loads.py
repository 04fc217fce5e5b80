"""One file's load into raw, shared by the three ways rows get there (the pandas path's frame, the fast
path's INSERT, a Parquet file registered in place): the transaction with the file's log entry, the count
of keys it supersedes, and what a re-export deletes.

A file **replaces** an earlier one when it is the same kind of extract and has the same file name,
compared case-insensitively: the name an ERP's scheduled export writes each time, and only over the
**period** the new file covers (PERIOD_COLUMNS: from its first to its last order, receipt, movement,
snapshot, promotion or rate date; a master has no period and is replaced whole). The natural keys whose
current version came from an earlier load of that name and kind, dated within that period, and which the
new file no longer holds, are deleted: a corrected export of June deletes the June lines it dropped,
while a daily export written under one fixed name deletes nothing of the days before it. Deletions are data: for each such key the load appends a tombstone, a copy of the key's
current row with the new load's lineage, ``_source_row`` null and ``_deleted`` true, in the same
transaction as the file's rows. dbt's ``latest_rows`` takes the tombstone as the key's latest version and
drops the key; the incremental builds see a new version of the key carrying its old dates and rebuild
those dates. A key whose current version has since come from another file is not deleted (that file owns
it now); a file with another name merges by key and deletes nothing. raw keeps every row ever loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import duckdb
import pandas as pd

from pipelines.ingest.extracts.schema import ExtractKind
from pipelines.warehouse import connection as wh

# the date that places a transaction row in the period an export covers
PERIOD_COLUMNS = {
    "sales_orders": "order_date",
    "purchase_orders": "order_date",
    "receipts": "receipt_date",
    "stock_snapshots": "snapshot_date",
    "stock_movements": "movement_date",
    "promotions": "start_date",
    "fx_rates": "rate_date",
}

# What a load's ``insert`` writes: the file's rows into raw.<kind>, given the load id and the load's time.
Insert = Callable[[int, datetime], None]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def load_file(
    conn: duckdb.DuckDBPyConnection, kind: ExtractKind, entry: wh.FileLogEntry, insert: Insert, replaces: bool
) -> tuple[int, wh.FileLogEntry]:
    """Load one file in one transaction, all or nothing: ``insert`` writes its rows, then the keys it
    supersedes are counted, a re-export of the same name (when ``replaces``) deletes the keys it no longer
    holds (see the module), and the log entry is written. Returns (load id, the entry as logged)."""
    table = wh.raw_table(kind.name)
    had_rows = bool(conn.execute(f"select 1 from {table} limit 1").fetchall())
    conn.execute("begin transaction")
    try:
        load_id = wh.next_load_id(conn)
        loaded_at = datetime.now(UTC).replace(tzinfo=None)
        insert(load_id, loaded_at)
        entry = replace(entry, rows_superseded=superseded(conn, kind, load_id) if had_rows else 0)
        if replaces and had_rows:
            entry = _replace_earlier(conn, kind, load_id, loaded_at, entry)
        wh._log(conn, load_id, entry)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return load_id, entry


def load_rows(
    conn: duckdb.DuckDBPyConnection,
    kind: ExtractKind,
    rows: pd.DataFrame,
    entry: wh.FileLogEntry,
    replaces: bool,
) -> tuple[int, wh.FileLogEntry]:
    """Append one file's validated rows (the pandas path) and its log entry: see :func:`load_file`.

    `rows` holds the canonical columns plus _source_file, _source_sheet and _source_row."""
    target = wh.insert_target(conn, kind.name)
    columns = ", ".join(_ident(c) for c in kind.column_names + list(wh.LINEAGE_COLUMNS))

    def insert(load_id: int, loaded_at: datetime) -> None:
        frame = rows.assign(_file_sha256=entry.sha256, _load_id=load_id, _loaded_at=loaded_at, _deleted=False)
        conn.register("_incoming", frame)
        try:
            conn.execute(f"insert into {target} ({columns}) select {columns} from _incoming")
        finally:
            conn.unregister("_incoming")

    return load_file(conn, kind, entry, insert, replaces)


def superseded(conn: duckdb.DuckDBPyConnection, kind: ExtractKind, load_id: int) -> int:
    """Keys of earlier loads that load ``load_id`` gives a new version of (run before its tombstones)."""
    table, keys = wh.raw_table(kind.name), ", ".join(_ident(k) for k in kind.key)
    return int(
        conn.execute(
            f"select count(*) from (select distinct {keys} from {table} where _load_id <> {load_id}) t "
            f"semi join (select distinct {keys} from {table} where _load_id = {load_id}) i using ({keys})"
        ).fetchall()[0][0]
    )


def replaced_loads(conn: duckdb.DuckDBPyConnection, kind: str, file_name: str, load_id: int) -> list[int]:
    """The earlier loads a file replaces: loaded files of the same kind and name (any case)."""
    rows = conn.execute(
        f"select load_id from {wh.FILES_TABLE} where status = 'loaded' and kind = ? "
        "and lower(file_name) = lower(?) and load_id <> ? order by load_id",
        [kind, file_name, load_id],
    ).fetchall()
    return [int(r[0]) for r in rows]


def _replace_earlier(
    conn: duckdb.DuckDBPyConnection,
    kind: ExtractKind,
    load_id: int,
    loaded_at: datetime,
    entry: wh.FileLogEntry,
) -> wh.FileLogEntry:
    """Compare load ``load_id`` with the current rows of the earlier loads of its name, write a tombstone
    for each of their keys it lacks; the entry with the counts (changed, added, deleted)."""
    earlier = replaced_loads(conn, kind.name, entry.file_name, load_id)
    if not earlier:
        return entry
    table, ids = wh.raw_table(kind.name), ", ".join(map(str, earlier))
    keys = ", ".join(_ident(k) for k in kind.key)
    # the rows of the earlier loads of this name that are their key's current version before this load: not
    # tombstones, and no later load but this one has a version of the key (as dbt's latest_rows picks them)
    later = " and ".join(f"later.{_ident(k)} = owned.{_ident(k)}" for k in kind.key)
    new = f"(select * from {table} where _load_id = {load_id})"
    period = ""
    if kind.name in PERIOD_COLUMNS:  # only the earlier rows dated within the new file's first and last date
        date = _ident(PERIOD_COLUMNS[kind.name])
        period = (
            f"and owned.{date} between (select min({date}) from {new}) and (select max({date}) from {new})"
        )
    conn.execute(
        f"""
        create or replace temp table _sf_owned as
        select * from {table} as owned
        where owned._load_id in ({ids}) and not owned._deleted {period} and not exists (
            select 1 from {table} as later
            where later._load_id > owned._load_id and later._load_id <> {load_id} and {later}
        )
        """
    )
    try:
        other = [c for c in kind.column_names if c not in kind.key]
        differs = " or ".join(f"o.{_ident(c)} is distinct from n.{_ident(c)}" for c in other) or "false"
        total, kept, changed = conn.execute(
            f"select (select count(*) from {new}), count(*), count_if({differs}) "
            f"from _sf_owned o join {new} n using ({keys})"
        ).fetchall()[0]
        data = ", ".join(f"o.{_ident(c)}" for c in kind.column_names)
        columns = ", ".join(_ident(c) for c in kind.column_names + list(wh.LINEAGE_COLUMNS))
        (deleted,) = conn.execute(
            f"insert into {wh.insert_target(conn, kind.name)} ({columns}) "
            f"select {data}, ?, null, null, ?, {load_id}, ?, true "
            f"from _sf_owned o anti join {new} n using ({keys})",
            [entry.file_name, entry.sha256, loaded_at],
        ).fetchall()[0]
    finally:
        conn.execute("drop table if exists _sf_owned")
    return replace(
        entry,
        replaces_load_id=earlier[-1],
        rows_changed=int(changed or 0),
        rows_added=int(total) - int(kept),
        rows_deleted=int(deleted),
    )
