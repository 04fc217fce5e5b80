"""The DuckDB fast path for large delimited text and Parquet extracts.

The pandas path (:mod:`pipelines.ingest.extracts.validate`) reads a whole file into Python strings: about
60 k rows/s on a 2 GB sales export. Here DuckDB reads the file (``read_csv`` / ``read_parquet``),
and header mapping, cleaning, type parsing and every validation rule are SQL over that scan, so a
large file never becomes Python objects. The result is the same as the pandas path's, row for
row: the same raw table, the same rows dropped (blank and 合计/total rows), the same row numbers
(the line a text editor shows; the record number in a Parquet file) and the same errors
(file, row, column, value, reason), because

- SQL only handles the plain cases (a value without surrounding whitespace; an ISO date; a number
  DuckDB and pandas read alike) and every other *distinct* value goes through the pandas path's
  own parsers (:func:`parse_numbers`, :func:`parse_dates`, ``str.strip``), joined back by value;
- whatever SQL cannot reproduce makes the fast path decline (:class:`Declined`) and the file goes
  the pandas way: a header that cannot be told from the first megabyte, records wider than the
  header, line breaks inside cells or blank lines in the middle (row numbers would shift), an
  encoding other than UTF-8 / GB18030, a CSV DuckDB cannot parse.

A file is tried here when it is Parquet or a text file of at least FAST_PATH_MIN_BYTES; Excel files
and small text files take the pandas path (it reads them in well under a second).
"""

from __future__ import annotations

import codecs
import functools
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.ingest.extracts.mapping import HeaderMap, HeaderMapping, KindDetection, map_headers, map_values
from pipelines.ingest.extracts.parsing import _TOTAL_WORDS, parse_dates, parse_numbers
from pipelines.ingest.extracts.readers import (
    CSV_SUFFIXES,
    PARQUET_SUFFIXES,
    TableHead,
    parquet_cell_text,
    read_head,
)
from pipelines.ingest.extracts.schema import DATE, KINDS, NUMBER, ExtractKind
from pipelines.ingest.extracts.validate import (
    _ODOO_DISPLAY_NAME,
    ERROR_COLUMNS,
    MAX_ERRORS_PER_RULE,
    NOT_A_DATE,
    NOT_A_NUMBER,
    FileValidation,
    _file_error,
    date_in_titles,
)
from pipelines.warehouse import connection as wh

# Text files below this size take the pandas path: it reads them in well under a second anyway.
FAST_PATH_MIN_BYTES = 16 << 20
_CHUNK = 1 << 22
# Python's str.strip() (and pyarrow's, which pandas uses) strips exactly these code points.
_WS_HIGH = (0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)
_MACROS = (
    # a CASE, not ORs: DuckDB evaluates every operand of an OR, a CASE stops at the first branch taken
    "create or replace temp macro _sf_ws(cp) as case when cp <= 32 then true when cp < 133 then false "
    "else cp in (" + ", ".join(map(str, _WS_HIGH)) + ") or cp between 8192 and 8202 end",
    # A plain cell: non-empty, no whitespace or control character at either end (str.strip() is a no-op).
    "create or replace temp macro _sf_plain(v) as not _sf_ws(ascii(v)) and not _sf_ws(ascii(v[-1]))",
)


def _edge_whitespace(cells: list[str]) -> str:
    """True when a non-null cell is empty or starts or ends with whitespace or a control character
    (what _sf_plain tells of each cell). Quick path first: when every first and last character is
    printable ASCII (33..132), nothing else is looked at; a regex over the joined cells cost about 10x."""
    codes = [f"ascii({c})" for c in cells] + [f"ascii({c}[-1])" for c in cells]
    quick = f"least({', '.join(codes)}) >= 33 and greatest({', '.join(codes)}) < 133"
    exact = " or ".join(f"coalesce(not _sf_plain({c}), false)" for c in cells)
    return f"case when {quick} then false else {exact} end"


class Declined(Exception):
    """The fast path cannot reproduce the pandas path for this file; read it the pandas way."""


def wants_fast_path(path: Path) -> bool:
    """Parquet, or a delimited text file of at least FAST_PATH_MIN_BYTES."""
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return True
    return suffix in CSV_SUFFIXES and path.stat().st_size >= FAST_PATH_MIN_BYTES


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


