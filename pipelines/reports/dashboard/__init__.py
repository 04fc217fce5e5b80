"""The managers' dashboard: one self-contained HTML file (plotly's script and the data inlined, no CDN).

`read_dashboard_data` reads the marts, the latest forecasts, plan and policy simulation from an open
warehouse connection (a missing table reads as empty); `render_dashboard` turns them into HTML with zh or
en labels; `write_dashboard` does both and swaps the file into place atomically. A panel without data
says so instead of drawing an empty chart. No Dagster here.
"""

from __future__ import annotations

import html
import math
import os
import re
from dataclasses import dataclass, fields
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.warehouse import connection as warehouse

AGE_BUCKETS = ["0_30", "31_60", "61_90", "91_180", "181_365", "over_365"]
TOP_SERIES = 4  # forecast vs actual panels
TOP_DEAD = 10
TOP_SUPPLIERS = 10
ACTUAL_DAYS = 56  # history shown before the forecast

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Stockflow: inventory at a glance",
        "data_date": "Data as of",
        "generated": "generated",
        "currency": "amounts in",
        "month_to_date": "month to date",
        "vs_last_month": "vs last month",
        "dio": "Days of inventory (DIO)",
        "turnover": "Turnover (annualised)",
        "fill_rate": "Fill rate (units)",
        "dead_value": "Dead stock value",
        "stockout_skus": "SKUs stocked out",
        "days": "days",
        "no_data": "No data yet",
        "no_data_detail": "This panel fills in after a run that produces",
        "sec_turnover": "Turnover and days of inventory",
        "turnover_by_category": "Turnover by category (annualised)",
        "dio_by_category": "DIO by category (days)",
        "turnover_by_warehouse": "Turnover by warehouse (annualised)",
        "dio_by_warehouse": "DIO by warehouse (days)",
        "sec_dead": "Dead and slow stock",
        "dead_by_age": "Stock value by age (FIFO), dead and slow series",
        "top_dead": "Largest dead stock",
        "dead": "dead",
        "slow": "slow",
        "age": "age (days)",
        "value": "value",
        "days_since_sale": "days since last sale",
        "sec_service": "Service",
        "fill_trend": "Fill rate by month",
        "unit_fill_rate": "unit fill rate",
        "line_fill_rate": "line fill rate",
        "order_otif": "order OTIF",
        "abc_xyz": "ABC x XYZ: SKUs, COGS and stock value",
        "skus": "SKUs",
        "cogs": "COGS",
        "stock": "stock",
        "no_class": "n/a",
        "sec_forecast": "Forecast against actuals (top series by demand)",
        "actual": "actual",
        "forecast_p50": "forecast p50",
        "forecast_p90": "forecast p90",
        "past_forecast": "earlier forecast p50",
        "sec_plan": "Replenishment plan",
        "plan_of": "Plan of",
        "lines_to_order": "lines to order",
        "order_value": "order value",
        "suppliers": "suppliers",
        "transfers": "transfers",
        "exceptions": "exceptions",
        "value_by_supplier": "Order value by supplier",
        "lines_by_reason": "Plan lines by reason",
        "exceptions_by_type": "Exceptions by type",
        "reason": "reason",
        "lines": "lines",
        "exception": "exception",
        "sec_simulation": "Policy simulation: the proposed policy replayed on history",
        "sim_window": "Replay of",
        "sim_from": "days from",
        "metric": "",
        "history": "recorded history",
        "proposed": "proposed policy",
        "current_rule": "your current rule",
        "rule_equal_fill": "At your current rule's fill ({fill}), the proposed policy holds {pct} {word} stock: average inventory value {plan} instead of {rule}.",
        "rule_not_traced": "Your current rule reached {fill} fill; the proposed policy's replays do not reach that fill, so no equal-fill figure is given.",
        "less": "less",
        "more": "more",
        "rule_at_most": "At your current rule's fill ({fill}), the proposed policy holds at least {pct} less stock: even at a higher fill its average inventory value is {plan}, against the rule's {rule}.",
        "change": "change",
        "stockout_days": "stockout days",
        "avg_inventory_value": "average inventory value",
        "sim_fill_by_group": "Fill rate by warehouse and ABC class",
    },
    "zh": {
        "title": "Stockflow 库存总览",
        "data_date": "数据截至",
        "generated": "生成于",
        "currency": "金额单位",
        "month_to_date": "本月至今",
        "vs_last_month": "较上月",
        "dio": "库存周转天数 (DIO)",
        "turnover": "库存周转率 (年化)",
        "fill_rate": "订单满足率 (数量)",
        "dead_value": "呆滞库存金额",
        "stockout_skus": "缺货 SKU 数",
        "days": "天",
        "no_data": "暂无数据",
        "no_data_detail": "运行生成以下数据后此处将显示",
        "sec_turnover": "周转率与周转天数",
        "turnover_by_category": "按品类周转率 (年化)",
        "dio_by_category": "按品类周转天数",
        "turnover_by_warehouse": "按仓库周转率 (年化)",
        "dio_by_warehouse": "按仓库周转天数",
        "sec_dead": "呆滞与滞销库存",
        "dead_by_age": "按库龄 (FIFO) 的呆滞、滞销库存金额",
        "top_dead": "呆滞金额最高的 SKU",
        "dead": "呆滞",
        "slow": "滞销",
        "age": "库龄 (天)",
        "value": "金额",
        "days_since_sale": "距上次销售天数",
        "sec_service": "服务水平",
        "fill_trend": "每月满足率",
        "unit_fill_rate": "数量满足率",
        "line_fill_rate": "订单行满足率",
        "order_otif": "订单准时足额率",
        "abc_xyz": "ABC x XYZ 矩阵：SKU 数、销售成本与库存金额",
        "skus": "SKU",
        "cogs": "销售成本",
        "stock": "库存",
        "no_class": "无",
        "sec_forecast": "预测与实际 (需求最大的品项)",
        "actual": "实际",
        "forecast_p50": "预测 p50",
        "forecast_p90": "预测 p90",
        "past_forecast": "此前预测 p50",
        "sec_plan": "补货计划",
        "plan_of": "计划日期",
        "lines_to_order": "需订货行",
        "order_value": "订货金额",
        "suppliers": "供应商",
        "transfers": "调拨",
        "exceptions": "异常",
        "value_by_supplier": "按供应商订货金额",
        "lines_by_reason": "计划行原因",
        "exceptions_by_type": "异常类型",
        "reason": "原因",
        "lines": "行数",
        "exception": "异常类型",
        "sec_simulation": "策略模拟：以历史需求回放建议策略",
        "sim_window": "回放",
        "sim_from": "天，起始",
        "metric": "",
        "history": "实际历史",
        "proposed": "建议策略",
        "current_rule": "现行规则",
        "rule_equal_fill": "在现行规则的满足率（{fill}）下，建议策略的库存{word} {pct}：平均库存金额 {plan}，现行规则 {rule}。",
        "rule_not_traced": "现行规则的满足率为 {fill}；建议策略的回放未达到该满足率，无法给出同等满足率下的对比。",
        "less": "少",
        "more": "多",
        "rule_at_most": "在现行规则的满足率（{fill}）下，建议策略的库存至少少 {pct}：即使满足率更高，其平均库存金额也只有 {plan}，现行规则为 {rule}。",
        "change": "变化",
        "stockout_days": "缺货天数",
        "avg_inventory_value": "平均库存金额",
        "sim_fill_by_group": "按仓库与 ABC 分类的满足率",
    },
}


