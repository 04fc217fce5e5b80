"""The plan: the SQL that maps, cleans and parses a file, column by column.

A :class:`_Plan` knows which file column feeds each canonical column and how its cells are read (text,
sku, number, date), and builds the CTEs ``src`` -> ``cleaned`` -> ``flagged`` -> ``rows``: every record
with its cleaned text, its line, whether it is blank or a total row, and each canonical value with,
for numbers and dates, whether the cell failed to parse. Cells SQL does not handle itself are joined
to ``_sf_fix<i>`` tables (:mod:`pipelines.ingest.fastpath.fixes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from pipelines.ingest.extracts.mapping import HeaderMapping
from pipelines.ingest.extracts.parsing import parse_dates
from pipelines.ingest.extracts.rules import SIGNED
from pipelines.ingest.extracts.schema import DATE, NUMBER, DateWindow, ExtractKind
from pipelines.ingest.fastpath.cells import _edge_whitespace, _maybe_total, total_label_regex
from pipelines.ingest.fastpath.source import Source
from pipelines.ingest.fastpath.sql import _ident, _q


@dataclass
class _Column:
    """One canonical column of the kind and where its values come from."""

    name: str
    dtype: str
    source: int | None  # file column index
    constant: str | None = None  # a value for every row (the snapshot date taken from the title rows)
    default: str | None = None
    is_sku: bool = False


@dataclass
class _Plan:
    source: Source
    kind: ExtractKind
    columns: list[_Column]
    roles: dict[int, str]  # file column -> "text" | "sku" | NUMBER | DATE
    fixes: set[int] = field(default_factory=set)  # file columns with a _sf_fix<i> lookup table
    enum_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    fill_line_no: bool = False
    nothing_dropped: bool = False  # the validation pass found no blank and no total record
    dates: DateWindow | None = None  # business dates outside it are errors
    # exported value of the sign-fixing column (rules.SIGNED) -> (the sign its quantity must have, reason)
    signs: dict[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def sign_columns(self) -> tuple[str, str] | None:
        """(signed number column, column whose exported value fixes its sign) when the kind has them."""
        signed = SIGNED.get(self.kind.name)
        names = {c.name: c for c in self.columns}
        if signed is None or names[signed[1]].source is None:
            return None
        return signed[0], signed[1]

    def fast(self, i: int) -> str:
        """True where SQL handles column i's raw cell itself (else the cell's distinct value goes to Python).

        Numbers and dates: what DuckDB parses as pandas does (DuckDB's casts skip the whitespace that
        str.strip() removes). Text: a plain cell, and no Odoo "[CODE] Name" in the sku column."""
        c = f"s.c{i}"
        role = self.roles.get(i, "text")
        if i in self.source.typed:
            return "true"
        if role == NUMBER:
            return f"coalesce(isfinite(try_cast({c} as double)) and not contains({c}, '_'), false)"
        if role == DATE:
            return f"coalesce(try_strptime({c}, '%Y-%m-%d') >= timestamp '1000-01-01', false)"
        if role == "sku":
            return f"coalesce(_sf_plain({c}) and not prefix({c}, '['), false)"
        return f"coalesce(_sf_plain({c}), false)"

    def suspects(self) -> list[str]:
        """Cheap per-record checks (as booleans) that say no cell needs Python when all are false:
        one regex over the text cells joined by \\x01 for whitespace at either end of any of them,
        and a sku starting with "[". Number and date cells are checked by typed_suspects()."""
        checks = []
        text_cols = []
        for i in range(self.source.width):
            if i in self.fixes or i in self.source.typed:
                continue
            role = self.roles.get(i, "text")
            if role not in (NUMBER, DATE):
                text_cols.append(f"s.c{i}")
                if role == "sku":
                    checks.append(f"coalesce(prefix(s.c{i}, '['), false) as _h{i}")
        if text_cols:
            checks.append(f"{_edge_whitespace(text_cols)} as _hws")
        return checks

    def typed_suspects(self) -> list[str]:
        """Per number / date column: a cell SQL did not parse (as fast() says, from the parsed value)."""
        checks = []
        for col in self.columns:
            i = col.source
            if i is None or i in self.fixes or i in self.source.typed or col.dtype not in (NUMBER, DATE):
                continue
            v = _ident("v_" + col.name)
            ok = (
                f"isfinite({v}) and not contains(r{i}, '_')"
                if col.dtype == NUMBER
                else f"{v} >= date '1000-01-01'"
            )
            checks.append(f"(r{i} is not null and not coalesce({ok}, false)) as _h{i}")
        return checks

    def text(self, i: int) -> str:
        c = f"s.c{i}"
        return f"case when {self.fast(i)} then {c} else f{i}.txt end" if i in self.fixes else c

    def value(self, col: _Column) -> str:
        """The canonical column's typed value (before enum mapping, defaults and line_no filling)."""
        if col.constant is not None:
            if col.dtype == DATE:
                parsed, bad = parse_dates(pd.Series([col.constant], dtype="str"))
                return "null::date" if bad.iloc[0] else f"date '{parsed.iloc[0]:%Y-%m-%d}'"
            return _q(col.constant)
        if col.source is None:
            return "null"
        i, c = col.source, f"s.c{col.source}"
        if i in self.source.typed:
            return f"s.p{i}"
        if col.dtype == NUMBER:
            expr = f"try_cast({c} as double)"
            return f"case when {self.fast(i)} then {expr} else f{i}.num end" if i in self.fixes else expr
        if col.dtype == DATE:
            expr = f"cast(try_strptime({c}, '%Y-%m-%d') as date)"
            return f"case when {self.fast(i)} then {expr} else f{i}.dt end" if i in self.fixes else expr
        return f"case when {self.fast(i)} then {c} else f{i}.val end" if i in self.fixes else c

    def mapped_value(self, col: _Column) -> str:
        """value() with accepted-value mapping and the column's default applied (line_no not filled)."""
        expr = self.value(col)
        if col.dtype not in (NUMBER, DATE):
            if self.enum_maps.get(col.name):
                whens = " ".join(f"when {_q(k)} then {_q(v)}" for k, v in self.enum_maps[col.name].items())
                expr = f"case {expr} {whens} else {expr} end"
            if col.default is not None:
                expr = f"coalesce({expr}, {_q(col.default)})"
        return expr

    def rows_sql(self, checks: bool = True) -> str:
        """CTEs src (the file) and rows: every record with its cleaned text t<i>, its line _row,
        whether it is blank or a total row (_keep: neither), and per canonical column its value
        v_<name>, and for numbers and dates the cell's text txt_<name> and bad_<name> (not a
        number / date)."""
        n = self.source.width
        texts = [f"{self.text(i)} as t{i}" for i in range(n)]
        joins = "".join(f" left join _sf_fix{i} f{i} on f{i}.raw = s.c{i}" for i in sorted(self.fixes))
        values, flags = [], []
        for col in self.columns:
            values.append(f"{self.mapped_value(col)} as {_ident('v_' + col.name)}")
            if self.sign_columns and col.name == self.sign_columns[1]:  # as exported, before value aliases
                values.append(f"{self.value(col)} as {_ident('raw_' + col.name)}")
            if col.dtype in (NUMBER, DATE):
                if col.source is not None:
                    text = self.text(col.source)
                else:
                    text = "null::varchar" if col.constant is None else _q(col.constant)
                values.append(f"{text} as {_ident('txt_' + col.name)}")
                flags.append(
                    f"({_ident('txt_' + col.name)} is not null and {_ident('v_' + col.name)} is null) "
                    f"as {_ident('bad_' + col.name)}"
                )
        raw = [
            f"s.c{c.source} as r{c.source}"
            for c in self.columns
            if c.source is not None and c.dtype in (NUMBER, DATE) and c.source not in self.fixes
        ]
        ts = [f"t{i}" for i in range(n)]
        blank = " and ".join(f"{t} is null" for t in ts) or "true"

        def tot(x: str) -> str:
            return f"regexp_full_match({x}, {_q(total_label_regex())})"

        general = (
            f"coalesce(list_bool_or(list_transform(list_filter([{', '.join(ts)}], lambda x: x is not null)[1:3], "
            f"lambda x: {tot('x')})), false)"
        )
        if len(ts) >= 3:  # usually the first three cells are filled: one regex over them, joined by \x01
            first3 = " and ".join(f"{t} is not null" for t in ts[:3])
            joined = f"concat_ws(chr(1), {', '.join(ts[:3])})"
            in_joined = "(?:^|\\x01)(?:" + total_label_regex() + ")(?:\\x01|$)"  # one of the joined cells
            quick = f"regexp_matches({joined}, {_q(in_joined)})"
            total = (
                f"case when {first3} then (case when {_maybe_total(ts[:3])} then {quick} else false end) "
                f"else {general} end"
            )
        else:
            total = general
        if self.nothing_dropped and not checks:  # the load pass: no need to look for them again
            drops = "false as _blank, false as _total"
        else:
            drops = f"({blank}) as _blank, (not ({blank}) and ({total})) as _total"
        return (
            f"src as ({self.source.relation}),\n"
            f"cleaned as (select s._rn, s._rn + {self.source.header_line} as _row, "
            f"{', '.join(texts + values + (self.suspects() + raw if checks else []))} from src s{joins}),\n"
            f"flagged as (select *, {drops} "
            f"{''.join(', ' + f for f in flags + (self.typed_suspects() if checks else []))} from cleaned),\n"
            "rows as (select *, not _blank and not _total as _keep from flagged)"
        )


