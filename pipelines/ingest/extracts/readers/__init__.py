"""Read ERP extract files (CSV family, Excel and Parquet) into raw tables of strings.

Handles what ERP exports throw at us: unknown encodings (GBK/GB18030, BOMs), any of four
delimiters, title and filter rows above the header, 合计/小计 rows, blank rows and columns,
legacy .xls and "Excel" files that are really text. Values stay strings; parsing happens later
(:mod:`pipelines.ingest.extracts.parsing`). Pure Python: no Dagster, no DuckDB.

One module per format (``delimited``, ``excel``, ``parquet``); ``table`` finds the header row and cuts
the table below it, ``head`` finds the header of a large text file from its head only, ``formats``
holds the suffixes and :class:`ExtractReadError`. :func:`read_extract` picks the reader by suffix;
``isolated`` runs it for Excel files in a child process with a memory and a time limit (ingest uses it;
import it from its module, it imports this package).
"""

from __future__ import annotations

from collections.abc import Callable, Set
from pathlib import Path

from pipelines.ingest.extracts.readers.delimited import (
    DELIMITERS,
    _read_delimited,
    detect_encoding,
    sniff_delimiter,
)
from pipelines.ingest.extracts.readers.excel import _is_text_disguised_as_xls, _read_workbook, cell_text
from pipelines.ingest.extracts.readers.formats import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    PARQUET_SUFFIXES,
    ExtractReadError,
)
from pipelines.ingest.extracts.readers.head import TableHead, read_head, sniff_encoding
from pipelines.ingest.extracts.readers.parquet import _read_parquet, parquet_cell_text
from pipelines.ingest.extracts.readers.table import (
    HEADER_SCAN_ROWS,
    TOTAL_SCAN_CELLS,
    RawSheet,
    _build_sheet,
    _head_rows,
    _strip_grid,
    combine_header_rows,
    find_header_row,
    header_labels,
)

__all__ = [
    "CSV_SUFFIXES",
    "DELIMITERS",
    "EXCEL_SUFFIXES",
    "HEADER_SCAN_ROWS",
    "PARQUET_SUFFIXES",
    "TOTAL_SCAN_CELLS",
    "ExtractReadError",
    "RawSheet",
    "TableHead",
    "cell_text",
    "combine_header_rows",
    "detect_encoding",
    "find_header_row",
    "header_labels",
    "parquet_cell_text",
    "read_extract",
    "read_head",
    "sniff_delimiter",
    "sniff_encoding",
]


def read_extract(
    path: Path, header_hints: Set[str] | None = None, on_sheet: Callable[[str], None] | None = None
) -> list[RawSheet]:
    """Read an extract file into one RawSheet per table-like sheet (a CSV gives at most one).

    ``header_hints`` are normalised known header labels (``HeaderMap.all_labels``); they locate the
    header row. With hints, workbook sheets that match none of them are skipped when another sheet
    does match (notes and lookup sheets). ``on_sheet(name)`` is called as each workbook sheet is read.
    Raises ExtractReadError for unreadable files.
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
        grids = _read_workbook(path, on_sheet)
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
