"""The page: the HTML skeleton and its CSS, and `render_dashboard`, which fills the skeleton with the
panels in order (KPI tiles, turnover, dead stock, service, forecast, plan, simulation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pipelines.reports.dashboard.data import DashboardData
from pipelines.reports.dashboard.forecast import forecast_panel
from pipelines.reports.dashboard.kpis import kpi_panel
from pipelines.reports.dashboard.labels import LABELS
from pipelines.reports.dashboard.markup import Page, esc
from pipelines.reports.dashboard.plan import plan_panel
from pipelines.reports.dashboard.service import service_panel
from pipelines.reports.dashboard.simulation import simulation_panel
from pipelines.reports.dashboard.stock import dead_stock_panel
from pipelines.reports.dashboard.turnover import turnover_panel

CSS = """
:root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --bg:#f5f6f8; --good:#15803d; --bad:#b91c1c; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
       font-family: Inter, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", Roboto, Arial, sans-serif;
       font-variant-numeric: tabular-nums; }
header { background:#111827; color:white; padding:18px 28px; display:flex; flex-wrap:wrap;
         align-items:baseline; gap:8px 24px; }
header h1 { font-size:20px; margin:0; font-weight:600; }
header .meta { color:#d1d5db; font-size:13px; }
header .date { font-size:15px; color:white; font-weight:600; }
main { max-width:1440px; margin:0 auto; padding:20px 24px 40px; }
h2 { font-size:15px; font-weight:600; margin:28px 0 12px; color:#374151; text-transform:none; }
.tiles { display:grid; grid-template-columns:repeat(auto-fit, minmax(200px, 1fr)); gap:14px; }
.tile { background:white; border:1px solid var(--line); border-radius:10px; padding:14px 16px; }
.tile .label { font-size:12.5px; color:var(--muted); }
.tile .value { font-size:28px; font-weight:650; margin:6px 0 4px; letter-spacing:-0.01em; }
.tile .change { font-size:12.5px; color:var(--muted); }
.tile .change.good { color:var(--good); } .tile .change.bad { color:var(--bad); }
.grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(520px, 1fr)); gap:14px; }
.panel { background:white; border:1px solid var(--line); border-radius:10px; padding:12px 14px; min-width:0; }
.panel h3 { font-size:13.5px; font-weight:600; margin:0 0 6px; color:#374151; }
.panel.wide { grid-column:1 / -1; }
.no-data { display:flex; flex-direction:column; justify-content:center; align-items:center; min-height:180px;
           color:var(--muted); background:repeating-linear-gradient(135deg,#fafafa,#fafafa 8px,#f3f4f6 8px,#f3f4f6 16px);
           border-radius:8px; text-align:center; padding:12px; }
.no-data strong { font-size:15px; color:#4b5563; }
.no-data small { margin-top:4px; font-size:12px; }
table.data { border-collapse:collapse; width:100%; font-size:13px; }
table.data th, table.data td { padding:6px 8px; border-bottom:1px solid var(--line); text-align:right; }
table.data th:first-child, table.data td:first-child { text-align:left; }
table.data th { color:var(--muted); font-weight:500; }
.facts { display:grid; grid-template-columns:repeat(auto-fit, minmax(140px, 1fr)); gap:10px; margin-bottom:10px; }
.fact { border-left:3px solid #2563eb; padding:2px 10px; }
.fact b { display:block; font-size:20px; }
.fact span { font-size:12px; color:var(--muted); }
.good { color:var(--good); } .bad { color:var(--bad); }
@media (max-width: 640px) { .grid { grid-template-columns:1fr; } main { padding:12px; } }
"""


# str.format fields: the page's own braces (in the script) are doubled
TEMPLATE = """<!DOCTYPE html>
<html lang="{html_lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · {data_date}</title>
<style>{css}</style>
<script type="text/javascript">{plotlyjs}</script>
</head>
<body>
<header>
<h1>{title}</h1>
<span class="date" data-date="{data_date}">{data_date_label} {data_date}</span>
<span class="meta">{kpi_note}</span>
<span class="meta">{generated_label} {generated}</span>
</header>
<main>
{body}
</main>
<script>
// charts are drawn while the page is still being laid out: fit each to its panel once it is
window.addEventListener("load", function () {{
  document.querySelectorAll(".plotly-graph-div").forEach(function (div) {{ Plotly.Plots.resize(div); }});
}});
</script>
</body>
</html>
"""


@dataclass(frozen=True)
class RenderedDashboard:
    html: str
    charts: list[str]  # ids of the chart divs
    no_data: list[str]  # panels shown as "no data"


def render_dashboard(
    data: DashboardData, lang: str = "zh", currency: str = "CNY", generated_at: datetime | None = None
) -> RenderedDashboard:
    """The whole page as one HTML string with plotly's script inlined (works offline)."""
    if lang not in LABELS:
        raise ValueError(f"dashboard language must be one of {sorted(LABELS)}, not {lang!r}")
    from plotly.offline import get_plotlyjs

    t = LABELS[lang]
    page = Page(t)
    kpi_note = kpi_panel(page, data, lang, currency)
    turnover_panel(page, data, t)
    dead_stock_panel(page, data, t)
    service_panel(page, data, t, currency)
    forecast_panel(page, data, t)
    plan_panel(page, data, t, currency)
    simulation_panel(page, data, t)

    generated = (generated_at or datetime.now()).isoformat(sep=" ", timespec="minutes")
    data_date = data.data_date.isoformat() if data.data_date else "–"
    doc = TEMPLATE.format(
        html_lang="zh-CN" if lang == "zh" else "en",
        title=esc(t["title"]),
        data_date=esc(data_date),
        css=CSS,
        plotlyjs=get_plotlyjs(),
        data_date_label=esc(t["data_date"]),
        kpi_note=esc(kpi_note),
        generated_label=esc(t["generated"]),
        generated=esc(generated),
        body="".join(page.parts),
    )
    return RenderedDashboard(doc, page.charts, page.no_data)
