"""Excel workbooks read in a child process with a memory and a time limit (issue 16, item 6).

A crafted workbook of a few kilobytes can make the Excel reader ask for far more memory than the machine
has; calamine (Rust) aborts the process when an allocation fails, and that took the whole ingest run
down on every run. :class:`IsolatedReader` runs :func:`read_extract` for Excel files in one child process
(started on first use, reused for the next files): its address space is capped with ``RLIMIT_AS`` (set in
the child), and the parent waits for it at most a time limit. A file that exhausts the limit, crashes
the reader (a signal) or runs past the time limit kills only the child: the parent raises
:class:`ReaderCrashed` (an ExtractReadError, so the file is quarantined with the reason) and the next
file gets a fresh child. Errors the reader raises itself (a corrupt file) come back as they are.

The child is forked from multiprocessing's fork server, which imports the readers once (pandas,
calamine): a new child costs milliseconds, not an interpreter start (the parent's threads, Dagster's and
DuckDB's, are never forked). The memory limit counts on top of the child's start-up address space, so it
means the same on every machine (Linux; elsewhere the child runs without the cap).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import re
import resource
import shutil
import signal
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
_FIRST_READ_IMPORTS = ["pyarrow.pandas_compat", "encodings.cp437"]  # pandas' string casts; zipfile's names
_to_parent: Connection | None = None  # in the child: where progress ("reading sheet X") goes


class ReaderCrashed(ExtractReadError):
    """The reader's child process died on this file or was stopped: it ran out of its memory limit, was
    killed by a signal, or passed its time limit. The file is to blame, not the machine."""


class IsolatedReader:
    """Reads Excel files in a child process with ``memory_mb`` of address space (0: in this process, no
    child, no limits) for at most ``timeout_seconds`` each (0: no time limit); other files are read here.

    Use it as a context manager (one per ingest step): the child is started on the first Excel file,
    reused for the next ones, started again after it dies, and stopped on exit. A file whose read
    crashed is not read again by the same reader: the same ReaderCrashed is raised at once.
    """

    def __init__(self, memory_mb: int = 4096, timeout_seconds: float = 600.0) -> None:
        self.memory_mb = int(memory_mb)
        self.timeout_seconds = float(timeout_seconds)
        self._process: Any = None
        self._conn: Connection | None = None
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
        or the exception it raised; ReaderCrashed when the child dies or passes the time limit."""
        conn = self._start()
        offset = self._stderr.stat().st_size
        conn.send((fn, args))
        sheet = None
        deadline = time.monotonic() + self.timeout_seconds if self.timeout_seconds else None
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
            elif kind == "ok":
                self._forward_stderr(offset)
                return value
            elif kind == "memory":
                self._stop()
                raise ReaderCrashed(path, self._out_of_memory(sheet))
            else:
                self._forward_stderr(offset)
                raise value  # the reader's own error, as it is raised in process

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
        if self._process is not None and self._process.is_alive() and self._conn is not None:
            return self._conn
        self._stop()
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="stockflow-reader-"))
            self._stderr.touch()
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if context.get_start_method() == "forkserver":
            # imported once by the fork server when it starts: the main module (the standard library's
            # default: spares every child re-running it), the readers, and what the first read of each child
            # would import (measured: 0.08 s a child)
            context.set_forkserver_preload(["__main__", __name__, *_FIRST_READ_IMPORTS])
        conn, child_conn = context.Pipe()
        process = context.Process(
            target=_serve, args=(child_conn, self.memory_mb, str(self._stderr)), daemon=True,
            name="stockflow-excel-reader",
        )  # fmt: skip
        process.start()
        child_conn.close()
        self._process, self._conn = process, conn
        return conn

    def _stop(self, kill: bool = False) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            conn.close()  # the child's next recv ends: it exits
        if process is None:
            return
        if kill:
            process.kill()
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()

    def _died(self, path: Path, sheet: str | None, offset: int) -> ReaderCrashed:
        process = self._process
        self._stop()
        code = process.exitcode if process is not None else None
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


def _limit_address_space(memory_mb: int) -> None:
    """Cap this process's address space at what it uses now plus ``memory_mb``: an allocation past it
    fails (MemoryError in Python, an abort in Rust)."""
    baseline = _address_space()
    if baseline is None:
        return
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


def _serve(conn: Connection, memory_mb: int, stderr_path: str) -> None:
    """The child: stderr to a file the parent reads after a crash, the address space capped, then one job
    at a time until the parent hangs up. After a MemoryError it exits (the parent starts a new child)."""
    global _to_parent
    _to_parent = conn
    fd = os.open(stderr_path, os.O_WRONLY | os.O_APPEND)
    os.dup2(fd, 2)
    os.close(fd)
    _limit_address_space(memory_mb)
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = ("ok", fn(*args))
        except MemoryError:
            reply = ("memory", None)
        except Exception as exc:
            reply = ("error", _portable(exc))
        try:
            conn.send(reply)
        except MemoryError:  # the result was too large to pickle within the limit
            reply = ("memory", None)
            conn.send(reply)
        except Exception as exc:  # a result or an error that cannot be pickled
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
        if reply[0] == "memory":
            return
