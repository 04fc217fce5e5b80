"""What reading Excel extracts in the reader's child process costs, against reading them in process.

    .venv/bin/python benchmarks/reader_child.py --extracts DIR [--repeat 5] [--memory-mb 4096]

DIR holds extracts, e.g. the inbox `stockflow demo` writes; its .xlsx/.xlsm/.xls files are read with
`read_extract` in this process and with `IsolatedReader` (the child ingest uses), each `--repeat` times,
and the sheets compared (they must be equal). Prints a markdown table: per file, the median seconds in
process and in a running child; then what starting a child costs (a new Python importing the readers:
paid once per process, and again after a file crashed its child), median of `--repeat` starts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import pandas as pd

from pipelines.ingest.extracts.mapping import load_header_map
from pipelines.ingest.extracts.readers import EXCEL_SUFFIXES, RawSheet, read_extract
from pipelines.ingest.extracts.readers.isolated import IsolatedReader


def _timed(read, path: Path, hints) -> tuple[float, list[RawSheet]]:
    started = time.perf_counter()
    sheets = read(path, hints)
    return time.perf_counter() - started, sheets


def _same(a: list[RawSheet], b: list[RawSheet]) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x.frame, y.frame)
        fields = (
            "sheet",
            "encoding",
            "header_row",
            "total_rows_dropped",
            "blank_rows_dropped",
            "title_lines",
        )
        if (x.source_rows != y.source_rows).any() or any(getattr(x, f) != getattr(y, f) for f in fields):
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extracts", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--memory-mb", type=int, default=4096)
    args = parser.parse_args()
    hints = load_header_map().all_labels
    files = sorted(p for p in args.extracts.iterdir() if p.suffix.lower() in EXCEL_SUFFIXES)
    starts = []
    for _ in range(args.repeat):
        with IsolatedReader(args.memory_mb) as fresh:
            started = time.perf_counter()
            fresh.run(files[0], os.getpid)
            starts.append(time.perf_counter() - started)
    rows = []
    with IsolatedReader(args.memory_mb) as reader:
        reader.run(files[0], os.getpid)  # started
        for path in files:
            here = [_timed(read_extract, path, hints) for _ in range(args.repeat)]
            child = [_timed(reader.read_extract, path, hints) for _ in range(args.repeat)]
            assert _same(here[0][1], child[0][1]), f"{path.name}: the child read something else"
            cells = sum(s.frame.size for s in here[0][1])
            rows.append((path, cells, *(statistics.median(t for t, _ in r) for r in (here, child))))
    print("| file | size | cells | in process | in the running child |")
    print("|---|---:|---:|---:|---:|")
    for path, cells, here, child in rows:
        kb = path.stat().st_size / 1024
        print(f"| {path.name} | {kb:,.0f} KB | {cells:,} | {here:.3f} s | {child:.3f} s |")
    print(f"| all {len(rows)} | | | {sum(r[2] for r in rows):.3f} s | {sum(r[3] for r in rows):.3f} s |")
    print(f"\nstarting a child (new Python, readers imported): {statistics.median(starts):.2f} s (median)")


if __name__ == "__main__":
    main()
