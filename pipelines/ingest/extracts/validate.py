"""Turn one extract file into typed canonical rows, or into a list of precise errors.

Pure pandas (plus pandera for the row rules): no Dagster, no DuckDB. Every error names the file, the sheet,
the row a person sees in Excel, the column (canonical and as labelled), the offending value and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pipelines.ingest.extracts.bounds import MAX_ABS_NUMBER, TOO_LARGE
from pipelines.ingest.extracts.mapping import (
    HeaderMap,
    HeaderMapping,
    KindDetection,
    date_opening_balances,
    detect_kind,
    map_headers,
    map_values,
)
from pipelines.ingest.extracts.parsing import date_in_titles, parse_dates, parse_numbers
from pipelines.ingest.extracts.readers import ExtractReadError, RawSheet, read_extract
from pipelines.ingest.extracts.readers.isolated import IsolatedReader
from pipelines.ingest.extracts.rules import RAW_PREFIX, sign_errors
from pipelines.ingest.extracts.schema import DATE, KINDS, NUMBER, DateWindow, ExtractKind

ERROR_COLUMNS = ["file", "sheet", "row", "column", "file_column", "value", "reason"]
MAX_ERRORS_PER_RULE = 10_000
LINEAGE = ["_source_file", "_source_sheet", "_source_row"]
_ODOO_DISPLAY_NAME = r"^\[([^\]]+)\]\s.*$"
NOT_A_NUMBER = "not a number"
NOT_A_DATE = "not a date (expected e.g. 2025-01-31, 2025/1/31, 2025年1月31日 or an Excel date)"


@dataclass
class FileValidation:
    path: Path
    kind: str | None
    detection: KindDetection | None = None
    rows: pd.DataFrame | None = None  # canonical typed columns + lineage, only when there are no errors
    errors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ERROR_COLUMNS))
    mappings: list[tuple[str | None, HeaderMapping]] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)
    total_rows_dropped: int = 0
    blank_rows_dropped: int = 0
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.kind is not None and self.rows is not None and self.errors.empty

    @property
    def sheet_names(self) -> str | None:
        names = [s for s, _ in self.mappings if s]
        return ", ".join(names) or None


def _errors(
    file: str, sheet: str | None, rows, column: str, file_column: str | None, values, reason
) -> pd.DataFrame:
    rows = np.asarray(rows)
    n = len(rows)
    return pd.DataFrame(
        {
            "file": [file] * n,
            "sheet": [sheet] * n,
            "row": rows,
            "column": [column] * n,
            "file_column": [file_column] * n,
            "value": pd.Series(values, dtype="object").astype("string").to_numpy() if n else [],
            "reason": reason if isinstance(reason, (list, np.ndarray, pd.Series)) else [reason] * n,
        }
    )


def _file_error(path: Path, reason: str, column: str | None = None, sheet: str | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "file": path.name,
                "sheet": sheet,
                "row": None,
                "column": column,
                "file_column": None,
                "value": None,
                "reason": reason,
            }
        ],
        columns=ERROR_COLUMNS,
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=ERROR_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def _canonical_frame(
    sheet: RawSheet, mapping: HeaderMapping, kind: ExtractKind, header_map: HeaderMap, file: str
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Rename, add defaults, normalise enumerations and parse types. Returns (frame, errors).

    The frame has a boolean `_unparsed_<column>` for each typed column, so that a cell already
    reported as "not a number/date" is not reported again as empty by the row rules."""
    source_for = {canon: orig for orig, canon in mapping.columns.items()}
    raw = sheet.frame[list(mapping.columns)].rename(columns=mapping.columns)
    errors: list[pd.DataFrame] = []
    out: dict[str, pd.Series] = {}
    rows = sheet.source_rows
    for col in kind.columns:
        if col.name in raw.columns:
            values = raw[col.name].astype("object")
        else:
            values = pd.Series([None] * len(raw), index=raw.index, dtype="object")
        if col.default is not None:
            values = values.where(values.notna(), col.default)
        label = source_for.get(col.name)
        if col.dtype == NUMBER:
            parsed, bad = parse_numbers(values)
            if bad.any():
                bad = bad.to_numpy()
                errors.append(
                    _errors(
                        file,
                        sheet.sheet,
                        rows[bad][:MAX_ERRORS_PER_RULE],
                        col.name,
                        label,
                        values.to_numpy()[bad][:MAX_ERRORS_PER_RULE],
                        NOT_A_NUMBER,
                    )
                )
            out[col.name] = parsed.astype("float64")
            out[f"_unparsed_{col.name}"] = pd.Series(np.asarray(bad, dtype=bool), index=raw.index)
        elif col.dtype == DATE:
            parsed, bad = parse_dates(values)
            if bad.any():
                bad = bad.to_numpy()
                errors.append(
                    _errors(
                        file,
                        sheet.sheet,
                        rows[bad][:MAX_ERRORS_PER_RULE],
                        col.name,
                        label,
                        values.to_numpy()[bad][:MAX_ERRORS_PER_RULE],
                        NOT_A_DATE,
                    )
                )
            out[col.name] = pd.to_datetime(parsed).astype("datetime64[us]").dt.normalize()
            out[f"_unparsed_{col.name}"] = pd.Series(np.asarray(bad, dtype=bool), index=raw.index)
        else:
            text = values.astype("string").str.strip()
            if col.name == "sku":
                # Odoo exports products as "[FURN_001] Desk": the code in brackets is the SKU.
                text = text.str.replace(_ODOO_DISPLAY_NAME, r"\1", regex=True)
            if col.allowed is not None:
                out[RAW_PREFIX + col.name] = text  # as exported: some values name a direction (rules.py)
                text = map_values(kind.name, col.name, text, header_map).astype("string")
            out[col.name] = text
    frame = pd.DataFrame(out, index=raw.index)
    if "line_no" in kind.key:
        # No line number exported (Odoo, many list reports): number lines within their document in file order.
        missing = frame["line_no"].isna()
        if missing.any():
            position = frame.groupby(kind.key[0], dropna=False).cumcount() + 1
            frame.loc[missing, "line_no"] = position[missing].astype("string")
    frame["_source_file"] = file
    frame["_source_sheet"] = sheet.sheet
    frame["_source_row"] = rows.astype("int64")
    return frame.reset_index(drop=True), errors


