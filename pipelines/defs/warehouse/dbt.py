"""The dbt project as Dagster assets: one asset per model, dbt data tests as asset checks."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines.defs.resources import StockflowResource
from pipelines.operations.settings import DBT_PROJECT_DIR
from pipelines.warehouse import connection as warehouse
from pipelines.warehouse.dbt_manifest import dbt_executable, ensure_manifest

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# Parsed here rather than by prepare_if_dev(): the CLI, tests and CI load this module directly too,
# and ensure_manifest only re-parses when a dbt file changed.
ensure_manifest(Path(dbt_project.project_dir))


class StockflowDbtTranslator(DagsterDbtTranslator):
    """dbt models join the `warehouse` group; sources keep dagster-dbt's default keys (erp/<table>),
    which are the ingest assets' keys, so lineage joins by itself."""

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if unique_id.startswith(("model.", "seed.", "snapshot.")):
            spec = spec.replace_attributes(group_name="warehouse", owners=["team:data"])
        return spec


class DbtBuildConfig(dg.Config):
    """Run config of the warehouse build (the UI's launchpad, or `stockflow run --full-refresh`)."""

    full_refresh: bool = False  # rebuild the incremental models from all history


FORECAST_ACCURACY = "tag:forecast_accuracy"  # dbt models that read the forecasts: built after them


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=StockflowDbtTranslator(),
    exclude=FORECAST_ACCURACY,
)
def warehouse_dbt_assets(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    stockflow: StockflowResource,
    config: DbtBuildConfig,
):
    # dbt opens the DuckDB file in its own process: wait until no other run holds it.
    warehouse.wait_until_free(Path(stockflow.warehouse_path), stockflow.lock_timeout_seconds)
    args = ["build", "--full-refresh"] if config.full_refresh else ["build"]
    yield from dbt.cli(args, context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=StockflowDbtTranslator(),
    select=FORECAST_ACCURACY,
    name="forecast_accuracy_dbt_assets",
)
def forecast_accuracy_dbt_assets(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, stockflow: StockflowResource
):
    warehouse.wait_until_free(Path(stockflow.warehouse_path), stockflow.lock_timeout_seconds)
    yield from dbt.cli(["build"], context=context).stream()


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=dbt_project, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
    )
