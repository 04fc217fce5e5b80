"""The load into raw: a validated file's kept rows appended to ``raw.<kind>`` by one INSERT ... SELECT over
the plan, with its log entry, in one transaction; and the count of keys it supersedes."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from pipelines.ingest.extracts.schema import ExtractKind
from pipelines.ingest.fastpath.plan import _final_rows_sql
from pipelines.ingest.fastpath.sql import _ident, _q
from pipelines.ingest.fastpath.validate import FastFile
from pipelines.warehouse import connection as wh


def load_fast(conn: duckdb.DuckDBPyConnection, fast: FastFile, entry: wh.FileLogEntry) -> tuple[int, int]:
    """Append the file's rows and its log entry in one transaction (as warehouse.load_rows does)."""
    plan = fast.plan
    kind = plan.kind
    table, target = wh.raw_table(kind.name), wh.insert_target(conn, kind.name)
    had_rows = int(conn.execute(f"select count(*) from {table}").fetchall()[0][0])
    conn.execute("begin transaction")
    try:
        load_id = wh.next_load_id(conn)
        now = datetime.now(UTC).replace(tzinfo=None)
        columns = [_ident(c) for c in kind.column_names]
        select = (
            f"select {', '.join(columns)}, {_q(plan.source.path.name)}, null, _row, {_q(entry.sha256)}, "
            f"{load_id}, timestamp '{now.isoformat(sep=' ')}' from final"
        )
        body = _final_rows_sql(plan, for_load=True)
        conn.execute(
            f"insert into {target} ({', '.join(columns + list(wh.LINEAGE_COLUMNS))}) "
            f"with final as ({body}) {select}"
        )
        superseded = _superseded(conn, table, kind, load_id) if had_rows else 0
        wh._log(conn, load_id, wh.FileLogEntry(**{**entry.__dict__, "rows_superseded": superseded}))
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return load_id, superseded


def _superseded(conn: duckdb.DuckDBPyConnection, table: str, kind: ExtractKind, load_id: int) -> int:
    """Keys of earlier loads that load ``load_id`` gives a new version of."""
    keys = ", ".join(_ident(k) for k in kind.key)
    return int(
        conn.execute(
            f"select count(*) from (select distinct {keys} from {table} where _load_id <> {load_id}) t "
            f"semi join (select distinct {keys} from {table} where _load_id = {load_id}) i using ({keys})"
        ).fetchall()[0][0]
    )