def _row_schema(kind: ExtractKind, dates: DateWindow | None = None) -> pa.DataFrameSchema:
    columns = {}
    for col in kind.columns:
        checks = []
        checks += [pa.Check.ge(0, error="must not be negative")] if col.non_negative else []
        checks += [pa.Check.gt(0, error="must be greater than 0")] if col.positive else []
        if col.dtype == NUMBER:
            checks.append(pa.Check.in_range(-MAX_ABS_NUMBER, MAX_ABS_NUMBER, error=TOO_LARGE))
        if col.dtype == DATE and dates is not None:
            low, high = pd.Timestamp(dates.earliest), pd.Timestamp(dates.latest)
            checks.append(pa.Check.in_range(low, high, ignore_na=True, error=dates.reason))
        if col.allowed is not None:
            checks.append(pa.Check.isin(list(col.allowed), error="not one of: " + ", ".join(col.allowed)))
        columns[col.name] = pa.Column(nullable=not col.required, checks=checks, coerce=False)
    return pa.DataFrameSchema(columns, unique=list(kind.key), report_duplicates="all", strict=False)


_REASONS = {"not_nullable": "required value is empty", "multiple_fields_uniqueness": "duplicate key"}


def _row_rule_errors(
    frame: pd.DataFrame,
    kind: ExtractKind,
    file: str,
    labels: dict[str, str | None],
    dates: DateWindow | None = None,
) -> pd.DataFrame:
    try:
        _row_schema(kind, dates).validate(frame, lazy=True)
        return pd.DataFrame(columns=ERROR_COLUMNS)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    cases = cases[cases["index"].notna()].copy()
    cases["index"] = cases["index"].astype("int64")
    already = [
        frame.at[i, f"_unparsed_{c}"] if f"_unparsed_{c}" in frame.columns else False
        for i, c in zip(cases["index"], cases["column"], strict=True)
    ]
    cases = cases[~np.asarray(already, dtype=bool) | (cases["check"] != "not_nullable")]
    out = []
    dup = cases["check"] == "multiple_fields_uniqueness"
    if dup.any():
        idx = np.unique(cases.loc[dup, "index"].to_numpy())[:MAX_ERRORS_PER_RULE]
        keys = frame.loc[idx, list(kind.key)].astype("string").fillna("").agg(" / ".join, axis=1)
        first_rows = (
            frame.loc[idx]
            .assign(_k=keys.to_numpy())
            .groupby("_k")["_source_row"]
            .transform(lambda r: ", ".join(map(str, r)))
        )
        out.append(
            pd.DataFrame(
                {
                    "file": file,
                    "sheet": frame.loc[idx, "_source_sheet"].to_numpy(),
                    "row": frame.loc[idx, "_source_row"].to_numpy(),
                    "column": "+".join(kind.key),
                    "file_column": None,
                    "value": keys.to_numpy(),
                    "reason": (
                        "duplicate key: the same " + ", ".join(kind.key) + " is on rows " + first_rows
                    ).to_numpy(),
                }
            )
        )
    other = cases[~dup]
    for (column, check), group in other.groupby(["column", "check"], sort=False):
        idx = group["index"].to_numpy()[:MAX_ERRORS_PER_RULE]
        reason = _REASONS.get(str(check), str(check))
        out.append(
            pd.DataFrame(
                {
                    "file": file,
                    "sheet": frame.loc[idx, "_source_sheet"].to_numpy(),
                    "row": frame.loc[idx, "_source_row"].to_numpy(),
                    "column": column,
                    "file_column": labels.get(str(column)),
                    "value": group["failure_case"].astype("string").to_numpy()[: len(idx)],
                    "reason": reason,
                }
            )
        )
    return _concat(out)


