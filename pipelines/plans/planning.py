"""Between the warehouse and the policy engine: plan inputs from the marts, exceptions, planner files.

`plan_inputs` reads forecasts, stock, open purchase orders, backorders and supply parameters in the
shapes `models_ml.replenishment.plan_replenishment` documents; `plan_exceptions` picks the lines a
planner must look at; `write_plan_files` writes the workbook and CSVs. No Dagster here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from pipelines.reports.exports import write_csv, write_workbook

if TYPE_CHECKING:  # the simulation code is imported only where it runs
    from models_ml.current_rule import RuleComparison

SCHEMA = "plans"
_WEEKDAYS_ZH = {
    "周一": "Mon",
    "周二": "Tue",
    "周三": "Wed",
    "周四": "Thu",
    "周五": "Fri",
    "周六": "Sat",
    "周日": "Sun",
    "星期一": "Mon",
    "星期二": "Tue",
    "星期三": "Wed",
    "星期四": "Thu",
    "星期五": "Fri",
    "星期六": "Sat",
    "星期日": "Sun",
    "周天": "Sun",
    "星期天": "Sun",
}
EXCESS_COVER_DAYS = 180  # projected cover beyond this is reported as excess


@dataclass(frozen=True)
class PlanInputs:
    forecast: pd.DataFrame
    stock: pd.DataFrame
    params: pd.DataFrame
    open_pos: pd.DataFrame
    backorders: pd.DataFrame
    as_of: pd.Timestamp


def plan_inputs(conn: duckdb.DuckDBPyConnection) -> PlanInputs:
    """Read everything the policy engine needs from the latest forecasts and the marts."""
    origin = conn.execute("select max(origin_date) from forecast.sku_demand_forecasts").fetchall()[0][0]
    if origin is None:
        raise ValueError("no forecasts yet: forecast/sku_demand_forecasts must run before the plan")
    forecast = conn.execute(
        "select sku, warehouse_id, forecast_date as date, p50, p90, mean from forecast.sku_demand_forecasts "
        "where origin_date = ?",
        [origin],
    ).df()
    stock = conn.execute(
        "select sku, warehouse_id, on_hand_qty, unit_cost from marts.fct_daily_stock "
        "where date_day = (select max(date_day) from marts.fct_daily_stock)"
    ).df()
    params = conn.execute(
        """
        select
            series.sku, series.warehouse_id, skus.supplier_id,
            coalesce(perf.lead_time_days_mean, supplier_perf.lead_time_days_mean) as lead_time_mean_days,
            coalesce(perf.lead_time_days_std, supplier_perf.lead_time_days_std) as lead_time_std_days,
            skus.lead_time_days, suppliers.lead_time_days as supplier_lead_time_days,
            coalesce(skus.moq, suppliers.moq) as moq, skus.pack_size, skus.max_order_qty,
            suppliers.order_days as order_weekdays, skus.abc_class, skus.xyz_class, skus.status,
            series.stock_status = 'dead' as is_dead_stock, skus.unit_cost, skus.discontinued_date,
            items.min_qty, items.max_qty, items.safety_stock_qty
        from marts.fct_dead_stock as series
        inner join marts.dim_skus as skus on skus.sku = series.sku
        left join staging.stg_erp__items as items on items.sku = series.sku
        left join staging.stg_erp__suppliers as suppliers on suppliers.supplier_id = skus.supplier_id
        left join marts.fct_supplier_sku_performance as perf
            on perf.supplier_id = skus.supplier_id and perf.sku = skus.sku and perf.lead_time_lines >= 3
        left join marts.fct_supplier_performance as supplier_perf on supplier_perf.supplier_id = skus.supplier_id
        """
    ).df()
    params["order_weekdays"] = params["order_weekdays"].astype("string").replace(_WEEKDAYS_ZH, regex=True)
    open_pos = conn.execute(
        """
        select sku, warehouse_id, ordered_qty - coalesce(received_qty, 0) as qty, expected_date
        from intermediate.int_purchase_order_lines_evaluated
        where line_status = 'open' and coalesce(received_qty, 0) < ordered_qty
        """
    ).df()
    backorders = conn.execute(
        """
        select sku, warehouse_id, sum(ordered_qty - coalesce(shipped_qty, 0)) as qty
        from staging.stg_erp__sales_order_lines
        where line_status = 'open' and coalesce(shipped_qty, 0) < ordered_qty
        group by 1, 2
        """
    ).df()
    return PlanInputs(
        forecast, stock, params, open_pos, backorders, pd.Timestamp(origin) + pd.Timedelta(days=1)
    )


def plan_exceptions(plan: pd.DataFrame, params: pd.DataFrame) -> pd.DataFrame:
    """Lines a planner must look at, one row per (line, exception), with a readable detail."""
    p = plan.merge(
        params[["sku", "warehouse_id", "is_dead_stock"]],
        on=["sku", "warehouse_id"],
        how="left",
        suffixes=("", "_param"),
    )
    value = p["on_hand_qty"].clip(lower=0) * p["unit_cost"]
    rules = {
        "STOCKOUT_RISK_WITHIN_LEAD_TIME": (
            (p["on_hand_qty"] + p["on_order_qty"] - p["backorder_qty"] < p["demand_lead_time_qty"])
            & (p["demand_lead_time_qty"] > 0),
            "stock and open orders cover less than the demand expected before a new order can arrive",
        ),
        "EXCESS_STOCK": (
            (p["on_hand_qty"] > 0)
            & (p["daily_demand"] > 0)
            & (p["on_hand_qty"] / p["daily_demand"] > EXCESS_COVER_DAYS),
            f"more than {EXCESS_COVER_DAYS} days of cover on hand",
        ),
        "DEAD_STOCK": (
            p["is_dead_stock"].fillna(False).astype(bool) & (p["on_hand_qty"] > 0),
            "stock with no sale for the dead-stock window; value at cost in `value`",
        ),
        "MISSING_OR_CONTRADICTORY_DATA": (
            p["flags"]
            .astype("string")
            .str.contains("MISSING_LEAD_TIME_FALLBACK|NO_FORECAST|DEFAULT_CLASS", regex=True)
            .fillna(False)
            | (p["on_hand_qty"] < 0),
            "lead time, forecast or class missing (fallback used), or negative stock",
        ),
    }
    frames = []
    for code, (mask, detail) in rules.items():
        sel = p.loc[mask.fillna(False).astype(bool)]
        frames.append(
            pd.DataFrame(
                {
                    "exception": code,
                    "sku": sel["sku"],
                    "warehouse_id": sel["warehouse_id"],
                    "supplier_id": sel["supplier_id"],
                    "on_hand_qty": sel["on_hand_qty"],
                    "days_of_cover": (
                        sel["on_hand_qty"] / sel["daily_demand"].where(sel["daily_demand"] > 0)
                    ),
                    "value": value.loc[sel.index],
                    "flags": sel["flags"],
                    "detail": detail,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


LABELS_ZH = {
    "sku": "存货编码",
    "warehouse_id": "仓库编码",
    "supplier_id": "供应商编码",
    "order_qty": "建议订货量",
    "order_value": "订货金额",
    "expected_arrival_date": "预计到货日期",
    "on_hand_qty": "现存量",
    "on_order_qty": "在途量",
    "backorder_qty": "欠货量",
    "inventory_position_qty": "库存头寸",
    "safety_stock_qty": "安全库存",
    "reorder_point_qty": "再订货点",
    "order_up_to_qty": "目标库存",
    "demand_lead_time_qty": "提前期需求",
    "demand_protection_qty": "保护期需求",
    "daily_demand": "日均需求",
    "lead_time_days": "提前期(天)",
    "review_period_days": "盘点周期(天)",
    "service_level": "服务水平",
    "abc_class": "ABC分类",
    "xyz_class": "XYZ分类",
    "moq": "最小订货量",
    "pack_size": "批量增量",
    "rounding": "取整方式",
    "transfer_qty": "调拨量",
    "transfer_from_warehouse_id": "调出仓库",
    "days_of_cover_after_arrival": "到货后可用天数",
    "stockout_risk": "缺货风险",
    "reason_code": "原因",
    "flags": "标记",
    "unit_cost": "单位成本",
    "exception": "异常类型",
    "days_of_cover": "可用天数",
    "value": "金额",
    "detail": "说明",
    "lines": "行数",
    "supplier_name": "供应商名称",
}
ORDER_COLUMNS = [
    "supplier_id",
    "sku",
    "warehouse_id",
    "order_qty",
    "unit_cost",
    "order_value",
    "expected_arrival_date",
    "on_hand_qty",
    "on_order_qty",
    "backorder_qty",
    "safety_stock_qty",
    "order_up_to_qty",
    "moq",
    "pack_size",
    "rounding",
    "service_level",
    "abc_class",
    "xyz_class",
    "days_of_cover_after_arrival",
    "stockout_risk",
    "reason_code",
    "flags",
]


def write_plan_files(
    plan: pd.DataFrame, exceptions: pd.DataFrame, folder: Path, plan_date: str, lang: str = "zh"
) -> list[Path]:
    """The planner's workbook (summary, one sheet per supplier with PO lines, exceptions) and CSVs."""
    labels = LABELS_ZH if lang == "zh" else {}
    orders = plan.loc[plan["order_qty"] > 0, ORDER_COLUMNS].sort_values(
        ["supplier_id", "sku", "warehouse_id"]
    )
    summary = (
        orders.groupby("supplier_id", dropna=False)
        .agg(lines=("sku", "size"), order_qty=("order_qty", "sum"), order_value=("order_value", "sum"))
        .reset_index()
    )
    transfers = plan.loc[
        plan["transfer_qty"] > 0,
        ["sku", "transfer_from_warehouse_id", "warehouse_id", "transfer_qty", "reason_code"],
    ]
    sheets = {"Summary" if lang == "en" else "汇总": summary}
    for supplier, lines in orders.groupby("supplier_id", dropna=False, sort=True):
        sheets[str(supplier)] = lines.drop(columns=["supplier_id"])
    if len(transfers):
        sheets["Transfers" if lang == "en" else "调拨建议"] = transfers
    sheets["Exceptions" if lang == "en" else "异常"] = exceptions
    sheets["All lines" if lang == "en" else "全部明细"] = plan
    folder.mkdir(parents=True, exist_ok=True)
    orders, exceptions = orders.round(3), exceptions.round(3)  # readable numbers for planners
    return [
        write_workbook(sheets, folder / f"replenishment_plan_{plan_date}.xlsx", labels),
        write_csv(orders, folder / f"purchase_order_lines_{plan_date}.csv", labels),
        write_csv(exceptions, folder / f"plan_exceptions_{plan_date}.csv", labels),
    ]


