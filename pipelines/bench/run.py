"""`stockflow bench`: the demo company at a given scale through the real pipeline, timed stage by
stage, the forecaster against its peers on one holdout, the marts against a plain scan, and the
targets of issue 7 (met, or missed by how much).

Order: extract generation -> full refresh (the daily refresh job, one Dagster run: its steps are the
ingest, dbt build, forecast backtest, forecast, plan, policy simulation and publish stages) -> one
more day of extracts, then the daily refresh job again as the schedule runs it the next day (incremental
dbt build; the backtest is not due) -> SQL floor -> forecast peers.
Results: ``benchmarks/results/<date>-<scale>.json`` (rewritten after every stage, so a long run that
is stopped keeps what it measured) and markdown tables on stdout. What each stage does is
``pipelines.bench.stages``; how a stage is run, ``harness``; the document, ``results``; the targets,
``targets``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.bench import stages
from pipelines.bench.harness import Bench
from pipelines.bench.results import SCHEMA, machine_info, results_markdown, write_results
from pipelines.bench.targets import DAILY, FULL, evaluate_targets

MARKER = ".stockflow-bench"  # only a folder holding this file is ever cleared by the bench
END_DATE = "2025-06-30"  # the held-back day; fixed, so that every run measures the same data


@dataclass(frozen=True)
class Scale:
    skus: int
    warehouses: int
    days: int
    seed: int = 42


SCALES = {
    "small": Scale(2_000, 3, 3 * 365),
    "m5": Scale(3_049, 10, 1_941),
}


def code_version() -> dict[str, Any]:
    """The commit measured, and whether the working tree had uncommitted changes."""
    from pipelines.operations.settings import REPO_ROOT

    def git(*args: str) -> str:
        proc = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    return {
        "commit": git("rev-parse", "HEAD") or None,
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def prepare_workdir(workdir: Path) -> None:
    """An empty folder for the run. A non-empty one is cleared only if an earlier bench made it."""
    if workdir.exists() and any(workdir.iterdir()):
        if not (workdir / MARKER).exists():
            raise FileExistsError(
                f"{workdir} is not empty and was not made by `stockflow bench`; choose another --workdir"
            )
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / MARKER).write_text("made by stockflow bench; cleared at the start of the next run\n")


def _step_progress(m, line: str) -> str:
    what = {"START": "started", "SUCCESS": "finished", "FAILURE": "FAILED"}[m.group(1)]
    return f"step {m.group(2)} {what}" + (f" in {m.group(3)}" if m.group(3) else "")


# a Dagster step's start, success or failure in a refresh's log: the progress echoed while it runs
STEP_LINE = r"- STEP_(START|SUCCESS|FAILURE) - .*?step \"([^\"]+)\"(?: in ([\d.]+\s*\w+))?"


def _new_doc(
    scale: str, sc: Scale, extract_format: str, workdir: Path, threads: int, started: datetime
) -> dict:
    """The results document before any stage ran."""
    return {
        "schema": SCHEMA,
        "scale": scale,
        "config": {
            **asdict(sc),
            "end_date": END_DATE,
            "extract_format": extract_format,
            "workdir": str(workdir),
        },
        "machine": machine_info(),
        "code": code_version(),
        "settings": {
            "STOCKFLOW_FORECAST_THREADS": threads,
            "OMP_WAIT_POLICY": os.environ["OMP_WAIT_POLICY"],
            "STOCKFLOW_FORECAST_HISTORY_DAYS": os.environ.get("STOCKFLOW_FORECAST_HISTORY_DAYS", "730"),
        },
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": None,
        "stages": [],
        "peers": [],
        "sql_floor": {},
        "targets": [],
        "data": {},
    }


def _pipeline_stages(
    bench: Bench, doc: dict, sc: Scale, extract_format: str, home: Path, holdback: Path
) -> None:
    """Extract generation, the full refresh, one more day of extracts and the daily refresh job again."""
    gen = bench.run(
        "extract generation",
        stages.generate,
        str(home),
        sc.skus,
        sc.warehouses,
        sc.days,
        sc.seed,
        END_DATE,
        str(holdback),
        extract_format,
    )
    stats = gen.detail.get("generator_stats", {})
    doc["data"]["zero_demand_share_generator"] = stats.get("zero_demand_share")
    doc["data"]["sku_warehouse_days"] = sc.skus * sc.warehouses * sc.days
    bench.run(
        FULL,
        stages.refresh,
        str(home),
        "all",
        progress_pattern=STEP_LINE,
        progress_format=_step_progress,
    )
    if gen.status == "ok":
        inbox = home / "inbox"
        for f in sorted(holdback.iterdir()):
            shutil.copy2(f, inbox / f.name)
        bench.run(
            DAILY,
            stages.refresh,
            str(home),
            "daily",
            progress_pattern=STEP_LINE,
            progress_format=_step_progress,
        )
    else:
        bench.skip(DAILY, "no extracts were generated")


def _sql_floor_stage(bench: Bench, doc: dict, home: Path) -> None:
    """The plain scan the full dbt build is compared with."""
    floor = bench.run("SQL floor (scan of the daily demand table)", stages.sql_floor, str(home))
    if floor.status == "ok":
        f = floor.detail
        dbt = bench.stage("dbt build", FULL)
        doc["sql_floor"] = {
            "query": f["query"],
            "seconds": f["seconds"],
            "rows": floor.rows,
            "parquet_seconds": f["parquet_seconds"],
            "warehouse_table_seconds": f["warehouse_table_seconds"],
            "dbt_build_ratio": (dbt.seconds / f["seconds"])
            if dbt and dbt.seconds and dbt.status == "ok"
            else None,
        }
        doc["data"]["zero_demand_share_mart"] = f.get("zero_demand_share_mart")


def _peer_stages(
    bench: Bench,
    doc: dict,
    home: Path,
    holdout: Path,
    peers: tuple[str, ...],
    threads: int,
    save: Callable[[], None],
) -> None:
    """The holdout cut from the built warehouse, then each forecast peer fitted and scored on it."""
    built = bench.stage("dbt build", FULL)
    if built is not None and built.status == "ok":
        prep = bench.run("forecast peers: holdout data", stages.prepare_holdout, str(home), str(holdout))
        doc["data"]["holdout"] = prep.detail
    else:
        prep = bench.skip("forecast peers: holdout data", "the warehouse was not built")
    horizon = int(os.environ.get("STOCKFLOW_FORECAST_HORIZON_DAYS", "28"))
    for method in peers:
        name = f"peer: {method}"
        if prep.status != "ok":
            bench.skip(name, "no holdout data")
        else:
            bench.run(name, stages.peer, method, str(holdout), horizon, threads)
        r = bench.stage(name)
        d = r.detail
        doc["peers"].append(
            {
                "method": method,
                "family": stages.peer_family(method),
                "status": r.status,
                "fit_predict_seconds": d.get("fit_predict_seconds"),
                "peak_rss_bytes": d.get("peak_rss_bytes"),
                "wape": d.get("wape"),
                "rmsse": d.get("rmsse"),
                "mase": d.get("mase"),
                "mean_wape": d.get("mean_wape"),
                "mean_rmsse": d.get("mean_rmsse"),
                "error": r.error,
            }
        )
        save()


def run_benchmark(
    scale: str,
    workdir: Path,
    results_dir: Path,
    echo: Callable[[str], None] = print,
    peers: tuple[str, ...] = stages.PEERS,
    scale_override: Scale | None = None,
    extract_format: str = "csv",
) -> dict[str, Any]:
    """``extract_format`` "parquet" has the generator write the large extracts as Parquet (the ingest
    reads them in place); the results file is then <date>-<scale>-parquet.json."""
    if extract_format not in ("csv", "parquet"):
        raise ValueError(f"extract_format must be 'csv' or 'parquet', not {extract_format!r}")
    if scale not in SCALES and scale_override is None:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    sc = scale_override or SCALES[scale]
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # LightGBM's OpenMP on shared cores (STACK_NOTES)
    os.environ.setdefault("STOCKFLOW_FORECAST_THREADS", "2")
    threads = int(os.environ["STOCKFLOW_FORECAST_THREADS"])
    workdir = Path(workdir).resolve()
    prepare_workdir(workdir)
    home, holdback, holdout = workdir / "home", workdir / "next_day", workdir / "holdout"
    started = datetime.now(UTC)
    suffix = "" if extract_format == "csv" else f"-{extract_format}"
    out_path = Path(results_dir) / f"{started:%Y-%m-%d}-{scale}{suffix}.json"
    doc = _new_doc(scale, sc, extract_format, workdir, threads, started)

    def save() -> None:
        doc["stages"] = [s.to_dict() for s in bench.stages]
        doc["targets"] = evaluate_targets(doc)
        write_results(doc, out_path)

    echo(
        f"[bench] scale {scale}: {sc.skus:,} SKUs x {sc.warehouses} warehouses x {sc.days:,} days, "
        f"{extract_format} extracts; workdir {workdir}"
    )
    echo(f"[bench] results -> {out_path}")
    with Bench(workdir / "logs", echo) as bench:
        bench.on_change = save
        _pipeline_stages(bench, doc, sc, extract_format, home, holdback)
        _sql_floor_stage(bench, doc, home)
        _peer_stages(bench, doc, home, holdout, peers, threads, save)
        doc["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        save()
    doc["results_path"] = str(out_path)
    return doc


def main_text(doc: dict[str, Any]) -> str:
    return results_markdown(doc)
