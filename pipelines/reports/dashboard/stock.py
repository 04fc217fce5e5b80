"""The dead and slow stock panels: stock value by FIFO age, and the largest dead stock by SKU."""

from __future__ import annotations

import pandas as pd

from pipelines.reports.dashboard.data import DashboardData
from pipelines.reports.dashboard.formatting import fmt_number
from pipelines.reports.dashboard.layout import layout
from pipelines.reports.dashboard.markup import Page

AGE_BUCKETS = ["0_30", "31_60", "61_90", "91_180", "181_365", "over_365"]
TOP_DEAD = 10


def dead_by_age_chart(dead: pd.DataFrame, t: dict[str, str]):
    import plotly.graph_objects as go

    fig = go.Figure()
    names = [b.replace("_", "–").replace("over–365", ">365") for b in AGE_BUCKETS]
    for status in ("dead", "slow"):
        rows = dead[dead["stock_status"] == status]
        values = [float(rows[f"age_{b}_value"].fillna(0).sum()) for b in AGE_BUCKETS]
        fig.add_trace(
            go.Bar(
                x=names,
                y=values,
                name=t[status],
                text=[fmt_number(v) for v in values],
                textposition="outside",
                hovertemplate=f"{t['age']} %{{x}}<br>{t[status]}: %{{y:,.0f}}<extra></extra>",
                marker_color="#dc2626" if status == "dead" else "#f59e0b",
            )
        )
    fig.update_layout(barmode="group", xaxis_title=t["age"])
    return layout(fig)


def top_dead_chart(dead: pd.DataFrame, t: dict[str, str]):
    import plotly.graph_objects as go

    rows = dead[dead["stock_status"] == "dead"].nlargest(TOP_DEAD, "on_hand_value").iloc[::-1]
    if rows.empty:
        return None
    names = rows["sku_name"].astype("string").fillna("")
    labels = rows["sku"].astype(str) + " " + names.str.slice(0, 18) + " · " + rows["warehouse_id"].astype(str)
    fig = go.Figure(
        go.Bar(
            x=rows["on_hand_value"],
            y=labels,
            orientation="h",
            marker_color="#dc2626",
            text=[fmt_number(v) for v in rows["on_hand_value"]],
            textposition="auto",
            customdata=rows["days_since_last_sale"],
            hovertemplate=f"%{{y}}<br>{t['value']}: %{{x:,.0f}}<br>{t['days_since_sale']}: %{{customdata}}"
            "<extra></extra>",
        )
    )
    return layout(fig, height=360, margin={"l": 230, "r": 16, "t": 8, "b": 32})


def dead_stock_panel(page: Page, data: DashboardData, t: dict[str, str]) -> None:
    page.section(t["sec_dead"])
    dead = data.dead
    page.grid(
        [
            page.chart(
                "dead_by_age",
                t["dead_by_age"],
                dead_by_age_chart(dead, t) if not dead.empty else None,
                "marts.fct_dead_stock",
            ),
            page.chart(
                "top_dead",
                t["top_dead"],
                top_dead_chart(dead, t) if not dead.empty else None,
                "marts.fct_dead_stock",
            ),
        ]
    )