@dataclass(frozen=True)
class DashboardData:
    kpi: pd.DataFrame  # fct_kpi_monthly, company rows by month
    turnover: pd.DataFrame  # fct_inventory_turnover_summary, category and warehouse rows, with category_label
    dead: pd.DataFrame  # fct_dead_stock, dead and slow series with stock, with sku_name
    abc_xyz: pd.DataFrame  # abc_class, xyz_class, skus, cogs_value, stock_value
    actuals: pd.DataFrame  # sku, warehouse_id, date, qty for the top series
    forecasts: pd.DataFrame  # sku, warehouse_id, date, p50, p90 at the latest origin, top series
    past_forecasts: pd.DataFrame  # sku, warehouse_id, date, p50 of earlier origins (fct_forecast_accuracy)
    plan: pd.DataFrame  # the latest plan's lines
    exceptions: pd.DataFrame  # the latest plan's exceptions
    simulation: pd.DataFrame  # the latest policy simulation
    data_date: date | None

    def empty_panels(self) -> list[str]:
        return [f.name for f in fields(self) if f.name != "data_date" and getattr(self, f.name).empty]


def _read(conn: duckdb.DuckDBPyConnection, tables: list[str], sql: str, params: list | None = None):
    if not all(warehouse.table_exists(conn, t) for t in tables):
        return pd.DataFrame()
    return conn.execute(sql, params or []).df()