def _role(col_dtype: str, name: str) -> str:
    if col_dtype in (NUMBER, DATE):
        return col_dtype
    return "sku" if name == "sku" else "text"


def _build_plan(
    source: Source, kind: ExtractKind, mapping: HeaderMapping, constants: dict[str, str]
) -> _Plan:
    index = {label: i for i, label in enumerate(source.labels)}
    columns, roles = [], {}
    for col in kind.columns:
        src = next((index.get(orig) for orig, canon in mapping.columns.items() if canon == col.name), None)
        if col.name in constants:
            src = None
        columns.append(
            _Column(col.name, col.dtype, src, constants.get(col.name), col.default, is_sku=col.name == "sku")
        )
        if src is not None:
            roles[src] = _role(col.dtype, col.name)
    return _Plan(source, kind, columns, roles)


def _final_rows_sql(plan: _Plan, for_load: bool = False) -> str:
    """The kept rows with canonical column names, line_no filled as the pandas path fills it."""
    cols = []
    for col in plan.columns:
        v = _ident("v_" + col.name)
        if col.name == "line_no" and plan.fill_line_no:
            first = _ident("v_" + plan.kind.key[0])
            v = f"coalesce({v}, cast(row_number() over (partition by {first} order by _rn) as varchar))"
        cols.append(f"{v} as {_ident(col.name)}")
    if for_load:
        return f"with {plan.rows_sql(checks=False)} select _row, {', '.join(cols)} from rows where _keep"
    extra = [_ident(p + c.name) for c in plan.columns if c.dtype in (NUMBER, DATE) for p in ("bad_", "txt_")]
    extra += [_ident("raw_" + plan.sign_columns[1])] if plan.sign_columns else []
    return f"with {plan.rows_sql()} select _row, {', '.join(cols + extra)} from rows where _keep"
