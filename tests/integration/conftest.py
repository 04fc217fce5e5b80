"""Hand-made extracts -> real ingest -> real `dbt build` into a DuckDB file under tmp_path.

Tests write a few small CSV extracts (a handful of SKUs over a few weeks), call `build_warehouse`, and
compare the marts with figures they work out from first principles. Nothing is mocked.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.extracts.mapping import load_header_map
from pipelines.ingest.extracts.schema import LOAD_ORDER
from pipelines.ingest.load import ingest_kind
from pipelines.operations.settings import DBT_PROJECT_DIR, Settings
from pipelines.warehouse import connection as wh
from pipelines.warehouse.dbt_manifest import dbt_executable
from tests.conftest import write_csv

Extracts = dict[str, tuple[list[str], list[list]]]  # file name -> (header, rows)


def run_dbt(settings: Settings, *args: str, target_path: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "STOCKFLOW_WAREHOUSE_PATH": str(settings.warehouse_path),
        "STOCKFLOW_BASE_CURRENCY": settings.base_currency,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    return subprocess.run(
        [
            dbt_executable(),
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target_path),
            "--log-path",
            str(target_path / "logs"),
        ],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.fixture
def build_warehouse(settings: Settings, tmp_path: Path) -> Callable[..., duckdb.DuckDBPyConnection]:
    """Write the extracts into the inbox, ingest every kind, run `dbt build`; return a read-only connection."""
    opened: list[duckdb.DuckDBPyConnection] = []

    def build(extracts: Extracts, dbt_args: tuple[str, ...] = ("build",)) -> duckdb.DuckDBPyConnection:
        for name, (header, rows) in extracts.items():
            write_csv(settings.inbox / name, header, rows)
        header_map = load_header_map()
        with wh.connect(settings.warehouse_path) as conn:
            outcomes = [
                o for kind in LOAD_ORDER for o in ingest_kind(conn, settings, kind, header_map).outcomes
            ]
        rejected = [o for o in outcomes if o.status != "loaded"]
        assert not rejected, f"fixture files rejected: {rejected}"
        proc = run_dbt(settings, *dbt_args, target_path=tmp_path / "dbt_target")
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
        conn = duckdb.connect(str(settings.warehouse_path), read_only=True)
        opened.append(conn)
        return conn

    yield build
    for conn in opened:
        conn.close()
