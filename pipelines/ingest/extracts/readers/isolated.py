"""Excel workbooks read in a child process with a memory and a time limit (issue 16, item 6).

A crafted workbook of a few kilobytes can make the Excel reader ask for far more memory than the machine
has; calamine (Rust) aborts the process when an allocation fails, and that took the whole ingest run
down on every run. :class:`IsolatedReader` runs :func:`read_extract` for Excel files in one child process
(started on first use, reused for the next files): its address space is capped with ``RLIMIT_AS`` (set in
the child), and the parent waits for it at most a time limit. A file that exhausts the limit, crashes
the reader (a signal) or runs past the time limit kills only the child: the parent raises
:class:`ReaderCrashed` (an ExtractReadError, so the file is quarantined with the reason) and the next
file gets a fresh child. Errors the reader raises itself (a corrupt file) come back as they are.

The child is a new Python (``subprocess``, never a fork of the parent and its Dagster and DuckDB
threads) that imports the readers once, 0.7-3 CPU seconds with pandas; so ingest keeps one reader per
process (:func:`shared_reader`), whose child serves every ingest step of a run. (multiprocessing's fork
server would fork children cheaply, but on Python 3.11 it never preloads the main module, so every child
re-runs the parent's main script: seconds a child under a script that imports Dagster.) The memory limit
counts on top of the child's start-up address space, so it means the same on every machine (Linux;
elsewhere the child runs without the cap).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import pickle
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Set
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pipelines.ingest.extracts.readers import EXCEL_SUFFIXES, ExtractReadError, RawSheet, read_extract

MEMORY_SETTING = "STOCKFLOW_READER_MEMORY_MB"
TIMEOUT_SETTING = "STOCKFLOW_READER_TIMEOUT_SECONDS"
# what Rust's allocator prints before it aborts the process (calamine laying out a huge sheet)
_RUST_OOM = re.compile(rb"memory allocation of (\d+) bytes failed")
# what a first read imports (pandas' string casts, zipfile's names): imported before the child measures
# its start-up size
_FIRST_READ_IMPORTS = ("pyarrow.pandas_compat", "encodings.cp437")
# the child: the parent's sys.path, then _serve(jobs fd, replies fd, memory_mb)
_BOOT = (
    "import json, sys; sys.path[:] = json.loads(sys.argv[1]); "
    "from pipelines.ingest.extracts.readers.isolated import _serve; _serve(*map(int, sys.argv[2:]))"
)
_START_SECONDS = 300  # a child importing pandas takes 1-5 s; the first file's time limit starts after it
_to_parent: Connection | None = None  # in the child: where progress ("reading sheet X") goes


class ReaderCrashed(ExtractReadError):
    """The reader's child process died on this file or was stopped: it ran out of its memory limit, was
    killed by a signal, or passed its time limit. The file is to blame, not the machine."""


class IsolatedReader:
    """Reads Excel files in a child process with ``memory_mb`` of address space (0: in this process, no
    child, no limits) for at most ``timeout_seconds`` each (0: no time limit); other files are read here.

    The child is started on the first Excel file, reused for the next ones, started again after it dies
    (or after a file left it using more than half its limit), and stopped by :meth:`close` (a context
    manager, or :func:`shared_reader` at exit). A file whose read crashed is not read again by the same
    reader: the same ReaderCrashed is raised at once. Not for use by several threads at once.
    """

    def __init__(self, memory_mb: int = 4096, timeout_seconds: float = 600.0) -> None:
        self.memory_mb = int(memory_mb)
        self.timeout_seconds = float(timeout_seconds)
        self._process: subprocess.Popen | None = None
        self._jobs: Connection | None = None  # to the child
        self._replies: Connection | None = None  # from the child
        self._folder: Path | None = None  # holds the child's stderr, read after a crash
        self._crashed: dict[tuple[str, int, int], ReaderCrashed] = {}

    def __enter__(self) -> IsolatedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read_extract(self, path: Path, header_hints: Set[str] | None = None) -> list[RawSheet]:
        """:func:`read_extract`, for an Excel file in the child (when a memory limit is set)."""
        path = Path(path)
        if not self.memory_mb or path.suffix.lower() not in EXCEL_SUFFIXES or not path.is_file():
            return read_extract(path, header_hints)  # a missing file is reported by read_extract
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if key in self._crashed:
            raise self._crashed[key]
        try:
            return self.run(path, _read_in_child, path, frozenset(header_hints or ()))
        except ReaderCrashed as exc:
            self._crashed[key] = exc
            raise

    def run(self, path: Path, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in the child, on behalf of the file at ``path`` (named in the errors): its result,
        or the exception it raised; ReaderCrashed when the child dies or passes the time limit. ``fn`` must
        be importable by its module's name (not defined in ``__main__``)."""
        conn, offset = self._submit(fn, args)
        sheet, deadline = None, self._deadline()
        while True:
            wait = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            if not conn.poll(wait):
                self._stop(kill=True)
                raise ReaderCrashed(
                    path,
                    f"the Excel reader took longer than its {self.timeout_seconds:g} s limit ({TIMEOUT_SETTING}) "
                    f"{_where(sheet)} and was stopped; export the data as CSV, or raise the limit if the "
                    "workbook is really that large",
                )
            try:
                kind, value = conn.recv()
            except (EOFError, OSError):  # the child died
                raise self._died(path, sheet, offset) from None
            if kind == "sheet":
                sheet = value
            elif kind == "retire":  # earlier files left it using over half its limit: a new child reads
                self._stop()
                conn, offset = self._submit(fn, args)
                deadline = self._deadline()
            elif kind == "memory":
                self._stop()
                raise ReaderCrashed(path, self._out_of_memory(sheet))
            else:
                self._forward_stderr(offset)
                if kind == "ok":
                    return value
                raise value  # the reader's own error, as it is raised in process

    def _submit(self, fn: Callable[..., Any], args: tuple) -> tuple[Connection, int]:
        """Send a job to the child, started if need be: the connection the replies come on, and where the
        child's output for this job starts in its log."""
        conn = self._start()
        offset = self._stderr.stat().st_size
        try:
            self._jobs.send((fn, args))  # type: ignore[union-attr]
        except OSError:  # it died while idle (killed from outside): no file's fault, start another
            self._stop()
            conn = self._start()
            offset = self._stderr.stat().st_size
            self._jobs.send((fn, args))  # type: ignore[union-attr]
        return conn, offset

    def _deadline(self) -> float | None:
        return time.monotonic() + self.timeout_seconds if self.timeout_seconds else None

    def close(self) -> None:
        """Stop the child and remove its folder."""
        self._stop()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    @property
    def _stderr(self) -> Path:
        assert self._folder is not None
        return self._folder / "stderr.log"

    def _start(self) -> Connection:
        """The connection the child replies on; the child started when there is none running."""
        if self._process is not None and self._process.poll() is None and self._replies is not None:
            return self._replies
        self._stop()
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="stockflow-reader-"))
            self._stderr.touch()
        offset = self._stderr.stat().st_size
        jobs_read, jobs_write = os.pipe()
        replies_read, replies_write = os.pipe()
        try:
            with self._stderr.open("ab") as log:  # its stdout too: nothing it prints mixes with the replies
                self._process = subprocess.Popen(
                    [sys.executable, "-c", _BOOT, json.dumps([str(p) for p in sys.path]),
                     str(jobs_read), str(replies_write), str(self.memory_mb)],
                    pass_fds=(jobs_read, replies_write), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                )  # fmt: skip
        except BaseException:
            os.close(jobs_write)
            os.close(replies_read)
            raise
        finally:
            os.close(jobs_read)
            os.close(replies_write)
        self._jobs = Connection(jobs_write, readable=False)
        self._replies = Connection(replies_read, writable=False)
        self._wait_until_ready(offset)
        return self._replies

    def _wait_until_ready(self, offset: int) -> None:
        """The child's start (its imports) is not counted against the first file's time; a child that
        cannot start is the machine's or the installation's fault, not a file's: ChildProcessError."""
        assert self._replies is not None
        try:
            ready = self._replies.poll(_START_SECONDS) and self._replies.recv()[0] == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self._stop(kill=True)
            tail = self._stderr.read_bytes()[offset:][-2000:].decode("utf-8", "replace")
            raise ChildProcessError(f"the Excel reader's child process did not start: {tail or 'no output'}")

    def _stop(self, kill: bool = False) -> None:
        process, connections = self._process, (self._jobs, self._replies)
        self._process = self._jobs = self._replies = None
        for conn in connections:
            if conn is not None:
                conn.close()  # the child's next read of a job ends: it exits
        if process is None:
            return
        if kill:
            process.kill()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _died(self, path: Path, sheet: str | None, offset: int) -> ReaderCrashed:
        process = self._process
        self._stop()
        code = process.returncode if process is not None else None
        with self._stderr.open("rb") as fh:
            fh.seek(offset)
            stderr = fh.read()
        sys.stderr.write(stderr.decode("utf-8", "replace"))  # what it printed as it died, for the run's log
        oom = _RUST_OOM.search(stderr)
        if oom is not None:
            return ReaderCrashed(path, self._out_of_memory(sheet, int(oom.group(1))))
        if code is not None and code < 0:
            name = _signal_name(-code)
            what = f"crashed (signal {name})"
            if name == "SIGKILL":
                what += " (killed from outside: the machine may have run out of memory)"
        else:
            what = f"exited unexpectedly (status {code})"
        return ReaderCrashed(
            path,
            f"the Excel reader {what} {_where(sheet)}; the file may be damaged or crafted: open it in Excel "
            "and save it again, or export the data as CSV",
        )

    def _out_of_memory(self, sheet: str | None, wanted: int | None = None) -> str:
        detail = f" (it asked for {wanted / 2**20:,.0f} MB at once)" if wanted else ""
        return (
            f"the Excel reader ran out of its {self.memory_mb} MB memory limit ({MEMORY_SETTING}) "
            f"{_where(sheet)}{detail}; the workbook needs more memory than that to read (a sheet laid out "
            "far larger than its data, or a crafted file): export the data as CSV, or raise the limit if "
            "the workbook is really that large"
        )

    def _forward_stderr(self, offset: int) -> None:
        """What the reader printed (warnings) is passed on to this process's stderr."""
        with self._stderr.open("rb") as fh:
            fh.seek(offset)
            text = fh.read()
        if text:
            sys.stderr.write(text.decode("utf-8", "replace"))


