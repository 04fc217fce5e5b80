"""The forecast panel: for the top series by demand, actuals, earlier forecasts and the latest p50/p90."""

from __future__ import annotations

import math

from pipelines.reports.dashboard.data import DashboardData
from pipelines.reports.dashboard.layout import layout
from pipelines.reports.dashboard.markup import Page


def _add_series(
    fig, data: DashboardData, t: dict[str, str], sku: str, wh: str, row: int, col: int, first: bool
):
    """One series' subplot: actuals, earlier forecasts' p50 (when any) and the p90 band over the p50."""
    import plotly.graph_objects as go

    def pick(frame, sku=sku, wh=wh):
        return frame[(frame["sku"] == sku) & (frame["warehouse_id"] == wh)] if not frame.empty else frame

    act, fc, past = pick(data.actuals), pick(data.forecasts), pick(data.past_forecasts)
    if not act.empty:
        fig.add_trace(
            go.Scatter(
                x=act["date"],
                y=act["qty"],
                mode="lines",
                name=t["actual"],
                line={"color": "#1f2937"},
                legendgroup="actual",
                showlegend=first,
            ),
            row=row,
            col=col,
        )
    if not past.empty:
        fig.add_trace(
            go.Scatter(
                x=past["date"],
                y=past["p50"],
                mode="lines",
                name=t["past_forecast"],
                line={"color": "#9333ea", "dash": "dot"},
                legendgroup="past",
                showlegend=first,
            ),
            row=row,
            col=col,
        )
    fig.add_trace(
        go.Scatter(
            x=fc["date"],
            y=fc["p90"],
            mode="lines",
            name=t["forecast_p90"],
            line={"color": "#93c5fd", "width": 1},
            legendgroup="p90",
            showlegend=first,
        ),
        row=row,
        col=col,
    )
    fig.add_trace(
        go.Scatter(
            x=fc["date"],
            y=fc["p50"],
            mode="lines",
            name=t["forecast_p50"],
            fill="tonexty",
            fillcolor="rgba(37,99,235,0.08)",
            line={"color": "#2563eb", "width": 2},
            legendgroup="p50",
            showlegend=first,
        ),
        row=row,
        col=col,
    )


def forecast_chart(data: DashboardData, t: dict[str, str]):
    from plotly.subplots import make_subplots

    series = list(
        data.forecasts[["sku", "warehouse_id"]].drop_duplicates().itertuples(index=False, name=None)
    )
    cols = 2 if len(series) > 1 else 1
    rows = math.ceil(len(series) / cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[f"{sku} · {wh}" for sku, wh in series],
        vertical_spacing=0.14,
        horizontal_spacing=0.08,
    )
    for i, (sku, wh) in enumerate(series):
        _add_series(fig, data, t, sku, wh, row=i // cols + 1, col=i % cols + 1, first=i == 0)
    layout(fig, height=260 * rows + 60, margin={"l": 48, "r": 16, "t": 48, "b": 32})
    fig.update_layout(legend={"y": 1.08})
    return fig


def forecast_panel(page: Page, data: DashboardData, t: dict[str, str]) -> None:
    page.section(t["sec_forecast"])
    page.grid(
        [
            page.chart(
                "forecast",
                t["sec_forecast"],
                forecast_chart(data, t) if not data.forecasts.empty else None,
                "forecast.sku_demand_forecasts",
                wide=True,
            )
        ]
    )
