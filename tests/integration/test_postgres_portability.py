"""Portability: the same dbt project on PostgreSQL (dbt-postgres) builds the same marts as on DuckDB.

The hand-made extracts of test_marts_sales and test_marts_inventory go through the real ingest into
DuckDB and a real `dbt build` there (`build_warehouse`). The raw tables, lineage columns included, are then
copied into a private PostgreSQL server started for this session, `dbt build --target postgres` builds
the project there (models, unit tests and data tests), and every mart must hold the same rows and values
as DuckDB's (floats to a relative 1e-9). The inventory extracts arrive in two deliveries, so the second
Postgres build is incremental and is compared with DuckDB's incremental build of the same data.

PostgreSQL comes from Debian's `postgresql` package, which `make test` installs; without it these tests
fail and say so. The server runs from a throwaway folder under /tmp (as the `postgres` user when the tests
run as root: PostgreSQL refuses to run as root) and is stopped and removed at the end of the session.
"""

from __future__ import annotations

import glob
import math
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg2
import pytest
from psycopg2 import sql
from psycopg2.extras import execute_values

from tests.integration.conftest import run_dbt
from tests.integration.test_incremental import _delivery
from tests.integration.test_marts_inventory import VARS
from tests.integration.test_marts_sales import extracts as sales_extracts

D = date.fromisoformat
PG_USER = "stockflow"
# What the ingest writes (pipelines/warehouse/connection.py) -> the PostgreSQL type that holds the same values.
PG_TYPES = {
    "DATE": "date",
    "DOUBLE": "double precision",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "VARCHAR": "text",
    "TIMESTAMP": "timestamp",
    "BOOLEAN": "boolean",
}
COPIED_SCHEMAS = ("raw", "forecast")  # the dbt sources: erp (raw.<kind>) and forecast.sku_demand_forecasts
# Marts each test must see rows in (an empty table on both sides would prove nothing); every other table
# in the marts schema is compared too.
NON_EMPTY_SALES = [
    "fct_daily_stock",
    "fct_inventory_turnover",
    "fct_fill_rate",
    "fct_order_fill_rate",
    "fct_kpi_monthly",
    "fct_supplier_performance",
    "fct_supplier_sku_performance",
    "dim_skus",
]
NON_EMPTY_INVENTORY_FIRST = [  # after the first delivery (up to 2025-01-31)
    "fct_daily_stock",
    "fct_sku_daily_demand",
    "fct_inventory_turnover",
    "fct_dead_stock",
    "fct_fill_rate",
    "fct_order_fill_rate",
    "fct_kpi_monthly",
    "dim_skus",
]
NON_EMPTY_INVENTORY = [
    *NON_EMPTY_INVENTORY_FIRST,
    "fct_inventory_turnover_summary",
    "fct_stock_reconciliation",
]
# The incremental models outside the marts schema.
INCREMENTAL_NON_MARTS = ("intermediate.int_stock_daily_rollforward", "staging.stg_erp__sales_order_lines")

# --- a private PostgreSQL server -----------------------------------------------------------------


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str

    def connect(self, dbname: str = "postgres"):
        conn = psycopg2.connect(host=self.host, port=self.port, user=self.user, dbname=dbname)
        conn.autocommit = True
        return conn

    def create_database(self, name: str) -> str:
        conn = (
            self.connect()
        )  # not `with conn`: psycopg2 would open a transaction, which create database refuses
        try:
            with conn.cursor() as cur:
                cur.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        finally:
            conn.close()
        return name