SCENARIO_LABELS = {
    "en": {"history": "recorded history", "proposed": "proposed plan", "current_rule": "your current rule",
           "proposed_at_rule_fill": "proposed plan at the rule's fill",
           "proposed_at_rule_fill_at_most": "proposed plan at the rule's fill (at most)"},
    "zh": {"history": "实际历史", "proposed": "建议策略", "current_rule": "现行规则",
           "proposed_at_rule_fill": "建议策略（现行规则满足率下）",
           "proposed_at_rule_fill_at_most": "建议策略（现行规则满足率下，上限）"},
}  # fmt: skip
SIMULATION_LABELS_ZH = {
    "level": "层级", "group": "分组", "scenario": "方案", "series": "品项数", "days": "天数",
    "demand_qty": "需求数量", "shipped_qty": "发货数量", "fill_rate": "满足率", "stockout_days": "缺货天数",
    "stockout_day_share": "缺货天占比", "avg_inventory_value": "平均库存金额", "cogs_value": "销售成本",
    "turnover": "周转次数", "dio_days": "库存周转天数",
}  # fmt: skip


RULE_NAMES_ZH = {
    "items": "物料档案的最低/最高库存",
    "erpnext": "ERPNext 再订货点",
    "odoo": "Odoo 最小/最大库存规则",
    "rs": "定期盘点补货 (R, S)",
}