@functools.cache
def _compatibility_forms() -> dict[str, frozenset[str]]:
    """Each character of the total words (and space, colon) -> the characters NFKC-normalising to it
    or, lowercased, to it."""
    variants: dict[str, set[str]] = {}
    wanted = {c for word in _TOTAL_WORDS for c in word} | {" ", ":"}
    for cp in range(0x10000):
        if 0xD800 <= cp < 0xE000:
            continue
        norm = unicodedata.normalize("NFKC", chr(cp))
        for target in {norm, norm.lower()}:
            if target in wanted:
                variants.setdefault(target, set()).add(chr(cp))
    return {k: frozenset(v) for k, v in variants.items()}


@functools.cache
def total_label_last_codes() -> tuple[int, ...]:
    """Code points a cell matching total_label_regex() can end with: the last letter of a total word
    in any of its forms and case, a colon, a space or a tab."""
    forms = _compatibility_forms()
    last = {word[-1] for word in _TOTAL_WORDS} | {":", " "}
    chars = {c for x in last for c in forms.get(x, ()) | {x, x.upper()}} | {"\uff1a", "\t"}
    return tuple(sorted(ord(c) for c in chars))


def _maybe_total(cells: list[str]) -> str:
    """False when no cell's last character can end a total label (then the regex need not run)."""
    codes = ", ".join(map(str, total_label_last_codes()))
    return " or ".join(
        f"coalesce(case when ascii({c}[-1]) between 48 and 57 then false else ascii({c}[-1]) in ({codes}) end, "
        "false)"
        for c in cells
    )


@functools.cache
def total_label_regex() -> str:
    """TOTAL_LABEL_PATTERN for text that has not been NFKC-normalised: every character also matches
    its compatibility forms (full-width letters, ideographic space, ...), letters in either case."""
    variants = _compatibility_forms()

    def cls(char: str) -> str:
        chars = sorted(variants.get(char, set()) | {char} | ({char.upper()} if char.isascii() else set()))
        return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"

    def escaped(chars) -> str:
        return "".join(f"\\x{{{ord(c):x}}}" for c in sorted(chars))

    space = "[\\t" + escaped(variants[" "]) + "]*"
    words = "|".join(space.join(cls(c) for c in word) for word in _TOTAL_WORDS)
    colon = "[" + escaped(variants[":"] | {"\uff1a"}) + "]?"
    return f"{space}(?:{words}){space}{colon}{space}"


# --------------------------------------------------------------------------------------------
# Sources: what DuckDB reads, as text columns c0..c<n-1> plus the record number _rn


@dataclass
class Source:
    path: Path
    relation: str  # select _rn, c0, c1, ... (all VARCHAR)
    labels: list[str]  # one per column, as read_extract names them
    named: list[bool]
    header_line: int  # lines above the first record (0 for Parquet)
    encoding: str | None
    title_lines: list[str] = field(default_factory=list)
    python_text: dict[int, tuple[str, str]] = field(default_factory=dict)  # col -> (parquet column, type)
    typed: dict[int, str] = field(default_factory=dict)  # col -> its value, typed as the contract wants

    @property
    def width(self) -> int:
        return len(self.labels)


def _transcode(path: Path, encoding: str, folder: Path) -> Path:
    """A UTF-8 copy of a GB18030 file (strict: an undecodable byte declines the fast path)."""
    target = folder / "utf8.csv"
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as out:
            while chunk := src.read(_CHUNK):
                out.write(decoder.decode(chunk))
            out.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        raise Declined(f"not {encoding} throughout") from exc
    return target


def text_source(path: Path, header_map: HeaderMap, folder: Path) -> Source:
    head: TableHead | None = read_head(path, header_map.all_labels)
    if head is None:
        raise Declined("the header cannot be told from the head of the file")
    read_path = path
    if head.encoding not in ("utf-8", "utf-8-sig"):
        read_path = _transcode(path, head.encoding, folder)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(head.width)) + "}"
    relation = (
        f"select row_number() over () as _rn, * from read_csv({_q(str(read_path))}, header = false, "
        f"skip = {head.header_line}, auto_detect = false, columns = {columns}, delim = {_q(head.delimiter)}, "
        "quote = '\"', escape = '\"', strict_mode = true, null_padding = true, encoding = 'utf-8')"
    )
    return Source(path, relation, head.labels, head.named, head.header_line, head.encoding, head.title_lines)


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


# --------------------------------------------------------------------------------------------
# The plan: per-column SQL for cleaning and parsing


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


