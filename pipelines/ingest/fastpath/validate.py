"""Validation on the fast path, step by step: map the headers (a snapshot date may come from the title
rows), build the plan, run the fast checks (again once the cells SQL cannot handle have their fixes),
check that row numbers hold, report a missing column or an empty file, map enumerated values, and
look up the row-level detail only when the counts say there may be an error."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.ingest.extracts.mapping import (
    HeaderMap,
    HeaderMapping,
    KindDetection,
    map_headers,
    map_values,
    opening_balance_label,
)
from pipelines.ingest.extracts.parsing import date_in_titles
from pipelines.ingest.extracts.rules import expected_signs, sign_reason
from pipelines.ingest.extracts.schema import KINDS, DateWindow, ExtractKind
from pipelines.ingest.extracts.validate import FileValidation, _file_error
from pipelines.ingest.fastpath.cells import _MACROS
from pipelines.ingest.fastpath.checks import _aggregates, _stats, _suspect
from pipelines.ingest.fastpath.errors import _detail_errors
from pipelines.ingest.fastpath.fixes import _fix_hard_cells
from pipelines.ingest.fastpath.plan import _build_plan, _Plan
from pipelines.ingest.fastpath.read_csv import _extra_blank_lines
from pipelines.ingest.fastpath.read_parquet import _register_parquet_text
from pipelines.ingest.fastpath.source import Source
from pipelines.ingest.fastpath.sql import Declined


@dataclass
class FastFile:
    """A validated file: its FileValidation (errors, mapping, counts) and how to load it."""

    validation: FileValidation
    plan: _Plan | None
    rows: int = 0


def validate_fast(
    conn: duckdb.DuckDBPyConnection,
    source: Source,
    header_map: HeaderMap,
    known: dict[str, set[str]],
    detection: KindDetection,
    dates: DateWindow | None = None,
) -> FastFile:
    """Map, clean, type-check and rule-check a file in DuckDB. Nothing is written to the warehouse."""
    kind = KINDS[detection.kind]
    path = source.path
    result = FileValidation(path, kind.name, detection, encoding=source.encoding)
    for macro in _MACROS:
        conn.execute(macro)
    if source.python_text:
        _register_parquet_text(conn, source)
    mapping, constants = _map_file_headers(source, kind, header_map, result)
    plan = _build_plan(source, kind, mapping, constants)
    plan.dates = dates
    stats = _stats(conn, plan, _aggregates(plan))
    if _fix_hard_cells(conn, plan, stats):  # some cells need Python: count again with their fixes
        stats = _stats(conn, plan, _aggregates(plan))
    if source.header_line:  # text: every record must sit on its own line for row numbers to hold
        stats["blank"] += _extra_blank_lines(path, source.header_line, stats["records"])
    mapping, kept_labels = _kept_mapping(source, mapping, stats)
    result.mappings = [(None, mapping)]
    result.total_rows_dropped = int(stats["total"])
    result.blank_rows_dropped = int(stats["blank"])
    errors = _table_errors(path, mapping, kept_labels, stats)
    if errors is not None:
        result.errors = errors
        return FastFile(result, None)
    _map_enums(plan, stats, header_map)
    plan.fill_line_no = bool(stats.get("line_no_missing"))
    plan.nothing_dropped = stats["records"] == stats["kept"]
    if _suspect(plan, stats, known) or plan.fill_line_no:
        result.errors = _detail_errors(conn, plan, known, mapping)
        if not result.errors.empty:
            return FastFile(result, None)
    return FastFile(result, plan, int(stats["kept"]))


def _map_file_headers(
    source: Source, kind: ExtractKind, header_map: HeaderMap, result: FileValidation
) -> tuple[HeaderMapping, dict[str, str]]:
    """The mapping of the named headers and the columns given one value for every row (a snapshot date
    missing from the headers but found in the title rows, noted in ``result``)."""
    named_labels = [label for label, named in zip(source.labels, source.named, strict=True) if named]
    mapping = map_headers(named_labels, kind.name, header_map)
    if opening_balance_label(mapping) is not None:
        raise Declined("opening balances are dated back one day by the pandas path")
    constants: dict[str, str] = {}
    if mapping.missing_required == ["snapshot_date"]:
        title_date = date_in_titles(source.title_lines)
        if title_date is not None:
            constants["snapshot_date"] = title_date
            mapping = map_headers([*named_labels, "snapshot_date"], kind.name, header_map)
            result.notes.append(f"snapshot_date {title_date} taken from the title rows above the header")
    return mapping, constants


def _kept_mapping(source: Source, mapping: HeaderMapping, stats: dict) -> tuple[HeaderMapping, list[str]]:
    """The mapping as the pandas path reports it (unnamed columns only when they hold a value), and the
    labels of the columns kept."""
    kept_labels = [
        label for i, label in enumerate(source.labels) if source.named[i] or stats.get(f"unnamed{i}", 0)
    ]
    mapping = HeaderMapping(
        mapping.kind,
        mapping.columns,
        [label for label in kept_labels if label not in mapping.columns],
        mapping.missing_required,
        mapping.conflicts,
    )
    return mapping, kept_labels


def _table_errors(
    path: Path, mapping: HeaderMapping, kept_labels: list[str], stats: dict
) -> pd.DataFrame | None:
    """The file's errors when it cannot be checked row by row: a required column missing, no data rows."""
    if mapping.missing_required:
        return pd.concat(
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
    if stats["kept"] == 0:
        return _file_error(path, "the file has a header but no data rows")
    return None


def _map_enums(plan: _Plan, stats: dict, header_map: HeaderMap) -> None:
    """The value aliases of each enumerated column found in the file, as plan.enum_maps."""
    kind = plan.kind
    for col in plan.columns:
        if kind.column(col.name).allowed is not None:
            distinct = pd.Series(stats[f"distinct:{col.name}"] or [], dtype="string")
            mapped = map_values(kind.name, col.name, distinct, header_map)
            plan.enum_maps[col.name] = {
                k: v for k, v in zip(distinct, mapped, strict=True) if isinstance(v, str) and k != v
            }
            if plan.sign_columns and col.name == plan.sign_columns[1]:  # the sign rule (extracts/rules.py)
                signs = expected_signs(kind, distinct.dropna(), header_map)
                plan.signs = {v: (s, sign_reason(kind, v, s, header_map)) for v, s in signs.items()}