_shared: dict[tuple[int, float], IsolatedReader] = {}


def shared_reader(memory_mb: int, timeout_seconds: float) -> IsolatedReader:
    """This process's reader for these limits: its child, started by the first Excel file, serves every
    ingest step of the process (a run), so the child's start is paid once; it is stopped at exit."""
    key = (int(memory_mb), float(timeout_seconds))
    if not _shared:
        atexit.register(_close_shared)
    if key not in _shared:
        _shared[key] = IsolatedReader(*key)
    return _shared[key]


def _close_shared() -> None:
    for reader in _shared.values():
        reader.close()


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _where(sheet: str | None) -> str:
    return f"reading sheet {sheet!r}" if sheet else "opening the workbook"


def _address_space() -> int | None:
    """This process's address space in bytes (Linux), else None."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _limit_address_space(baseline: int, memory_mb: int) -> None:
    """Cap this process's address space at ``baseline`` plus ``memory_mb``: an allocation past it fails
    (MemoryError in Python, an abort in Rust)."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = baseline + (memory_mb << 20)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _read_in_child(path: Path, header_hints: frozenset[str]) -> list[RawSheet]:
    return read_extract(path, header_hints, on_sheet=_report_sheet)


def _report_sheet(name: str) -> None:
    if _to_parent is not None:
        _to_parent.send(("sheet", name))


