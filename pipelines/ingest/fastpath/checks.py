"""The fast checks: one scan of the file that counts everything validation needs (records, blank and
total rows, suspect cells, values that are not numbers or dates, empty required values, negatives,
distinct enumerated and referenced values, duplicate keys) and whether those counts say the file may
hold an error (then the row-level detail is looked up, :mod:`pipelines.ingest.fastpath.errors`)."""

from __future__ import annotations

import duckdb

from pipelines.ingest.extracts.bounds import MAX_ABS_NUMBER
from pipelines.ingest.extracts.schema import DATE, NUMBER, DateWindow
from pipelines.ingest.fastpath.plan import _Plan
from pipelines.ingest.fastpath.sql import _ident, _run


def _aggregates(plan: _Plan) -> list[tuple[str, str]]:
    n = plan.source.width
    aggs = [("records", "count(*)"), ("blank", "count_if(_blank)"), ("total", "count_if(_total)")]
    aggs += [("kept", "count_if(_keep)")]
    aggs += [(f"unnamed{i}", f"count(t{i})") for i in range(n) if not plan.source.named[i]]
    aggs += [
        (f"suspect:{name.split(' as ')[-1]}", f"count_if({name.split(' as ')[-1]})")
        for name in plan.suspects() + plan.typed_suspects()
    ]
    kind = plan.kind
    for col in plan.columns:
        v, spec = _ident("v_" + col.name), kind.column(col.name)
        if col.dtype in (NUMBER, DATE):
            aggs.append((f"bad:{col.name}", f"count_if(_keep and {_ident('bad_' + col.name)})"))
            not_bad = f"not {_ident('bad_' + col.name)}"
        else:
            not_bad = "true"
        if spec.required:
            aggs.append((f"null:{col.name}", f"count_if(_keep and {v} is null and {not_bad})"))
        if spec.non_negative:
            aggs.append((f"neg:{col.name}", f"count_if(_keep and {v} < 0)"))
        if spec.positive:
            aggs.append((f"nonpos:{col.name}", f"count_if(_keep and {v} <= 0)"))
        if col.dtype == NUMBER:
            aggs.append((f"big:{col.name}", f"count_if(_keep and abs({v}) > {MAX_ABS_NUMBER!r})"))
        if col.dtype == DATE and plan.dates is not None:
            aggs.append((f"out:{col.name}", f"count_if(_keep and {_outside(v, plan.dates)})"))
        if spec.allowed is not None:
            aggs.append(
                (f"distinct:{col.name}", f"list(distinct {v}) filter (where _keep and {v} is not null)")
            )
    if plan.sign_columns:  # the exported types found with positive and with negative quantities
        qty, raw = _ident("v_" + plan.sign_columns[0]), _ident("raw_" + plan.sign_columns[1])
        for name, test in (("signed+", f"{qty} > 0"), ("signed-", f"{qty} < 0")):
            aggs.append((name, f"list(distinct {raw}) filter (where _keep and {test} and {raw} is not null)"))
    for column in kind.references:
        v = _ident("v_" + column)
        aggs.append((f"ref:{column}", f"list(distinct {v}) filter (where _keep and {v} is not null)"))
    keys = ", ".join(_ident("v_" + k) for k in kind.key)
    aggs.append(("dup", f"count(*) filter (where _keep) - count(distinct hash({keys})) filter (where _keep)"))
    if "line_no" in kind.key:
        aggs.append(("line_no_missing", f"count_if(_keep and {_ident('v_line_no')} is null)"))
    return aggs


def _stats(conn: duckdb.DuckDBPyConnection, plan: _Plan, aggs: list[tuple[str, str]]) -> dict:
    row = _run(conn, f"with {plan.rows_sql()} select {', '.join(sql for _, sql in aggs)} from rows")[0]
    stats = dict(zip((name for name, _ in aggs), row, strict=True))
    # DuckDB's count_if over no rows is NULL: a file without data rows counts zeros (issue 16: a Parquet
    # extract with no rows raised a TypeError that stopped the whole ingest step)
    lists = ("distinct:", "ref:", "signed")
    return {k: (0 if v is None and not k.startswith(lists) else v) for k, v in stats.items()}


def _suspect(plan: _Plan, stats: dict, known: dict[str, set[str]]) -> bool:
    """Whether the counts say the file may hold an error (a value not allowed or not in its master)."""
    kind = plan.kind
    suspect = (
        any(stats[k] for k in stats if k.split(":")[0] in ("bad", "null", "neg", "nonpos", "big", "out"))
        or stats["dup"]
    )
    for name, wrong in (("signed+", -1), ("signed-", 1)):  # a quantity against its type's direction
        suspect = suspect or any(plan.signs.get(v, (0, ""))[0] == wrong for v in stats.get(name) or [])
    for col in plan.columns:
        spec = kind.column(col.name)
        if spec.allowed is not None:
            values = {plan.enum_maps[col.name].get(v, v) for v in stats[f"distinct:{col.name}"] or []}
            suspect = suspect or bool(values - set(spec.allowed))
    for column, master in kind.references.items():
        values = set(stats[f"ref:{column}"] or []) - known.get(master, set())
        if kind.name == "promotions" and column == "warehouse_id":
            values.discard("*")
        suspect = suspect or bool(values)
    return bool(suspect)


def _outside(v: str, dates: DateWindow) -> str:
    """SQL: the date ``v`` lies outside the accepted business dates."""
    return f"({v} < date '{dates.earliest.isoformat()}' or {v} > date '{dates.latest.isoformat()}')"