def read_dashboard_data(conn: duckdb.DuckDBPyConnection) -> DashboardData:
    """Everything the dashboard shows, from the warehouse (tables that do not exist yet read as empty)."""
    kpi = _read(
        conn,
        ["marts.fct_kpi_monthly"],
        "select * from marts.fct_kpi_monthly where rollup_level = 'company' order by month_start",
    )
    turnover = _read(
        conn,
        ["marts.fct_inventory_turnover_summary", "marts.dim_skus"],
        """
        with names as (
            select category, max(coalesce(category_name, category)) as category_name
            from marts.dim_skus group by 1
        )
        select t.month_start, t.rollup_level, t.warehouse_id, t.days_in_period, t.cogs_value,
               t.avg_inventory_value, t.dio_days,
               case when t.rollup_level = 'category' then coalesce(n.category_name, t.category)
                    else t.warehouse_id end as label
        from marts.fct_inventory_turnover_summary t
        left join names n on n.category = t.category
        where t.rollup_level in ('category', 'warehouse')
        order by t.month_start, label
        """,
    )
    dead = _read(
        conn,
        ["marts.fct_dead_stock", "marts.dim_skus"],
        """
        select d.*, s.sku_name from marts.fct_dead_stock d left join marts.dim_skus s on s.sku = d.sku
        where d.stock_status in ('dead', 'slow') and d.on_hand_qty > 0
        """,
    )
    abc_xyz = _read(
        conn,
        ["marts.dim_skus", "marts.fct_dead_stock"],
        """
        with stock as (
            select sku, sum(greatest(on_hand_value, 0)) as stock_value from marts.fct_dead_stock group by 1
        )
        select s.abc_class, s.xyz_class, count(*) as skus, sum(coalesce(s.abc_cogs_value, 0)) as cogs_value,
               sum(coalesce(stock.stock_value, 0)) as stock_value
        from marts.dim_skus s left join stock on stock.sku = s.sku
        where s.abc_class is not null
        group by 1, 2
        """,
    )
    forecasts = _read(
        conn,
        ["forecast.sku_demand_forecasts", "marts.fct_sku_daily_demand"],
        f"""
        with origin as (select max(origin_date) as origin_date from forecast.sku_demand_forecasts),
        top as (
            select d.sku, d.warehouse_id, sum(d.ordered_qty) as qty
            from marts.fct_sku_daily_demand d
            where d.date_day > (select origin_date from origin) - interval {ACTUAL_DAYS} day
              and exists (select 1 from forecast.sku_demand_forecasts f
                          where f.sku = d.sku and f.warehouse_id = d.warehouse_id
                            and f.origin_date = (select origin_date from origin))
            group by 1, 2 order by qty desc, d.sku, d.warehouse_id limit {TOP_SERIES}
        )
        select f.sku, f.warehouse_id, f.forecast_date as date, f.p50, f.p90, top.qty as rank_qty
        from forecast.sku_demand_forecasts f
        join top on top.sku = f.sku and top.warehouse_id = f.warehouse_id
        where f.origin_date = (select origin_date from origin)
        order by rank_qty desc, f.sku, f.warehouse_id, date
        """,
    )
    actuals = past = pd.DataFrame()
    if not forecasts.empty:
        series = forecasts[["sku", "warehouse_id"]].drop_duplicates()
        conn.register("_dashboard_series", series)
        try:
            actuals = conn.execute(
                f"""
                select d.sku, d.warehouse_id, d.date_day as date, d.ordered_qty as qty
                from marts.fct_sku_daily_demand d join _dashboard_series s using (sku, warehouse_id)
                where d.date_day > (select max(date_day) from marts.fct_sku_daily_demand)
                                   - interval {ACTUAL_DAYS} day
                order by 1, 2, 3
                """
            ).df()
            past = _read(
                conn,
                ["marts.fct_forecast_accuracy"],
                """
                select a.sku, a.warehouse_id, a.forecast_date as date, a.p50
                from marts.fct_forecast_accuracy a join _dashboard_series s using (sku, warehouse_id)
                qualify a.origin_date = max(a.origin_date) over (partition by a.sku, a.warehouse_id, a.forecast_date)
                order by 1, 2, 3
                """,
            )
        finally:
            conn.unregister("_dashboard_series")
    plan = _read(
        conn,
        ["plans.replenishment_plan"],
        "select * from plans.replenishment_plan "
        "where plan_date = (select max(plan_date) from plans.replenishment_plan)",
    )
    exceptions = _read(
        conn,
        ["plans.plan_exceptions"],
        "select * from plans.plan_exceptions where plan_date = (select max(plan_date) from plans.plan_exceptions)",
    )
    simulation = _read(
        conn,
        ["plans.policy_simulation"],
        # appended per run: the run written last holds the highest row ids
        "select * from plans.policy_simulation where run_id = "
        "(select run_id from plans.policy_simulation order by rowid desc limit 1)",
    )
    data_date = None
    if warehouse.table_exists(conn, "marts.fct_daily_stock"):
        data_date = conn.execute("select max(date_day) from marts.fct_daily_stock").fetchall()[0][0]
    return DashboardData(
        kpi, turnover, dead, abc_xyz, actuals, forecasts, past, plan, exceptions, simulation, data_date
    )


