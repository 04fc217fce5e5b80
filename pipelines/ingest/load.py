"""Ingestion of inbox files into raw DuckDB tables: find, classify, validate, load, move.

No Dagster here: the ingest assets call `ingest_kind` and report what it returns.

Guarantees
- A file loads wholly or not at all (one transaction with its log entry), and moves to the archive
  only after that transaction commits. A file already loaded (same SHA-256) is skipped.
- A rejected file moves to the quarantine with a report beside it; nothing of it is written.
- No file is ever deleted. After a crash between steps the next run converges: a committed file
  still in the inbox is recognised by its hash and archived; an uncommitted one is loaded again.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from pipelines.ingest import fastpath
from pipelines.ingest.classify import classify
from pipelines.ingest.extracts.mapping import HeaderMap, KindDetection
from pipelines.ingest.extracts.readers.isolated import IsolatedReader, shared_reader
from pipelines.ingest.extracts.report import write_report
from pipelines.ingest.extracts.schema import KINDS, DateWindow, ExtractKind
from pipelines.ingest.extracts.validate import FileValidation, _file_error, validate_file
from pipelines.ingest.files import free_destination, move_file, place_in_archive
from pipelines.operations import failpoints
from pipelines.operations.settings import Settings
from pipelines.warehouse import connection as wh
from pipelines.warehouse.loads import load_rows

SUPPORTED_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".parquet"}
_IGNORED_PREFIXES = (".", "~$", "_")
_IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload", ".report.md", ".errors.csv")


def is_extract_file(path: Path) -> bool:
    name = path.name
    return (
        path.is_file()
        and path.suffix.lower() in SUPPORTED_SUFFIXES
        and not name.startswith(_IGNORED_PREFIXES)
        and not name.lower().endswith(_IGNORED_SUFFIXES)
    )


def list_inbox(inbox: Path) -> list[Path]:
    """Extract files in the inbox (not in sub-folders), oldest first so later exports supersede."""
    if not inbox.exists():
        return []
    files = [p for p in inbox.iterdir() if is_extract_file(p) and not p.is_symlink()]
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))


def quarantine_links(conn: duckdb.DuckDBPyConnection, settings: Settings) -> list[FileOutcome]:
    """Move symbolic links out of the inbox, unread: a link can point anywhere on the machine (issue 16:
    one was followed to a file outside the inbox). The link itself goes to the quarantine with the reason."""
    outcomes = []
    links = sorted(p for p in settings.inbox.iterdir() if p.is_symlink()) if settings.inbox.exists() else []
    for link in links:
        reason = (
            f"a symbolic link (to {os.readlink(link)}), not read: Stockflow reads only files placed in the "
            "inbox, so copy the file itself into the inbox"
        )
        validation = FileValidation(link, None, None, errors=_file_error(link, reason))
        sha = hashlib.sha256(f"symlink:{os.readlink(link)}".encode()).hexdigest()
        outcomes.append(_quarantine(conn, settings, link, validation, sha, "rejected"))
    return outcomes


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class FileOutcome:
    file_name: str
    kind: str | None
    status: str  # loaded | rejected | duplicate | unrecognised
    rows_loaded: int = 0
    rows_superseded: int = 0
    error_count: int = 0
    message: str = ""
    moved_to: Path | None = None
    replaces_load_id: int | None = None  # a re-export of the same name (warehouse/loads.py): it replaced
    rows_changed: int = 0  # that load; these count its rows against the replaced file's current rows
    rows_added: int = 0
    rows_deleted: int = 0


@dataclass
class IngestResult:
    kind: str
    outcomes: list[FileOutcome] = field(default_factory=list)
    table_rows: int = 0

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def rows_loaded(self) -> int:
        return sum(o.rows_loaded for o in self.outcomes)

    @property
    def rows_superseded(self) -> int:
        return sum(o.rows_superseded for o in self.outcomes)

    @property
    def rows_deleted(self) -> int:
        return sum(o.rows_deleted for o in self.outcomes)


def _known_masters(conn: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    return {
        "items": wh.known_values(conn, "items", "sku"),
        "warehouses": wh.known_values(conn, "warehouses", "warehouse_id"),
    }


def _today(settings: Settings) -> str:
    return datetime.now(ZoneInfo(settings.timezone)).date().isoformat()


def _quarantine(
    conn, settings: Settings, path: Path, validation: FileValidation, sha: str, status: str
) -> FileOutcome:
    target = free_destination(settings.quarantine, path.name, sha)
    write_report(validation, target)
    reason = validation.errors["reason"].iloc[0] if not validation.errors.empty else "rejected"
    message = f"{len(validation.errors)} error(s); first: {reason}"
    move_file(path, target)
    wh.log_file(
        conn,
        wh.FileLogEntry(
            file_name=path.name,
            kind=validation.kind,
            sha256=sha,
            status=status,
            error_count=len(validation.errors),
            total_rows_dropped=validation.total_rows_dropped,
            encoding=validation.encoding,
            sheets=validation.sheet_names,
            message=message,
            moved_to=str(target),
        ),
    )
    return FileOutcome(
        path.name,
        validation.kind,
        status,
        error_count=len(validation.errors),
        message=message,
        moved_to=target,
    )


def ingest_file(
    conn: duckdb.DuckDBPyConnection,
    settings: Settings,
    path: Path,
    header_map: HeaderMap,
    detection: KindDetection,
    reader: IsolatedReader | None = None,
) -> FileOutcome:
    """Validate one file and load it, skip it as a duplicate, or quarantine it. Excel files are read by
    ``reader`` (a child process with a memory limit) when given."""
    sha = sha256_of(path)
    archive_dir = settings.archive / _today(settings)
    if wh.is_loaded(conn, sha):
        unfinished = _load_never_archived(conn, sha)
        if unfinished is not None:  # a run died after loading this file and before archiving it: finish
            target = move_file(path, free_destination(archive_dir, path.name, sha))
            wh.set_moved_to(conn, unfinished, str(target))
            message = "loaded by an earlier run that stopped before archiving it; archived now"
            return FileOutcome(path.name, detection.kind, "loaded", message=message, moved_to=target)
        return _archive_duplicate(conn, path, detection, sha, archive_dir)
    known = _known_masters(conn)
    with fastpath.FastSession() as session:
        try:
            fast, validation, rows, notes = _validate(
                conn, session, path, header_map, known, detection, DateWindow(*settings.date_bounds), reader
            )
        except (duckdb.IOException, MemoryError, OSError):
            raise  # the machine's fault (disk, memory, a lock), not the file's: the run reports it
        except Exception as exc:  # a reader or check that cannot cope with this file: it alone is set aside
            reason = (
                f"the file could not be validated ({type(exc).__name__}: {exc}); report it with this file"
            )
            fast, rows, notes = None, 0, []
            validation = FileValidation(path, detection.kind, detection, errors=_file_error(path, reason))
        ok = validation.kind is not None and validation.errors.empty and (fast is not None or validation.ok)
        if not ok:
            return _quarantine(conn, settings, path, validation, sha, "rejected")
        kind = KINDS[validation.kind]
        entry = _loaded_entry(path, kind, sha, rows, validation, notes)
        load_id, entry, placed = _load(conn, settings, path, fast, validation, kind, entry, archive_dir, sha)
    failpoints.kill_at("ingest")  # fault injection: loaded and committed, the file not yet archived
    if placed is not None:  # committed: the archived link is the file now
        path.unlink()
        target = placed
    else:
        target = move_file(path, free_destination(archive_dir, path.name, sha))
        wh.set_moved_to(conn, load_id, str(target))
    counts = ("rows_superseded", "replaces_load_id", "rows_changed", "rows_added", "rows_deleted")
    return FileOutcome(
        path.name, kind.name, "loaded", rows_loaded=rows, message=entry.message, moved_to=target,
        **{name: getattr(entry, name) for name in counts},
    )  # fmt: skip


def _load_never_archived(conn: duckdb.DuckDBPyConnection, sha: str) -> int | None:
    """The load id of this file's load whose archiving never happened (the run died in between), or None."""
    row = conn.execute(
        f"select load_id, moved_to from {wh.FILES_TABLE} where sha256 = ? and status = 'loaded' "
        "order by load_id desc limit 1",
        [sha],
    ).fetchall()
    return int(row[0][0]) if row and row[0][1] is None else None


