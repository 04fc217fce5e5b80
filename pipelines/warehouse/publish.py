"""Publish the marts for readers who must never block a run, nor see half-built tables.

DuckDB allows one writer per file and a reader's lock blocks it, so BI tools never open the
warehouse itself. After each successful build the marts are copied into a separate read-only DuckDB
file and into one Parquet file per mart; each is written under a temporary name and renamed into
place, so a reader sees the previous complete copy or the new one, never a mix. A BI tool holding the
old file open keeps reading the old copy until it reconnects.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.operations import failpoints

PUBLISHED_SCHEMAS = ("marts",)
DB_NAME = "stockflow.duckdb"


@dataclass(frozen=True)
class PublishResult:
    database: Path
    parquet_dir: Path
    tables: dict[str, int]  # schema.table -> rows
    seconds: float


def _tables(conn: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]) -> list[tuple[str, str]]:
    placeholders = ", ".join("?" for _ in schemas)
    return conn.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_catalog = current_database() and table_schema in ({placeholders}) "
        "and table_type = 'BASE TABLE' order by 1, 2",
        list(schemas),
    ).fetchall()


def publish_marts(
    conn: duckdb.DuckDBPyConnection, target_dir: Path, schemas: tuple[str, ...] = PUBLISHED_SCHEMAS
) -> PublishResult:
    """Copy every table of `schemas` from the open warehouse into `target_dir`, atomically per file."""
    started = time.perf_counter()
    target_dir.mkdir(parents=True, exist_ok=True)
    parquet_dir = target_dir / "parquet"
    parquet_dir.mkdir(exist_ok=True)
    database = target_dir / DB_NAME
    tmp_db = target_dir / f".{DB_NAME}.{os.getpid()}.tmp"
    tmp_db.unlink(missing_ok=True)
    tables = _tables(conn, schemas)
    counts: dict[str, int] = {}
    conn.execute(f"attach '{tmp_db}' as published")
    try:
        for schema in schemas:
            conn.execute(f"create schema if not exists published.{schema}")
        for schema, table in tables:
            conn.execute(f'create table published.{schema}."{table}" as select * from {schema}."{table}"')
            counts[f"{schema}.{table}"] = int(
                conn.execute(f'select count(*) from published.{schema}."{table}"').fetchall()[0][0]
            )
    finally:
        conn.execute("detach published")
    os.replace(tmp_db, database)
    for schema, table in tables:
        final = parquet_dir / f"{table}.parquet"
        tmp = parquet_dir / f".{table}.parquet.tmp"
        conn.execute(f"copy {schema}.\"{table}\" to '{tmp}' (format parquet, compression zstd)")
        failpoints.kill_at("publish")  # fault injection: the database swapped, the Parquet files half done
        os.replace(tmp, final)
    return PublishResult(database, parquet_dir, counts, time.perf_counter() - started)
