"""Which inbox files are new: the pure logic behind the inbox sensor.

The cursor is a JSON list of fingerprints ("name|size|mtime_ns") of the files seen in the inbox at
the last evaluation. A file is new when its fingerprint is not in the cursor (a re-export under the
same name changes size or mtime, so it counts again) and it has been still for `settle_seconds`, so
a file being copied in is not taken half-written. Files that left the inbox drop out of the cursor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class InboxEntry:
    name: str
    size: int
    mtime_ns: int

    @property
    def fingerprint(self) -> str:
        return f"{self.name}|{self.size}|{self.mtime_ns}"

    @classmethod
    def of(cls, path: Path) -> InboxEntry:
        stat = path.stat()
        return cls(path.name, stat.st_size, stat.st_mtime_ns)


def parse_cursor(cursor: str | None) -> set[str]:
    if not cursor:
        return set()
    try:
        value = json.loads(cursor)
    except json.JSONDecodeError:
        return set()
    return set(value) if isinstance(value, list) else set()


def new_inbox_files(
    entries: list[InboxEntry], cursor: str | None, now_ns: int, settle_seconds: float
) -> tuple[list[InboxEntry], str]:
    """Return (new settled files, next cursor). Unsettled files are left for a later evaluation."""
    seen = parse_cursor(cursor)
    settle_ns = int(settle_seconds * 1e9)
    new: list[InboxEntry] = []
    keep: set[str] = set()
    for entry in sorted(entries, key=lambda e: e.name):
        if entry.fingerprint in seen:
            keep.add(entry.fingerprint)
        elif now_ns - entry.mtime_ns >= settle_ns:
            new.append(entry)
            keep.add(entry.fingerprint)
    return new, json.dumps(sorted(keep))
