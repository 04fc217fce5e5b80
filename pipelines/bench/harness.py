"""Benchmark mechanics: stages run one after another, each in its own process (timed, errors caught,
progress lines echoed from its log), with the memory of the process tree sampled meanwhile.

Nothing here knows what a stage does; ``pipelines.bench.run`` decides that. The memory sampler is
``pipelines.bench.memory``, the results document ``pipelines.bench.results``.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from pipelines.bench.memory import GB, RssSampler


@dataclass
class StageResult:
    name: str
    status: str  # ok | failed | skipped
    seconds: float | None = None
    peak_rss_bytes: int | None = None
    rows: int | None = None
    rows_what: str = ""
    error: str | None = None
    parent: str | None = None  # the stage this one is a step of (a step of the refresh's Dagster run)
    started_at: float | None = None  # epoch seconds
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float | None:
        if self.rows is None or not self.seconds:
            return None
        return self.rows / self.seconds

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rows_per_second": self.rows_per_second}


def _redirect_output(log_path: str) -> None:
    """Pool initializer: the worker's stdout and stderr (Dagster's and dbt's logs) go to a file."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _timed_call(fn: Callable[..., dict], args: tuple) -> dict:
    started = time.time()
    t0 = time.perf_counter()
    out = fn(*args) or {}
    return {"started": started, "seconds": time.perf_counter() - t0, "result": out}


class LogTail:
    """Prints the lines of a growing log file that match ``pattern`` (progress while a worker runs)."""

    def __init__(self, path: Path, pattern: str | None, echo: Callable[[str], None], fmt=None) -> None:
        self.path, self.echo, self.offset = path, echo, 0
        self.pattern = re.compile(pattern) if pattern else None
        self.fmt = fmt or (lambda m, line: line)

    def poll(self) -> None:
        if self.pattern is None or not self.path.exists():
            return
        with self.path.open("rb") as fh:
            fh.seek(self.offset)
            data = fh.read()
        cut = data.rfind(b"\n") + 1
        self.offset += cut
        for line in data[:cut].decode("utf-8", "replace").splitlines():
            m = self.pattern.search(line)
            if m:
                self.echo(self.fmt(m, line))


