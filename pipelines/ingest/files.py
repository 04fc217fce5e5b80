"""Where inbox files go: a free name in the archive or the quarantine, and the move itself (across file
systems too). Plain file operations, no DuckDB: ``load`` decides what goes where."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def free_destination(folder: Path, name: str, sha256: str) -> Path:
    """``folder/name``, or when taken ``name__<sha8>[_n]``: an archived or quarantined file never overwrites another."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not target.exists():
        return target
    stem, suffix = os.path.splitext(name)
    target = folder / f"{stem}__{sha256[:8]}{suffix}"
    n = 2
    while target.exists():
        target = folder / f"{stem}__{sha256[:8]}_{n}{suffix}"
        n += 1
    return target


def move_file(source: Path, target: Path) -> Path:
    """Move a file (or a symbolic link itself), across file systems too."""
    try:
        os.replace(source, target)
    except OSError:  # another filesystem: copy, then remove the inbox copy
        shutil.move(str(source), str(target))
    return target


def place_in_archive(source: Path, target: Path) -> Path:
    """A second name for the inbox file in the archive (a hard link; a copy across file systems), so
    that the file is in place before its load commits and still in the inbox if the load fails."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
    return target