def _pg_bindir() -> Path | None:
    """Debian keeps the server binaries in /usr/lib/postgresql/<major>/bin, off PATH; else PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = _pg_bindir()
    if bindir is None:
        pytest.fail(
            "PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin or on PATH). "
            "`make test` installs it (Debian package postgresql), or run: apt-get install postgresql"
        )
    root = Path(tempfile.mkdtemp(prefix="stockflow-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as Debian's postgres user
        if shutil.which("runuser") is None:
            pytest.fail("running as root needs runuser (util-linux) to start PostgreSQL as the postgres user")
        try:
            shutil.chown(root, user="postgres", group="postgres")
        except LookupError:
            pytest.fail("running as root needs the postgres user that Debian's postgresql package creates")
        run_as = ["runuser", "-u", "postgres", "--"]
    data, log = root / "data", root / "server.log"
    port = _free_port()

    def pg(*args: str) -> None:
        proc = subprocess.run([*run_as, *args], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            server_log = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stdout}{proc.stderr}\n{server_log}")

    pg(str(bindir / "initdb"), "-D", str(data), "-U", PG_USER, "--auth=trust", "-E", "UTF8", "--no-locale")
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 "
        # a throwaway server: no durability, so the tests do not wait on fsync
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=20"
    )
    pg(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
    try:
        yield PostgresServer(host="127.0.0.1", port=port, user=PG_USER)
    finally:
        pg(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


# --- raw tables DuckDB -> PostgreSQL -------------------------------------------------------------


def copy_sources(duck: duckdb.DuckDBPyConnection, pg) -> dict[str, int]:
    """Make PostgreSQL's raw and forecast tables equal to DuckDB's (same columns, types, rows).

    Tables are created when missing and otherwise truncated and reloaded (truncate keeps the staging
    views dbt built on them). Returns rows copied per table.
    """
    copied = {}
    tables = duck.execute(
        "select schema_name, table_name from duckdb_tables() where schema_name in ? order by all",
        [list(COPIED_SCHEMAS)],
    ).fetchall()
    with pg.cursor() as cur:
        for schema, table in tables:
            columns = duck.execute(
                "select column_name, data_type from duckdb_columns() "
                "where schema_name = ? and table_name = ? order by column_index",
                [schema, table],
            ).fetchall()
            unknown = [(c, t) for c, t in columns if t not in PG_TYPES]
            if unknown:
                raise ValueError(f"{schema}.{table}: no PostgreSQL type for {unknown}; add it to PG_TYPES")
            target = sql.Identifier(schema, table)
            cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
            cur.execute(
                sql.SQL("create table if not exists {} ({})").format(
                    target,
                    sql.SQL(", ").join(
                        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(PG_TYPES[t])) for c, t in columns
                    ),
                )
            )
            cur.execute(sql.SQL("truncate table {}").format(target))
            names = [c for c, _ in columns]
            rows = duck.execute(
                f'select {", ".join(f"{chr(34)}{c}{chr(34)}" for c in names)} from "{schema}"."{table}"'
            ).fetchall()
            insert = sql.SQL("insert into {} ({}) values %s").format(
                target, sql.SQL(", ").join(map(sql.Identifier, names))
            )
            execute_values(cur, insert.as_string(cur), rows, page_size=1000)
            copied[f"{schema}.{table}"] = len(rows)
    return copied


# --- comparing the marts -------------------------------------------------------------------------


def _normal(value):
    """One Python form per value whatever the engine's type: numbers as float, dates and times as is."""
    if isinstance(value, bool) or value is None or isinstance(value, str | date | datetime):
        return value
    if isinstance(value, int | float | Decimal):
        return float(value)
    raise TypeError(f"unexpected value {value!r} of type {type(value).__name__}")


def _sort_key(row: tuple) -> tuple:
    key = []
    for v in row:
        if v is None:
            key.append((0, ""))
        elif isinstance(v, float):
            key.append((1, "nan" if math.isnan(v) else round(v, 6)))
        else:
            key.append((1, v))
    return tuple(key)


def _rows(cursor, query: str) -> tuple[list[str], list[tuple]]:
    cursor.execute(query)
    names = [c[0] for c in cursor.description]
    rows = [tuple(_normal(v) for v in r) for r in cursor.fetchall()]
    return names, sorted(rows, key=_sort_key)


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return type(a) is type(b) and a == b