def _reference_errors(
    frame: pd.DataFrame,
    kind: ExtractKind,
    file: str,
    labels: dict[str, str | None],
    known: dict[str, set[str]],
) -> pd.DataFrame:
    out = []
    for column, master in kind.references.items():
        values = frame[column]
        allowed = known.get(master, set())
        unknown = values.notna() & ~values.isin(allowed)
        if kind.name == "promotions" and column == "warehouse_id":
            unknown &= values != "*"
        if not unknown.any():
            continue
        hint = (
            f"the {master} master has not been loaded yet: put its export in the inbox first"
            if not allowed
            else f"not in the {master} master; load an updated {master} export first"
        )
        sub = frame.loc[unknown].head(MAX_ERRORS_PER_RULE)
        out.append(
            _errors(
                file,
                None,
                sub["_source_row"],
                column,
                labels.get(column),
                sub[column],
                f"unknown {column}: {hint}",
            ).assign(sheet=sub["_source_sheet"].to_numpy())
        )
    return _concat(out)


def _sheet_frame(
    path: Path,
    sheet: RawSheet,
    several: bool,
    kind: ExtractKind,
    header_map: HeaderMap,
    result: FileValidation,
) -> tuple[pd.DataFrame | None, list[pd.DataFrame], HeaderMapping]:
    """One sheet's canonical rows (None when the sheet is skipped or misses a required column), its
    errors and the mapping used; what the sheet adds to the file's notes and counts goes to ``result``."""
    mapping = map_headers(list(sheet.frame.columns), kind.name, header_map)
    if several and not [c for c in kind.required_columns if c in mapping.columns.values()]:
        result.skipped_sheets.append(f"{sheet.sheet}: no {kind.name} columns")
        return None, [], mapping
    if mapping.missing_required == ["snapshot_date"]:
        # 即时库存 / 收发存 reports carry their date in the title ("截止日期：2025-06-30"), not a column.
        title_date = date_in_titles(sheet.title_lines)
        if title_date is not None:
            sheet.frame["snapshot_date"] = title_date
            mapping = map_headers(list(sheet.frame.columns), kind.name, header_map)
            result.notes.append(f"snapshot_date {title_date} taken from the title rows above the header")
    result.mappings.append((sheet.sheet, mapping))
    result.total_rows_dropped += len(sheet.total_rows_dropped)
    result.blank_rows_dropped += sheet.blank_rows_dropped
    if mapping.missing_required:
        found = ", ".join(map(str, sheet.frame.columns))
        message = "required column missing (found headers: {}); add a column named {} or one of its ERP names from the header map"
        missing = [
            _file_error(path, message.format(found, c), column=c, sheet=sheet.sheet)
            for c in mapping.missing_required
        ]
        return None, missing, mapping
    frame, sheet_errors = _canonical_frame(sheet, mapping, kind, header_map, path.name)
    note = date_opening_balances(frame, mapping)
    if note:
        result.notes.append(note)
    return frame, sheet_errors, mapping


