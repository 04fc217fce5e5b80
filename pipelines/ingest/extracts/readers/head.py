"""The head of a large delimited text file: where its table starts (encoding, delimiter, header line and
labels) told from its first megabyte only, for the DuckDB fast path and header-based kind detection."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Set
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.ingest.extracts.readers.delimited import (
    _SAMPLE_BYTES,
    _line_numbers,
    mixed_utf8_lines,
    sniff_delimiter,
)
from pipelines.ingest.extracts.readers.table import (
    _head_rows,
    _resolve_header,
    _strip_grid,
    find_header_row,
    header_labels,
)


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
        if encoding == "gb18030" and mixed_utf8_lines(raw.splitlines()) is not None:
            return None  # read whole by read_extract, which names the lines
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
