"""What reading Excel extracts in the reader's child process costs, against reading them in process.

    .venv/bin/python benchmarks/reader_child.py --extracts DIR [--repeat 5] [--memory-mb 4096]

DIR holds extracts, e.g. the inbox `stockflow demo` writes; its .xlsx/.xlsm/.xls files are read with
`read_extract` in this process and with `IsolatedReader` (the child ingest uses), each `--repeat` times,
and the sheets compared (they must be equal). Prints a markdown table: per file, the median seconds in
process, in a running child, and with a fresh child per read (the fork and the child's start); then the
first read of the process, which also starts multiprocessing's fork server (its imports of pandas and
calamine), paid once per process.
"""

from __future__ import annotations

import argparse
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
    with IsolatedReader(args.memory_mb) as reader:
        first, _ = _timed(reader.read_extract, files[0], hints)  # starts the fork server and a child
        rows = []
        for path in files:
            here = [_timed(read_extract, path, hints) for _ in range(args.repeat)]
            child = [_timed(reader.read_extract, path, hints) for _ in range(args.repeat)]
            assert _same(here[0][1], child[0][1]), f"{path.name}: the child read something else"
            fresh = []
            for _ in range(args.repeat):
                with IsolatedReader(args.memory_mb) as own:
                    fresh.append(_timed(own.read_extract, path, hints)[0])
            cells = sum(s.frame.size for s in here[0][1])
            rows.append((path, cells, *(statistics.median(t for t, _ in r) for r in (here, child)), fresh))
    print("| file | size | cells | in process | running child | fresh child |")
    print("|---|---:|---:|---:|---:|---:|")
    for path, cells, here, child, fresh in rows:
        kb = path.stat().st_size / 1024
        print(
            f"| {path.name} | {kb:,.0f} KB | {cells:,} | {here:.3f} s | {child:.3f} s | {statistics.median(fresh):.3f} s |"
        )
    total = [sum(r[i] for r in rows) for i in (2, 3)] + [sum(statistics.median(r[4]) for r in rows)]
    print(f"| all {len(rows)} | | | {total[0]:.3f} s | {total[1]:.3f} s | {total[2]:.3f} s |")
    print(f"\nfirst read of the process (fork server started, then a child): {first:.2f} s")


if __name__ == "__main__":
    main()
