"""Delimited text read natively by DuckDB (``read_csv``): the header found from the head of the file, a
GB18030 file transcoded to UTF-8 first, and the line count that tells whether every record sits on
its own line (otherwise row numbers would shift and the file goes the pandas way)."""

from __future__ import annotations

import codecs
from pathlib import Path

from pipelines.ingest.extracts.mapping import HeaderMap
from pipelines.ingest.extracts.readers import TableHead, read_head
from pipelines.ingest.fastpath.source import Source
from pipelines.ingest.fastpath.sql import Declined, _q

_CHUNK = 1 << 22


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


def _extra_blank_lines(path: Path, header_line: int, records: int) -> int:
    """Lines of the file DuckDB did not read as records: blank lines at its end (counted as dropped blank
    rows). Declines when they are anywhere else, or when a cell holds a line break."""
    lines, trailing = _line_count(path)
    extra = lines - header_line - records
    if extra not in (0, trailing):
        raise Declined("blank lines or line breaks inside cells: row numbers need the pandas reader")
    return extra
