"""Parquet read in place by DuckDB (``read_parquet``): each column as the text the pandas path makes of
it (``parquet_cell_text``), typed numbers and dates used as they are, and values SQL cannot render
alike (decimals, booleans, time zones, ...) rendered by Python once per distinct value."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pipelines.ingest.extracts.mapping import HeaderMap, map_headers
from pipelines.ingest.extracts.readers import parquet_cell_text
from pipelines.ingest.extracts.schema import DATE, KINDS, NUMBER
from pipelines.ingest.fastpath.source import Source
from pipelines.ingest.fastpath.sql import Declined, _ident, _q, _temp_table

_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER"}
_INTEGER_TYPES |= {"UBIGINT", "UHUGEINT"}


def parquet_source(conn: duckdb.DuckDBPyConnection, path: Path, header_map: HeaderMap, kind: str) -> Source:
    """Parquet columns as the text read_extract makes of them (parquet_cell_text)."""
    try:
        schema = conn.execute(f"describe select * from read_parquet({_q(str(path))})").fetchall()
    except duckdb.Error as exc:
        raise Declined(f"DuckDB cannot read it: {exc}") from exc
    names = [str(r[0]) for r in schema]
    mapping = map_headers(names, kind, header_map)
    spec = KINDS[kind]
    selects, python_text, typed = [], {}, {}
    for i, (name, sqltype) in enumerate((str(r[0]), str(r[1])) for r in schema):
        col = _ident(name)
        canonical = mapping.columns.get(name)
        dtype = spec.column(canonical).dtype if canonical else None
        # Typed values that read as the pandas path reads their text are used as they are; their
        # text only has to be null or not (a number or date is never blank or a total label).
        if dtype == NUMBER and (sqltype in _INTEGER_TYPES or sqltype in ("DOUBLE", "FLOAT")):
            x = f"cast({col} as double)"
            typed[i] = f"case when isfinite({x}) then {x} end"
            selects.append(
                f"case when {col} is null or isnan({x}) then null when isinf({x}) then cast({x} as varchar) "
                f"else '0' end as c{i}"
            )
            continue
        if dtype == DATE and sqltype in ("DATE", "TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"):
            d = f"cast({col} as date)"
            typed[i] = f"case when {d} >= date '1000-01-01' then {d} end"
            selects.append(
                f"case when {col} is null then null when {d} >= date '1000-01-01' then '0' "
                f"else strftime({d}, '%Y-%m-%d') end as c{i}"
            )
            continue
        if sqltype == "VARCHAR":
            expr = col
        elif sqltype in _INTEGER_TYPES:
            expr = f"cast({col} as varchar)"
        elif sqltype == "DATE":
            expr = f"strftime({col}, '%Y-%m-%d')"
        elif sqltype in ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"):
            ts = f"cast({col} as timestamp)"
            expr = (
                f"case when cast({ts} as time) = time '00:00:00' then strftime({ts}, '%Y-%m-%d') "
                f"else strftime({ts}, '%Y-%m-%d %H:%M:%S') end"
            )
        elif sqltype in ("DOUBLE", "FLOAT") and dtype is None:  # unmapped: only null or not matters
            expr = f"case when isnan({col}) then null else cast({col} as varchar) end"
        else:  # decimals, booleans, floats read as text or dates, time zones: Python, per distinct value
            python_text[i] = (name, sqltype)
            expr = f"_pq{i}.txt"
        selects.append(f"{expr} as c{i}")
    selects += [f"{expr} as p{i}" for i, expr in typed.items()]
    joins = "".join(
        f" left join _sf_pq{i} _pq{i} on _pq{i}.raw = s.{_ident(n)}" for i, (n, _) in python_text.items()
    )
    relation = (
        f"select s.file_row_number + 1 as _rn, {', '.join(selects) or 'null as c0'} "
        f"from read_parquet({_q(str(path))}, file_row_number = true) s{joins}"
    )
    return Source(path, relation, names, [True] * len(names), 0, None, [], python_text, typed)


def _register_parquet_text(conn: duckdb.DuckDBPyConnection, source: Source) -> None:
    for i, (name, _) in source.python_text.items():
        values = conn.execute(
            f"select distinct {_ident(name)} from read_parquet({_q(str(source.path))}) where {_ident(name)} is not null"
        ).fetchall()
        raw = [v for (v,) in values]
        frame = pd.DataFrame(
            {"raw": pd.Series(raw, dtype=object), "txt": [parquet_cell_text(v) for v in raw]}
        )
        _temp_table(conn, f"_sf_pq{i}", frame)
