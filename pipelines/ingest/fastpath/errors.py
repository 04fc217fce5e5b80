"""The row-level error detail: when the fast checks say a file may hold errors, every error with its file,
row, column, value and reason, in the pandas path's order and words (sorted by row; within a row,
values that do not parse, duplicate keys, the column rules, unknown master references)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from pipelines.ingest.extracts.bounds import MAX_ABS_NUMBER, TOO_LARGE
from pipelines.ingest.extracts.mapping import HeaderMapping
from pipelines.ingest.extracts.schema import DATE, NUMBER
from pipelines.ingest.extracts.validate import ERROR_COLUMNS, MAX_ERRORS_PER_RULE, NOT_A_DATE, NOT_A_NUMBER
from pipelines.ingest.fastpath.checks import _outside
from pipelines.ingest.fastpath.plan import _final_rows_sql, _Plan
from pipelines.ingest.fastpath.sql import _ident, _q, _temp_table


def _errors_frame(file: str, rows, column: str, file_column, values, reason) -> pd.DataFrame:
    rows = list(rows)
    n = len(rows)
    return pd.DataFrame(
        {
            "file": [file] * n,
            "sheet": [None] * n,
            "row": np.asarray(rows, dtype="int64"),
            "column": [column] * n,
            "file_column": [file_column] * n,
            "value": pd.Series(list(values), dtype="object").astype("string").to_numpy() if n else [],
            "reason": list(reason) if isinstance(reason, list) else [reason] * n,
        }
    )


def _fetch(conn: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return conn.execute(sql).fetchall()


def _detail_errors(
    conn: duckdb.DuckDBPyConnection, plan: _Plan, known: dict[str, set[str]], mapping: HeaderMapping
) -> pd.DataFrame:
    """Every error with its row, column and value, in the pandas path's order (sorted by row)."""
    labels = {canon: orig for orig, canon in mapping.columns.items()}
    conn.execute(f"create or replace temp table _sf_kept as {_final_rows_sql(plan)}")
    out: list[pd.DataFrame] = [
        *_parse_errors(conn, plan, labels),
        *_duplicate_errors(conn, plan),
        *_rule_errors(conn, plan, labels),
        *_reference_errors(conn, plan, known, labels),
        *_sign_errors(conn, plan, labels),
    ]
    conn.execute("drop table if exists _sf_kept")
    frames = [f for f in out if not f.empty]
    if not frames:
        return pd.DataFrame(columns=ERROR_COLUMNS)
    errors = pd.concat(frames, ignore_index=True)
    return errors.sort_values(["row"], na_position="first", kind="stable").reset_index(drop=True)


def _parse_errors(conn: duckdb.DuckDBPyConnection, plan: _Plan, labels: dict[str, str]) -> list[pd.DataFrame]:
    """Cells of number and date columns that are not a number or a date."""
    file, limit = plan.source.path.name, MAX_ERRORS_PER_RULE
    out: list[pd.DataFrame] = []
    for col in plan.columns:  # values that are not numbers or dates
        if col.dtype not in (NUMBER, DATE):
            continue
        rows = _fetch(
            conn,
            f"select _row, {_ident('txt_' + col.name)} from _sf_kept where {_ident('bad_' + col.name)} "
            f"order by _row limit {limit}",
        )
        if rows:
            reason = NOT_A_NUMBER if col.dtype == NUMBER else NOT_A_DATE
            out.append(
                _errors_frame(
                    file, [r for r, _ in rows], col.name, labels.get(col.name), [t for _, t in rows], reason
                )
            )
    return out


def _duplicate_errors(conn: duckdb.DuckDBPyConnection, plan: _Plan) -> list[pd.DataFrame]:
    """Every row of a key that is on more than one row, naming the rows."""
    kind, file, limit = plan.kind, plan.source.path.name, MAX_ERRORS_PER_RULE
    out: list[pd.DataFrame] = []
    keys = [_ident(k) for k in kind.key]
    dup_rows = _fetch(
        conn,
        f"select {', '.join(keys)}, list(_row order by _row) from _sf_kept group by all having count(*) > 1",
    )
    if dup_rows:
        records = []
        for *key, rows in dup_rows:
            text = " / ".join(
                "" if k is None else (f"{k:%Y-%m-%d}" if hasattr(k, "year") else str(k)) for k in key
            )
            reason = (
                "duplicate key: the same " + ", ".join(kind.key) + " is on rows " + ", ".join(map(str, rows))
            )
            records += [(r, text, reason) for r in rows]
        records.sort()
        records = records[:limit]
        out.append(
            _errors_frame(
                file,
                [r for r, _, _ in records],
                "+".join(kind.key),
                None,
                [t for _, t, _ in records],
                [x for _, _, x in records],
            )
        )
    return out


