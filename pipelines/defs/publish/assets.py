"""The published copy of the marts that BI tools read (never the warehouse itself)."""

import dagster as dg

from pipelines.defs.resources import StockflowResource
from pipelines.defs.transform.dbt import forecast_accuracy_dbt_assets, warehouse_dbt_assets
from pipelines.publish import publish_marts

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
