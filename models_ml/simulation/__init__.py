"""Policy simulation: replay the last N days of actual demand under a proposed replenishment policy.

What no ERP offers: the same demand the company really saw, replayed day by day with orders placed at
each review by ``models_ml.replenishment`` rules and arriving after the lead times the suppliers really
took, compared with what the stock ledger shows happened. Pure numpy/pandas; the only Python loop runs
over days, vectorised across all series (as the demo generator's stock simulation).

Inputs
------
demand
    ``sku, warehouse_id, date, qty`` (+ optional ``is_stockout``, not used by the replay): the daily
    *requested* quantity (ordered, not shipped; unconstrained demand). Days before the replay window
    feed the stand-in forecast; missing days are zero demand.
params
    as in ``plan_replenishment`` (lead time, review period / ``order_weekdays``, MOQ, pack, maximum,
    ABC/XYZ, status, ``is_dead_stock``) + optional ``discontinued_date`` (no orders from that day).
stock
    ``sku, warehouse_id, on_hand_qty, unit_cost``: on hand the evening before the window starts. The
    unit cost values inventory and COGS in both scenarios (so only quantities differ).
open_pos (optional)
    ``sku, warehouse_id, qty, expected_date``: pipeline at the window start. For a replay pass the
    *actual* receipt dates; a date before the window arrives on its first day.
forecast (optional)
    ``sku, warehouse_id, date, p50, p90`` (+ ``mean``, ``sigma``) covering the window: the forecast the
    policy would have seen for each day (e.g. a rolling backtest). Without it a **stand-in** is used at
    each review: the mean of the trailing ``standin_mean_days`` days of demand (counted from a series'
    first demand, at least 7 days) and the standard deviation of the trailing ``standin_std_days``
    days; no look-ahead.
lead_time_samples (optional)
    ``supplier_id, lead_time_days``: observed PO lead times. Each simulated order draws one from its
    supplier's sample (seeded); without samples it arrives after round(mean lead time) days (>= 1).

Each day, in order: receipts due arrive; demand is served from on hand (``min(demand + backlog,
on hand)``; unmet demand is lost by default, as short-closed order lines are, or backordered with
``lost_sales=False``); on review days (the series' order weekdays, else every round(R) days from the
window start) the policy computes its levels from the forecast over lead time + review and orders
``max(0, S - position)`` rounded to MOQ / pack and capped (no orders for dead or discontinued series);
the order arrives ``lead time`` days later. Transfers between warehouses are not simulated.

``simulate_policy`` returns one row per series and day (``DAILY_COLUMNS``); ``compare_with_history``
aggregates it and an equally shaped history frame into fill rate, stockout days, average inventory
value, turnover and DIO per warehouse, ABC class and in total; ``comparison_markdown`` renders it.

Modules (this ``__init__`` only re-exports the public API)
----------------------------------------------------------
- ``config``: ``SimulationConfig``.
- ``inputs``: the replay's fixed inputs (``ReplayInputs``: demand matrix, supply, review days, opening
  stock, forecast or stand-in).
- ``book``: the replay's stock, pipeline, backlog and daily record (``ReplayBook``), lead-time draws.
- ``replay``: ``simulate_policy``, the day loop, as named steps; ``DAILY_COLUMNS``.
- ``comparison``: ``compare_with_history``, ``comparison_markdown``; ``METRIC_COLUMNS``.
The current rule replayed with ``rule=`` lives in ``models_ml.current_rule``. Never imports dagster,
duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

from models_ml.simulation.comparison import METRIC_COLUMNS, compare_with_history, comparison_markdown
from models_ml.simulation.config import SimulationConfig
from models_ml.simulation.replay import DAILY_COLUMNS, simulate_policy

__all__ = [
    "DAILY_COLUMNS",
    "METRIC_COLUMNS",
    "SimulationConfig",
    "compare_with_history",
    "comparison_markdown",
    "simulate_policy",
]
