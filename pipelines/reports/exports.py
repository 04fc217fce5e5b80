"""Files for people: CSV that Excel opens correctly and formatted .xlsx workbooks, written atomically.

- CSV in UTF-8 with a BOM, so Excel shows Chinese text correctly.
- .xlsx with a frozen, bold header row, column widths that fit, readable number formats.
- Every file goes to a temporary name first and is renamed into place, so a reader never sees half a file.
- Text cells that a spreadsheet would evaluate as a formula (starting with =, +, -, @, tab or carriage
  return) are neutralised with a leading apostrophe (CSV/formula injection); numbers stay numbers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot be evaluated as spreadsheet formulas."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_object_dtype(out[col]) or pd.api.types.is_string_dtype(out[col]):
            text = out[col].astype("object")
            risky = text.map(lambda v: isinstance(v, str) and v.startswith(_FORMULA_PREFIXES))
            out[col] = text.where(~risky, "'" + text.astype(str))
    return out


def _writer_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process writes its files one at a time: its leftovers are from a failed write
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the temporary files (``.<name>.<pid>.tmp``, ``.<name>.tmp``) that writes interrupted by a
    crash or ``kill -9`` left under ``folder``; a file whose writer process still runs is kept. Returns
    what was removed (issue 16: nothing cleaned them)."""
    removed = []
    for path in sorted(Path(folder).rglob(".*.tmp")) if Path(folder).exists() else []:
        pid = path.name.removesuffix(".tmp").rsplit(".", 1)[-1]
        if path.is_file() and not (pid.isdigit() and _writer_alive(int(pid))):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _atomic_target(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_csv(frame: pd.DataFrame, path: Path, labels: Mapping[str, str] | None = None) -> Path:
    """CSV in UTF-8 with BOM, header labels translated by `labels`, formulas neutralised, atomic."""
    tmp = _atomic_target(path)
    neutralise_formulas(frame).rename(columns=dict(labels or {})).to_csv(
        tmp, index=False, encoding="utf-8-sig"
    )
    os.replace(tmp, path)
    return path


def _number_format(series: pd.Series, column: str) -> str | None:
    if pd.api.types.is_datetime64_any_dtype(series):
        return "yyyy-mm-dd"
    if pd.api.types.is_bool_dtype(series):
        return None
    if pd.api.types.is_integer_dtype(series):
        return "#,##0"
    if pd.api.types.is_float_dtype(series):
        if column.endswith(("_rate", "_pct", "_share", "service_level")):
            return "0.0%"
        return "#,##0.00"
    return None


def _cell(value):
    if value is None or (not isinstance(value, (list, tuple, np.ndarray)) and pd.isna(value)):
        return None  # None, NaN, NaT and pandas' NA are all empty cells
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_workbook(
    sheets: Mapping[str, pd.DataFrame], path: Path, labels: Mapping[str, str] | None = None
) -> Path:
    """One formatted sheet per frame (sheet names cut to Excel's 31 characters), atomic."""
    labels = dict(labels or {})
    wb = Workbook(write_only=False)
    wb.remove(wb.active)
    used: set[str] = set()
    for name, frame in sheets.items():
        title = "".join(ch for ch in str(name) if ch not in "[]:*?/\\")[:31] or "Sheet"
        base, n = title, 2
        while title in used:
            title = f"{base[:28]}({n})"
            n += 1
        used.add(title)
        ws = wb.create_sheet(title)
        safe = neutralise_formulas(frame)
        headers = [labels.get(c, c) for c in frame.columns]
        ws.append(headers)
        for row in safe.itertuples(index=False):
            ws.append([_cell(v) for v in row])
        for idx, col in enumerate(frame.columns, start=1):
            cell = ws.cell(row=1, column=idx)
            cell.font = Font(bold=True)
            cell.fill = _HEADER_FILL
            fmt = _number_format(frame[col], str(col))
            letter = get_column_letter(idx)
            if fmt:
                for (c,) in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
                    c.number_format = fmt
            sample = [len(str(headers[idx - 1]))] + [len(str(v)) for v in safe[col].head(200).tolist()]
            ws.column_dimensions[letter].width = min(max(10, max(sample) + 2), 48)
        ws.freeze_panes = "A2"
        if len(frame.columns):
            ws.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{max(1, len(frame) + 1)}"
    tmp = _atomic_target(path)
    wb.save(tmp)
    os.replace(tmp, path)
    return path