def _rule_errors(conn: duckdb.DuckDBPyConnection, plan: _Plan, labels: dict[str, str]) -> list[pd.DataFrame]:
    """Column by column: required values that are empty, negatives, values not among the allowed ones."""
    kind, file, limit = plan.kind, plan.source.path.name, MAX_ERRORS_PER_RULE
    out: list[pd.DataFrame] = []
    for col in plan.columns:
        spec = kind.column(col.name)
        v = _ident(col.name)
        label = labels.get(col.name)
        if spec.required:
            not_bad = f"and not {_ident('bad_' + col.name)}" if col.dtype in (NUMBER, DATE) else ""
            rows = _fetch(
                conn, f"select _row from _sf_kept where {v} is null {not_bad} order by _row limit {limit}"
            )
            if rows:
                out.append(
                    _errors_frame(
                        file,
                        [r for (r,) in rows],
                        col.name,
                        label,
                        [None] * len(rows),
                        "required value is empty",
                    )
                )
        if col.dtype == DATE and plan.dates is not None:
            outside = _outside(v, plan.dates)
            rows = _fetch(conn, f"select _row, {v} from _sf_kept where {outside} order by _row limit {limit}")
            if rows:
                values = [str(x)[:10] for _, x in rows]
                out.append(
                    _errors_frame(file, [r for r, _ in rows], col.name, label, values, plan.dates.reason)
                )
        for wanted, condition, reason in (
            (spec.non_negative, "< 0", "must not be negative"),
            (spec.positive, "<= 0", "must be greater than 0"),
        ):
            if not wanted:
                continue
            rows = _fetch(
                conn, f"select _row, {v} from _sf_kept where {v} {condition} order by _row limit {limit}"
            )
            if rows:
                values = [str(float(x)) for _, x in rows]
                out.append(_errors_frame(file, [r for r, _ in rows], col.name, label, values, reason))
        if col.dtype == NUMBER:
            rows = _fetch(
                conn,
                f"select _row, {v} from _sf_kept where abs({v}) > {MAX_ABS_NUMBER!r} order by _row limit {limit}",
            )
            if rows:
                values = [str(float(x)) for _, x in rows]
                out.append(_errors_frame(file, [r for r, _ in rows], col.name, label, values, TOO_LARGE))
        if spec.allowed is not None:
            allowed = ", ".join(_q(a) for a in spec.allowed)
            rows = _fetch(
                conn,
                f"select _row, {v} from _sf_kept where {v} is not null and {v} not in ({allowed}) "
                f"order by _row limit {limit}",
            )
            if rows:
                out.append(
                    _errors_frame(
                        file,
                        [r for r, _ in rows],
                        col.name,
                        label,
                        [x for _, x in rows],
                        "not one of: " + ", ".join(spec.allowed),
                    )
                )
    return out


def _reference_errors(
    conn: duckdb.DuckDBPyConnection, plan: _Plan, known: dict[str, set[str]], labels: dict[str, str]
) -> list[pd.DataFrame]:
    """Skus and warehouses not in their master (or a master not loaded yet)."""
    kind, file, limit = plan.kind, plan.source.path.name, MAX_ERRORS_PER_RULE
    out: list[pd.DataFrame] = []
    for column, master in kind.references.items():
        allowed_values = known.get(master, set())
        _temp_table(conn, "_sf_known", pd.DataFrame({"v": pd.Series(sorted(allowed_values), dtype="string")}))
        star = " and v <> '*'" if kind.name == "promotions" and column == "warehouse_id" else ""
        v = _ident(column)
        rows = _fetch(
            conn,
            f"select _row, {v} as v from _sf_kept where {v} is not null and {v} not in (select v from _sf_known)"
            f"{star.replace('v <>', f'{v} <>')} order by _row limit {limit}",
        )
        if rows:
            hint = (
                f"the {master} master has not been loaded yet: put its export in the inbox first"
                if not allowed_values
                else f"not in the {master} master; load an updated {master} export first"
            )
            out.append(
                _errors_frame(
                    file,
                    [r for r, _ in rows],
                    column,
                    labels.get(column),
                    [x for _, x in rows],
                    f"unknown {column}: {hint}",
                )
            )
    return out


def _sign_errors(conn: duckdb.DuckDBPyConnection, plan: _Plan, labels: dict[str, str]) -> list[pd.DataFrame]:
    """Quantities whose sign goes against the direction of their type (extracts/rules.py)."""
    if not plan.sign_columns or not plan.signs:
        return []
    qty, column = plan.sign_columns
    raw = _ident("raw_" + column)
    case = " ".join(f"when {_q(value)} then {sign}" for value, (sign, _) in plan.signs.items())
    rows = _fetch(
        conn,
        f"select _row, {_ident(qty)}, {raw} from _sf_kept where (case {raw} {case} else 0 end) * {_ident(qty)} < 0 "
        f"order by _row limit {MAX_ERRORS_PER_RULE}",
    )
    if not rows:
        return []
    reasons = [plan.signs[value][1] for _, _, value in rows]
    values = [str(float(x)) for _, x, _ in rows]
    return [
        _errors_frame(plan.source.path.name, [r for r, _, _ in rows], qty, labels.get(qty), values, reasons)
    ]