def _portable(exc: Exception) -> Exception:
    """The exception itself when the parent can unpickle it, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _serve(jobs_fd: int, replies_fd: int, memory_mb: int) -> None:
    """The child: the address space capped, then one job at a time until the parent hangs up. It exits
    after a MemoryError, and instead of a job when earlier jobs left it using more than half its limit
    (the parent then starts a new child for that job)."""
    global _to_parent
    jobs = Connection(jobs_fd, writable=False)
    _to_parent = replies = Connection(replies_fd, readable=False)
    for name in _FIRST_READ_IMPORTS:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    baseline = _address_space()
    if memory_mb and baseline is not None:
        _limit_address_space(baseline, memory_mb)
    replies.send(("ready", baseline))
    while True:
        try:
            fn, args = jobs.recv()
        except (EOFError, OSError):
            return
        size = _address_space()
        if memory_mb and baseline and size and size - baseline > memory_mb << 19:
            replies.send(("retire", None))
            return
        try:
            kind, value = "ok", fn(*args)
        except MemoryError:
            kind, value = "memory", None
        except Exception as exc:
            kind, value = "error", _portable(exc)
        try:
            replies.send((kind, value))
        except MemoryError:  # the result was too large to pickle within the limit
            kind = "memory"
            replies.send((kind, None))
        except Exception as exc:  # a result or an error that cannot be pickled
            replies.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
        fn = args = value = None  # nothing of this job is kept for the next
        if kind == "memory":
            return
