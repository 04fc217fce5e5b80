"""Read ERP extract files (CSV family and Excel) into raw tables of strings.

Handles what ERP exports throw at us: unknown encodings (GBK/GB18030, BOMs), any of four
delimiters, title and filter rows above the header, 合计/小计 rows, blank rows and columns,
legacy .xls and "Excel" files that are really text. Values stay strings; parsing happens later
(:mod:`pipelines.ingest.extracts.parsing`). Pure Python: no Dagster, no DuckDB.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections import Counter
from collections.abc import Set
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import charset_normalizer
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from python_calamine import CalamineWorkbook

from pipelines.ingest.extracts.mapping import normalise_label, strip_unit
from pipelines.ingest.extracts.parsing import total_label_mask

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
PARQUET_SUFFIXES = (".parquet",)
DELIMITERS = (",", "\t", ";", "|")
HEADER_SCAN_ROWS = 30  # the header must sit in the first rows
TOTAL_SCAN_CELLS = 3  # a total label must be among a row's first non-empty cells
_SAMPLE_BYTES = 1 << 20
_CHUNK_BYTES = 1 << 22
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
_ZIP_MAGIC = b"PK\x03\x04"
_NUMERIC_CELL = re.compile(
    r"[-+(]?[¥$€]?\d[\d,. ]*%?\)?|\d{4}[-/.年]\d{1,2}([-/.月]\d{1,2}日?)?(\s.*)?|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
)


class ExtractReadError(Exception):
    """A file that cannot be read as an extract; ``str()`` is "<file name>: <message>"."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = Path(path)
        self.message = message
        super().__init__(f"{self.path.name}: {message}")


@dataclass
class RawSheet:
    """One table of an extract file, every cell a string or None, with where each row came from."""

    frame: pd.DataFrame  # object columns of str or None; columns = header labels as found (deduplicated)
    source_rows: np.ndarray  # int64: the 1-based row (Excel) or line (text editor) of each frame row
    sheet: str | None
    encoding: str | None
    header_row: int  # 1-based
    total_rows_dropped: list[int] = field(default_factory=list)  # 1-based rows of 合计/total rows
    blank_rows_dropped: int = 0
    title_lines: list[str] = field(default_factory=list)  # non-blank rows above the header, joined per row


def read_extract(path: Path, header_hints: Set[str] | None = None) -> list[RawSheet]:
    """Read an extract file into one RawSheet per table-like sheet (a CSV gives at most one).

    ``header_hints`` are normalised known header labels (``HeaderMap.all_labels``); they locate the
    header row. With hints, workbook sheets that match none of them are skipped when another sheet
    does match (notes and lookup sheets). Raises ExtractReadError for unreadable files.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES:
        expected = ", ".join(sorted(CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES))
        raise ExtractReadError(
            path, f"unsupported file type {path.suffix or '(none)'!r}; expected one of {expected}"
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ExtractReadError(path, f"cannot open the file ({exc.strerror or exc})") from exc
    if size == 0:
        raise ExtractReadError(path, "the file is empty")
    if suffix in PARQUET_SUFFIXES:
        grid, rows = _read_parquet(path)
        if grid.empty or len(grid) == 1 and grid.isna().all().all():
            raise ExtractReadError(path, "the file has no columns")
        return [_build_sheet(_strip_grid(grid), rows, 0, None, None, combine=False)]
    if suffix in EXCEL_SUFFIXES and not (suffix == ".xls" and _is_text_disguised_as_xls(path)):
        grids = _read_workbook(path)
        encoding = None
    else:
        encoding = detect_encoding(path)
        grids = [(None, *_read_delimited(path, encoding, "\t" if suffix == ".tsv" else None))]
    grids = [(sheet, _strip_grid(grid), rows) for sheet, grid, rows in grids]
    if all(grid.isna().all().all() for _, grid, _ in grids):
        raise ExtractReadError(path, "the file has no data (every cell is blank)")
    hints = frozenset(header_hints or ())
    found = []
    for sheet, grid, rows in grids:
        header = find_header_row(_head_rows(grid), hints)
        if header is not None:
            found.append((header[1], _build_sheet(grid, rows, header[0], sheet, encoding)))
    if hints and any(score >= 2 for score, _ in found):
        found = [(score, sheet) for score, sheet in found if score >= 2]
    return [sheet for _, sheet in found]


# --------------------------------------------------------------------------------------------
# Text files


def detect_encoding(path: Path) -> str:
    """The file's text encoding: BOM, else strict UTF-8, else strict GB18030, else charset_normalizer."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        if _decodes(path, encoding):
            return encoding
    with path.open("rb") as fh:
        guess = charset_normalizer.from_bytes(fh.read(_SAMPLE_BYTES)).best()
    if guess is None or not _decodes(path, guess.encoding):
        raise ExtractReadError(path, "cannot detect the text encoding; save the file as UTF-8 and retry")
    return guess.encoding


