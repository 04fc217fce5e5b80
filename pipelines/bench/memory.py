"""Memory of a benchmark: the resident memory (RSS) of a process and all its descendants, sampled in a
background thread, and the peak of any window of wall-clock time."""

from __future__ import annotations

import contextlib
import os
import threading
import time

import psutil

GB = 1024**3


class RssSampler:
    """Samples the resident memory (RSS) of a process and all its descendants in a background thread.

    Child processes (stage workers, dbt) are summed with the root; shared pages are counted once per
    process, so the figure is an upper bound of what the tree holds. ``peak(start, end)`` looks up the
    samples of a window of wall-clock (``time.time()``) seconds."""

    def __init__(self, pid: int | None = None, interval: float = 0.2) -> None:
        self.root = psutil.Process(pid or os.getpid())
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def tree_rss(self) -> int:
        total = 0
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return 0
        for proc in procs:
            # a process may exit between listing and reading
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                total += proc.memory_info().rss
        return total

    def sample(self) -> int:
        rss = self.tree_rss()
        self.samples.append((time.time(), rss))
        return rss

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def __enter__(self) -> RssSampler:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def peak(self, start: float, end: float) -> int | None:
        """Highest sampled RSS between ``start`` and ``end`` (epoch seconds), None without samples."""
        window = [rss for t, rss in list(self.samples) if start <= t <= end]
        return max(window) if window else None
