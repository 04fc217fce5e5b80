"""Parquet extracts read with pyarrow: the column names as the header row and every value as text (as an
Excel cell, but fractional floats keep every digit)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from pipelines.ingest.extracts.readers.excel import cell_text
from pipelines.ingest.extracts.readers.formats import ExtractReadError


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
