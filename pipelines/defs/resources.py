"""Resources: the warehouse connection and Stockflow's settings, as Dagster sees them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb

from pipelines import warehouse
from pipelines.extracts.mapping import HeaderMap, load_header_map
from pipelines.settings import Settings


class StockflowResource(dg.ConfigurableResource):
    """Paths and settings resolved from STOCKFLOW_* variables, plus the warehouse connection."""

    home: str
    inbox: str
    archive: str
    quarantine: str
    warehouse_path: str
    exports: str
    dagster_home: str
    timezone: str = "Asia/Shanghai"
    base_currency: str = "CNY"
    header_map_path: str | None = None
    lock_timeout_seconds: float = 300.0
    inbox_settle_seconds: float = 5.0
    schedule_cron: str = "0 6 * * *"
    alert_webhook: str | None = None
    alert_format: str = "auto"

    @classmethod
    def from_settings(cls, settings: Settings) -> StockflowResource:
        return cls(
            home=str(settings.home),
            inbox=str(settings.inbox),
            archive=str(settings.archive),
            quarantine=str(settings.quarantine),
            warehouse_path=str(settings.warehouse_path),
            exports=str(settings.exports),
            dagster_home=str(settings.dagster_home),
            timezone=settings.timezone,
            base_currency=settings.base_currency,
            header_map_path=str(settings.header_map_path) if settings.header_map_path else None,
            lock_timeout_seconds=settings.lock_timeout_seconds,
            inbox_settle_seconds=settings.inbox_settle_seconds,
            schedule_cron=settings.schedule_cron,
            alert_webhook=settings.alert_webhook,
            alert_format=settings.alert_format,
        )

    @property
    def settings(self) -> Settings:
        return Settings(
            home=Path(self.home),
            inbox=Path(self.inbox),
            archive=Path(self.archive),
            quarantine=Path(self.quarantine),
            warehouse_path=Path(self.warehouse_path),
            exports=Path(self.exports),
            dagster_home=Path(self.dagster_home),
            timezone=self.timezone,
            base_currency=self.base_currency,
            header_map_path=Path(self.header_map_path) if self.header_map_path else None,
            lock_timeout_seconds=self.lock_timeout_seconds,
            inbox_settle_seconds=self.inbox_settle_seconds,
            schedule_cron=self.schedule_cron,
            alert_webhook=self.alert_webhook,
            alert_format=self.alert_format,
        )

    def header_map(self) -> HeaderMap:
        return load_header_map(Path(self.header_map_path) if self.header_map_path else None)

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(
            Path(self.warehouse_path), read_only=read_only, timeout_seconds=self.lock_timeout_seconds
        ) as conn:
            yield conn