# ---------------------------------------------------------------- formatting


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def fmt_number(value, decimals: int = 0) -> str:
    """Thousands separators; '–' for a missing value."""
    return "–" if _missing(value) else f"{float(value):,.{decimals}f}"


def fmt_percent(value, decimals: int = 1) -> str:
    return "–" if _missing(value) else f"{float(value) * 100:.{decimals}f}%"


def annualised_turnover(cogs_value, avg_inventory_value, days):
    """COGS over average inventory, scaled to a year (365 / DIO); NaN without inventory or days."""
    ok = (avg_inventory_value > 0) & (days > 0)
    return (cogs_value / avg_inventory_value.where(ok)) * 365 / days.where(ok)


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
        if not _missing(value) and not _missing(previous):
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


# ---------------------------------------------------------------- charts

PALETTE = ["#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04", "#db2777", "#4b5563"]
FONT = "Inter, 'Segoe UI', 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', Roboto, Arial, sans-serif"


def _layout(fig, height: int = 320, margin: dict | None = None):
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


def _chart_html(fig, div_id: str) -> str:
    return fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d", "select2d"]},
    )


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
    return _layout(fig)


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
    return _layout(fig)


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
    return _layout(fig, height=360, margin={"l": 230, "r": 16, "t": 8, "b": 32})


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
    return _layout(fig)


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
    return _layout(fig, height=340)