def _decodes(path: Path, encoding: str) -> bool:
    """Whether the whole file decodes strictly, streamed in chunks to bound memory."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK_BYTES):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _sample_lines(path: Path, encoding: str) -> list[str]:
    """Complete lines from the start of the file, decoded."""
    with path.open("rb") as fh:
        raw = fh.read(_SAMPLE_BYTES)
        truncated = bool(fh.read(1))
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(raw)
    lines = text.splitlines()
    return lines[:-1] if truncated and len(lines) > 1 else lines


def sniff_delimiter(lines: list[str]) -> str:
    """Pick the delimiter that splits the most lines into the same number (> 1) of fields."""
    best, best_score = ",", (0, 0)
    sample = [line for line in lines[:200] if line.strip()]
    for delimiter in DELIMITERS:
        widths = [len(row) for row in csv.reader(sample, delimiter=delimiter) if len(row) > 1]
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        if (count, width) > best_score:
            best, best_score = delimiter, (count, width)
    return best


def _read_delimited(path: Path, encoding: str, delimiter: str | None) -> tuple[pd.DataFrame, np.ndarray]:
    """The whole file as a grid of strings (ragged rows padded) and each row's 1-based line number."""
    lines = _sample_lines(path, encoding)
    delimiter = delimiter or sniff_delimiter(lines)
    width = max((len(row) for row in csv.reader(lines, delimiter=delimiter)), default=1)
    try:
        grid = pd.read_csv(
            path, sep=delimiter, header=None, names=range(width), index_col=False, dtype=str,
            keep_default_na=False, skip_blank_lines=False, encoding=encoding, engine="c",
        )  # fmt: skip
    except UnicodeDecodeError as exc:
        raise ExtractReadError(path, f"cannot decode the file as {encoding}: {exc.reason}") from exc
    except pd.errors.ParserError:
        grid = _read_delimited_slowly(path, encoding, delimiter)  # a later row is wider than the sample
    return grid, _line_numbers(grid)


def _read_delimited_slowly(path: Path, encoding: str, delimiter: str) -> pd.DataFrame:
    with path.open(encoding=encoding, newline="") as fh:
        rows = list(csv.reader(fh, delimiter=delimiter))
    width = max((len(r) for r in rows), default=1)
    padded = [r + [""] * (width - len(r)) for r in rows]
    return pd.DataFrame(padded, columns=range(width), dtype="str")


def _line_numbers(grid: pd.DataFrame) -> np.ndarray:
    """1-based line of each record, counting line breaks inside quoted cells."""
    numbers = np.arange(1, len(grid) + 1, dtype=np.int64)
    breaks = np.zeros(len(grid), dtype=np.int64)
    for col in grid.columns:
        text = grid[col].astype("str")
        if text.str.contains("\n", regex=False).fillna(False).any():
            breaks += text.str.count("\n").fillna(0).to_numpy(dtype=np.int64)
    if breaks.any():
        numbers += np.concatenate(([0], np.cumsum(breaks)[:-1]))
    return numbers