def rule_sentence(versus: RuleComparison, lang: str = "zh") -> str:
    """The planners' one line: at the current rule's fill, how much less (or more) stock the plan holds."""
    if lang == "en":
        return versus.sentence()
    fill = f"{versus.rule_fill:.1%}"
    name = RULE_NAMES_ZH.get(versus.kind, versus.kind)
    if versus.at_most and pd.notna(versus.stock_ratio) and versus.stock_ratio < 1:
        return (
            f"在现行规则（{name}）的满足率 {fill} 下，建议策略的库存至少少 {1 - versus.stock_ratio:.0%}："
            f"即使满足率达到 {versus.frontier[0][0]:.1%}，其平均库存金额也只有 "
            f"{versus.plan_inventory_at_rule_fill:,.0f}，现行规则为 {versus.rule_inventory_value:,.0f}。"
        )
    if pd.notna(versus.stock_ratio) and not versus.at_most:
        word = "少" if versus.stock_ratio <= 1 else "多"
        return (
            f"在现行规则（{name}）的满足率 {fill} 下，建议策略的平均库存金额为 "
            f"{versus.plan_inventory_at_rule_fill:,.0f}，现行规则为 {versus.rule_inventory_value:,.0f}，库存{word} "
            f"{abs(1 - versus.stock_ratio):.0%}。"
        )
    return f"现行规则的满足率为 {fill}，建议策略的回放未达到该满足率，无法给出同等满足率下的对比。"


