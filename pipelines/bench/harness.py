"""Benchmark mechanics: a memory sampler over the whole process tree, stages run in their own
process (timed, errors caught), the results document and its markdown tables.

Nothing here knows what a stage does; ``pipelines.bench.run`` decides that.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import platform
import re
import threading
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

SCHEMA = "stockflow-bench/1"
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


def machine_info() -> dict[str, Any]:
    vm = psutil.virtual_memory()
    return {
        "cpus": os.cpu_count(),
        "memory_bytes": vm.total,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": list(os.getloadavg()),
    }


REQUIRED_KEYS = {
    "schema": str,
    "scale": str,
    "config": dict,
    "machine": dict,
    "started_at": str,
    "finished_at": (str, type(None)),
    "stages": list,
    "peers": list,
    "sql_floor": dict,
    "targets": list,
    "data": dict,
}
STAGE_KEYS = {"name", "status", "seconds", "peak_rss_bytes", "rows", "rows_what", "rows_per_second", "error"}
PEER_KEYS = {"method", "family", "status", "fit_predict_seconds", "peak_rss_bytes", "wape", "rmsse", "error"}
TARGET_KEYS = {"target", "goal", "measured", "met", "gap"}


def validate_results(doc: dict[str, Any]) -> None:
    """Raise ValueError naming the first thing a results document lacks."""
    for key, kind in REQUIRED_KEYS.items():
        if key not in doc:
            raise ValueError(f"results: missing {key!r}")
        if not isinstance(doc[key], kind):
            raise ValueError(f"results: {key!r} should be {kind}, not {type(doc[key]).__name__}")
    if doc["schema"] != SCHEMA:
        raise ValueError(f"results: schema {doc['schema']!r}, expected {SCHEMA!r}")
    for items, keys, what in (
        (doc["stages"], STAGE_KEYS, "stage"),
        (doc["peers"], PEER_KEYS, "peer"),
        (doc["targets"], TARGET_KEYS, "target"),
    ):
        for item in items:
            missing = keys - set(item)
            if missing:
                raise ValueError(
                    f"results: {what} {item.get('name') or item.get('method') or item} lacks {sorted(missing)}"
                )
            if what == "stage" and item["status"] not in ("ok", "failed", "skipped"):
                raise ValueError(f"results: stage {item['name']} has status {item['status']!r}")


def write_results(doc: dict[str, Any], path: Path) -> Path:
    validate_results(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


# ---- markdown ---------------------------------------------------------------------------------


def _num(x: float | None, digits: int = 1) -> str:
    return "" if x is None else f"{x:,.{digits}f}"


def _gb(x: int | None) -> str:
    return "" if not x else f"{x / GB:.2f}"


def _table(header: list[str], rows: list[list[str]], align: str) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|",
    ]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def stages_markdown(stages: list[dict[str, Any]]) -> str:
    rows = []
    for s in stages:
        name = ("  - " if s.get("parent") else "") + s["name"]
        status = s["status"] if s["status"] == "ok" else f"{s['status']}: {s.get('error') or ''}"[:120]
        rows.append(
            [
                name,
                _num(s["seconds"]),
                _gb(s["peak_rss_bytes"]),
                "" if s["rows"] is None else f"{s['rows']:,}",
                s.get("rows_what") or "",
                _num(s["rows_per_second"], 0),
                status,
            ]
        )
    return _table(["stage", "wall s", "peak RSS GB", "rows", "rows are", "rows/s", "status"], rows, "lrrrlrl")


def peers_markdown(peers: list[dict[str, Any]]) -> str:
    rows = []
    for p in peers:
        rows.append(
            [
                p["method"],
                p["family"],
                _num(p["fit_predict_seconds"]),
                _gb(p["peak_rss_bytes"]),
                _num(p["wape"], 3),
                _num(p["rmsse"], 3),
                "ok" if p["status"] == "ok" else f"{p['status']}: {p.get('error') or ''}"[:120],
            ]
        )
    return _table(
        ["method", "family", "fit+predict s", "peak RSS GB", "WAPE", "RMSSE", "status"], rows, "llrrrrl"
    )


def targets_markdown(targets: list[dict[str, Any]]) -> str:
    rows = [
        [
            t["target"],
            t["goal"],
            t["measured"],
            {True: "met", False: "MISSED", None: "not measured"}[t["met"]],
            t["gap"] or "",
        ]
        for t in targets
    ]
    return _table(["target", "goal", "measured", "result", "by how much"], rows, "lllll")


def results_markdown(doc: dict[str, Any]) -> str:
    cfg = doc["config"]
    head = (
        f"### Stockflow bench, scale {doc['scale']}: {cfg.get('skus'):,} SKUs x {cfg.get('warehouses')} "
        f"warehouses x {cfg.get('days'):,} days, {cfg.get('extract_format', 'csv')} extracts "
        f"({doc['started_at'][:10]}, {doc['machine'].get('cpus')} cores)"
    )
    parts = [head, "", stages_markdown(doc["stages"])]
    if doc["sql_floor"]:
        f = doc["sql_floor"]
        parts += [
            "",
            f"SQL floor: {f.get('query', '')} in {_num(f.get('seconds'), 2)} s "
            f"({f.get('rows') or 0:,} rows); full dbt build / floor = {_num(f.get('dbt_build_ratio'), 1)}x",
        ]
    if doc["peers"]:
        parts += ["", peers_markdown(doc["peers"])]
    if doc["targets"]:
        parts += ["", targets_markdown(doc["targets"])]
    return "\n".join(parts)
