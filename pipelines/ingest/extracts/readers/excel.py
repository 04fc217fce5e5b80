"""Excel workbooks (.xlsx, .xlsm, .xls) read with calamine, every sheet as a grid of strings with Excel
row numbers and each cell as text the way Excel shows it; and legacy ".xls" files that are really
text (read as delimited text) or a web page (refused)."""

from __future__ import annotations

import codecs
import math
import re
import zipfile
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from python_calamine import CalamineWorkbook

from pipelines.ingest.extracts.readers.formats import ExtractReadError

# calamine lays a sheet out as a dense grid up to its last cell: one cell at XFD1048576 asks for 17 billion
# cells (550 GB) and the process aborts, taking the whole run with it (issue 16). A sheet whose grid would
# pass this many cells is refused before calamine sees it (1M rows x 30 columns is 30M).
MAX_SHEET_CELLS = 50_000_000
_CELL_REF = re.compile(rb'<c\b[^>]{0,200}?\br="([A-Z]{1,3})([0-9]{1,7})"')
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0"
_ZIP_MAGIC = b"PK\x03\x04"


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


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def sheet_extents(path: Path) -> dict[str, tuple[int, int]]:
    """(last row, last column) of every worksheet of an .xlsx/.xlsm, read from its cell references by
    streaming the XML (bounded memory, whatever the sheet claims); {} for other files."""
    extents: dict[str, tuple[int, int]] = {}
    if not zipfile.is_zipfile(path):
        return extents
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if not (member.startswith("xl/worksheets/") and member.endswith(".xml")):
                continue
            last_row = last_col = 0
            with archive.open(member) as xml:
                tail = b""
                while chunk := xml.read(1 << 22):
                    data = tail + chunk
                    for letters, row in _CELL_REF.findall(data):
                        last_row, last_col = max(last_row, int(row)), max(last_col, _column_number(letters))
                    tail = data[-256:]
            extents[member] = (last_row, last_col)
    return extents


def _refuse_huge_sheets(path: Path) -> None:
    for member, (rows, cols) in sheet_extents(path).items():
        if rows * cols > MAX_SHEET_CELLS:
            raise ExtractReadError(
                path,
                f"{member.rsplit('/', 1)[-1]} has a cell at row {rows:,}, column {cols:,}: reading it would lay "
                f"out {rows * cols:,} cells (the limit is {MAX_SHEET_CELLS:,}); delete the stray cells far "
                "below or right of the table, or export the data as CSV",
            )


def _read_workbook(
    path: Path, on_sheet: Callable[[str], None] | None = None
) -> list[tuple[str, pd.DataFrame, np.ndarray]]:
    """Every sheet as (name, grid of strings, 1-based Excel row numbers); ``on_sheet(name)`` is called
    before each sheet is read (the child process tells its parent which sheet it is on)."""
    _refuse_huge_sheets(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheets = []
        for name in workbook.sheet_names:
            if on_sheet is not None:
                on_sheet(name)
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            grid = pd.DataFrame(
                [[v if type(v) is str else cell_text(v) for v in row] for row in rows], dtype=object
            )
            grid = grid.astype("str") if len(grid.columns) else grid
            sheets.append((name, grid, np.arange(1, len(grid) + 1, dtype=np.int64)))
    except (ExtractReadError, MemoryError):
        raise  # out of memory is no fault of the workbook's format (in the reader's child: its memory limit)
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
