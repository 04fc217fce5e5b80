"""Orchestration of a plan: ``plan_replenishment`` and the named steps it runs, in this order.

1. ``plan_date`` / ``plan_keys``: the planning date and the SKU x warehouse rows.
2. ``stock_position``: on hand, on order (and overdue), backorders and unit cost per row.
3. ``resolve_supply`` (``inputs``): supply parameters after their fallbacks.
4. ``row_service`` (``levels``): forecast sums over lead time and protection window, classes and
   service level per row.
5. ``order_lines``: safety stock, the policy's levels and net requirement, the rounded order.
6. ``plan_frame``: the plan table with its reason codes; ``apply_transfers``: transfers instead of
   orders; ``arrival_outlook``: order value, arrival date, stock, cover and risk after arrival; the
   flags (``explanations``).

Inputs, outputs and fallbacks: the package docstring (``models_ml/replenishment/__init__.py``). Pure
pandas/numpy/scipy; never imports dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy.stats import norm

from models_ml.replenishment.config import ReplenishmentConfig
from models_ml.replenishment.explanations import TRANSFER_INSTEAD, _rounding_text, line_flags, reason_codes
from models_ml.replenishment.inputs import (
    KEYS,
    SupplyParams,
    _merge_params,
    _num,
    _str_keys,
    _sum_by_key,
    resolve_supply,
)
from models_ml.replenishment.levels import RowService, row_service
from models_ml.replenishment.policy import policy_order
from models_ml.replenishment.rounding import round_order_qty
from models_ml.replenishment.safety import safety_stock
from models_ml.replenishment.transfers import suggest_transfers
from models_ml.replenishment.windows import daily_forecast

PLAN_COLUMNS = [
    "sku", "warehouse_id", "as_of_date", "policy", "supplier_id", "abc_class", "xyz_class",
    "service_level", "z", "lead_time_days", "lead_time_std_days", "review_period_days",
    "protection_days", "daily_demand", "sigma_daily", "demand_lead_time_qty",
    "demand_protection_qty", "safety_stock_qty", "safety_stock_days", "reorder_point_qty",
    "order_up_to_qty", "on_hand_qty", "on_order_qty", "overdue_on_order_qty", "backorder_qty",
    "inventory_position_qty", "net_requirement_qty", "moq", "pack_size", "max_order_qty",
    "order_qty_unrounded", "order_qty", "rounding", "transfer_qty", "transfer_from_warehouse_id",
    "unit_cost", "order_value", "expected_arrival_date", "projected_on_hand_at_arrival_qty",
    "days_of_cover_after_arrival", "stockout_risk", "reason_code", "flags",
]  # fmt: skip


@dataclass(frozen=True)
class StockPosition:
    """Per-row quantities the plan orders against (aligned with the key rows)."""

    on_hand: np.ndarray
    on_order: np.ndarray
    backorder: np.ndarray
    overdue: np.ndarray
    unit_cost: pd.Series


@dataclass(frozen=True)
class OrderLines:
    """Per-row safety stock, policy levels and orders; the rounding masks are cleared on transfer rows."""

    ss: np.ndarray
    ss_min: np.ndarray
    ss_max: np.ndarray
    position: np.ndarray
    rop: np.ndarray
    up_to: np.ndarray
    net: np.ndarray
    qty: np.ndarray
    moq_applied: np.ndarray
    pack_applied: np.ndarray
    capped: np.ndarray


def plan_replenishment(
    forecast: pd.DataFrame,
    stock: pd.DataFrame,
    params: pd.DataFrame | None = None,
    open_pos: pd.DataFrame | None = None,
    backorders: pd.DataFrame | None = None,
    as_of: date | pd.Timestamp | str | None = None,
    config: ReplenishmentConfig | None = None,
    freq: str | None = None,
) -> pd.DataFrame:
    """One explained replenishment line per SKU x warehouse (columns ``PLAN_COLUMNS``).

    ``freq``: "D" or "W" (``fit_predict``'s frequencies); None: ``forecast.attrs["freq"]`` (set by
    ``fit_predict``) or the spacing of the forecast's dates. A weekly forecast (a date labels the 7 days
    ending on it) is split into days before planning (``daily_forecast``; flag ``FORECAST_SPLIT_TO_DAYS``);
    any other spacing is refused with a ValueError.

    Rows: the union of the SKU x warehouse keys of forecast, stock, open POs, backorders and
    per-warehouse params. ``as_of`` defaults to the first forecast date.
    """
    cfg = config or ReplenishmentConfig()
    forecast, step = daily_forecast(_str_keys(forecast), freq)
    as_of = plan_date(forecast, as_of)
    keys = plan_keys(forecast, stock, open_pos, backorders, params)
    split_rows = np.full(len(keys), step > 1)
    df, stocks = stock_position(_merge_params(keys, params), stock, open_pos, backorders, as_of)
    sp = resolve_supply(df, cfg)
    service = row_service(forecast, keys, as_of, sp, stocks.unit_cost, cfg)
    orders = order_lines(sp, service, stocks, cfg)
    plan = plan_frame(keys, df, as_of, cfg, sp, service, stocks, orders)
    donor = apply_transfers(plan, orders, cfg)
    arrival_outlook(plan, as_of, sp, service, orders)
    plan["flags"] = line_flags(
        plan["order_qty"].to_numpy(),
        orders.moq_applied,
        orders.pack_applied,
        orders.capped,
        sp,
        service.from_forecast,
        split_rows,
        service.fw,
        orders.ss_min,
        orders.ss_max,
        stocks.backorder,
        donor,
    )
    return plan[PLAN_COLUMNS]


def plan_date(forecast: pd.DataFrame, as_of: date | pd.Timestamp | str | None) -> pd.Timestamp:
    """The planning date (normalised): ``as_of``, else the first forecast date, else today."""
    if as_of is None:
        as_of = pd.to_datetime(forecast["date"]).min() if len(forecast) else pd.Timestamp.today().normalize()
    return pd.Timestamp(as_of).normalize()


def plan_keys(
    forecast: pd.DataFrame,
    stock: pd.DataFrame,
    open_pos: pd.DataFrame | None,
    backorders: pd.DataFrame | None,
    params: pd.DataFrame | None,
) -> pd.DataFrame:
    """The plan's rows: every SKU x warehouse of the inputs (per-warehouse params included), sorted."""
    frames = [forecast, stock, open_pos, backorders]
    if params is not None and "warehouse_id" in params.columns:
        frames.append(params[params["warehouse_id"].notna()])
    keys = pd.concat(
        [_str_keys(d)[KEYS] for d in frames if d is not None and len(d) and "warehouse_id" in d.columns],
        ignore_index=True,
    )
    return keys.dropna().drop_duplicates().sort_values(KEYS, ignore_index=True)


