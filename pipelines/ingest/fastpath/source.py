"""What DuckDB reads of an extract: a :class:`Source`, the file as text columns c0..c<n-1> plus the record
number _rn, with the header labels and the lines above the first record. Made by ``read_csv`` (text)
and ``read_parquet`` (Parquet)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Source:
    path: Path
    relation: str  # select _rn, c0, c1, ... (all VARCHAR)
    labels: list[str]  # one per column, as read_extract names them
    named: list[bool]
    header_line: int  # lines above the first record (0 for Parquet)
    encoding: str | None
    title_lines: list[str] = field(default_factory=list)
    python_text: dict[int, tuple[str, str]] = field(default_factory=dict)  # col -> (parquet column, type)
    typed: dict[int, str] = field(default_factory=dict)  # col -> its value, typed as the contract wants

    @property
    def width(self) -> int:
        return len(self.labels)
