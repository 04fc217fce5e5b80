"""Shared fixtures: every test gets its own STOCKFLOW_HOME under tmp_path; nothing touches ./data."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest

from pipelines.operations.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    home = tmp_path / "stockflow"
    for name in (
        "STOCKFLOW_INBOX",
        "STOCKFLOW_ARCHIVE",
        "STOCKFLOW_QUARANTINE",
        "STOCKFLOW_WAREHOUSE_PATH",
        "STOCKFLOW_EXPORTS",
        "STOCKFLOW_HEADER_MAP",
        "DAGSTER_HOME",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STOCKFLOW_HOME", str(home))
    monkeypatch.setenv("STOCKFLOW_INBOX_SETTLE_SECONDS", "0")
    monkeypatch.setenv("STOCKFLOW_LOCK_TIMEOUT_SECONDS", "20")
    s = Settings.from_env()
    s.ensure_dirs()
    return s


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    """A small CSV extract, as a user would drop it."""
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
    return path


# the sales-orders extract's columns most ingest tests write
SO_HEADER = [
    "order_id",
    "line_no",
    "order_date",
    "sku",
    "warehouse_id",
    "ordered_qty",
    "shipped_qty",
    "ship_date",
]


def home_at(settings: Settings, name: str, **changes) -> Settings:
    """`settings` for a second home beside the fixture's (`name`), its folders made; `changes` override."""
    home = settings.home.parent / name
    other = dataclasses.replace(
        settings,
        home=home,
        inbox=home / "inbox",
        archive=home / "archive",
        quarantine=home / "quarantine",
        warehouse_path=home / "warehouse.duckdb",
        exports=home / "exports",
        dagster_home=home / "dagster",
        **changes,
    )
    other.ensure_dirs()
    return other
