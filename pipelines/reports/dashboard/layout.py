"""The look every dashboard chart shares: palette, font, margins, grid lines (plotly figure layout)."""

from __future__ import annotations

PALETTE = ["#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04", "#db2777", "#4b5563"]
FONT = "Inter, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', Roboto, Arial, sans-serif"


def layout(fig, height: int = 320, margin: dict | None = None):
    fig.update_layout(
        height=height,
        margin=margin or {"l": 56, "r": 16, "t": 16, "b": 40},
        font={"family": FONT, "size": 12, "color": "#1f2937"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        colorway=PALETTE,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        separators=".,",
        hoverlabel={"font": {"family": FONT}},
    )
    fig.update_xaxes(showgrid=False, linecolor="#d1d5db")
    fig.update_yaxes(gridcolor="#eef0f3", zerolinecolor="#d1d5db", separatethousands=True)
    return fig
