"""Replenishment policy engine: forecast quantiles + stock + supply parameters -> explained order lines.

Pure pandas/numpy/scipy (no Dagster, no DuckDB, no environment variables). Every computation is
vectorised over SKU x warehouse rows; there is no per-row Python loop. See docs/replenishment.md.

Inputs (DataFrames; key columns ``sku``, ``warehouse_id`` are compared as strings)
--------------------------------------------------------------------------------
forecast
    ``sku, warehouse_id, date, p50, p90`` (+ optional ``mean`` and other quantile columns ``pNN``,
    + optional ``sigma`` = daily forecast-error std-dev). One row per series and day, as returned by
    ``models_ml.forecast.fit_predict``. Rows dated before ``as_of`` are ignored. The point forecast is
    ``mean`` when present (medians of intermittent demand are often 0), else ``p50``.
stock
    ``sku, warehouse_id, on_hand_qty`` (+ optional ``unit_cost``). Missing series: on hand 0.
params
    ``sku`` (+ optional ``warehouse_id``: rows with a null/missing warehouse apply to every warehouse of
    the SKU, a row with a warehouse wins), ``supplier_id, lead_time_mean_days, lead_time_std_days,
    lead_time_days, supplier_lead_time_days, moq, pack_size, max_order_qty, review_period_days,
    order_weekdays, abc_class, xyz_class, service_level, status, is_dead_stock, unit_cost``. Every
    column is optional; the fallbacks are listed below.
open_pos
    ``sku, warehouse_id, qty`` (+ optional ``expected_date``). Summed into ``on_order_qty``.
backorders
    ``sku, warehouse_id, qty``. Open customer backorders, summed into ``backorder_qty``.

Fallbacks (missing column or null value)
----------------------------------------
- lead time: ``lead_time_mean_days`` (measured, e.g. fct_supplier_performance) -> ``lead_time_days``
  (item master) -> ``supplier_lead_time_days`` (supplier master) -> ``config.default_lead_time_days``
  (flag ``MISSING_LEAD_TIME_FALLBACK``). Lead-time std: ``lead_time_std_days`` ->
  ``config.default_lead_time_cv`` x lead time (0 by default).
- review period: ``review_period_days`` -> 7 / number of ``order_weekdays`` ("Mon,Wed,Fri") ->
  ``config.default_review_period_days`` (7).
- pack size 1, MOQ 0, no maximum order quantity, status ``active``, not dead stock, unit cost NaN
  (order value NaN).
- ABC / XYZ class: computed from the plan's forecasts (``classes_from_forecast``, flag
  ``CLASS_FROM_FORECAST``); with ``config.missing_class="default"`` the class ``config.default_class``
  ("CZ", flag ``DEFAULT_CLASS``).
- no forecast rows: demand 0 (flag ``NO_FORECAST``); forecast shorter than lead time + review: the
  series' average forecast day fills the missing days (flag ``HORIZON_EXTENDED``).

Output of ``plan_replenishment``: one row per SKU x warehouse, columns in ``PLAN_COLUMNS``.

Modules (this ``__init__`` only re-exports the public API)
----------------------------------------------------------
- ``config``: ``ReplenishmentConfig``, the policies, the default service matrix.
- ``plan``: ``plan_replenishment``, the orchestration, as named steps; ``PLAN_COLUMNS``.
- ``inputs``: input shaping (string keys, sums per key, parameter merge) and ``resolve_supply``, the
  fallbacks above.
- ``windows``: weekly forecasts split into days; forecast sums over lead time and protection window.
- ``levels``: each row's classes and service level in a plan, and the forecast sums read at it.
- ``service``: service allocation: the ABC x XYZ matrix, classes from the forecast, the optimiser.
- ``safety``: safety stock. ``policy``: the (R, S), (s, Q) and min/max formulas.
- ``rounding``: MOQ / pack / maximum rounding. ``transfers``: transfers between warehouses.
- ``explanations``: reason codes, flags and rounding text, the planner-facing reasons.
Never imports dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

from models_ml.replenishment.config import DEFAULT_SERVICE_MATRIX, POLICIES, ReplenishmentConfig
from models_ml.replenishment.explanations import (
    BACKORDERS_OPEN,
    CAPPED_AT_MAX,
    CLASS_FROM_FORECAST,
    DEFAULT_CLASS,
    DONOR_FOR_TRANSFER,
    FLAGS,
    FORECAST_SPLIT_TO_DAYS,
    HORIZON_EXTENDED,
    LEAD_TIME_FROM_MASTER,
    MISSING_LEAD_TIME_FALLBACK,
    NO_FORECAST,
    NO_ORDER_DEAD_STOCK,
    NO_ORDER_DISCONTINUED,
    NO_ORDER_NO_DEMAND,
    NO_ORDER_POSITION_SUFFICIENT,
    ORDER_BELOW_REORDER_POINT,
    REASON_CODES,
    ROUNDED_TO_MOQ,
    ROUNDED_TO_PACK,
    SAFETY_STOCK_AT_MAX,
    SAFETY_STOCK_AT_MIN,
    TRANSFER_INSTEAD,
)
from models_ml.replenishment.inputs import DISCONTINUED_STATUSES, KEYS
from models_ml.replenishment.plan import PLAN_COLUMNS, plan_replenishment
from models_ml.replenishment.policy import cycle_quantity, policy_order
from models_ml.replenishment.rounding import round_order_qty
from models_ml.replenishment.safety import safety_stock
from models_ml.replenishment.service import (
    classes_from_forecast,
    normal_loss,
    optimised_service_z,
    service_levels,
)
from models_ml.replenishment.transfers import allocate_transfers, suggest_transfers, transfer_excess
from models_ml.replenishment.windows import FREQ_DAYS, daily_forecast, forecast_step_days

__all__ = [
    "BACKORDERS_OPEN",
    "CAPPED_AT_MAX",
    "CLASS_FROM_FORECAST",
    "DEFAULT_CLASS",
    "DEFAULT_SERVICE_MATRIX",
    "DISCONTINUED_STATUSES",
    "DONOR_FOR_TRANSFER",
    "FLAGS",
    "FORECAST_SPLIT_TO_DAYS",
    "FREQ_DAYS",
    "HORIZON_EXTENDED",
    "KEYS",
    "LEAD_TIME_FROM_MASTER",
    "MISSING_LEAD_TIME_FALLBACK",
    "NO_FORECAST",
    "NO_ORDER_DEAD_STOCK",
    "NO_ORDER_DISCONTINUED",
    "NO_ORDER_NO_DEMAND",
    "NO_ORDER_POSITION_SUFFICIENT",
    "ORDER_BELOW_REORDER_POINT",
    "PLAN_COLUMNS",
    "POLICIES",
    "REASON_CODES",
    "ROUNDED_TO_MOQ",
    "ROUNDED_TO_PACK",
    "SAFETY_STOCK_AT_MAX",
    "SAFETY_STOCK_AT_MIN",
    "TRANSFER_INSTEAD",
    "ReplenishmentConfig",
    "allocate_transfers",
    "classes_from_forecast",
    "cycle_quantity",
    "daily_forecast",
    "forecast_step_days",
    "normal_loss",
    "optimised_service_z",
    "plan_replenishment",
    "policy_order",
    "round_order_qty",
    "safety_stock",
    "service_levels",
    "suggest_transfers",
    "transfer_excess",
]
