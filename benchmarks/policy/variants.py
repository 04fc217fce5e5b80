"""The policies the benchmark compares, each a family swept over one parameter (``Variant``): the three
rules planners already use (ERPNext, Odoo, (R, S)), whose orders are computed here, and the Stockflow
families (per-row service level or aggregate fill target, on history or with drivers, weekly forecasts
split into days), whose orders ``planner.StockflowPlanner`` asks ``plan_replenishment`` for."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.policy_replay import (
    erpnext_levels,
    odoo_levels,
    order_if_at_or_below,
    order_up_to,
    rs_order_up_to,
)


@dataclass(frozen=True)
class Variant:
    family: str  # e.g. rs, odoo, erpnext, stockflow_sl_hist, stockflow_fill_drv, stockflow_split_sl_hist
    param: float  # k, safety weeks, service level or fill target
    kind: str  # rule name or "sl" / "fill"
    source: str = ""  # stockflow forecast: "hist" | "drv"
    split: bool = False  # stockflow: weekly forecast split into days


def make_variants(
    freq: str, sources: list[str], split: bool, service_levels, fill_targets, rs_k, odoo_k, erp_weeks
) -> list[Variant]:
    v: list[Variant] = []
    v += [Variant("rs", k, "rs") for k in rs_k]
    v += [Variant("odoo", k, "odoo") for k in odoo_k]
    v += [Variant("erpnext", s, "erpnext") for s in erp_weeks]
    modes = [False, True] if (split and freq == "W") else [False]
    for src in sources:
        for sp in modes:
            pre = "stockflow_split" if sp else "stockflow"
            v += [Variant(f"{pre}_sl_{src}", s, "sl", src, sp) for s in service_levels]
            v += [Variant(f"{pre}_fill_{src}", f, "fill", src, sp) for f in fill_targets]
    return v


def rule_orders(v: Variant, mean, std, pos, L, R, std_L, step_per_week):
    if v.kind == "rs":
        return order_up_to(pos, rs_order_up_to(mean, std, L, R, std_L, v.param))
    if v.kind == "odoo":
        lo, hi = odoo_levels(mean, std, L, R, v.param)
        return order_if_at_or_below(pos, lo, hi)
    lo, hi = erpnext_levels(mean, L, R, v.param * step_per_week)
    return order_if_at_or_below(pos, lo, hi)