def write_rule_comparison(
    comparison: dict[str, pd.DataFrame], sentence: str, folder: Path, plan_date: str, lang: str = "zh"
) -> Path:
    """`policy_vs_current_rule_<date>.xlsx` beside the day's plan: the plan against the rule the company
    runs today, replayed on the same demand (the sentence first, then every level's figures)."""
    names = SCENARIO_LABELS["en" if lang == "en" else "zh"]
    table = pd.concat([f.assign(level=level) for level, f in comparison.items()], ignore_index=True)
    table = table[["level", *[c for c in table.columns if c != "level"]]]
    table["scenario"] = table["scenario"].map(names).fillna(table["scenario"])
    head = pd.DataFrame({"Plan vs your current rule" if lang == "en" else "建议策略与现行规则": [sentence]})
    sheets = {("Summary" if lang == "en" else "结论"): head, ("Figures" if lang == "en" else "明细"): table}
    folder.mkdir(parents=True, exist_ok=True)
    labels = SIMULATION_LABELS_ZH if lang != "en" else {}
    return write_workbook(sheets, folder / f"policy_vs_current_rule_{plan_date}.xlsx", labels)


@dataclass(frozen=True)
class SimulationInputs:
    demand: (
        pd.DataFrame
    )  # sku, warehouse_id, date, qty: the window plus earlier days for the stand-in forecast
    stock: pd.DataFrame  # on hand at the end of the day before the window
    open_pos: pd.DataFrame  # receipts inside the window of orders placed before it, on their real dates
    lead_time_samples: pd.DataFrame  # supplier_id, lead_time_days observed
    history: pd.DataFrame  # what the ledger shows in the window
    window_start: pd.Timestamp


def simulation_inputs(conn: duckdb.DuckDBPyConnection, days: int, warmup_days: int = 120) -> SimulationInputs:
    """The recorded history of the last `days` days, and what a replay of them starts from."""
    last = conn.execute("select max(date_day) from marts.fct_daily_stock").fetchall()[0][0]
    start = pd.Timestamp(last) - pd.Timedelta(days=days - 1)
    demand = conn.execute(
        "select sku, warehouse_id, date_day as date, ordered_qty as qty from marts.fct_sku_daily_demand "
        "where date_day >= ? and is_active",
        [start - pd.Timedelta(days=warmup_days)],
    ).df()
    stock = conn.execute(
        "select sku, warehouse_id, greatest(on_hand_qty, 0) as on_hand_qty, unit_cost from marts.fct_daily_stock "
        "where date_day = ?",
        [start - pd.Timedelta(days=1)],
    ).df()
    open_pos = conn.execute(
        "select sku, warehouse_id, received_qty as qty, receipt_date as expected_date "
        "from intermediate.int_purchase_receipts_matched where receipt_date >= ? and order_date < ?",
        [start, start],
    ).df()
    samples = conn.execute(
        "select supplier_id, lead_time_days from intermediate.int_purchase_receipts_matched "
        "where lead_time_days is not null"
    ).df()
    history = conn.execute(
        """
        select s.sku, s.warehouse_id, s.date_day as date, coalesce(d.ordered_qty, 0) as demand_qty,
               s.shipped_qty, s.on_hand_qty
        from marts.fct_daily_stock s
        left join marts.fct_sku_daily_demand d
            on d.sku = s.sku and d.warehouse_id = s.warehouse_id and d.date_day = s.date_day
        where s.date_day >= ?
        """,
        [start],
    ).df()
    return SimulationInputs(demand, stock, open_pos, samples, history, start)


def latest_plan(plans_dir: Path) -> Path | None:
    found = sorted(plans_dir.glob("*/replenishment_plan_*.xlsx")) if plans_dir.exists() else []
    return found[-1] if found else None


def write_plan_status(plans_dir: Path, ok: bool, detail: str, when: str) -> Path:
    """`exports/plans/STATUS.md`: what planners read first — is today's plan there, and if not, why."""
    plans_dir.mkdir(parents=True, exist_ok=True)
    last = latest_plan(plans_dir)
    if ok:
        text = f"# Plan up to date\n\nWritten {when}: `{last}`.\n\n{detail}\n"
    else:
        kept = f"The latest good plan is unchanged: `{last}`." if last else "There is no earlier plan."
        text = (
            f"# Plan NOT updated\n\nThe run at {when} did not produce a new plan, because:\n\n> {detail}\n\n"
            f"{kept} The data team has been alerted.\n"
        )
    tmp = plans_dir / ".STATUS.md.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(plans_dir / "STATUS.md")
    return plans_dir / "STATUS.md"
