"""The plans stage's two runs, end to end and without Dagster: the day's replenishment plan (read, plan,
store, write the planners' files and STATUS.md) and the policy simulation (replay the recent past under the
plan, the current rule and two more service shifts, store, write the rule comparison).

Each run takes the settings, a ``connect`` that opens the warehouse (``StockflowResource.connect``) and the
run id, and returns a dataclass of what the asset reports. ``pipelines/defs/plans`` wires them into assets;
never imports Dagster.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pandas as pd

from pipelines.operations import failpoints
from pipelines.operations.settings import Settings
from pipelines.plans.planning import (
    plan_exceptions,
    plan_inputs,
    rule_sentence,
    simulation_inputs,
    write_plan_files,
    write_plan_status,
    write_rule_comparison,
)
from pipelines.reports.exports import remove_stale_temporaries
from pipelines.warehouse import connection as warehouse
from pipelines.warehouse.connection import Connect

if TYPE_CHECKING:  # the simulation code is imported only where it runs
    from models_ml.current_rule import RuleComparison

FRONTIER_SHIFTS = (-1.0, 0.5)  # service shifts (in z) of the extra plan replays


@dataclass(frozen=True)
class PlanRun:
    """The day's plan and what its asset reports."""

    plan: pd.DataFrame
    exceptions: pd.DataFrame
    seconds: float  # planning alone, without reading and writing
    files: list[Path]  # the workbook first
    lines_to_order: int
    order_value: float
    suppliers: int
    transfers: int
    lines_at_cap: int  # safety stock at the STOCKFLOW_MAX_SAFETY_STOCK_DAYS cap
    lines_with_class_from_forecast: int
    reasons_markdown: str  # lines per reason code


def _store_plan(
    connect: Connect, plan: pd.DataFrame, exceptions: pd.DataFrame, plan_date: str, run_id: str
) -> None:
    stamp = {"plan_date": plan_date, "run_id": run_id}
    with connect() as conn:  # a same-day re-run (or the run after a killed one) replaces that day's plan
        warehouse.replace_rows(
            conn,
            {
                "plans.replenishment_plan": plan.assign(**stamp),
                "plans.plan_exceptions": exceptions.assign(**stamp),
            },
            {"plan_date": plan_date},
        )


def run_replenishment_plan(settings: Settings, connect: Connect, run_id: str) -> PlanRun:
    """Plan every SKU x warehouse from the latest forecasts and marts, store the plan and its exceptions
    (a same-day re-run replaces them), write the planners' files and STATUS.md."""
    from models_ml.replenishment import plan_replenishment

    remove_stale_temporaries(settings.exports)  # what a killed run's half-written files left behind
    with connect(read_only=False) as conn:
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
    _store_plan(connect, plan, exceptions, plan_date, run_id)
    failpoints.kill_at("plan")  # fault injection: the plan stored, its files not yet written
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
    return PlanRun(
        plan=plan,
        exceptions=exceptions,
        seconds=seconds,
        files=files,
        lines_to_order=len(ordering),
        order_value=float(ordering["order_value"].sum()),
        suppliers=int(ordering["supplier_id"].nunique()),
        transfers=int((plan["transfer_qty"] > 0).sum()),
        lines_at_cap=at_cap,
        lines_with_class_from_forecast=int((flags == "CLASS_FROM_FORECAST").sum()),
        reasons_markdown="| reason | lines |\n|---|---:|\n"
        + "\n".join(f"| {k} | {v} |" for k, v in reasons.items()),
    )


@dataclass(frozen=True)
class SimulationRun:
    """The policy simulation and what its asset reports."""

    window_start: pd.Timestamp
    proposed: pd.DataFrame  # the plan's replay, day by day
    history: pd.DataFrame  # what the ledger shows in the window
    comparison: dict[str, pd.DataFrame]  # per level: scenario rows (history, proposed, current_rule, ...)
    versus: RuleComparison
    workbook: Path  # policy_vs_current_rule_<date>.xlsx
    seconds: float  # the replays alone
    comparison_markdown: str  # every level, history vs proposed vs the current rule

    @property
    def total(self) -> pd.DataFrame:
        return self.comparison["total"].set_index("scenario")

    @property
    def transfer_units(self) -> float:
        return float(self.proposed["transfer_qty"].clip(lower=0).sum())

    @property
    def frontier_markdown(self) -> str:
        return "| plan fill | avg inventory value |\n|---:|---:|\n" + "\n".join(
            f"| {f:.3f} | {v:,.0f} |" for f, v in self.versus.frontier
        )


def run_policy_simulation(settings: Settings, connect: Connect, run_id: str) -> SimulationRun:
    """Replay the last STOCKFLOW_SIMULATION_DAYS days of demand under the plan, the current rule and the
    plan at two more service shifts; store the comparison and write the rule-comparison workbook."""
    from models_ml.current_rule import CurrentRule, compare_rule, shifted_service, with_equal_fill_row
    from models_ml.simulation import (
        SimulationConfig,
        compare_with_history,
        comparison_markdown,
        simulate_policy,
    )

    with connect(read_only=False) as conn:
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
    rows = table.assign(run_id=run_id, window_start=sim.window_start, window_days=settings.simulation_days)
    with (
        connect() as conn
    ):  # a replay of the same window (a re-run, or the run after a killed one) replaces it
        warehouse.replace_rows(
            conn,
            {"plans.policy_simulation": rows},
            {"window_start": sim.window_start, "window_days": settings.simulation_days},
        )
    plan_date = datetime.now(ZoneInfo(settings.timezone)).date().isoformat()
    sentence = rule_sentence(versus, settings.export_lang)
    workbook = write_rule_comparison(
        comparison, sentence, settings.exports / "plans" / plan_date, plan_date, settings.export_lang
    )
    return SimulationRun(
        sim.window_start,
        proposed,
        sim.history,
        comparison,
        versus,
        workbook,
        seconds,
        comparison_markdown(comparison),
    )
