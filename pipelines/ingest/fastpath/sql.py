"""SQL plumbing shared by the fast path's steps: quoting, temporary tables from frames, running a query,
and :class:`Declined`, what a step raises when DuckDB cannot reproduce the pandas path for a file."""

from __future__ import annotations

import duckdb
import pandas as pd


class Declined(Exception):
    """The fast path cannot reproduce the pandas path for this file; read it the pandas way."""


def _temp_table(conn: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    conn.register("_sf_frame", frame)
    try:
        conn.execute(f"create or replace temp table {name} as select * from _sf_frame")
    finally:
        conn.unregister("_sf_frame")


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _run(conn: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    try:
        return conn.execute(sql).fetchall()
    except duckdb.Error as exc:  # CSV errors (too many columns, invalid UTF-8, ...) and anything unforeseen
        raise Declined(
            f"DuckDB cannot read the file as the pandas path does: {str(exc).splitlines()[0]}"
        ) from exc