def stock_position(
    df: pd.DataFrame,
    stock: pd.DataFrame,
    open_pos: pd.DataFrame | None,
    backorders: pd.DataFrame | None,
    as_of: pd.Timestamp,
) -> tuple[pd.DataFrame, StockPosition]:
    """The merged parameter rows with on hand, on order, backorders, overdue POs and stock unit cost
    joined on, and those quantities per row (missing: 0; unit cost: the stock's, else the params')."""
    df = df.merge(_sum_by_key(stock, "on_hand_qty", "on_hand_qty"), on=KEYS, how="left")
    df = df.merge(_sum_by_key(open_pos, "qty", "on_order_qty"), on=KEYS, how="left")
    df = df.merge(_sum_by_key(backorders, "qty", "backorder_qty"), on=KEYS, how="left")
    if open_pos is not None and len(open_pos) and "expected_date" in open_pos.columns:
        late = open_pos[pd.to_datetime(open_pos["expected_date"]) < as_of]
        df = df.merge(_sum_by_key(late, "qty", "overdue_on_order_qty"), on=KEYS, how="left")
    else:
        df["overdue_on_order_qty"] = 0.0
    if stock is not None and "unit_cost" in stock.columns:
        cost = (
            _str_keys(stock)
            .groupby(KEYS, as_index=False)["unit_cost"]
            .mean()
            .rename(columns={"unit_cost": "_stock_cost"})
        )
        df = df.merge(cost, on=KEYS, how="left")
        unit_cost = _num(df, "_stock_cost").combine_first(_num(df, "unit_cost"))
    else:
        unit_cost = _num(df, "unit_cost")
    return df, StockPosition(
        on_hand=_num(df, "on_hand_qty").fillna(0.0).to_numpy(),
        on_order=_num(df, "on_order_qty").fillna(0.0).to_numpy(),
        backorder=_num(df, "backorder_qty").fillna(0.0).to_numpy(),
        overdue=_num(df, "overdue_on_order_qty").fillna(0.0).to_numpy(),
        unit_cost=unit_cost,
    )


def order_lines(
    sp: SupplyParams, service: RowService, stocks: StockPosition, cfg: ReplenishmentConfig
) -> OrderLines:
    """Safety stock, the policy's reorder point, order-up-to level and net requirement against the
    inventory position (on hand + on order - backorders), and the order rounded to MOQ / pack / maximum;
    nothing for dead or discontinued rows."""
    fw, daily = service.fw, service.daily
    ss, ss_min, ss_max = safety_stock(
        fw.var_protection, daily, sp.lead_time_std, service.z, cfg.min_safety_stock_days,
        cfg.max_safety_stock_days, fw.quantile_excess,
    )  # fmt: skip
    position = stocks.on_hand + stocks.on_order - stocks.backorder
    rop, up_to, net = policy_order(
        cfg.policy, position, fw.demand_lead, fw.demand_protection, ss, daily, sp.moq, sp.pack,
        cfg.order_cover_days,
    )  # fmt: skip
    blocked = sp.discontinued | sp.dead
    net = np.where(blocked, 0.0, net)
    qty, moq_applied, pack_applied, capped = round_order_qty(net, sp.moq, sp.pack, sp.max_order_qty)
    return OrderLines(ss, ss_min, ss_max, position, rop, up_to, net, qty, moq_applied, pack_applied, capped)


