"""The replenishment plan panels: the latest plan's facts, its lines by reason and exceptions by type,
and the order value by supplier."""

from __future__ import annotations

import pandas as pd

from pipelines.reports.dashboard.data import DashboardData
from pipelines.reports.dashboard.formatting import fmt_number
from pipelines.reports.dashboard.layout import layout
from pipelines.reports.dashboard.markup import Page, esc, no_data_html, table_html

TOP_SUPPLIERS = 10


def supplier_chart(plan: pd.DataFrame, t: dict[str, str]):
    import plotly.graph_objects as go

    ordering = plan[plan["order_qty"] > 0]
    if ordering.empty:
        return None
    by_supplier = (
        ordering.groupby(ordering["supplier_id"].astype("string").fillna("?"))["order_value"]
        .sum()
        .nlargest(TOP_SUPPLIERS)
        .iloc[::-1]
    )
    fig = go.Figure(
        go.Bar(
            x=by_supplier.values,
            y=by_supplier.index,
            orientation="h",
            marker_color="#16a34a",
            text=[fmt_number(v) for v in by_supplier.values],
            textposition="auto",
            hovertemplate=f"%{{y}}<br>{t['order_value']}: %{{x:,.0f}}<extra></extra>",
        )
    )
    return layout(fig, height=320, margin={"l": 72, "r": 16, "t": 8, "b": 32})


def _facts_html(plan: pd.DataFrame, exceptions: pd.DataFrame, t: dict[str, str], currency: str) -> str:
    ordering = plan[plan["order_qty"] > 0]
    facts = [
        (t["plan_of"], str(plan["plan_date"].iloc[0])),
        (t["lines_to_order"], fmt_number(len(ordering))),
        (f"{t['order_value']} ({currency})", fmt_number(ordering["order_value"].sum())),
        (t["suppliers"], fmt_number(ordering["supplier_id"].nunique())),
        (t["transfers"], fmt_number(int((plan["transfer_qty"] > 0).sum()))),
        (t["exceptions"], fmt_number(len(exceptions))),
    ]
    return (
        '<div class="facts">'
        + "".join(f'<div class="fact"><b>{esc(v)}</b><span>{esc(k)}</span></div>' for k, v in facts)
        + "</div>"
    )


def _tables_html(plan: pd.DataFrame, exceptions: pd.DataFrame, t: dict[str, str]) -> str:
    reasons = plan["reason_code"].value_counts()
    exc = exceptions["exception"].value_counts() if not exceptions.empty else pd.Series(dtype=int)
    return (
        f"<h3>{esc(t['lines_by_reason'])}</h3>"
        + table_html([t["reason"], t["lines"]], [[k, fmt_number(v)] for k, v in reasons.items()])
        + f"<h3 style='margin-top:12px'>{esc(t['exceptions_by_type'])}</h3>"
        + (
            table_html([t["exception"], t["lines"]], [[k, fmt_number(v)] for k, v in exc.items()])
            if len(exc)
            else "–"
        )
    )


def plan_panel(page: Page, data: DashboardData, t: dict[str, str], currency: str) -> None:
    page.section(t["sec_plan"])
    plan = data.plan
    if plan.empty:
        page.no_data.append("plan")
        page.grid([page.panel("plan", t["sec_plan"], no_data_html(t, "plans.replenishment_plan"), wide=True)])
        return
    body = _facts_html(plan, data.exceptions, t, currency) + _tables_html(plan, data.exceptions, t)
    page.grid(
        [
            page.panel("plan", t["sec_plan"], body),
            page.chart(
                "suppliers", t["value_by_supplier"], supplier_chart(plan, t), "plans.replenishment_plan"
            ),
        ]
    )