def validate_file(
    path: Path,
    header_map: HeaderMap,
    known: dict[str, set[str]],
    detection: KindDetection | None = None,
    dates: DateWindow | None = None,
    reader: IsolatedReader | None = None,
) -> FileValidation:
    """Read, map, type-check and rule-check one file. Nothing is written anywhere. ``reader`` reads Excel
    files in a child process with a memory limit (a crash there is a ReaderCrashed, reported as an error)."""
    path = Path(path)
    read = reader.read_extract if reader is not None else read_extract
    try:
        sheets = read(path, header_map.all_labels)
    except ExtractReadError as exc:
        return FileValidation(path, None, detection, errors=_file_error(path, str(exc)))
    result = FileValidation(path, None, detection)
    if not sheets:
        result.errors = _file_error(path, "no table found: the file has no header row followed by data")
        return result
    result.encoding = sheets[0].encoding
    if detection is None or detection.kind is None:
        detection = detect_kind(
            path.name, list(sheets[0].frame.columns), header_map, sheet_name=sheets[0].sheet
        )
        result.detection = detection
    if detection.kind is None:
        result.errors = _file_error(path, f"cannot tell what this file is: {detection.reason}")
        return result
    kind = KINDS[detection.kind]
    result.kind = kind.name
    frames: list[pd.DataFrame] = []
    errors: list[pd.DataFrame] = []
    labels: dict[str, str | None] = {}
    for sheet in sheets:
        frame, sheet_errors, mapping = _sheet_frame(path, sheet, len(sheets) > 1, kind, header_map, result)
        errors.extend(sheet_errors)
        if frame is not None:
            labels.update({canon: orig for orig, canon in mapping.columns.items()})
            frames.append(frame)
    if not frames and not errors:
        errors.append(_file_error(path, f"no sheet holds {kind.name} columns"))
    if frames:
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        if frame.empty:
            errors.append(_file_error(path, "the file has a header but no data rows"))
        else:
            errors.append(_row_rule_errors(frame, kind, path.name, labels, dates))
            errors.append(_reference_errors(frame, kind, path.name, labels, known))
            errors.append(sign_errors(frame, kind, path.name, labels, header_map, MAX_ERRORS_PER_RULE))
        result.rows = frame.drop(
            columns=[c for c in frame.columns if c.startswith(("_unparsed_", RAW_PREFIX))]
        )
    result.errors = _concat(errors)
    if not result.errors.empty:
        result.rows = None
        result.errors = result.errors.sort_values(["row"], na_position="first", kind="stable")
        result.errors = result.errors.reset_index(drop=True)
    return result
