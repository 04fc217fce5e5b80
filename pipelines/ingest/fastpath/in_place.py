"""Parquet extracts loaded in place: validated where they are, then registered as a load whose rows
``raw.<kind>`` reads from the archived file through one SQL expression per column (nothing copied)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.ingest.extracts.readers import PARQUET_SUFFIXES
from pipelines.ingest.fastpath.plan import _Plan
from pipelines.ingest.fastpath.sql import _ident, _q
from pipelines.ingest.fastpath.validate import FastFile
from pipelines.warehouse import connection as wh
from pipelines.warehouse.loads import load_file


def in_place_reason(fast: FastFile) -> str | None:
    """Why a validated file cannot be loaded in place (None: it can). In place, raw.<kind> reads the
    archived file through one SQL expression per column, so that needs a Parquet file whose every cell
    SQL maps by itself: no value parsed by the pandas path's parsers, no dropped blank or total record
    (row numbers are record numbers), no line numbers to fill."""
    plan = fast.plan
    if plan is None or plan.source.path.suffix.lower() not in PARQUET_SUFFIXES:
        return "not a Parquet file"
    if plan.fixes or plan.source.python_text:
        return "some values need the pandas path's parsers"
    if not plan.nothing_dropped:
        return "blank or total records are dropped"
    if plan.fill_line_no:
        return "line numbers are filled by position"
    return None


def in_place_sql(plan: _Plan, sha256: str, load_id: int, loaded_at: datetime) -> str:
    """The file's rows as raw.<kind> has them (canonical columns, then lineage but _deleted: the view adds
    it), reading the archived file at wh.ARCHIVED_FILE (the path is put in when the view is built)."""
    path = plan.source.path
    relation = plan.source.relation.replace(
        f"read_parquet({_q(str(path))}", f"read_parquet({wh.ARCHIVED_FILE}"
    )
    if wh.ARCHIVED_FILE not in relation:
        raise ValueError(f"cannot place {path} in {relation[:200]}")
    cols = [f"{plan.mapped_value(col)} as {_ident(col.name)}" for col in plan.columns]
    cols += [
        f"{_q(path.name)} as _source_file",
        "null as _source_sheet",
        f"s._rn + {plan.source.header_line} as _source_row",
        f"{_q(sha256)} as _file_sha256",
        f"{int(load_id)} as _load_id",
        f"timestamp '{loaded_at.isoformat(sep=' ')}' as _loaded_at",
    ]
    return f"select {', '.join(cols)} from ({relation}) s"


def load_in_place(
    conn: duckdb.DuckDBPyConnection,
    fast: FastFile,
    entry: wh.FileLogEntry,
    archive: Path,
    archived: Path,
    replaces: bool,
) -> tuple[int, wh.FileLogEntry]:
    """Register a validated Parquet file, already at ``archived`` under ``archive``, as a load: its log
    entry, its row in raw._parquet_loads and raw.<kind> rebuilt to read it, in one transaction
    (warehouse.loads.load_file, with what a re-export deletes). Nothing is copied: raw.<kind> reads the
    archived file; a re-export's tombstones go to raw._<kind>_stored. Returns (load id, the entry as logged)."""
    plan = fast.plan
    kind = plan.kind

    def insert(load_id: int, loaded_at: datetime) -> None:
        conn.execute(
            f"insert into {wh.PARQUET_LOADS} values (?, ?, ?, ?)",
            [
                load_id,
                kind.name,
                str(archived.relative_to(archive)),
                in_place_sql(plan, entry.sha256, load_id, loaded_at),
            ],
        )
        wh.rebuild_raw_view(conn, kind, archive)

    return load_file(conn, kind, replace(entry, moved_to=str(archived)), insert, replaces)
