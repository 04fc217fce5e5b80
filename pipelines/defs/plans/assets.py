"""Replenishment plans for planners: a thin caller of models_ml.replenishment."""

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd

from pipelines.defs.resources import StockflowResource
from pipelines.plans.planning import (
    plan_exceptions,
    plan_inputs,
    rule_sentence,
    simulation_inputs,
    write_plan_files,
    write_plan_status,
    write_rule_comparison,
)
from pipelines.reports.charts import simulation_vs_history
from pipelines.warehouse import connection as warehouse

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
    from models_ml.replenishment import plan_replenishment

    settings = stockflow.settings
    with stockflow.connect(read_only=False) as conn:
        inputs = plan_inputs(conn)
    started = time.perf_counter()
    config = settings.replenishment_config
    plan = plan_replenishment(
        inputs.forecast,
        inputs.stock,
        inputs.params,
        inputs.open_pos,
        inputs.backorders,
        as_of=inputs.as_of,
        config=config,
    )
    exceptions = plan_exceptions(plan, inputs.params)
    seconds = time.perf_counter() - started
    plan_date = datetime.now(ZoneInfo(settings.timezone)).date().isoformat()
    with stockflow.connect() as conn:
        stamp = {"plan_date": plan_date, "run_id": context.run_id}
        for table in ("plans.replenishment_plan", "plans.plan_exceptions"):  # a same-day re-run replaces
            if warehouse.table_exists(conn, table):
                conn.execute(f"delete from {table} where plan_date = ?", [plan_date])
        warehouse.append_frame(conn, "plans.replenishment_plan", plan.assign(**stamp))
        warehouse.append_frame(conn, "plans.plan_exceptions", exceptions.assign(**stamp))
    files = write_plan_files(
        plan, exceptions, settings.exports / "plans" / plan_date, plan_date, settings.export_lang
    )
    ordering = plan[plan["order_qty"] > 0]
    reasons = plan["reason_code"].value_counts()
    flags = plan["flags"].str.split(";").explode()
    at_cap = int((flags == "SAFETY_STOCK_AT_MAX").sum())
    write_plan_status(
        settings.exports / "plans",
        True,
        f"{len(ordering)} lines to order from {ordering['supplier_id'].nunique()} suppliers; "
        f"{len(exceptions)} exceptions; safety stock at the {settings.max_safety_stock_days:g}-day cap on "
        f"{at_cap} of {len(plan)} lines.",
        datetime.now(ZoneInfo(settings.timezone)).isoformat("T", "minutes"),
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(plan),
            "lines_to_order": len(ordering),
            "order_value": float(ordering["order_value"].sum()),
            "suppliers": int(ordering["supplier_id"].nunique()),
            "transfers": int((plan["transfer_qty"] > 0).sum()),
            "exceptions": len(exceptions),
            "plan_seconds": round(seconds, 2),
            "safety_stock_cap_days": settings.max_safety_stock_days,
            "lines_at_safety_stock_cap": at_cap,
            "lines_with_class_from_forecast": int((flags == "CLASS_FROM_FORECAST").sum()),
            "workbook": dg.MetadataValue.path(str(files[0])),
            "reasons": dg.MetadataValue.md(
                "| reason | lines |\n|---|---:|\n" + "\n".join(f"| {k} | {v} |" for k, v in reasons.items())
            ),
        }
    )


FRONTIER_SHIFTS = (-1.0, 0.5)  # service shifts (in z) of the extra plan replays


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
    from models_ml.current_rule import CurrentRule, compare_rule, shifted_service, with_equal_fill_row
    from models_ml.simulation import (
        SimulationConfig,
        compare_with_history,
        comparison_markdown,
        simulate_policy,
    )

    settings = stockflow.settings
    with stockflow.connect(read_only=False) as conn:
        params = plan_inputs(conn).params
        sim = simulation_inputs(conn, settings.simulation_days)
    started = time.perf_counter()
    config = settings.replenishment_config
    rule = CurrentRule(settings.current_rule, settings.current_rule_param)

    def replay(**kwargs: object) -> pd.DataFrame:
        return simulate_policy(
            sim.demand,
            params,
            sim.stock,
            sim.open_pos,
            lead_time_samples=sim.lead_time_samples,
            sim_config=SimulationConfig(days=settings.simulation_days),
            **kwargs,
        )

    proposed = replay(config=config)
    current = replay(config=config, rule=rule)
    # two more points of the plan's fill-vs-stock frontier, to read its stock at the rule's fill
    plan_frames = {
        0.0: proposed,
        **{shift: replay(config=shifted_service(config, shift)) for shift in FRONTIER_SHIFTS},
    }
    versus = compare_rule(plan_frames, current, rule)
    comparison = compare_with_history(proposed, sim.history, others={"current_rule": current})
    comparison["total"] = with_equal_fill_row(comparison["total"], versus)
    seconds = time.perf_counter() - started
    table = pd.concat([frame.assign(level=level) for level, frame in comparison.items()], ignore_index=True)
    with stockflow.connect() as conn:
        warehouse.append_frame(
            conn,
            "plans.policy_simulation",
            table.assign(
                run_id=context.run_id, window_start=sim.window_start, window_days=settings.simulation_days
            ),
        )
    plan_date = datetime.now(ZoneInfo(settings.timezone)).date().isoformat()
    sentence = rule_sentence(versus, settings.export_lang)
    workbook = write_rule_comparison(
        comparison, sentence, settings.exports / "plans" / plan_date, plan_date, settings.export_lang
    )
    total = comparison["total"].set_index("scenario")
    return dg.MaterializeResult(
        metadata={
            "window_start": str(sim.window_start.date()),
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
            "plan_frontier": dg.MetadataValue.md(
                "| plan fill | avg inventory value |\n|---:|---:|\n"
                + "\n".join(f"| {f:.3f} | {v:,.0f} |" for f, v in versus.frontier)
            ),
            "plan_vs_current_rule": versus.sentence(),
            "rule_comparison_workbook": dg.MetadataValue.path(str(workbook)),
            "transfer_units": float(proposed["transfer_qty"].clip(lower=0).sum()),
            "simulation_seconds": round(seconds, 2),
            "comparison": dg.MetadataValue.md(comparison_markdown(comparison)),
            "plot": dg.MetadataValue.md(simulation_vs_history(proposed, sim.history)),
        }
    )