def assert_same_tables(
    duck: duckdb.DuckDBPyConnection, pg, non_empty: list[str], extra: tuple[str, ...] = ()
) -> dict[str, int]:
    """Every table of DuckDB's marts schema, and the `extra` relations, hold the same columns, rows and
    values in Postgres; the marts named in `non_empty` have rows."""
    marts = [
        f"marts.{t}"
        for (t,) in duck.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
        ).fetchall()
    ]
    missing = {f"marts.{t}" for t in non_empty} - set(marts)
    assert not missing, f"no such marts: {missing}"
    counts = {}
    with pg.cursor() as pg_cur:
        for table in [*marts, *extra]:
            query = f"select * from {table}"
            duck_names, duck_rows = _rows(duck.cursor(), query)
            pg_names, pg_rows = _rows(pg_cur, query)
            assert pg_names == duck_names, f"{table}: columns differ"
            assert len(pg_rows) == len(duck_rows), (
                f"{table}: {len(pg_rows)} rows on Postgres, {len(duck_rows)} on DuckDB"
            )
            for duck_row, pg_row in zip(duck_rows, pg_rows, strict=True):
                differing = [
                    (name, d, p)
                    for name, d, p in zip(duck_names, duck_row, pg_row, strict=True)
                    if not _same(d, p)
                ]
                assert not differing, f"{table}: (column, DuckDB, Postgres) differ {differing} in {duck_row}"
            counts[table] = len(duck_rows)
    empty = [t for t in non_empty if counts[f"marts.{t}"] == 0]
    assert not empty, f"the fixture leaves these marts empty, so nothing was compared: {empty}"
    return counts


# --- the tests -----------------------------------------------------------------------------------


@pytest.fixture
def postgres_dbt(postgres_server: PostgresServer, settings, tmp_path: Path, monkeypatch, request):
    """A fresh database for this test; returns (connection, run dbt on it)."""
    dbname = postgres_server.create_database(re.sub(r"\W+", "_", request.node.name).lower()[:60])
    for name, value in {
        "PGHOST": postgres_server.host,
        "PGPORT": str(postgres_server.port),
        "PGUSER": postgres_server.user,
        "PGDATABASE": dbname,
        "PGPASSWORD": "",
    }.items():
        monkeypatch.setenv(name, value)
    conn = postgres_server.connect(dbname)

    def dbt(*args: str) -> subprocess.CompletedProcess:
        proc = run_dbt(settings, *args, "--target", "postgres", target_path=tmp_path / "dbt_target_pg")
        assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-3000:]
        return proc

    yield conn, dbt
    conn.close()


def test_postgres_build_matches_duckdb(build_warehouse, postgres_dbt):
    """The sales and purchasing fixture, built from empty on both engines."""
    duck = build_warehouse(sales_extracts())
    pg, dbt = postgres_dbt
    copied = copy_sources(duck, pg)
    assert copied["raw.sales_orders"] > 0 and copied["raw.purchase_orders"] > 0 and copied["raw._files"] > 0
    dbt("build")
    assert_same_tables(duck, pg, NON_EMPTY_SALES)


def test_postgres_incremental_build_matches_duckdb(build_warehouse, postgres_dbt):
    """The inventory fixture in two deliveries (up to 01-31, then an export of 01-28 .. 02-07 that
    re-states the overlap): Postgres builds from empty, then incrementally, and after each build holds
    what DuckDB holds after the same builds, built_from_load_id included (test_incremental checks that
    DuckDB's incremental build equals its full rebuild)."""
    build_args = ("build", "--vars", VARS)
    pg, dbt = postgres_dbt

    duck = build_warehouse(_delivery("20250131", lambda d: d <= D("2025-01-31"), masters=True), build_args)
    copy_sources(duck, pg)
    dbt(*build_args)
    assert_same_tables(duck, pg, NON_EMPTY_INVENTORY_FIRST, extra=INCREMENTAL_NON_MARTS)
    duck.close()
    with pg.cursor() as cur:
        cur.execute("select max(date_day), max(built_from_load_id) from marts.fct_daily_stock")
        [(first_last_day, first_load_id)] = cur.fetchall()
    assert first_last_day == D("2025-01-31")

    duck = build_warehouse(_delivery("20250207", lambda d: d >= D("2025-01-28"), masters=False), build_args)
    copy_sources(duck, pg)
    dbt(*build_args)
    with pg.cursor() as cur:  # an incremental run: the rows before the earliest touched day were kept
        cur.execute(
            "select min(date_day) filter (where built_from_load_id > %s), "
            "count(*) filter (where built_from_load_id = %s), max(date_day) from marts.fct_daily_stock",
            [first_load_id, first_load_id],
        )
        [(rebuilt_from, kept_rows, last_day)] = cur.fetchall()
    assert (rebuilt_from, last_day) == (D("2025-01-28"), D("2025-02-07")) and kept_rows > 0
    assert_same_tables(duck, pg, NON_EMPTY_INVENTORY, extra=INCREMENTAL_NON_MARTS)
