"""Resources: the warehouse connection and Stockflow's settings, as Dagster sees them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import dagster as dg
import duckdb

from pipelines.ingest.extracts.mapping import HeaderMap, load_header_map
from pipelines.operations.settings import Settings
from pipelines.warehouse import connection as warehouse


class StockflowResource(dg.ConfigurableResource):
    """Stockflow's settings (the resolved STOCKFLOW_* variables, shown in the UI) and the warehouse connection."""

    # named so that Dagster does not read {"env": ...} as its environment-variable syntax
    variables: dict[str, str]

    @classmethod
    def from_settings(cls, settings: Settings) -> StockflowResource:
        return cls(variables=settings.to_env())

    @property
    def settings(self) -> Settings:
        return Settings.from_env(self.variables)

    @property
    def warehouse_path(self) -> str:
        return str(self.settings.warehouse_path)

    @property
    def lock_timeout_seconds(self) -> float:
        return self.settings.lock_timeout_seconds

    def header_map(self) -> HeaderMap:
        return load_header_map(self.settings.header_map_path)

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        settings = self.settings
        with warehouse.connect(
            settings.warehouse_path,
            read_only=read_only,
            timeout_seconds=settings.lock_timeout_seconds,
            memory_limit=settings.duckdb_memory_limit,
        ) as conn:
            yield conn
