"""The DuckDB fast path for large delimited text and Parquet extracts.

The pandas path (:mod:`pipelines.ingest.extracts.validate`) reads a whole file into Python strings: about
60 k rows/s on a 2 GB sales export. Here DuckDB reads the file (``read_csv`` / ``read_parquet``),
and header mapping, cleaning, type parsing and every validation rule are SQL over that scan, so a
large file never becomes Python objects. The result is the same as the pandas path's, row for
row: the same raw table, the same rows dropped (blank and 合计/total rows), the same row numbers
(the line a text editor shows; the record number in a Parquet file) and the same errors
(file, row, column, value, reason), because

- SQL only handles the plain cases (a value without surrounding whitespace; an ISO date; a number
  DuckDB and pandas read alike) and every other *distinct* value goes through the pandas path's
  own parsers (:func:`parse_numbers`, :func:`parse_dates`, ``str.strip``), joined back by value;
- whatever SQL cannot reproduce makes the fast path decline (:class:`Declined`) and the file goes
  the pandas way: a header that cannot be told from the first megabyte, records wider than the
  header, line breaks inside cells or blank lines in the middle (row numbers would shift), an
  encoding other than UTF-8 / GB18030, a CSV DuckDB cannot parse.

A file is tried here when it is Parquet or a text file of at least FAST_PATH_MIN_BYTES; Excel files
and small text files take the pandas path (it reads them in well under a second).

The package, step by step (``prepare`` runs them for one file):

- ``read_csv`` / ``read_parquet``: what DuckDB reads, as a ``Source`` (``source``) of text columns;
- ``plan``: the SQL that maps, cleans and parses, column by column; ``cells``: the SQL tests of one
  cell (whitespace, total labels); ``fixes``: cells SQL leaves to the pandas path's parsers;
- ``validate``: the steps of :func:`validate_fast`; ``checks``: the one-scan counts and whether they
  say there may be an error; ``errors``: the row-level error detail;
- ``load_raw``: the INSERT into raw; ``in_place``: Parquet registered where it is archived;
- ``sql``: quoting, temporary tables and :class:`Declined`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

from pipelines.ingest.extracts.mapping import HeaderMap, KindDetection
from pipelines.ingest.extracts.readers import CSV_SUFFIXES, PARQUET_SUFFIXES
from pipelines.ingest.extracts.schema import DateWindow
from pipelines.ingest.fastpath.cells import total_label_last_codes, total_label_regex
from pipelines.ingest.fastpath.in_place import in_place_reason, in_place_sql, load_in_place
from pipelines.ingest.fastpath.load_raw import load_fast
from pipelines.ingest.fastpath.read_csv import text_source
from pipelines.ingest.fastpath.read_parquet import parquet_source
from pipelines.ingest.fastpath.source import Source
from pipelines.ingest.fastpath.sql import Declined
from pipelines.ingest.fastpath.validate import FastFile, validate_fast

__all__ = [
    "FAST_PATH_MIN_BYTES",
    "Declined",
    "FastFile",
    "FastSession",
    "Source",
    "in_place_reason",
    "in_place_sql",
    "load_fast",
    "load_in_place",
    "parquet_source",
    "prepare",
    "text_source",
    "total_label_last_codes",
    "total_label_regex",
    "validate_fast",
    "wants_fast_path",
]

# Text files below this size take the pandas path: it reads them in well under a second anyway.
FAST_PATH_MIN_BYTES = 16 << 20


def wants_fast_path(path: Path) -> bool:
    """Parquet, or a delimited text file of at least FAST_PATH_MIN_BYTES."""
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return True
    return suffix in CSV_SUFFIXES and path.stat().st_size >= FAST_PATH_MIN_BYTES


class FastSession:
    """A temporary folder (for transcoded copies) around one file's validation and load."""

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="stockflow-fast-")
        self.folder = Path(self._tmp.name)

    def __enter__(self) -> FastSession:
        return self

    def __exit__(self, *exc) -> None:
        self._tmp.cleanup()


def prepare(
    conn: duckdb.DuckDBPyConnection,
    session: FastSession,
    path: Path,
    header_map: HeaderMap,
    known: dict[str, set[str]],
    detection: KindDetection,
    dates: DateWindow | None = None,
) -> FastFile:
    """Validate a file on the fast path; raises Declined when it must go the pandas way."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        source = parquet_source(conn, path, header_map, detection.kind)
    else:
        source = text_source(path, header_map, session.folder)
    return validate_fast(conn, source, header_map, known, detection, dates)
