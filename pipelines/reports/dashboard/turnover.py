"""The turnover and days-of-inventory panels: monthly lines by category and by warehouse."""

from __future__ import annotations

import pandas as pd

from pipelines.reports.dashboard.data import DashboardData
from pipelines.reports.dashboard.formatting import annualised_turnover
from pipelines.reports.dashboard.layout import layout
from pipelines.reports.dashboard.markup import Page

TURNOVER_PANELS = ("turnover_by_category", "dio_by_category", "turnover_by_warehouse", "dio_by_warehouse")


def _lines_by_label(frame: pd.DataFrame, value: str, hover_format: str):
    import plotly.graph_objects as go

    fig = go.Figure()
    for label, rows in frame.groupby("label", sort=True):
        fig.add_trace(
            go.Scatter(
                x=rows["month_start"],
                y=rows[value],
                mode="lines+markers",
                name=str(label),
                hovertemplate=f"%{{x|%Y-%m}}<br>{label}: %{{y:{hover_format}}}<extra></extra>",
            )
        )
    return layout(fig)


def turnover_charts(data: DashboardData, t: dict[str, str]) -> dict[str, object]:
    frame = data.turnover
    if frame.empty:
        return {}
    frame = frame.assign(
        turnover=annualised_turnover(
            frame["cogs_value"], frame["avg_inventory_value"], frame["days_in_period"]
        )
    )
    charts = {}
    for level in ("category", "warehouse"):
        rows = frame[frame["rollup_level"] == level]
        if rows.empty:
            continue
        charts[f"turnover_by_{level}"] = _lines_by_label(rows, "turnover", ",.2f")
        charts[f"dio_by_{level}"] = _lines_by_label(rows, "dio_days", ",.1f")
    return charts


def turnover_panel(page: Page, data: DashboardData, t: dict[str, str]) -> None:
    page.section(t["sec_turnover"])
    charts = turnover_charts(data, t)
    source = "marts.fct_inventory_turnover_summary"
    page.grid([page.chart(key, t[key], charts.get(key), source) for key in TURNOVER_PANELS])
