"""The dbt project as Dagster assets: one asset per model, dbt data tests as asset checks."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines.defs.resources import StockflowResource
from pipelines.operations import failpoints
from pipelines.operations.liveness import PARTIAL_TAG
from pipelines.operations.settings import DBT_PROJECT_DIR
from pipelines.warehouse import connection as warehouse
from pipelines.warehouse.build_report import build_report, files_loaded_since
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


def _isolated_build(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, stockflow: StockflowResource, args: list[str]
):
    """`dbt <args>` with failure isolation: a failing model or data test skips only what depends on it
    (dbt's own behaviour); the step succeeds with the rest, so the forecast, plan and dashboard still run
    when they do not depend on it (Dagster skips those that do). The failures are logged, tagged on the run
    (PARTIAL_TAG; `finish_partial_run` alerts when the run ends, and `stockflow status` shows it). A build that failed as a
    whole (no results: the project did not compile, the warehouse could not be opened) fails the step."""
    # dbt opens the DuckDB file in its own process: wait until no other run holds it.
    warehouse.wait_until_free(Path(stockflow.warehouse_path), stockflow.lock_timeout_seconds)
    invocation = dbt.cli(args, context=context, raise_on_error=False)
    for event in invocation.stream():
        yield event
        failpoints.kill_at("dbt")  # fault injection: the run dies while its dbt child is building
    try:
        report = build_report(
            invocation.get_artifact("run_results.json"), invocation.get_artifact("manifest.json")
        )
    except (OSError, ValueError):  # dbt wrote no results: nothing was built
        report = None
    if report is None or (report.ok and not invocation.is_successful()):
        raise invocation.get_error() or RuntimeError(f"dbt {' '.join(args)} failed without results")
    if report.ok:
        return
    record = context.instance.get_run_record_by_id(context.run_id)
    with stockflow.connect(read_only=True) as conn:
        files = files_loaded_since(conn, report.sources(), record.start_time if record else None)
    text = report.text(files)
    context.log.error(f"the warehouse build failed in part; the rest was built:\n{text}")
    # read when the run ends (operations.runner.finish_partial_run), which adds what else was not refreshed and alerts
    context.instance.add_run_tags(context.run_id, {PARTIAL_TAG: text[:4000]})


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
    args = ["build", "--full-refresh"] if config.full_refresh else ["build"]
    yield from _isolated_build(context, dbt, stockflow, args)


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
    yield from _isolated_build(context, dbt, stockflow, ["build"])


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(guarded=True),
    )