def _one_line(exc: BaseException) -> str:
    """The error's first line; when it only introduces what follows ('... failed:'), the last line too."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(exc).splitlines()]
    lines = [line for line in lines if line]
    text = lines[0] if lines else ""
    if text.endswith(":") and len(lines) > 1:
        text = f"{text} {lines[-1]}"
    return f"{type(exc).__name__}: {text}".strip()


class Bench:
    """Runs stages one after another, each in a fresh process, sampling the tree's memory.

    A stage function returns a dict: ``rows``, ``rows_what``, ``detail`` and optionally ``steps``, a
    list of sub-stages with their own ``started``/``finished`` epoch times, ``status``, ``error``,
    ``rows`` and ``rows_what`` (a Dagster run's steps); their peak memory comes from the samples of
    their window. A stage that raises is recorded as failed with its error, and the bench goes on."""

    def __init__(
        self,
        log_dir: Path,
        echo: Callable[[str], None] = print,
        sampler: RssSampler | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.echo = echo
        self.sampler = sampler or RssSampler()
        self.stages: list[StageResult] = []
        self.on_change = on_change

    def __enter__(self) -> Bench:
        self.sampler.start()
        return self

    def __exit__(self, *exc) -> None:
        self.sampler.stop()

    def stage(self, name: str, parent: str | None = None) -> StageResult | None:
        return next((s for s in self.stages if s.name == name and s.parent == parent), None)

    def skip(self, name: str, reason: str) -> StageResult:
        result = StageResult(name, "skipped", error=reason)
        self.echo(f"[bench] -- {name}: skipped ({reason})")
        self._add(result)
        return result

    def run(
        self,
        name: str,
        fn: Callable[..., dict],
        *args: Any,
        progress_pattern: str | None = None,
        progress_format=None,
        timeout_seconds: float | None = None,
    ) -> StageResult:
        slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
        log_path = self.log_dir / f"{len(self.stages):02d}_{slug}.log"
        self.echo(f"[bench] >> {name} ...   (log: {log_path})")
        tail = LogTail(log_path, progress_pattern, lambda s: self.echo(f"[bench]      {s}"), progress_format)
        wall0 = time.time()
        try:
            out = self._in_child(fn, args, log_path, tail, timeout_seconds)
        except Exception as exc:  # noqa: BLE001 (a failing stage is a result, not a crash)
            end = time.time()
            tail.poll()
            # a worker's exception carries the worker's traceback as its cause
            detail = {"traceback": str(exc.__cause__) if exc.__cause__ else traceback.format_exc()}
            result = StageResult(
                name,
                "failed",
                seconds=round(end - wall0, 3),
                peak_rss_bytes=self.sampler.peak(wall0, end),
                error=_one_line(exc),
                started_at=wall0,
                detail={**detail, "log": str(log_path)},
            )
            self.echo(f"[bench] !! {name} FAILED after {end - wall0:.1f} s: {result.error}")
            self._add(result)
            return result
        tail.poll()
        body = out["result"]
        start, end = out["started"], out["started"] + out["seconds"]
        result = StageResult(
            name,
            body.get("status", "ok"),
            seconds=round(out["seconds"], 3),
            peak_rss_bytes=self.sampler.peak(start, end),
            rows=body.get("rows"),
            rows_what=body.get("rows_what", ""),
            error=body.get("error"),
            started_at=start,
            detail={
                **body.get("detail", {}),
                "log": str(log_path),
                "load_average_after": list(os.getloadavg()),
            },
        )
        self._add(result)
        self.echo(f"[bench] ok {self._summary(result)}")
        for step in body.get("steps", []):
            sub = StageResult(
                step["name"],
                step.get("status", "ok"),
                seconds=round(step["finished"] - step["started"], 3)
                if step.get("started") and step.get("finished")
                else None,
                peak_rss_bytes=self.sampler.peak(step["started"], step["finished"])
                if step.get("started") and step.get("finished")
                else None,
                rows=step.get("rows"),
                rows_what=step.get("rows_what", ""),
                error=step.get("error"),
                parent=name,
                started_at=step.get("started"),
                detail=step.get("detail", {}),
            )
            self._add(sub)
            self.echo(f"[bench]    {self._summary(sub)}")
        return result

    def _summary(self, s: StageResult) -> str:
        parts = [s.name + (f" [{s.status}]" if s.status != "ok" else "")]
        if s.seconds is not None:
            parts.append(f"{s.seconds:.1f} s")
        if s.peak_rss_bytes:
            parts.append(f"peak {s.peak_rss_bytes / GB:.2f} GB")
        if s.rows is not None:
            rate = s.rows_per_second
            parts.append(f"{s.rows:,} {s.rows_what}" + (f" ({rate:,.0f}/s)" if rate else ""))
        if s.error:
            parts.append(f"error: {s.error}")
        return ", ".join(parts)

    def _add(self, result: StageResult) -> None:
        self.stages.append(result)
        if self.on_change:
            self.on_change()

    def _in_child(self, fn, args, log_path: Path, tail: LogTail, timeout_seconds: float | None) -> dict:
        ctx = multiprocessing.get_context("spawn")
        deadline = time.monotonic() + timeout_seconds if timeout_seconds else None
        with ProcessPoolExecutor(
            1, mp_context=ctx, initializer=_redirect_output, initargs=(str(log_path),)
        ) as pool:
            future = pool.submit(_timed_call, fn, args)
            while True:
                try:
                    return future.result(timeout=1.0)
                except FutureTimeout:
                    tail.poll()
                    if deadline and time.monotonic() > deadline:
                        for proc in psutil.Process().children(recursive=True):
                            proc.kill()
                        raise TimeoutError(f"stopped after {timeout_seconds:.0f} s") from None
                except BrokenProcessPool as exc:
                    raise RuntimeError(
                        "the stage's process died (killed, out of memory?); see its log " + str(log_path)
                    ) from exc
