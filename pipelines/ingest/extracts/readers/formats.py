"""The file formats an extract may come in (by suffix) and :class:`ExtractReadError`, what reading a file
that is not a readable extract raises."""

from __future__ import annotations

from pathlib import Path

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
PARQUET_SUFFIXES = (".parquet",)


class ExtractReadError(Exception):
    """A file that cannot be read as an extract; ``str()`` is "<file name>: <message>"."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = Path(path)
        self.message = message
        super().__init__(f"{self.path.name}: {message}")

    def __reduce__(self):  # pickled by the reader's child process (isolated.py) with both arguments
        return (type(self), (self.path, self.message))