def _is_text_disguised_as_xls(path: Path) -> bool:
    """U8 and others save tab-separated text or HTML as ".xls"; such files are read as text."""
    with path.open("rb") as fh:
        head = fh.read(512)
    if head.startswith((_OLE2_MAGIC, _ZIP_MAGIC)):
        return False
    stripped = head.lstrip(codecs.BOM_UTF8).lstrip()
    if stripped[:1] == b"<":
        raise ExtractReadError(
            path, "this file is a web page saved as Excel; open it in Excel and save as .xlsx"
        )
    # Binary but not a workbook we know: let calamine report it.
    return b"\x00" not in head or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


# --------------------------------------------------------------------------------------------
# The head of a large text file (for the DuckDB fast path and header-based kind detection)


@dataclass(frozen=True)
class TableHead:
    """Where the table of a delimited text file starts, read from its first megabyte only."""

    encoding: str
    delimiter: str
    width: int  # fields per record (the widest record of the sample)
    header_line: int  # 1-based line of the (last) header row; data starts on the next line
    labels: list[str]  # one label per field, as read_extract names them (blank headers: column_<n>)
    named: list[bool]  # whether each field has a header cell
    title_lines: list[str]


def sniff_encoding(path: Path) -> str | None:
    """The encoding read_extract would find, judged from the first megabyte: a UTF-8 BOM, UTF-8 or
    GB18030; None for anything else (UTF-16/32, other code pages). The rest of the file is checked
    by whoever reads it (DuckDB's reader rejects invalid UTF-8; GB18030 is decoded strictly)."""
    with path.open("rb") as fh:
        raw = fh.read(_SAMPLE_BYTES)
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)(errors="strict").decode(raw)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def read_head(
    path: Path, header_hints: Set[str] | None = None, encoding: str | None = None
) -> TableHead | None:
    """Find the header of a delimited text file from its first megabyte, as read_extract would.

    None when that cannot be told from the head alone (no header found, a record wider than the
    sample, line breaks inside the cells above the data): such files are read whole by read_extract.
    """
    path = Path(path)
    encoding = encoding or sniff_encoding(path)
    if encoding is None:
        return None
    with path.open("rb") as fh:
        raw = fh.read(_SAMPLE_BYTES)
        truncated = bool(fh.read(1))
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(raw)
    if truncated:
        text = text[: text.rfind("\n") + 1]
    lines = text.splitlines()
    delimiter = "\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(lines)
    width = max((len(row) for row in csv.reader(lines, delimiter=delimiter)), default=1)
    try:
        grid = pd.read_csv(
            io.StringIO(text), sep=delimiter, header=None, names=range(width), index_col=False, dtype=str,
            keep_default_na=False, skip_blank_lines=False, engine="c",
        )  # fmt: skip
    except (pd.errors.ParserError, pd.errors.EmptyDataError):
        return None
    rows = _line_numbers(grid)
    grid = _strip_grid(grid)
    head = _head_rows(grid)
    found = find_header_row(head, frozenset(header_hints or ()))
    if found is None:
        return None
    header_index, header_cells = _resolve_header(head, found[0])
    if int(rows[header_index]) != header_index + 1 or any(
        "\n" in (cell or "") for row in head[: header_index + 1] for cell in row
    ):
        return None
    return TableHead(
        encoding=encoding,
        delimiter=delimiter,
        width=width,
        header_line=header_index + 1,
        labels=header_labels(header_cells),
        named=[bool(cell) for cell in header_cells],
        title_lines=[" ".join(c for c in row if c) for row in head[:header_index] if any(row)],
    )


# --------------------------------------------------------------------------------------------
# Parquet