def plan_frame(
    keys: pd.DataFrame,
    df: pd.DataFrame,
    as_of: pd.Timestamp,
    cfg: ReplenishmentConfig,
    sp: SupplyParams,
    service: RowService,
    stocks: StockPosition,
    orders: OrderLines,
) -> pd.DataFrame:
    """The plan table before transfers: inputs, levels and orders per row, with their reason codes."""
    daily, ss, net = service.daily, orders.ss, orders.net
    plan = pd.DataFrame(
        {
            "sku": keys["sku"],
            "warehouse_id": keys["warehouse_id"],
            "as_of_date": as_of,
            "policy": cfg.policy,
            "supplier_id": df["supplier_id"].astype("string") if "supplier_id" in df.columns else pd.NA,
            "abc_class": service.abc_class,
            "xyz_class": service.xyz_class,
            "service_level": service.level,
            "z": service.z,
            "lead_time_days": sp.lead_time,
            "lead_time_std_days": sp.lead_time_std,
            "review_period_days": sp.review_period,
            "protection_days": service.protection,
            "daily_demand": daily,
            "sigma_daily": service.sigma_daily,
            "demand_lead_time_qty": service.fw.demand_lead,
            "demand_protection_qty": service.fw.demand_protection,
            "safety_stock_qty": ss,
            "safety_stock_days": np.where(daily > 0, ss / np.where(daily > 0, daily, 1), 0.0),
            "reorder_point_qty": orders.rop,
            "order_up_to_qty": orders.up_to,
            "on_hand_qty": stocks.on_hand,
            "on_order_qty": stocks.on_order,
            "overdue_on_order_qty": stocks.overdue,
            "backorder_qty": stocks.backorder,
            "inventory_position_qty": orders.position,
            "net_requirement_qty": net,
            "moq": sp.moq,
            "pack_size": sp.pack,
            "max_order_qty": sp.max_order_qty,
            "order_qty_unrounded": net,
            "order_qty": orders.qty,
            "unit_cost": stocks.unit_cost.to_numpy(),
        }
    )
    plan["reason_code"] = reason_codes(
        sp.discontinued, sp.dead, orders.qty, service.fw.demand_protection, orders.position
    )
    plan["transfer_qty"] = 0.0
    plan["transfer_from_warehouse_id"] = pd.Series(pd.NA, index=plan.index, dtype="string")
    return plan


def apply_transfers(plan: pd.DataFrame, orders: OrderLines, cfg: ReplenishmentConfig) -> np.ndarray:
    """Rows a transfer serves stop buying (``TRANSFER_INSTEAD``, rounding masks cleared); returns the
    donor rows (flag ``DONOR_FOR_TRANSFER``)."""
    n = len(plan)
    donor = np.zeros(n, dtype=bool)
    if cfg.allow_transfers and n:
        transfers = suggest_transfers(plan, cfg)
        if len(transfers):
            to_idx = pd.MultiIndex.from_frame(plan[KEYS]).get_indexer(
                pd.MultiIndex.from_arrays([transfers["sku"], transfers["to_warehouse_id"]])
            )
            from_idx = pd.MultiIndex.from_frame(plan[KEYS]).get_indexer(
                pd.MultiIndex.from_arrays([transfers["sku"], transfers["from_warehouse_id"]])
            )
            plan.loc[to_idx, "transfer_qty"] = transfers["qty"].to_numpy()
            plan.loc[to_idx, "transfer_from_warehouse_id"] = transfers["from_warehouse_id"].to_numpy()
            plan.loc[to_idx, "order_qty"] = 0.0
            plan.loc[to_idx, "reason_code"] = TRANSFER_INSTEAD
            donor[from_idx] = True
            orders.moq_applied[to_idx] = orders.pack_applied[to_idx] = orders.capped[to_idx] = False
    return donor


def arrival_outlook(
    plan: pd.DataFrame, as_of: pd.Timestamp, sp: SupplyParams, service: RowService, orders: OrderLines
) -> None:
    """Rounding text, order value and arrival date; after the order (or transfer) arrives: expected
    stock, days of cover and stockout risk over the next protection window. Adds the columns to ``plan``."""
    qty = plan["order_qty"].to_numpy()
    transfer = plan["transfer_qty"].to_numpy()
    fw, daily = service.fw, service.daily
    plan["rounding"] = _rounding_text(orders.moq_applied, orders.pack_applied, orders.capped)
    plan["order_value"] = qty * plan["unit_cost"].to_numpy()
    plan["expected_arrival_date"] = as_of + pd.to_timedelta(np.ceil(sp.lead_time), unit="D")

    after = orders.position + qty + transfer
    projected = after - fw.demand_lead
    sigma_p = np.sqrt(np.maximum(fw.var_protection, 0.0) + (daily * sp.lead_time_std) ** 2)
    gap = after - fw.demand_protection
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        risk = np.where(sigma_p > 0, norm.sf(gap / np.where(sigma_p > 0, sigma_p, 1)), (gap < 0) * 1.0)
        cover = np.where(daily > 0, np.maximum(projected, 0.0) / daily, np.nan)
    plan["projected_on_hand_at_arrival_qty"] = projected
    plan["days_of_cover_after_arrival"] = cover
    plan["stockout_risk"] = risk
