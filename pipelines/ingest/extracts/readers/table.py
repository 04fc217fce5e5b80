"""From a grid of strings to a :class:`RawSheet`: the header row found (by known labels, else by shape),
a two-row merged header combined into one label per column, and the table below it cut out with blank
columns, blank rows and 合计/total rows dropped, each kept row remembering its line or Excel row."""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipelines.ingest.extracts.header_map import normalise_label, strip_unit
from pipelines.ingest.extracts.parsing import total_label_mask

HEADER_SCAN_ROWS = 30  # the header must sit in the first rows
TOTAL_SCAN_CELLS = 3  # a total label must be among a row's first non-empty cells
_NUMERIC_CELL = re.compile(
    r"[-+(]?[¥$€]?\d[\d,. ]*%?\)?|\d{4}[-/.年]\d{1,2}([-/.月]\d{1,2}日?)?(\s.*)?|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
)


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
