"""The load into raw: a validated file's kept rows appended to ``raw.<kind>`` by one INSERT ... SELECT over
the plan, inside the transaction every load shares (:func:`pipelines.warehouse.loads.load_file`: its log
entry, the keys it supersedes, what a re-export of the same name deletes)."""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipelines.ingest.fastpath.plan import _final_rows_sql
from pipelines.ingest.fastpath.sql import _ident, _q
from pipelines.ingest.fastpath.validate import FastFile
from pipelines.warehouse import connection as wh
from pipelines.warehouse.loads import load_file


def load_fast(
    conn: duckdb.DuckDBPyConnection, fast: FastFile, entry: wh.FileLogEntry, replaces: bool
) -> tuple[int, wh.FileLogEntry]:
    """Append the file's rows and its log entry in one transaction (as warehouse.loads.load_rows does);
    returns (load id, the entry as logged)."""
    plan = fast.plan
    kind = plan.kind
    target = wh.insert_target(conn, kind.name)
    columns = [_ident(c) for c in kind.column_names]

    def insert(load_id: int, loaded_at: datetime) -> None:
        select = (
            f"select {', '.join(columns)}, {_q(plan.source.path.name)}, null, _row, {_q(entry.sha256)}, "
            f"{load_id}, timestamp '{loaded_at.isoformat(sep=' ')}', false from final"
        )
        conn.execute(
            f"insert into {target} ({', '.join(columns + list(wh.LINEAGE_COLUMNS))}) "
            f"with final as ({_final_rows_sql(plan, for_load=True)}) {select}"
        )

    return load_file(conn, kind, entry, insert, replaces)