def parquet_cell_text(value: Any) -> str | None:
    """A Parquet value as text: like an Excel cell, except that fractional floats keep every digit
    (the shortest text that reads back as the same float), so numbers load unchanged."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isfinite(value) and not value.is_integer():
            return repr(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return cell_text(value)


def _read_parquet(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """The header (column names) and every value as text, rows numbered 0 (header), 1, 2, ..."""
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for corrupt files
        raise ExtractReadError(path, f"cannot read the Parquet file ({type(exc).__name__}: {exc})") from exc
    columns = {
        i: [str(name), *map(parquet_cell_text, table.column(i).to_pylist())]
        for i, name in enumerate(table.column_names)
    }
    grid = pd.DataFrame(columns, dtype=object)
    return grid.astype("str") if len(grid.columns) else grid, np.arange(0, table.num_rows + 1, dtype=np.int64)


# --------------------------------------------------------------------------------------------
# Workbooks


def _read_workbook(path: Path) -> list[tuple[str, pd.DataFrame, np.ndarray]]:
    """Every sheet as (name, grid of strings, 1-based Excel row numbers)."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheets = []
        for name in workbook.sheet_names:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            grid = pd.DataFrame(
                [[v if type(v) is str else cell_text(v) for v in row] for row in rows], dtype=object
            )
            grid = grid.astype("str") if len(grid.columns) else grid
            sheets.append((name, grid, np.arange(1, len(grid) + 1, dtype=np.int64)))
    except ExtractReadError:
        raise
    except Exception as exc:  # calamine raises its own error types for corrupt or locked files
        raise ExtractReadError(path, f"cannot read the workbook ({type(exc).__name__}: {exc})") from exc
    return sheets


def cell_text(value: Any) -> str | None:
    """An Excel cell value as text: dates as YYYY-MM-DD[ HH:MM:SS], 12.0 as "12", bools as true/false."""
    if isinstance(value, str):
        return value
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d" if value.time() == time(0) else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _float_text(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value.is_integer():
        return str(int(value))
    # 15 significant digits hide binary noise (0.30000000000000004 -> "0.3") without exponents.
    return np.format_float_positional(value, precision=15, unique=False, fractional=False, trim="-")


# --------------------------------------------------------------------------------------------
# Header row and table assembly


def find_header_row(rows: list[list[str | None]], hints: Set[str]) -> tuple[int, int] | None:
    """(0-based index of the header row, number of hint matches in it), or None.

    Prefers the row with the most cells matching ``hints`` (at least 2); otherwise the first row that
    looks like a header (see :func:`_looks_like_header`); failing that, a row with one hint match.
    """
    matches = [_hint_matches(row, hints) for row in rows] if hints else [0] * len(rows)
    best = max(range(len(rows)), key=lambda i: (matches[i], -i), default=None)
    if best is not None and matches[best] >= 2:
        return best, matches[best]
    for i in range(len(rows) - 1):
        if _looks_like_header(rows[i], rows[i + 1]):
            return i, matches[i]
    if best is not None and matches[best] == 1:
        return best, 1
    return None


def _looks_like_header(row: list[str | None], next_row: list[str | None]) -> bool:
    """At least 2 non-empty cells, at least half of them non-numeric text, and a next row with at
    least 2 non-empty cells but not more than this one (a filter row above a wider header fails)."""
    cells = [c for c in row if c]
    n_next = sum(1 for c in next_row if c)
    text = sum(1 for c in cells if not _NUMERIC_CELL.fullmatch(c))
    return len(cells) >= 2 and 2 * text >= len(cells) and 2 <= n_next <= len(cells)


def _hint_matches(row: list[str | None], hints: Set[str]) -> int:
    count = 0
    for cell in row:
        if cell:
            label = normalise_label(cell)
            if label in hints or strip_unit(label) in hints:
                count += 1
    return count


def _head_rows(grid: pd.DataFrame) -> list[list[str | None]]:
    head = grid.head(HEADER_SCAN_ROWS)
    return [[_clean(v) for v in row] for row in head.itertuples(index=False)]


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _strip_grid(grid: pd.DataFrame) -> pd.DataFrame:
    """Every cell stripped of surrounding whitespace, blanks as missing (pandas ``str`` dtype)."""
    stripped = {}
    for col in grid.columns:
        text = grid[col].astype("str").str.strip()
        stripped[col] = text.mask(text == "")
    return pd.DataFrame(stripped, index=grid.index, columns=grid.columns)


def header_labels(cells: list[str | None]) -> list[str]:
    """Header labels: blanks named column_<n> (1-based position), repeats suffixed " (2)", " (3)"."""
    labels: list[str] = []
    seen: set[str] = set()
    for n, cell in enumerate(cells, start=1):
        base = cell or f"column_{n}"
        label, k = base, 1
        while label in seen:
            k += 1
            label = f"{base} ({k})"
        seen.add(label)
        labels.append(label)
    return labels


