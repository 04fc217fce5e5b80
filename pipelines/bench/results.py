"""The benchmark's results document: the machine it ran on, its schema (checked before every write), the
atomic write of ``benchmarks/results/<date>-<scale>.json`` and its markdown tables (stages, peers,
targets)."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

import psutil

from pipelines.bench.memory import GB

SCHEMA = "stockflow-bench/1"


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
