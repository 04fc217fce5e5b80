"""The managers' dashboard: one self-contained HTML file (plotly's script and the data inlined, no CDN).

`read_dashboard_data` reads the marts, the latest forecasts, plan and policy simulation from an open
warehouse connection (a missing table reads as empty); `render_dashboard` turns them into HTML with zh or
en labels; `write_dashboard` does both and swaps the file into place atomically. A panel without data
says so instead of drawing an empty chart. No Dagster here.

Modules: `data` (the warehouse reads, one per panel group), `labels` (zh/en words), `formatting` (number
formats), `layout` (the charts' shared look), `markup` (HTML pieces and the `Page` builder), one module
per panel group (`kpis`, `turnover`, `stock`, `service`, `forecast`, `plan`, `simulation`) and `page`
(the skeleton, the CSS and `render_dashboard`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from pipelines.operations import failpoints
from pipelines.reports.dashboard.data import DashboardData, read_dashboard_data
from pipelines.reports.dashboard.formatting import annualised_turnover, fmt_number, fmt_percent
from pipelines.reports.dashboard.kpis import Tile, kpi_tiles
from pipelines.reports.dashboard.labels import LABELS
from pipelines.reports.dashboard.page import RenderedDashboard, render_dashboard

__all__ = [
    "LABELS",
    "DashboardData",
    "DashboardResult",
    "RenderedDashboard",
    "Tile",
    "annualised_turnover",
    "chart_ids",
    "fmt_number",
    "fmt_percent",
    "kpi_tiles",
    "read_dashboard_data",
    "render_dashboard",
    "write_dashboard",
]


@dataclass(frozen=True)
class DashboardResult:
    path: Path
    size_bytes: int
    charts: list[str]
    no_data: list[str]
    data_date: date | None


def write_dashboard(
    conn: duckdb.DuckDBPyConnection, path: Path, lang: str = "zh", currency: str = "CNY"
) -> DashboardResult:
    """Read the warehouse, render the page, write it under a temporary name and rename it into place."""
    data = read_dashboard_data(conn)
    rendered = render_dashboard(data, lang, currency)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(rendered.html, encoding="utf-8")
    failpoints.kill_at("dashboard")  # fault injection: the new page written under its temporary name
    os.replace(tmp, path)
    return DashboardResult(path, path.stat().st_size, rendered.charts, rendered.no_data, data.data_date)


def chart_ids(page: str) -> list[str]:
    """The chart div ids in a rendered page (what a browser test expects to see drawn)."""
    return re.findall(r'<div id="(chart-[^"]+)" class="plotly-graph-div"', page)