# --------------------------------------------------------------------------------------------
# Validation


@dataclass
class FastFile:
    """A validated file: its FileValidation (errors, mapping, counts) and how to load it."""

    validation: FileValidation
    plan: _Plan | None
    rows: int = 0


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


def _fix_table(plan: _Plan, i: int, raw: list[str]) -> pd.DataFrame:
    """The pandas path's result for each distinct value SQL does not handle itself."""
    values = pd.Series(raw, dtype=object)
    stripped = values.astype("str").str.strip()
    txt = stripped.mask(stripped == "")
    frame = pd.DataFrame({"raw": values, "txt": txt.astype(object).where(txt.notna(), None)})
    role = plan.roles.get(i, "text")
    if role == NUMBER:
        parsed, _ = parse_numbers(txt)
        frame["num"] = parsed.to_numpy()
    elif role == DATE:
        parsed, _ = parse_dates(txt)
        days = pd.to_datetime(parsed).astype("datetime64[us]").dt.normalize()
        frame["dt"] = [None if pd.isna(d) else d.date() for d in days]
    else:
        val = txt.astype("string")
        if role == "sku":
            val = val.str.replace(_ODOO_DISPLAY_NAME, r"\1", regex=True)
        frame["val"] = val.astype(object).where(val.notna(), None)
    for name, dtype in (("num", "float64"), ("dt", "object"), ("val", "object")):
        if name not in frame:
            frame[name] = pd.Series([None] * len(frame), dtype=dtype)
    return frame


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
        if spec.allowed is not None:
            aggs.append(
                (f"distinct:{col.name}", f"list(distinct {v}) filter (where _keep and {v} is not null)")
            )
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
    return dict(zip((name for name, _ in aggs), row, strict=True))


