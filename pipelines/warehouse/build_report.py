"""What a dbt build that partly failed did: which nodes failed, what they skipped, which extracts they read.

dbt builds with per-model isolation by itself: a failing model or data test skips the nodes downstream of
it and builds the rest. This module reads dbt's `run_results.json` and `manifest.json` (plain dicts) and
says, for each failure, the node, dbt's message, the models it left unbuilt and the raw extracts (dbt
sources) it reads, so the run summary and the alert can name the file and the model. No dbt, no
Dagster; the one query (`files_loaded_since`) reads the ingest log for the names of those extracts' files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from pipelines.warehouse.connection import FILES_TABLE

FAILED = ("error", "fail", "runtime error")  # a model's error, a data test's failure, an operation's error


@dataclass(frozen=True)
class NodeFailure:
    unique_id: str
    name: str  # the model, or for a data test the test's name
    resource_type: str  # model, test, seed, snapshot, ...
    message: str  # dbt's first line
    tested_model: str = ""  # for a data test: the model it tests
    skipped: tuple[str, ...] = ()  # models (names) downstream of it that this build skipped
    sources: tuple[str, ...] = ()  # raw tables (dbt source names, e.g. fx_rates) it reads, directly or not


@dataclass(frozen=True)
class BuildReport:
    failures: tuple[NodeFailure, ...] = ()
    skipped_models: tuple[str, ...] = field(default=())  # every model the build skipped

    @property
    def ok(self) -> bool:
        return not self.failures

    def sources(self) -> list[str]:
        return sorted({s for f in self.failures for s in f.sources})

    def text(self, files_by_source: Mapping[str, Iterable[str]] | None = None, limit: int = 8) -> str:
        """One line per failure, then what was not built: for the run summary, the alert and the run tag."""
        files_by_source = files_by_source or {}
        lines = []
        for f in self.failures:
            what = (
                f"data test {f.name} on {f.tested_model}"
                if f.resource_type == "test"
                else f"{f.resource_type} {f.name}"
            )
            reads = []
            for source in f.sources:
                files = sorted(files_by_source.get(source, ()))
                reads.append(f"{source} ({', '.join(files)} loaded in this run)" if files else source)
            line = f"{what} failed: {f.message}"
            if reads:
                line += f" [reads extracts: {'; '.join(reads)}]"
            lines.append(line)
        if self.skipped_models:
            shown = ", ".join(self.skipped_models[:limit])
            more = f" and {len(self.skipped_models) - limit} more" if len(self.skipped_models) > limit else ""
            lines.append(
                f"not rebuilt ({len(self.skipped_models)} models, they keep the last good build): {shown}{more}"
            )
        return "\n".join(lines)


def _closure(start: str, edges: Mapping[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


_HEADER = re.compile(r"^[\w ]*(Error|Failure) in (model|test|seed|snapshot|unit_test) ", re.IGNORECASE)


def _first_line(message: str | None) -> str:
    """dbt's message without its header line ("Compilation Error in model x (path)"): the cause."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    if len(lines) > 1 and _HEADER.match(lines[0]):
        lines = lines[1:]
    return lines[0] if lines else "failed (no message)"


def build_report(run_results: Mapping, manifest: Mapping) -> BuildReport:
    """The failures in dbt's run results, each with what it skipped and the extracts it reads."""
    nodes = manifest.get("nodes", {})
    sources = manifest.get("sources", {})
    parents, children = manifest.get("parent_map", {}), manifest.get("child_map", {})
    results = run_results.get("results", [])
    skipped_ids = {r["unique_id"] for r in results if r.get("status") == "skipped"}
    failures = []
    for result in results:
        if result.get("status") not in FAILED:
            continue
        uid = result["unique_id"]
        node = nodes.get(uid, {})
        upstream = _closure(uid, parents)
        tested = ""
        if node.get("resource_type") == "test":
            attached = node.get("attached_node") or next(
                (p for p in node.get("depends_on", {}).get("nodes", []) if p.startswith("model.")), ""
            )
            tested = nodes.get(attached, {}).get("name", attached)
        downstream = _closure(uid, children)
        skipped = sorted(
            nodes[n]["name"] for n in downstream & skipped_ids if n in nodes and n.startswith("model.")
        )
        failures.append(
            NodeFailure(
                unique_id=uid,
                name=node.get("name", uid.split(".")[-1]),
                resource_type=node.get("resource_type", uid.split(".")[0]),
                message=_first_line(result.get("message")),
                tested_model=tested,
                skipped=tuple(skipped),
                sources=tuple(sorted(sources[s]["name"] for s in upstream if s in sources)),
            )
        )
    skipped_models = sorted(nodes[n]["name"] for n in skipped_ids if n in nodes and n.startswith("model."))
    return BuildReport(tuple(failures), tuple(skipped_models))


def files_loaded_since(
    conn: duckdb.DuckDBPyConnection, kinds: Iterable[str], since: float | None
) -> dict[str, list[str]]:
    """kind -> names of the files of that kind loaded at or after `since` (a Unix time; None: ever)."""
    kinds = list(kinds)
    if not kinds:
        return {}
    start = datetime.fromtimestamp(since or 0, UTC).replace(tzinfo=None)
    rows = conn.execute(
        f"select kind, file_name from {FILES_TABLE} where status = 'loaded' and processed_at >= ? "
        f"and kind in ({', '.join('?' for _ in kinds)}) order by load_id",
        [start, *kinds],
    ).fetchall()
    found: dict[str, list[str]] = {}
    for kind, name in rows:
        found.setdefault(kind, []).append(name)
    return found
