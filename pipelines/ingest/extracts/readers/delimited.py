"""Delimited text files (CSV, TSV, TXT): the encoding detected (BOM, UTF-8, GB18030, else
charset_normalizer), the delimiter sniffed among four, and the whole file read as a grid of strings
with each record's line number (a text editor's, counting line breaks inside quoted cells)."""

from __future__ import annotations

import codecs
import csv
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import charset_normalizer
import numpy as np
import pandas as pd

from pipelines.ingest.extracts.readers.formats import ExtractReadError

_HAN = re.compile(r"[\u4e00-\u9fff]")
DELIMITERS = (",", "\t", ";", "|")
_SAMPLE_BYTES = 1 << 20
_CHUNK_BYTES = 1 << 22


def detect_encoding(path: Path) -> str:
    """The file's text encoding: BOM, else strict UTF-8, else strict GB18030, else charset_normalizer; a
    file whose lines mix UTF-8 Chinese with another encoding is refused with the lines named."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(path, "utf-8"):
        return "utf-8"
    with path.open("rb") as fh:
        _refuse_mixed_encodings(path, fh)
    if _decodes(path, "gb18030"):
        return "gb18030"
    with path.open("rb") as fh:
        guess = charset_normalizer.from_bytes(fh.read(_SAMPLE_BYTES)).best()
    if guess is None or not _decodes(path, guess.encoding):
        raise ExtractReadError(path, "cannot detect the text encoding; save the file as UTF-8 and retry")
    return guess.encoding


def mixed_utf8_lines(lines: Iterable[bytes]) -> tuple[int, int] | None:
    """(a line in UTF-8, a line in another encoding), numbered from 1, when a file that is not UTF-8 as a
    whole holds lines of Chinese text that are (two exports pasted together): read as GB18030, those
    lines would load as garbage without an error (issue 16). None when the file keeps to one encoding."""
    utf8_line = other_line = None
    for number, line in enumerate(lines, start=1):
        if line.isascii():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            other_line = other_line or number
        else:
            if _HAN.search(text):
                utf8_line = utf8_line or number
        if utf8_line and other_line:
            return utf8_line, other_line
    return None


def _refuse_mixed_encodings(path: Path, lines: Iterable[bytes]) -> None:
    mixed = mixed_utf8_lines(lines)
    if mixed is not None:
        raise ExtractReadError(
            path,
            f"mixes text encodings: line {mixed[0]} is UTF-8 and line {mixed[1]} is GBK/GB18030; "
            "export the file again in one encoding (UTF-8 is safest)",
        )


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