def forecast_chart(data: DashboardData, t: dict[str, str]):
    import plotly.graph_objects as go
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
        row, col = i // cols + 1, i % cols + 1
        first = i == 0

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
    _layout(fig, height=260 * rows + 60, margin={"l": 48, "r": 16, "t": 48, "b": 32})
    fig.update_layout(legend={"y": 1.08})
    return fig


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
    return _layout(fig, height=320, margin={"l": 72, "r": 16, "t": 8, "b": 32})


SIM_METRICS = [
    ("fill_rate", "fill_rate", "percent", True),
    ("stockout_days", "stockout_days", "number", False),
    ("avg_inventory_value", "avg_inventory_value", "number", False),
    ("turnover", "turnover", "number2", True),
    ("dio_days", "dio", "number1", False),
]


def simulation_chart(sim: pd.DataFrame, t: dict[str, str]):
    import plotly.graph_objects as go

    groups = sim[sim["level"] != "total"]
    if groups.empty:
        return None
    fig = go.Figure()
    for scenario, color in (("history", "#9ca3af"), ("proposed", "#2563eb"), ("current_rule", "#f59e0b")):
        rows = groups[groups["scenario"] == scenario]
        if rows.empty:
            continue
        fig.add_trace(
            go.Bar(
                x=rows["group"].astype(str),
                y=rows["fill_rate"],
                name=t[scenario],
                marker_color=color,
                text=[fmt_percent(v) for v in rows["fill_rate"]],
                textposition="outside",
                hovertemplate=f"%{{x}}<br>{t[scenario]}: %{{y:.1%}}<extra></extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.12])
    return _layout(fig)


# ---------------------------------------------------------------- page

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


def _esc(text) -> str:
    return html.escape(str(text))


def _no_data(t: dict[str, str], sources: str) -> str:
    return (
        f'<div class="no-data"><strong>{_esc(t["no_data"])}</strong>'
        f"<small>{_esc(t['no_data_detail'])}: {_esc(sources)}</small></div>"
    )


def _table(header: list[str], rows: list[list[str]], cls: list[str] | None = None) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{(cls or [""] * len(r))[i]}">{_esc(v)}</td>' for i, v in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


class _Page:
    def __init__(self, t: dict[str, str]):
        self.t = t
        self.parts: list[str] = []
        self.charts: list[str] = []
        self.no_data: list[str] = []

    def section(self, title: str) -> None:
        self.parts.append(f"<h2>{_esc(title)}</h2>")

    def panel(self, key: str, title: str, body: str, wide: bool = False) -> str:
        return f'<section class="panel{" wide" if wide else ""}" data-panel="{key}"><h3>{_esc(title)}</h3>{body}</section>'

    def chart(self, key: str, title: str, fig, sources: str, wide: bool = False) -> str:
        if fig is None:
            self.no_data.append(key)
            return self.panel(key, title, _no_data(self.t, sources), wide)
        div_id = f"chart-{key.replace('_', '-')}"
        self.charts.append(div_id)
        return self.panel(key, title, f'<div class="chart">{_chart_html(fig, div_id)}</div>', wide)

    def grid(self, panels: list[str]) -> None:
        self.parts.append('<div class="grid">' + "".join(panels) + "</div>")


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
    page = _Page(t)

    # KPI tiles
    tiles = kpi_tiles(data.kpi, lang)
    if tiles:
        page.parts.append(
            '<div class="tiles">'
            + "".join(
                f'<div class="tile" data-kpi="{tile.key}"><div class="label">{_esc(tile.label)}</div>'
                f'<div class="value">{_esc(tile.value)}</div>'
                f'<div class="change {tile.tone}">{_esc(tile.change)}</div></div>'
                for tile in tiles
            )
            + "</div>"
        )
        month = data.kpi.sort_values("month_start").iloc[-1]
        period = pd.Timestamp(month["month_start"]).strftime("%Y-%m")
        end = month.get("period_end_date")
        if not _missing(end) and pd.Timestamp(end) < pd.Timestamp(month["month_start"]) + pd.offsets.MonthEnd(
            0
        ):
            period += f" ({t['month_to_date']})"
        kpi_note = f"{period} · {t['currency']} {currency}"
    else:
        page.no_data.append("kpi")
        page.parts.append(
            '<div class="tiles" data-panel="kpi">' + _no_data(t, "marts.fct_kpi_monthly") + "</div>"
        )
        kpi_note = ""

    # turnover and DIO
    page.section(t["sec_turnover"])
    charts = turnover_charts(data, t)
    source = "marts.fct_inventory_turnover_summary"
    page.grid(
        [
            page.chart(key, t[key], charts.get(key), source)
            for key in (
                "turnover_by_category",
                "dio_by_category",
                "turnover_by_warehouse",
                "dio_by_warehouse",
            )
        ]
    )

    # dead stock
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

    # service
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

    # forecasts
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

    # plan
    page.section(t["sec_plan"])
    plan = data.plan
    if plan.empty:
        page.no_data.append("plan")
        page.grid([page.panel("plan", t["sec_plan"], _no_data(t, "plans.replenishment_plan"), wide=True)])
    else:
        ordering = plan[plan["order_qty"] > 0]
        facts = [
            (t["plan_of"], str(plan["plan_date"].iloc[0])),
            (t["lines_to_order"], fmt_number(len(ordering))),
            (f"{t['order_value']} ({currency})", fmt_number(ordering["order_value"].sum())),
            (t["suppliers"], fmt_number(ordering["supplier_id"].nunique())),
            (t["transfers"], fmt_number(int((plan["transfer_qty"] > 0).sum()))),
            (t["exceptions"], fmt_number(len(data.exceptions))),
        ]
        facts_html = (
            '<div class="facts">'
            + "".join(f'<div class="fact"><b>{_esc(v)}</b><span>{_esc(k)}</span></div>' for k, v in facts)
            + "</div>"
        )
        reasons = plan["reason_code"].value_counts()
        exc = (
            data.exceptions["exception"].value_counts() if not data.exceptions.empty else pd.Series(dtype=int)
        )
        tables = (
            f"<h3>{_esc(t['lines_by_reason'])}</h3>"
            + _table([t["reason"], t["lines"]], [[k, fmt_number(v)] for k, v in reasons.items()])
            + f"<h3 style='margin-top:12px'>{_esc(t['exceptions_by_type'])}</h3>"
            + (
                _table([t["exception"], t["lines"]], [[k, fmt_number(v)] for k, v in exc.items()])
                if len(exc)
                else "–"
            )
        )
        page.grid(
            [
                page.panel("plan", t["sec_plan"], facts_html + tables),
                page.chart(
                    "suppliers", t["value_by_supplier"], supplier_chart(plan, t), "plans.replenishment_plan"
                ),
            ]
        )

    # simulation
    page.section(t["sec_simulation"])
    sim = data.simulation
    total = sim[sim["level"] == "total"].set_index("scenario") if not sim.empty else pd.DataFrame()
    if total.empty or not {"history", "proposed"} <= set(total.index):
        page.no_data.append("simulation")
        page.grid(
            [page.panel("simulation", t["sec_simulation"], _no_data(t, "plans.policy_simulation"), wide=True)]
        )
    else:
        rows, classes = [], []
        has_rule = "current_rule" in total.index
        for column, key, kind, higher_better in SIM_METRICS:
            h, p = total.loc["history", column], total.loc["proposed", column]

            def show(v, kind=kind):
                if kind == "percent":
                    return fmt_percent(v)
                return fmt_number(v, {"number": 0, "number1": 1, "number2": 2}[kind])

            diff = float(p) - float(h)
            change = (
                f"{diff * 100:+.1f} pp"
                if kind == "percent"
                else ("+" if diff >= 0 else "−") + show(abs(diff))
            )
            rule_cell = [show(total.loc["current_rule", column])] if has_rule else []
            rows.append([t[key], show(h), *rule_cell, show(p), change])
            tone = "" if abs(diff) < 1e-12 else ("good" if (diff > 0) == higher_better else "bad")
            classes.append(["", "", *([""] if has_rule else []), "", tone])
        window = ""
        if "window_days" in sim and "window_start" in sim:
            start = pd.Timestamp(sim["window_start"].iloc[0]).date().isoformat()
            window = f"<p class='meta'>{_esc(t['sim_window'])} {int(sim['window_days'].iloc[0])} {_esc(t['sim_from'])} {start}</p>"
        head = [
            t["metric"],
            t["history"],
            *([t["current_rule"]] if has_rule else []),
            t["proposed"],
            t["change"],
        ]
        at_key = next(
            (k for k in ("proposed_at_rule_fill", "proposed_at_rule_fill_at_most") if k in total.index), None
        )
        if has_rule and at_key is not None:
            at = total.loc[at_key]
            rule_value = float(total.loc["current_rule", "avg_inventory_value"])
            plan_value = float(at["avg_inventory_value"])
            fill = fmt_percent(total.loc["current_rule", "fill_rate"])
            if at_key.endswith("at_most") and math.isfinite(plan_value) and 0 < plan_value < rule_value:
                text = t["rule_at_most"].format(
                    fill=fill,
                    pct=f"{1 - plan_value / rule_value:.0%}",
                    plan=fmt_number(plan_value, 0),
                    rule=fmt_number(rule_value, 0),
                )
            elif not at_key.endswith("at_most") and math.isfinite(plan_value) and rule_value > 0:
                text = t["rule_equal_fill"].format(
                    fill=fill,
                    pct=f"{abs(1 - plan_value / rule_value):.0%}",
                    word=t["less"] if plan_value <= rule_value else t["more"],
                    plan=fmt_number(plan_value, 0),
                    rule=fmt_number(rule_value, 0),
                )
            else:
                text = t["rule_not_traced"].format(fill=fill)
            window += f"<p class='headline' data-sim='vs-rule'>{_esc(text)}</p>"
        body = "".join(
            "<tr>" + "".join(f'<td class="{c}">{_esc(v)}</td>' for v, c in zip(r, cl, strict=True)) + "</tr>"
            for r, cl in zip(rows, classes, strict=True)
        )
        table = (
            '<table class="data" data-table="simulation"><thead><tr>'
            + "".join(f"<th>{_esc(h)}</th>" for h in head)
            + f"</tr></thead><tbody>{body}</tbody></table>"
        )
        page.grid(
            [
                page.panel("simulation", t["sec_simulation"], window + table),
                page.chart(
                    "simulation_groups",
                    t["sim_fill_by_group"],
                    simulation_chart(sim, t),
                    "plans.policy_simulation",
                ),
            ]
        )

    generated = (generated_at or datetime.now()).isoformat(sep=" ", timespec="minutes")
    data_date = data.data_date.isoformat() if data.data_date else "–"
    doc = f"""<!DOCTYPE html>
<html lang="{"zh-CN" if lang == "zh" else "en"}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(t["title"])} · {_esc(data_date)}</title>
<style>{CSS}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<header>
<h1>{_esc(t["title"])}</h1>
<span class="date" data-date="{_esc(data_date)}">{_esc(t["data_date"])} {_esc(data_date)}</span>
<span class="meta">{_esc(kpi_note)}</span>
<span class="meta">{_esc(t["generated"])} {_esc(generated)}</span>
</header>
<main>
{"".join(page.parts)}
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
    return RenderedDashboard(doc, page.charts, page.no_data)


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
    os.replace(tmp, path)
    return DashboardResult(path, path.stat().st_size, rendered.charts, rendered.no_data, data.data_date)


def chart_ids(page: str) -> list[str]:
    """The chart div ids in a rendered page (what a browser test expects to see drawn)."""
    return re.findall(r'<div id="(chart-[^"]+)" class="plotly-graph-div"', page)
