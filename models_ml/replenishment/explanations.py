"""Planner-facing explanations of a plan line: its decision code, its flags and its rounding text.

Owns the ``reason_code`` values (``REASON_CODES``: one per line), the ``flags`` modifiers (``FLAGS``:
zero or more per line, ``;``-joined) and the rules that pick them from the plan's intermediate masks.
Pure numpy; never imports dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # types only: the explanation rules read these bundles, they build none of them
    from models_ml.replenishment.inputs import SupplyParams
    from models_ml.replenishment.windows import ForecastWindows

# Decision codes (one per line, column ``reason_code``)
ORDER_BELOW_REORDER_POINT = "ORDER_BELOW_REORDER_POINT"
NO_ORDER_POSITION_SUFFICIENT = "NO_ORDER_POSITION_SUFFICIENT"
NO_ORDER_NO_DEMAND = "NO_ORDER_NO_DEMAND"
NO_ORDER_DEAD_STOCK = "NO_ORDER_DEAD_STOCK"
NO_ORDER_DISCONTINUED = "NO_ORDER_DISCONTINUED"
TRANSFER_INSTEAD = "TRANSFER_INSTEAD"
REASON_CODES = (
    ORDER_BELOW_REORDER_POINT,
    NO_ORDER_POSITION_SUFFICIENT,
    NO_ORDER_NO_DEMAND,
    NO_ORDER_DEAD_STOCK,
    NO_ORDER_DISCONTINUED,
    TRANSFER_INSTEAD,
)
# Modifiers (zero or more per line, ``;``-joined in column ``flags``)
ROUNDED_TO_MOQ = "ROUNDED_TO_MOQ"
ROUNDED_TO_PACK = "ROUNDED_TO_PACK"
CAPPED_AT_MAX = "CAPPED_AT_MAX"
MISSING_LEAD_TIME_FALLBACK = "MISSING_LEAD_TIME_FALLBACK"
LEAD_TIME_FROM_MASTER = "LEAD_TIME_FROM_MASTER"
DEFAULT_CLASS = "DEFAULT_CLASS"
NO_FORECAST = "NO_FORECAST"
HORIZON_EXTENDED = "HORIZON_EXTENDED"
SAFETY_STOCK_AT_MIN = "SAFETY_STOCK_AT_MIN"
SAFETY_STOCK_AT_MAX = "SAFETY_STOCK_AT_MAX"
BACKORDERS_OPEN = "BACKORDERS_OPEN"
DONOR_FOR_TRANSFER = "DONOR_FOR_TRANSFER"
FORECAST_SPLIT_TO_DAYS = "FORECAST_SPLIT_TO_DAYS"
CLASS_FROM_FORECAST = "CLASS_FROM_FORECAST"
FLAGS = (
    ROUNDED_TO_MOQ,
    ROUNDED_TO_PACK,
    CAPPED_AT_MAX,
    MISSING_LEAD_TIME_FALLBACK,
    LEAD_TIME_FROM_MASTER,
    DEFAULT_CLASS,
    NO_FORECAST,
    HORIZON_EXTENDED,
    SAFETY_STOCK_AT_MIN,
    SAFETY_STOCK_AT_MAX,
    BACKORDERS_OPEN,
    DONOR_FOR_TRANSFER,
    FORECAST_SPLIT_TO_DAYS,
    CLASS_FROM_FORECAST,
)


def _joined(masks: list[tuple[np.ndarray, str]], n: int, sep: str) -> np.ndarray:
    """Names whose mask is true, joined by ``sep`` (vectorised: one pass per name, not per row)."""
    out = np.full(n, "", dtype=object)
    for mask, name in masks:
        out = np.where(mask, np.where(out == "", name, out + sep + name), out)
    return out


def _rounding_text(moq_applied: np.ndarray, pack_applied: np.ndarray, capped: np.ndarray) -> np.ndarray:
    out = _joined([(moq_applied, "moq"), (pack_applied, "pack"), (capped, "cap")], len(capped), "+")
    return np.where(out == "", "none", out)


def reason_codes(
    discontinued: np.ndarray,
    dead: np.ndarray,
    qty: np.ndarray,
    demand_protection: np.ndarray,
    position: np.ndarray,
) -> np.ndarray:
    """The decision code of each line before transfers (``TRANSFER_INSTEAD`` is set by the transfer step):
    discontinued, dead stock, an order, no demand over the protection window, else position sufficient."""
    return np.select(
        [discontinued, dead, qty > 0, (demand_protection <= 0) & (position >= 0)],
        [NO_ORDER_DISCONTINUED, NO_ORDER_DEAD_STOCK, ORDER_BELOW_REORDER_POINT, NO_ORDER_NO_DEMAND],
        NO_ORDER_POSITION_SUFFICIENT,
    )


def line_flags(
    qty: np.ndarray,
    moq_applied: np.ndarray,
    pack_applied: np.ndarray,
    capped: np.ndarray,
    sp: SupplyParams,
    from_forecast: np.ndarray,
    split_rows: np.ndarray,
    fw: ForecastWindows,
    ss_min: np.ndarray,
    ss_max: np.ndarray,
    backorder: np.ndarray,
    donor: np.ndarray,
) -> np.ndarray:
    """The ``flags`` text of each line: the modifiers that hold for it, in ``FLAGS`` order, ``;``-joined.
    Rounding flags only on lines that still order after transfers."""
    return _joined(
        [
            (mask, name)
            for name, mask in {
                ROUNDED_TO_MOQ: moq_applied & (qty > 0),
                ROUNDED_TO_PACK: pack_applied & (qty > 0),
                CAPPED_AT_MAX: capped & (qty > 0),
                MISSING_LEAD_TIME_FALLBACK: sp.lead_time_fallback,
                LEAD_TIME_FROM_MASTER: sp.lead_time_from_master,
                DEFAULT_CLASS: sp.default_class & ~sp.service_override & ~from_forecast,
                CLASS_FROM_FORECAST: from_forecast,
                FORECAST_SPLIT_TO_DAYS: split_rows,
                NO_FORECAST: ~fw.has_forecast,
                HORIZON_EXTENDED: fw.extended,
                SAFETY_STOCK_AT_MIN: ss_min,
                SAFETY_STOCK_AT_MAX: ss_max,
                BACKORDERS_OPEN: backorder > 0,
                DONOR_FOR_TRANSFER: donor,
            }.items()
        ],
        len(qty),
        ";",
    )
