"""The service panels: fill rate by month (units, lines, order OTIF) and the ABC x XYZ matrix of SKUs,
COGS and stock value."""

from __future__ import annotations

import pandas as pd

from pipelines.reports.dashboard.data import DashboardData
from pipelines.reports.dashboard.formatting import fmt_number
from pipelines.reports.dashboard.layout import layout
from pipelines.reports.dashboard.markup import Page


def fill_rate_chart(kpi: pd.DataFrame, t: dict[str, str]):
    import plotly.graph_objects as go

    fig = go.Figure()
    for column, key in (
        ("unit_fill_rate", "unit_fill_rate"),
        ("line_fill_rate", "line_fill_rate"),
        ("order_otif_rate", "order_otif"),
    ):
        if column in kpi and kpi[column].notna().any():
            fig.add_trace(
                go.Scatter(
                    x=kpi["month_start"],
                    y=kpi[column],
                    mode="lines+markers",
                    name=t[key],
                    hovertemplate=f"%{{x|%Y-%m}}<br>{t[key]}: %{{y:.1%}}<extra></extra>",
                )
            )
    if not fig.data:
        return None
    fig.update_yaxes(tickformat=".0%")
    return layout(fig)


def abc_xyz_chart(cells: pd.DataFrame, t: dict[str, str], currency: str):
    import plotly.graph_objects as go

    cells = cells.assign(xyz_class=cells["xyz_class"].astype("string").fillna(t["no_class"]))
    abc = sorted(cells["abc_class"].astype(str).unique())
    xyz = sorted(c for c in cells["xyz_class"].unique() if c != t["no_class"])
    if (cells["xyz_class"] == t["no_class"]).any():
        xyz.append(t["no_class"])
    lookup = {(r.abc_class, r.xyz_class): r for r in cells.itertuples()}
    z, text = [], []
    for a in abc:
        z_row, text_row = [], []
        for x in xyz:
            r = lookup.get((a, x))
            z_row.append(float(r.stock_value) if r is not None else None)
            text_row.append(
                f"<b>{int(r.skus):,} {t['skus']}</b><br>{t['cogs']} {fmt_number(r.cogs_value)}"
                f"<br>{t['stock']} {fmt_number(r.stock_value)}"
                if r is not None
                else ""
            )
        z.append(z_row)
        text.append(text_row)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=xyz,
            y=abc,
            text=text,
            texttemplate="%{text}",
            hovertemplate="%{y} %{x}<br>%{text}<extra></extra>",
            colorscale=[[0, "#eff6ff"], [1, "#2563eb"]],
            colorbar={"title": {"text": f"{t['stock']} ({currency})"}, "thickness": 12},
            xgap=3,
            ygap=3,
        )
    )
    fig.update_yaxes(autorange="reversed", title="ABC", gridcolor="white")
    fig.update_xaxes(title="XYZ", side="top")
    return layout(fig, height=340)


def service_panel(page: Page, data: DashboardData, t: dict[str, str], currency: str) -> None:
    page.section(t["sec_service"])
    page.grid(
        [
            page.chart(
                "fill_trend",
                t["fill_trend"],
                fill_rate_chart(data.kpi, t) if not data.kpi.empty else None,
                "marts.fct_kpi_monthly",
            ),
            page.chart(
                "abc_xyz",
                t["abc_xyz"],
                abc_xyz_chart(data.abc_xyz, t, currency) if not data.abc_xyz.empty else None,
                "marts.dim_skus",
            ),
        ]
    )
