"""The extract generation stage: the demo company written into the bench's inbox, its last day held
back as the next day's increment."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pipelines.bench.stages.home import bench_settings


def generate(
    home: str,
    skus: int,
    warehouses: int,
    days: int,
    seed: int,
    end: str,
    holdback: str,
    extract_format: str = "csv",
) -> dict:
    """The demo company over ``days`` + 1 days; the last day is held back in ``holdback`` (the
    increment), the rest goes to the inbox. ``extract_format``: the large extracts as CSV or Parquet."""
    from pipelines.demo.generator import DemoConfig, generate_demo

    settings = bench_settings(Path(home))
    settings.ensure_dirs()
    config = DemoConfig(
        skus=skus,
        warehouses=warehouses,
        days=days + 1,
        seed=seed,
        end_date=date.fromisoformat(end),
        extract_format=extract_format,
    )
    summary = generate_demo(settings.inbox, config, progress=False, holdback_dir=Path(holdback))
    sizes = sum(p.stat().st_size for p in summary.files)
    return {
        "rows": sum(summary.rows.values()),
        "rows_what": "extract rows",
        "detail": {
            "rows_by_kind": summary.rows,
            "bytes": sizes,
            "history": f"{summary.start_date} to {summary.end_date}",
            "holdback_day": end,
            "extract_format": extract_format,
            "generator_stats": summary.stats,
        },
    }
