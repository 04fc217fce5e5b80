"""What readers get after each run: the published copy of the marts that BI tools read (never the warehouse
itself) and the managers' dashboard."""

import time

import dagster as dg

from pipelines.defs.resources import StockflowResource
from pipelines.defs.warehouse.dbt import forecast_accuracy_dbt_assets, warehouse_dbt_assets
from pipelines.reports.dashboard import write_dashboard
from pipelines.warehouse.publish import publish_marts

MART_KEYS = sorted(
    (
        k
        for assets in (warehouse_dbt_assets, forecast_accuracy_dbt_assets)
        for k in assets.keys
        if k.path[0] == "marts"
    ),
    key=lambda k: k.path,
)


@dg.asset(
    key=["publish", "bi_marts"],
    group_name="publish",
    kinds={"duckdb", "parquet"},
    deps=MART_KEYS,
    owners=["team:data"],
    description="Read-only copy of every mart for BI tools: exports/bi/stockflow.duckdb plus one Parquet file "
    "per mart in exports/bi/parquet, each swapped in atomically after a successful build.",
)
def bi_marts(context: dg.AssetExecutionContext, stockflow: StockflowResource) -> dg.MaterializeResult:
    target = stockflow.settings.exports / "bi"
    with stockflow.connect() as conn:
        result = publish_marts(conn, target)
    context.log.info(f"published {len(result.tables)} marts to {result.database} and {result.parquet_dir}")
    rows = "\n".join(f"| {t} | {n:,} |" for t, n in result.tables.items())
    return dg.MaterializeResult(
        metadata={
            "database": dg.MetadataValue.path(str(result.database)),
            "parquet_dir": dg.MetadataValue.path(str(result.parquet_dir)),
            "tables": len(result.tables),
            "duration_seconds": round(result.seconds, 2),
            "rows": dg.MetadataValue.md("| mart | rows |\n|---|---:|\n" + rows),
        }
    )


@dg.asset(
    key=["publish", "dashboard"],
    group_name="publish",
    kinds={"html", "plotly"},
    deps=[
        *MART_KEYS,
        dg.AssetKey(["forecast", "sku_demand_forecasts"]),
        dg.AssetKey(["plans", "replenishment_plan"]),
        dg.AssetKey(["plans", "policy_simulation"]),
    ],
    owners=["team:data"],
    description="The managers' dashboard, exports/dashboard/index.html: one self-contained file that works offline "
    "(KPI tiles against last month, turnover and DIO by category and warehouse, dead stock by age, fill rate, "
    "ABC x XYZ, forecast vs actual, the plan and the policy simulation), labels in STOCKFLOW_EXPORT_LANG.",
)
def dashboard(context: dg.AssetExecutionContext, stockflow: StockflowResource) -> dg.MaterializeResult:
    settings = stockflow.settings
    started = time.perf_counter()
    with stockflow.connect() as conn:
        result = write_dashboard(
            conn, settings.exports / "dashboard" / "index.html", settings.export_lang, settings.base_currency
        )
    if result.no_data:
        context.log.warning(f"dashboard panels without data: {', '.join(result.no_data)}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "size_bytes": result.size_bytes,
            "size_mb": round(result.size_bytes / 1e6, 2),
            "data_date": str(result.data_date) if result.data_date else "none",
            "charts": len(result.charts),
            "panels_without_data": ", ".join(result.no_data) or "none",
            "language": settings.export_lang,
            "duration_seconds": round(time.perf_counter() - started, 2),
        }
    )
