"""Replenishment plans for planners: assets wired to pipelines.plans.run (the logic lives there)."""

import dagster as dg

from pipelines.defs.resources import StockflowResource
from pipelines.plans.run import run_policy_simulation, run_replenishment_plan
from pipelines.reports.charts import simulation_vs_history

UPSTREAM = [
    dg.AssetKey(["forecast", "sku_demand_forecasts"]),
    dg.AssetKey(["marts", "fct_daily_stock"]),
    dg.AssetKey(["marts", "dim_skus"]),
    dg.AssetKey(["marts", "fct_dead_stock"]),
    dg.AssetKey(["marts", "fct_supplier_performance"]),
    dg.AssetKey(["marts", "fct_supplier_sku_performance"]),
]


@dg.asset(
    key=["plans", "replenishment_plan"],
    group_name="plans",
    kinds={"python", "excel", "duckdb"},
    deps=UPSTREAM,
    owners=["team:planning"],
    description="Replenishment plan per SKU x warehouse ((R, S) policy, ABC x XYZ service targets, MOQ and pack "
    "rounding, transfers before buying), each line explained; tables plans.replenishment_plan and "
    "plans.plan_exceptions (kept per run) and planner files in exports/plans/<date>/. Upstream blocking checks "
    "stop it, so planners keep the last good plan when inputs are bad.",
)
def replenishment_plan(
    context: dg.AssetExecutionContext, stockflow: StockflowResource
) -> dg.MaterializeResult:
    settings = stockflow.settings
    run = run_replenishment_plan(settings, stockflow.connect, context.run_id)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(run.plan),
            "lines_to_order": run.lines_to_order,
            "order_value": run.order_value,
            "suppliers": run.suppliers,
            "transfers": run.transfers,
            "exceptions": len(run.exceptions),
            "plan_seconds": round(run.seconds, 2),
            "safety_stock_cap_days": settings.max_safety_stock_days,
            "lines_at_safety_stock_cap": run.lines_at_cap,
            "lines_with_class_from_forecast": run.lines_with_class_from_forecast,
            "workbook": dg.MetadataValue.path(str(run.files[0])),
            "reasons": dg.MetadataValue.md(run.reasons_markdown),
        }
    )


@dg.asset(
    key=["plans", "policy_simulation"],
    group_name="plans",
    kinds={"python", "duckdb"},
    deps=UPSTREAM,
    owners=["team:planning"],
    description="Replays the last STOCKFLOW_SIMULATION_DAYS days of actual demand under the proposed policy (transfers "
    "from warehouses with excess, then orders at each review, arriving after observed supplier lead times) and "
    "compares fill rate, stockout days, average "
    "inventory, turnover and DIO with what the ledger shows happened and with your current rule "
    "(STOCKFLOW_CURRENT_RULE) replayed on the same demand, per warehouse and ABC class; the plan at two more "
    "service shifts gives its stock at the rule's fill.",
)
def policy_simulation(
    context: dg.AssetExecutionContext, stockflow: StockflowResource
) -> dg.MaterializeResult:
    settings = stockflow.settings
    run = run_policy_simulation(settings, stockflow.connect, context.run_id)
    total, versus = run.total, run.versus
    return dg.MaterializeResult(
        metadata={
            "window_start": str(run.window_start.date()),
            "window_days": settings.simulation_days,
            "fill_rate_history": float(total.loc["history", "fill_rate"]),
            "fill_rate_proposed": float(total.loc["proposed", "fill_rate"]),
            "avg_inventory_value_history": float(total.loc["history", "avg_inventory_value"]),
            "avg_inventory_value_proposed": float(total.loc["proposed", "avg_inventory_value"]),
            "forecast_used": "stand-in: trailing 28-day mean and 91-day std at each review (no look-ahead)",
            "current_rule": versus.rule,
            "fill_rate_current_rule": versus.rule_fill,
            "avg_inventory_value_current_rule": versus.rule_inventory_value,
            "plan_inventory_value_at_rule_fill": versus.plan_inventory_at_rule_fill,
            "plan_vs_rule_stock_at_equal_fill": versus.stock_ratio,
            "plan_frontier": dg.MetadataValue.md(run.frontier_markdown),
            "plan_vs_current_rule": versus.sentence(),
            "rule_comparison_workbook": dg.MetadataValue.path(str(run.workbook)),
            "transfer_units": run.transfer_units,
            "simulation_seconds": round(run.seconds, 2),
            "comparison": dg.MetadataValue.md(run.comparison_markdown),
            "plot": dg.MetadataValue.md(simulation_vs_history(run.proposed, run.history)),
        }
    )