def combine_header_rows(above: list[str | None], below: list[str | None]) -> list[str | None] | None:
    """Labels of a merged two-row header, or None when the two rows are not one.

    Reports such as 收发存汇总表 put group labels (期初, 收入, 发出, 结存) in merged cells over repeated
    sub-labels (数量, 金额); a label merged down over both rows (存货编码) stands alone. A group label
    carries across the blank cells of its merged span, giving 期初数量, 期初金额, ..., 结存数量.
    """
    subs = [c for c in below if c]
    groups = [c for c in above if c]
    if len(subs) < 2 or len(groups) < 2 or len(set(subs)) == len(subs):
        return None  # no repeated sub-labels: not a two-row header
    if any(_NUMERIC_CELL.fullmatch(c) for c in subs + groups):
        return None
    combined: list[str | None] = []
    group: str | None = None
    for top, sub in zip(above, below, strict=False):
        if top and sub:
            group = top
            combined.append(top + sub)
        elif top:
            group = None  # a label merged down over both rows
            combined.append(top)
        elif sub:
            combined.append(group + sub if group else sub)
        else:
            group = None
            combined.append(None)
    return combined


def _build_sheet(
    grid: pd.DataFrame,
    rows: np.ndarray,
    header_index: int,
    sheet: str | None,
    encoding: str | None,
    *,
    combine: bool = True,
) -> RawSheet:
    """Cut the table below the header row: drop blank columns, blank rows and total rows.

    ``combine=False`` (Parquet: the header is the schema) never merges two header rows."""
    head = _head_rows(grid)
    header_index, header_cells = _resolve_header(head, header_index, combine)
    labels = header_labels(header_cells)
    data = grid.iloc[header_index + 1 :]
    data = data.set_axis(labels, axis="columns")
    source_rows = rows[header_index + 1 :]
    keep_cols = [
        lab for lab, cell in zip(labels, header_cells, strict=True) if cell or data[lab].notna().any()
    ]
    data = data[keep_cols]
    filled = data.notna()
    blank = ~filled.any(axis=1)
    totals = _total_rows(data, filled) & ~blank
    keep = (~blank & ~totals).to_numpy()
    frame = pd.DataFrame(
        {c: data[c].to_numpy(dtype=object, na_value=None)[keep] for c in data.columns},
        columns=data.columns,
        dtype=object,
    )
    title_lines = [" ".join(c for c in row if c) for row in head[:header_index] if any(row)]
    return RawSheet(
        frame=frame,
        source_rows=source_rows[keep].astype(np.int64),
        sheet=sheet,
        encoding=encoding,
        header_row=int(rows[header_index]),
        total_rows_dropped=[int(r) for r in source_rows[totals.to_numpy()]],
        blank_rows_dropped=int(blank.sum()),
        title_lines=title_lines,
    )


def _resolve_header(
    head: list[list[str | None]], header_index: int, combine: bool = True
) -> tuple[int, list[str | None]]:
    """(index of the last header row, header cells), merging a two-row header into one label per column."""
    header_cells = head[header_index]
    if combine and header_index + 1 < len(head) and combine_header_rows(header_cells, head[header_index + 1]):
        header_index += 1  # the detected row was the group row of a two-row header
    if combine and header_index > 0:
        combined = combine_header_rows(head[header_index - 1], head[header_index])
        if combined:
            header_cells = combined
    return header_index, header_cells


def _total_rows(data: pd.DataFrame, filled: pd.DataFrame) -> pd.Series:
    """Rows with a total label (合计, 小计, Total ...) among their first few non-empty cells."""
    early = filled & (filled.cumsum(axis=1) <= TOTAL_SCAN_CELLS)
    totals = pd.Series(False, index=data.index)
    for col in data.columns:
        candidates = early[col]
        if candidates.any():
            totals |= total_label_mask(data[col].where(candidates)).to_numpy()
    return totals