def _run(conn: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    try:
        return conn.execute(sql).fetchall()
    except duckdb.Error as exc:  # CSV errors (too many columns, invalid UTF-8, ...) and anything unforeseen
        raise Declined(
            f"DuckDB cannot read the file as the pandas path does: {str(exc).splitlines()[0]}"
        ) from exc


def _line_count(path: Path) -> tuple[int, int]:
    """(records the pandas reader sees, blank lines at the end of the file)."""
    newlines = 0
    last = b""
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            newlines += chunk.count(b"\n")
            last = (last + chunk)[-65536:]
    records = newlines + (1 if last and not last.endswith(b"\n") else 0)
    trailing = 0
    lines = last.split(b"\n")
    if lines and lines[-1] == b"":
        lines = lines[:-1]
    for line in reversed(lines[1:]):
        if line.strip(b"\r") != b"":
            break
        trailing += 1
    return records, trailing


def validate_fast(
    conn: duckdb.DuckDBPyConnection,
    source: Source,
    header_map: HeaderMap,
    known: dict[str, set[str]],
    detection: KindDetection,
) -> FastFile:
    """Map, clean, type-check and rule-check a file in DuckDB. Nothing is written to the warehouse."""
    kind = KINDS[detection.kind]
    path = source.path
    result = FileValidation(path, kind.name, detection, encoding=source.encoding)
    for macro in _MACROS:
        conn.execute(macro)
    if source.python_text:
        _register_parquet_text(conn, source)
    named_labels = [label for label, named in zip(source.labels, source.named, strict=True) if named]
    mapping = map_headers(named_labels, kind.name, header_map)
    constants: dict[str, str] = {}
    if mapping.missing_required == ["snapshot_date"]:
        title_date = date_in_titles(source.title_lines)
        if title_date is not None:
            constants["snapshot_date"] = title_date
            mapping = map_headers([*named_labels, "snapshot_date"], kind.name, header_map)
            result.notes.append(f"snapshot_date {title_date} taken from the title rows above the header")
    plan = _build_plan(source, kind, mapping, constants)

    aggs = _aggregates(plan)
    stats = _stats(conn, plan, aggs)
    suspects = {k.split(":")[1]: v for k, v in stats.items() if k.startswith("suspect:") and v}
    if suspects:  # some cells need Python: find their distinct values, column by column
        if "_hws" in suspects:
            text_cols = [i for i in range(source.width) if plan.roles.get(i, "text") not in (NUMBER, DATE)]
            counts = _run(
                conn,
                f"with src as ({source.relation}) select "
                + ", ".join(f"count_if(s.c{i} is not null and not {plan.fast(i)})" for i in text_cols)
                + " from src s",
            )[0]
            hard_cols = {i for i, count in zip(text_cols, counts, strict=True) if count}
        else:
            hard_cols = set()
        hard_cols |= {int(name[2:]) for name in suspects if name != "_hws"}
        for i in sorted(hard_cols):
            distinct = _run(
                conn,
                f"with src as ({source.relation}) select distinct s.c{i} from src s "
                f"where s.c{i} is not null and not {plan.fast(i)}",
            )
            _temp_table(conn, f"_sf_fix{i}", _fix_table(plan, i, [v for (v,) in distinct]))
            plan.fixes.add(i)
        aggs = _aggregates(plan)
        stats = _stats(conn, plan, aggs)

    if source.header_line:  # text: every record must sit on its own line for row numbers to hold
        lines, trailing = _line_count(path)
        extra = lines - source.header_line - stats["records"]
        if extra not in (0, trailing):
            raise Declined("blank lines or line breaks inside cells: row numbers need the pandas reader")
        stats["blank"] += extra

    kept_labels = [
        label for i, label in enumerate(source.labels) if source.named[i] or stats.get(f"unnamed{i}", 0)
    ]
    mapping = HeaderMapping(
        kind.name,
        mapping.columns,
        [label for label in kept_labels if label not in mapping.columns],
        mapping.missing_required,
        mapping.conflicts,
    )
    result.mappings = [(None, mapping)]
    result.total_rows_dropped = int(stats["total"])
    result.blank_rows_dropped = int(stats["blank"])
    if mapping.missing_required:
        result.errors = pd.concat(
            [
                _file_error(
                    path,
                    f"required column missing (found headers: {', '.join(kept_labels)}); "
                    f"add a column named {col} or one of its ERP names from the header map",
                    column=col,
                )
                for col in mapping.missing_required
            ],
            ignore_index=True,
        )
        return FastFile(result, None)
    if stats["kept"] == 0:
        result.errors = _file_error(path, "the file has a header but no data rows")
        return FastFile(result, None)

    for col in plan.columns:
        if kind.column(col.name).allowed is not None:
            distinct = pd.Series(stats[f"distinct:{col.name}"] or [], dtype="string")
            mapped = map_values(kind.name, col.name, distinct, header_map)
            plan.enum_maps[col.name] = {
                k: v for k, v in zip(distinct, mapped, strict=True) if isinstance(v, str) and k != v
            }
    plan.fill_line_no = bool(stats.get("line_no_missing"))
    plan.nothing_dropped = stats["records"] == stats["kept"]
    suspect = any(stats[k] for k in stats if k.split(":")[0] in ("bad", "null", "neg")) or stats["dup"]
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
    if suspect or plan.fill_line_no:
        result.errors = _detail_errors(conn, plan, known, mapping)
        if not result.errors.empty:
            return FastFile(result, None)
    return FastFile(result, plan, int(stats["kept"]))


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
    return f"with {plan.rows_sql()} select _row, {', '.join(cols + extra)} from rows where _keep"


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


def _detail_errors(
    conn: duckdb.DuckDBPyConnection, plan: _Plan, known: dict[str, set[str]], mapping: HeaderMapping
) -> pd.DataFrame:
    """Every error with its row, column and value, in the pandas path's order (sorted by row)."""
    kind, file = plan.kind, plan.source.path.name
    labels = {canon: orig for orig, canon in mapping.columns.items()}
    conn.execute(f"create or replace temp table _sf_kept as {_final_rows_sql(plan)}")
    limit = MAX_ERRORS_PER_RULE
    out: list[pd.DataFrame] = []

    def fetch(sql: str) -> list[tuple]:
        return conn.execute(sql).fetchall()

    for col in plan.columns:  # values that are not numbers or dates
        if col.dtype not in (NUMBER, DATE):
            continue
        rows = fetch(
            f"select _row, {_ident('txt_' + col.name)} from _sf_kept where {_ident('bad_' + col.name)} "
            f"order by _row limit {limit}"
        )
        if rows:
            reason = NOT_A_NUMBER if col.dtype == NUMBER else NOT_A_DATE
            out.append(
                _errors_frame(
                    file, [r for r, _ in rows], col.name, labels.get(col.name), [t for _, t in rows], reason
                )
            )
    keys = [_ident(k) for k in kind.key]
    dup_rows = fetch(
        f"select {', '.join(keys)}, list(_row order by _row) from _sf_kept group by all having count(*) > 1"
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
    for col in plan.columns:
        spec = kind.column(col.name)
        v = _ident(col.name)
        label = labels.get(col.name)
        if spec.required:
            not_bad = f"and not {_ident('bad_' + col.name)}" if col.dtype in (NUMBER, DATE) else ""
            rows = fetch(f"select _row from _sf_kept where {v} is null {not_bad} order by _row limit {limit}")
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
        if spec.non_negative:
            rows = fetch(f"select _row, {v} from _sf_kept where {v} < 0 order by _row limit {limit}")
            if rows:
                out.append(
                    _errors_frame(
                        file,
                        [r for r, _ in rows],
                        col.name,
                        label,
                        [str(float(x)) for _, x in rows],
                        "must not be negative",
                    )
                )
        if spec.allowed is not None:
            allowed = ", ".join(_q(a) for a in spec.allowed)
            rows = fetch(
                f"select _row, {v} from _sf_kept where {v} is not null and {v} not in ({allowed}) "
                f"order by _row limit {limit}"
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
    for column, master in kind.references.items():
        allowed_values = known.get(master, set())
        _temp_table(conn, "_sf_known", pd.DataFrame({"v": pd.Series(sorted(allowed_values), dtype="string")}))
        star = " and v <> '*'" if kind.name == "promotions" and column == "warehouse_id" else ""
        v = _ident(column)
        rows = fetch(
            f"select _row, {v} as v from _sf_kept where {v} is not null and {v} not in (select v from _sf_known)"
            f"{star.replace('v <>', f'{v} <>')} order by _row limit {limit}"
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
    conn.execute("drop table if exists _sf_kept")
    frames = [f for f in out if not f.empty]
    if not frames:
        return pd.DataFrame(columns=ERROR_COLUMNS)
    errors = pd.concat(frames, ignore_index=True)
    return errors.sort_values(["row"], na_position="first", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Loading


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


# --------------------------------------------------------------------------------------------
# Parquet extracts loaded in place: validated where they are, read by raw.<kind> from the archive


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
    """The file's rows as raw.<kind> has them (canonical columns, then lineage), reading the archived
    file at wh.ARCHIVED_FILE (the path is put in when the view is built)."""
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
    conn: duckdb.DuckDBPyConnection, fast: FastFile, entry: wh.FileLogEntry, archive: Path, archived: Path
) -> tuple[int, int]:
    """Register a validated Parquet file, already at ``archived`` under ``archive``, as a load: its log
    entry, its row in raw._parquet_loads and raw.<kind> rebuilt to read it, in one transaction.
    Nothing is copied: raw.<kind> reads the archived file."""
    plan = fast.plan
    kind = plan.kind
    table = wh.raw_table(kind.name)
    had_rows = int(conn.execute(f"select count(*) from {table}").fetchall()[0][0])
    conn.execute("begin transaction")
    try:
        load_id = wh.next_load_id(conn)
        sql = in_place_sql(plan, entry.sha256, load_id, datetime.now(UTC).replace(tzinfo=None))
        conn.execute(
            f"insert into {wh.PARQUET_LOADS} values (?, ?, ?, ?)",
            [load_id, kind.name, str(archived.relative_to(archive)), sql],
        )
        wh.rebuild_raw_view(conn, kind, archive)
        superseded = _superseded(conn, table, kind, load_id) if had_rows else 0
        wh._log(
            conn,
            load_id,
            wh.FileLogEntry(**{**entry.__dict__, "rows_superseded": superseded, "moved_to": str(archived)}),
        )
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return load_id, superseded


class FastSession:
    """A temporary folder (for transcoded copies) around one file's validation and load."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="stockflow-fast-")
        self.folder = Path(self._tmp.name)

    def __enter__(self) -> FastSession:
        return self

    def __exit__(self, *exc) -> None:
        self._tmp.cleanup()


def prepare(
    conn: duckdb.DuckDBPyConnection,
    session: FastSession,
    path: Path,
    header_map: HeaderMap,
    known: dict[str, set[str]],
    detection: KindDetection,
) -> FastFile:
    """Validate a file on the fast path; raises Declined when it must go the pandas way."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        source = parquet_source(conn, path, header_map, detection.kind)
    else:
        source = text_source(path, header_map, session.folder)
    return validate_fast(conn, source, header_map, known, detection)
