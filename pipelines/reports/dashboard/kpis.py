"""The headline KPI tiles: the latest month's DIO, turnover, fill rate, dead stock and stockouts, each
with its change against the month before, and the period note shown in the page header."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipelines.reports.dashboard.data import DashboardData
from pipelines.reports.dashboard.formatting import annualised_turnover, fmt_number, fmt_percent, missing
from pipelines.reports.dashboard.labels import LABELS
from pipelines.reports.dashboard.markup import Page, esc, no_data_html


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str
    change: str
    tone: str  # good, bad or flat


# (label key, column, format, decimals, higher is better)
KPI_TILES = [
    ("dio", "dio_days", "number", 1, False),
    ("turnover", "turnover_annualised", "number", 2, True),
    ("fill_rate", "unit_fill_rate", "percent", 1, True),
    ("dead_value", "dead_stock_value", "number", 0, False),
    ("stockout_skus", "stockout_sku_count", "number", 0, False),
]


def kpi_tiles(kpi: pd.DataFrame, lang: str = "en") -> list[Tile]:
    """The latest month's headline KPIs with the change against the month before."""
    labels = LABELS[lang]
    if kpi.empty:
        return []
    frame = kpi.sort_values("month_start").assign(
        turnover_annualised=lambda f: annualised_turnover(
            f["cogs_value"], f["avg_inventory_value"], f["days_in_period"]
        )
    )
    now = frame.iloc[-1]
    before = frame.iloc[-2] if len(frame) > 1 else None
    tiles = []
    for key, column, kind, decimals, higher_better in KPI_TILES:
        value = now[column]
        shown = fmt_percent(value, decimals) if kind == "percent" else fmt_number(value, decimals)
        change, tone = "", "flat"
        previous = before[column] if before is not None else None
        if not missing(value) and not missing(previous):
            diff = float(value) - float(previous)
            if kind == "percent":
                change = f"{diff * 100:+.1f} pp"
            else:
                change = f"{'+' if diff >= 0 else '−'}{fmt_number(abs(diff), decimals)}"
            if abs(diff) > 1e-12:
                tone = "good" if (diff > 0) == higher_better else "bad"
            change = f"{change} {labels['vs_last_month']}"
        tiles.append(Tile(key, labels[key], shown, change, tone))
    return tiles


def kpi_panel(page: Page, data: DashboardData, lang: str, currency: str) -> str:
    """The tiles (or their "no data" box); returns the header's note: the month shown and the currency."""
    t = page.t
    tiles = kpi_tiles(data.kpi, lang)
    if not tiles:
        page.no_data.append("kpi")
        page.parts.append(
            '<div class="tiles" data-panel="kpi">' + no_data_html(t, "marts.fct_kpi_monthly") + "</div>"
        )
        return ""
    page.parts.append(
        '<div class="tiles">'
        + "".join(
            f'<div class="tile" data-kpi="{tile.key}"><div class="label">{esc(tile.label)}</div>'
            f'<div class="value">{esc(tile.value)}</div>'
            f'<div class="change {tile.tone}">{esc(tile.change)}</div></div>'
            for tile in tiles
        )
        + "</div>"
    )
    month = data.kpi.sort_values("month_start").iloc[-1]
    period = pd.Timestamp(month["month_start"]).strftime("%Y-%m")
    end = month.get("period_end_date")
    if not missing(end) and pd.Timestamp(end) < pd.Timestamp(month["month_start"]) + pd.offsets.MonthEnd(0):
        period += f" ({t['month_to_date']})"
    return f"{period} · {t['currency']} {currency}"
