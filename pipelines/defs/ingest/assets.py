"""One ingest asset per extract kind, keyed as the dbt source that reads it (erp/<kind>)."""

import time

import dagster as dg

from pipelines.defs.resources import StockflowResource
from pipelines.ingest.extracts.schema import KINDS, LOAD_ORDER, ExtractKind
from pipelines.ingest.load import IngestResult, ingest_kind
from pipelines.warehouse import connection as warehouse

CHECK_NAME = "rows_meet_contract"


def _files_markdown(result: IngestResult) -> str:
    if not result.outcomes:
        return "No new files."
    lines = [
        "| file | status | rows | superseded | replaced: changed / added / deleted | errors | note |",
        "|---|---|---:|---:|---|---:|---|",
    ]
    for o in result.outcomes:
        replaced = (
            f"load {o.replaces_load_id}: {o.rows_changed} / {o.rows_added} / {o.rows_deleted}"
            if o.replaces_load_id is not None
            else ""
        )
        lines.append(
            f"| {o.file_name} | {o.status} | {o.rows_loaded} | {o.rows_superseded} | {replaced} | {o.error_count} | "
            f"{o.message.replace('|', '/')[:160]} |"
        )
    return "\n".join(lines)


def _upstream_masters(kind: ExtractKind) -> list[dg.AssetKey]:
    """Masters a kind is checked against load first; FX rates and suppliers before transactions too."""
    masters = sorted(set(kind.references.values()))
    if not kind.is_master:
        masters += ["suppliers", "fx_rates"]
    return [dg.AssetKey(["erp", m]) for m in masters if m != kind.name]


def build_ingest_asset(kind: ExtractKind) -> dg.AssetsDefinition:
    key = dg.AssetKey(["erp", kind.name])

    @dg.asset(
        key=key,
        group_name="ingest",
        kinds={"python", "duckdb"},
        deps=_upstream_masters(kind),
        description=f"{kind.description} Loads new inbox files of this kind into raw.{kind.name}, "
        "validated (file, row and column named on every error); rejected files go to the quarantine with a report.",
        check_specs=[
            dg.AssetCheckSpec(
                CHECK_NAME,
                asset=key,
                blocking=True,
                description="Current rows have their key and required fields, non-negative quantities and "
                "accepted values; a failure stops downstream assets.",
            )
        ],
        owners=["team:data"],
    )
    def _ingest(context: dg.AssetExecutionContext, stockflow: StockflowResource):
        started = time.perf_counter()
        header_map = stockflow.header_map()
        with stockflow.connect() as conn:
            result = ingest_kind(conn, stockflow.settings, kind.name, header_map)
            violations = warehouse.contract_violations(conn, kind)
        for o in result.outcomes:
            log = context.log.warning if o.status in ("rejected", "unrecognised") else context.log.info
            replaced = (
                f" Replaced load {o.replaces_load_id} (same file name): {o.rows_changed} changed, "
                f"{o.rows_added} added, {o.rows_deleted} deleted."
                if o.replaces_load_id is not None
                else ""
            )
            log(
                f"{o.file_name}: {o.status}, {o.rows_loaded} rows.{replaced} {o.message}"
                + (f" -> {o.moved_to}" if o.moved_to else "")
            )
        failed = {rule: n for rule, n in violations.items() if n}
        yield dg.MaterializeResult(
            metadata={
                "files_loaded": result.count("loaded"),
                "files_rejected": result.count("rejected"),
                "files_unrecognised": result.count("unrecognised"),
                "files_already_loaded": result.count("duplicate"),
                "rows_loaded": result.rows_loaded,
                "rows_superseded": result.rows_superseded,
                "files_replaced": sum(1 for o in result.outcomes if o.replaces_load_id is not None),
                "rows_deleted": result.rows_deleted,
                "dagster/row_count": result.table_rows,
                "duration_seconds": round(time.perf_counter() - started, 2),
                "files": dg.MetadataValue.md(_files_markdown(result)),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name=CHECK_NAME,
                    passed=not failed,
                    severity=dg.AssetCheckSeverity.ERROR,
                    metadata={rule: n for rule, n in violations.items()},
                    description="; ".join(f"{rule}: {n} rows" for rule, n in failed.items())
                    or "all rows meet the contract",
                )
            ],
        )

    return _ingest


ingest_assets = [build_ingest_asset(KINDS[name]) for name in LOAD_ORDER]
