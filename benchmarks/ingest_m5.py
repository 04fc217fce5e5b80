"""Ingest throughput: load a folder of extracts into a fresh warehouse, kind by kind, and print rows/s.

    .venv/bin/python benchmarks/ingest_m5.py --extracts DIR [--parquet] [--pandas]

DIR holds one day's extracts, e.g. those of `stockflow demo --skus 3049 --warehouses 10 --days 1941`
(M5 size). The files are hard-linked (or copied) into a temporary STOCKFLOW_HOME and loaded with
`pipelines.ingest.load.ingest_kind` in the load order, as the ingest assets do. `--parquet` first converts
every CSV to Parquet (not timed) to measure the Parquet path; `--pandas` turns the DuckDB fast path off
to measure the pandas path. Prints a markdown table: per kind, rows, seconds, rows/s, the path taken,
and the peak RSS of the process so far.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from pipelines.ingest import fastpath
from pipelines.ingest import load as ingest
from pipelines.ingest.extracts.mapping import load_header_map
from pipelines.ingest.extracts.schema import LOAD_ORDER
from pipelines.operations.settings import Settings
from pipelines.warehouse import connection as wh


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stage(extracts: Path, inbox: Path, parquet: bool) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    for src in sorted(extracts.iterdir()):
        if not ingest.is_extract_file(src):
            continue
        if parquet and src.suffix.lower() == ".csv":
            target = inbox / (src.stem + ".parquet")
            with duckdb.connect() as conn:
                conn.execute(
                    f"copy (select * from read_csv('{src}', all_varchar = false)) to '{target}' (format parquet)"
                )
            continue
        try:
            os.link(src, inbox / src.name)
        except OSError:
            shutil.copy2(src, inbox / src.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--extracts", type=Path, required=True, help="folder of extract files (left untouched)"
    )
    parser.add_argument("--parquet", action="store_true", help="convert the CSVs to Parquet first")
    parser.add_argument("--pandas", action="store_true", help="disable the DuckDB fast path")
    parser.add_argument("--workdir", type=Path, default=None, help="where the temporary home goes")
    args = parser.parse_args()
    if args.pandas:
        fastpath.FAST_PATH_MIN_BYTES = 1 << 62
        fastpath.wants_fast_path = lambda path: False
    with tempfile.TemporaryDirectory(prefix="stockflow-ingest-bench-", dir=args.workdir) as tmp:
        home = Path(tmp)
        settings = Settings.from_env({"STOCKFLOW_HOME": str(home)})
        settings.ensure_dirs()
        _stage(args.extracts, settings.inbox, args.parquet)
        header_map = load_header_map()
        lines = [
            "| kind | files | rows | seconds | CPU seconds | rows/s | path | peak RSS MB |",
            "|---|---|---|---|---|---|---|---|",
        ]
        total_rows, total_seconds, total_cpu = 0, 0.0, 0.0
        with wh.connect(settings.warehouse_path) as conn:
            for kind in LOAD_ORDER:
                t0, c0 = time.perf_counter(), time.process_time()
                result = ingest.ingest_kind(conn, settings, kind, header_map)
                seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
                rejected = [o for o in result.outcomes if o.status != "loaded"]
                if rejected:
                    raise SystemExit(f"{kind}: not loaded: {rejected}")
                rows = result.rows_loaded
                total_rows += rows
                total_seconds += seconds
                total_cpu += cpu
                paths = {"fast" if "fast path" in o.message else "pandas" for o in result.outcomes}
                lines.append(
                    f"| {kind} | {len(result.outcomes)} | {rows:,} | {seconds:.1f} | {cpu:.1f} | "
                    f"{rows / seconds if seconds else 0:,.0f} | {', '.join(sorted(paths)) or '-'} | "
                    f"{_peak_rss_mb():,.0f} |"
                )
                print(lines[-1], flush=True)
        lines.append(
            f"| **total** | | {total_rows:,} | {total_seconds:.1f} | {total_cpu:.1f} | "
            f"{total_rows / total_seconds:,.0f} | | "
            f"{_peak_rss_mb():,.0f} |"
        )
        print("\n" + "\n".join(lines))
        print(f"\nload average (1/5/15 min) at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