def _archive_duplicate(
    conn: duckdb.DuckDBPyConnection, path: Path, detection: KindDetection, sha: str, archive_dir: Path
) -> FileOutcome:
    """A file already loaded (same SHA-256): archived again and logged as a duplicate."""
    target = move_file(path, free_destination(archive_dir, path.name, sha))
    wh.log_file(
        conn,
        wh.FileLogEntry(
            file_name=path.name,
            kind=detection.kind,
            sha256=sha,
            status="duplicate",
            message="already loaded (same SHA-256); archived",
            moved_to=str(target),
        ),
    )
    return FileOutcome(path.name, detection.kind, "duplicate", message="already loaded", moved_to=target)


def _validate(
    conn: duckdb.DuckDBPyConnection,
    session: fastpath.FastSession,
    path: Path,
    header_map: HeaderMap,
    known: dict[str, set[str]],
    detection: KindDetection,
    dates: DateWindow,
    reader: IsolatedReader | None = None,
) -> tuple[fastpath.FastFile | None, FileValidation, int, list[str]]:
    """The file validated on the fast path when it takes it, else on the pandas path: (the fast path's
    result or None, the validation, the rows to load, the notes for the log)."""
    fast, fast_note = None, ""
    if detection.kind is not None and fastpath.wants_fast_path(path):
        try:
            fast = fastpath.prepare(conn, session, path, header_map, known, detection, dates)
        except fastpath.Declined as exc:
            fast_note = f"read by pandas: {exc}"
    if fast is not None:
        validation, rows = fast.validation, fast.rows
        notes = ["read by DuckDB (fast path)", *validation.notes]
    else:
        validation = validate_file(path, header_map, known, detection=detection, dates=dates, reader=reader)
        rows = len(validation.rows) if validation.rows is not None else 0
        notes = [fast_note, *validation.notes] if fast_note else validation.notes
    return fast, validation, rows, notes


