"""The SQL floor stage: a plain DuckDB scan of the daily demand mart (its Parquet copy and the warehouse
table), what a full dbt build is compared with."""

from __future__ import annotations

import time
from pathlib import Path

from pipelines.bench.stages.home import bench_settings


def sql_floor(home: str, repeats: int = 3) -> dict:
    """A plain DuckDB scan of the daily demand table: the Parquet copy BI reads, and the warehouse table."""
    import duckdb

    settings = bench_settings(Path(home))
    parquet = settings.exports / "bi" / "parquet" / "fct_sku_daily_demand.parquet"
    if not parquet.is_file():
        raise FileNotFoundError(f"{parquet} is missing: the publish step did not run")
    query = "select count(*), sum(ordered_qty), sum(shipped_qty) from read_parquet('{}')"
    times = []
    with duckdb.connect() as conn:
        for _ in range(repeats):
            t0 = time.perf_counter()
            rows = conn.execute(query.format(parquet)).fetchall()[0][0]
            times.append(time.perf_counter() - t0)
    table_times = []
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        for _ in range(repeats):
            t0 = time.perf_counter()
            conn.execute(
                "select count(*), sum(ordered_qty), sum(shipped_qty) from marts.fct_sku_daily_demand"
            ).fetchall()
            table_times.append(time.perf_counter() - t0)
    zero = None
    with duckdb.connect() as conn:
        zero = conn.execute(
            f"select avg(case when ordered_qty = 0 then 1.0 else 0.0 end) from read_parquet('{parquet}') "
            "where is_active"
        ).fetchall()[0][0]
    return {
        "rows": int(rows),
        "rows_what": "rows scanned (best of runs)",
        "detail": {
            "query": "select count(*), sum(ordered_qty), sum(shipped_qty) from fct_sku_daily_demand.parquet",
            "parquet_seconds": times,
            "warehouse_table_seconds": table_times,
            "seconds": min(times),
            "zero_demand_share_mart": None if zero is None else float(zero),
        },
    }