def _loaded_entry(
    path: Path, kind: ExtractKind, sha: str, rows: int, validation: FileValidation, notes: list[str]
) -> wh.FileLogEntry:
    """The log entry of a file about to be loaded."""
    return wh.FileLogEntry(
        file_name=path.name,
        kind=kind.name,
        sha256=sha,
        status="loaded",
        rows_loaded=rows,
        total_rows_dropped=validation.total_rows_dropped,
        encoding=validation.encoding,
        sheets=validation.sheet_names,
        message="; ".join([f"{validation.total_rows_dropped} total row(s) dropped", *notes]),
    )


def _load(
    conn: duckdb.DuckDBPyConnection,
    settings: Settings,
    path: Path,
    fast: fastpath.FastFile | None,
    validation: FileValidation,
    kind: ExtractKind,
    entry: wh.FileLogEntry,
    archive_dir: Path,
    sha: str,
) -> tuple[int, wh.FileLogEntry, Path | None]:
    """Load a validated file in one transaction: in place (Parquet, when allowed and possible), by the fast
    path's INSERT, or the pandas path's rows; a file of an earlier one's name replaces it (when
    STOCKFLOW_REEXPORTS_REPLACE covers its kind). Returns (load id, the log entry as written, the archived
    file when loaded in place: the inbox file is then only a second name)."""
    replaces = settings.reexports_replace == "all" or (
        settings.reexports_replace == "transactions" and not kind.is_master
    )
    in_place = False
    if fast is not None and settings.parquet_load == "in_place":
        reason = fastpath.in_place_reason(fast)
        in_place = reason is None
        if reason and path.suffix.lower() == ".parquet":
            entry = replace(entry, message=entry.message + f"; copied into the warehouse: {reason}")
    if in_place:
        entry = replace(entry, message=entry.message + "; loaded in place (raw rows read from the archive)")
        target = place_in_archive(path, free_destination(archive_dir, path.name, sha))
        try:
            load_id, entry = fastpath.load_in_place(conn, fast, entry, settings.archive, target, replaces)
        except BaseException:
            target.unlink()  # the inbox file is still there: the archived link was only ours
            raise
        return load_id, entry, target
    if fast is not None:
        load_id, entry = fastpath.load_fast(conn, fast, entry, replaces)
    else:
        load_id, entry = load_rows(conn, kind, validation.rows, entry, replaces)
    return load_id, entry, None


def quarantine_unrecognised(
    conn: duckdb.DuckDBPyConnection,
    settings: Settings,
    header_map: HeaderMap,
    reader: IsolatedReader | None = None,
) -> list[FileOutcome]:
    """Move files whose kind cannot be told (or is ambiguous) to the quarantine, with the reason, and
    symbolic links unread."""
    outcomes = quarantine_links(conn, settings)
    for path in list_inbox(settings.inbox):
        detection = classify(path, header_map, reader)
        if detection.kind is None:
            validation = validate_file(path, header_map, {}, detection=None, reader=reader)
            outcomes.append(_quarantine(conn, settings, path, validation, sha256_of(path), "unrecognised"))
    return outcomes


def ingest_kind(
    conn: duckdb.DuckDBPyConnection, settings: Settings, kind: str, header_map: HeaderMap
) -> IngestResult:
    """Load every inbox file of one kind, oldest first; then quarantine unrecognisable files.

    Excel files are read in a child process (the process's, shared by its ingest steps) with
    STOCKFLOW_READER_MEMORY_MB of memory and STOCKFLOW_READER_TIMEOUT_SECONDS per file: a workbook that
    exhausts them or crashes its reader is quarantined with the reason (ReaderCrashed), the others load."""
    wh.ensure_raw_schema(conn)
    # Parquet files loaded in place: raw.<kind> reads them where STOCKFLOW_ARCHIVE is now
    wh.rebuild_raw_view(conn, KINDS[kind], settings.archive)
    result = IngestResult(kind)
    reader = shared_reader(settings.reader_memory_mb, settings.reader_timeout_seconds)
    for path in list_inbox(settings.inbox):
        detection = classify(path, header_map, reader)
        if detection.kind == kind:
            result.outcomes.append(ingest_file(conn, settings, path, header_map, detection, reader))
    result.outcomes.extend(quarantine_unrecognised(conn, settings, header_map, reader))
    result.table_rows = int(conn.execute(f"select count(*) from {wh.raw_table(kind)}").fetchall()[0][0])
    return result
