"""The replenishment rule a company runs today, replayed beside the plan, and the comparison of the two.

``CurrentRule`` / ``rule_order``: the rules planners already use (the item master's min/max, ERPNext's
reorder level, an Odoo min/max rule, the textbook (R, S)), which ``simulation.simulate_policy`` replays
on the same demand as the plan (``rule=``). ``shifted_service`` gives the plan at other service levels
(points of its fill-vs-stock frontier); ``compare_rule`` reads the plan's stock at the rule's fill off
that frontier. Pure numpy/pandas: imports nothing of the simulation loop, Dagster or the warehouse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.stats import norm

from models_ml.replenishment import ReplenishmentConfig
from models_ml.replenishment.inputs import _num

RULES = ("items", "erpnext", "odoo", "rs")
RULE_DEFAULT_PARAM = {"items": 1.65, "erpnext": 7.0, "odoo": 1.65, "rs": 1.65}


@dataclass(frozen=True)
class CurrentRule:
    """The rule a company replenishes by today, replayed beside the plan on the same demand. Rules see
    the history only: the trailing mean and standard deviation of daily demand (the stand-in's windows).

    - ``erpnext``: reorder level = mean x L + ``param`` safety days x mean; at or below it, order up to
      the level + mean x R (ERPNext's reorder level with safety days).
    - ``odoo``: min = mean x L + ``param`` x sigma x sqrt(L), max = min + mean x R; at or below min,
      order up to max (an Odoo or U8 min/max rule with a safety factor).
    - ``rs``: S = mean x (L + R) + ``param`` x sqrt((L + R) sigma^2 + mean^2 sigma_L^2), order up to S
      (the textbook periodic review).
    - ``items``: the hand-set ``min_qty`` / ``max_qty`` / ``safety_stock_qty`` of the item master (split
      over a SKU's warehouses by their share of its demand): at or below min, order up to max (max
      missing: min + mean x R; min missing: safety stock + mean x L); a series without any of them
      follows ``odoo`` with k = ``param``.
    """

    kind: str = "items"
    param: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in RULES:
            raise ValueError(f"rule must be one of {RULES}, not {self.kind!r}")
        if self.param is not None and not self.param >= 0:
            raise ValueError("the rule's parameter must be 0 or more")

    @property
    def value(self) -> float:
        return RULE_DEFAULT_PARAM[self.kind] if self.param is None else float(self.param)

    def describe(self) -> str:
        what = {
            "items": "item master min/max (Odoo min/max with k = {v:g} where none is set)",
            "erpnext": "ERPNext reorder level with {v:g} safety days",
            "odoo": "Odoo min/max with k = {v:g}",
            "rs": "textbook (R, S) with k = {v:g}",
        }[self.kind]
        return what.format(v=self.value)


def rule_order(
    rule: CurrentRule,
    position: np.ndarray,
    mean: np.ndarray,
    sigma: np.ndarray,
    lead: np.ndarray,
    lead_std: np.ndarray,
    review: np.ndarray,
    hand_min: np.ndarray | None = None,
    hand_max: np.ndarray | None = None,
    hand_safety: np.ndarray | None = None,
) -> np.ndarray:
    """Units the rule orders (before MOQ / pack rounding) for daily demand ``mean`` / std ``sigma``."""
    k = rule.value
    if rule.kind == "rs":
        target = mean * (lead + review) + k * np.sqrt((lead + review) * sigma**2 + (mean * lead_std) ** 2)
        return np.maximum(target - position, 0.0)
    if rule.kind == "erpnext":
        level = mean * lead + k * mean
        return np.where(position <= level, np.maximum(level + mean * review - position, 0.0), 0.0)
    low = mean * lead + k * sigma * np.sqrt(lead)
    high = low + mean * review
    if rule.kind == "items":
        n = len(position)
        hmin = np.full(n, np.nan) if hand_min is None else hand_min
        hmax = np.full(n, np.nan) if hand_max is None else hand_max
        hss = np.full(n, np.nan) if hand_safety is None else hand_safety
        own_min = np.where(np.isnan(hmin), hss + mean * lead, hmin)
        own_max = np.where(np.isnan(hmax), own_min + mean * review, hmax)
        has = ~np.isnan(own_min)
        low = np.where(has, own_min, low)
        high = np.where(has, np.maximum(own_max, own_min), high)
    return np.where(position <= low, np.maximum(high - position, 0.0), 0.0)


def hand_set_levels(df: pd.DataFrame, keys: pd.DataFrame, demand: np.ndarray) -> dict[str, np.ndarray]:
    """The item master's ``min_qty`` / ``max_qty`` / ``safety_stock_qty`` per series: the item master sets
    them per SKU, so each warehouse gets its share of the SKU's demand before the window (an equal share
    when the SKU had none)."""
    per_wh = demand.sum(axis=0)
    sku = keys["sku"].to_numpy()
    total = pd.Series(per_wh).groupby(sku).transform("sum").to_numpy()
    count = pd.Series(per_wh).groupby(sku).transform("size").to_numpy()
    share = np.where(total > 0, per_wh / np.where(total > 0, total, 1.0), 1.0 / count)
    out = {}
    for name, col in (("min", "min_qty"), ("max", "max_qty"), ("safety", "safety_stock_qty")):
        vals = _num(df, col).to_numpy(dtype=float) if col in df.columns else np.full(len(keys), np.nan)
        out[name] = vals * share
    return out


def shifted_service(config: ReplenishmentConfig, shift: float) -> ReplenishmentConfig:
    """``config`` with every service-matrix cell moved by ``shift`` in z (levels kept within 0.5-0.999):
    the plan at a lower or higher service, one point of its fill-vs-stock frontier."""
    cells = {
        k: float(np.clip(norm.cdf(norm.ppf(v) + shift), 0.5, 0.999)) for k, v in config.service_matrix.items()
    }
    return replace(config, service_matrix=cells)


def stock_at_equal_fill(frontier: list[tuple[float, float]], fill: float) -> float:
    """The plan's average inventory value at unit fill ``fill``, interpolated linearly between the
    (fill, inventory value) points of its frontier (sorted by fill); NaN outside the traced fills."""
    pts = sorted((f, v) for f, v in frontier if np.isfinite(f) and np.isfinite(v))
    if len(pts) < 2:
        return float("nan")
    fills = np.array([p[0] for p in pts])
    values = np.maximum.accumulate(np.array([p[1] for p in pts]))  # more fill never costs less stock
    if not fills[0] <= fill <= fills[-1]:
        return float("nan")
    return float(np.interp(fill, fills, values))


def replay_totals(frame: pd.DataFrame) -> tuple[float, float]:
    """Unit fill rate and average inventory value (sum over series of the mean daily on-hand value) of a
    ``simulate_policy`` frame, as ``compare_with_history`` defines them."""
    demand = float(frame["demand_qty"].sum())
    fill = float(frame["shipped_qty"].sum()) / demand if demand > 0 else float("nan")
    days = frame["date"].nunique()
    return fill, float(frame["inventory_value"].sum()) / max(days, 1)


@dataclass(frozen=True)
class RuleComparison:
    """The plan against the current rule on the same demand: each one's fill and average inventory
    value, the plan's frontier (fill, inventory value) and its inventory at the rule's fill."""

    rule: str  # CurrentRule.describe()
    kind: str  # CurrentRule.kind
    rule_fill: float
    rule_inventory_value: float
    plan_fill: float
    plan_inventory_value: float
    frontier: tuple[tuple[float, float], ...]
    # NaN when the rule's fill lies above the plan's traced fills; below them, the plan's lowest traced
    # point, an upper bound (``at_most``): holding stock never lowers fill, so the plan at the rule's lower
    # fill needs no more than it
    plan_inventory_at_rule_fill: float
    at_most: bool = False

    @property
    def stock_ratio(self) -> float:
        """Plan inventory / rule inventory at the rule's fill (NaN when not traced)."""
        return (
            self.plan_inventory_at_rule_fill / self.rule_inventory_value
            if self.rule_inventory_value
            else float("nan")
        )

    def sentence(self) -> str:
        if self.at_most and np.isfinite(self.stock_ratio) and self.stock_ratio < 1:
            low_fill = self.frontier[0][0]
            return (
                f"At your current rule's fill ({self.rule_fill:.1%}; {self.rule}), the plan holds at least "
                f"{1 - self.stock_ratio:.0%} less stock: it already reaches {low_fill:.1%} fill with an average "
                f"inventory value of {self.plan_inventory_at_rule_fill:,.0f}, against the rule's "
                f"{self.rule_inventory_value:,.0f}."
            )
        if np.isfinite(self.stock_ratio) and not self.at_most:
            saved = self.rule_inventory_value - self.plan_inventory_at_rule_fill
            word = "less" if saved >= 0 else "more"
            return (
                f"At your current rule's fill ({self.rule_fill:.1%}; {self.rule}), the plan holds "
                f"{abs(1 - self.stock_ratio):.0%} {word} stock (average inventory value "
                f"{self.plan_inventory_at_rule_fill:,.0f} instead of {self.rule_inventory_value:,.0f})."
            )
        return (
            f"Your current rule ({self.rule}) reached {self.rule_fill:.1%} fill with average inventory value "
            f"{self.rule_inventory_value:,.0f}; the plan, traced from {min(f for f, _ in self.frontier):.1%} to "
            f"{max(f for f, _ in self.frontier):.1%} fill, does not reach that fill in the replay, so no "
            "equal-fill figure is given."
        )


def compare_rule(
    plan_frames: Mapping[float, pd.DataFrame], rule_frame: pd.DataFrame, rule: CurrentRule
) -> RuleComparison:
    """``plan_frames``: the plan's replays by service shift (0.0 = the plan as configured, others from
    ``shifted_service``); ``rule_frame``: the rule's replay of the same demand."""
    frontier = tuple(sorted(replay_totals(f) for f in plan_frames.values()))
    rule_fill, rule_value = replay_totals(rule_frame)
    plan_fill, plan_value = replay_totals(plan_frames[0.0])
    at = stock_at_equal_fill(list(frontier), rule_fill)
    at_most = bool(np.isnan(at) and frontier and rule_fill < frontier[0][0])
    if at_most:
        at = frontier[0][1]
    return RuleComparison(
        rule=rule.describe(),
        kind=rule.kind,
        rule_fill=rule_fill,
        rule_inventory_value=rule_value,
        plan_fill=plan_fill,
        plan_inventory_value=plan_value,
        frontier=frontier,
        plan_inventory_at_rule_fill=at,
        at_most=at_most,
    )


def with_equal_fill_row(total: pd.DataFrame, versus: RuleComparison) -> pd.DataFrame:
    """The total comparison plus scenario ``proposed_at_rule_fill`` (``proposed_at_rule_fill_at_most``
    when it is an upper bound): the plan's average inventory value at the current rule's fill (read off
    its frontier; NaN when not traced), other metrics empty."""
    row = total[total["scenario"] == "current_rule"].copy()
    if row.empty:
        return total
    for col in row.columns.difference(["group", "scenario", "series", "days"]):
        row[col] = float("nan")
    row["scenario"] = "proposed_at_rule_fill_at_most" if versus.at_most else "proposed_at_rule_fill"
    row["fill_rate"] = versus.rule_fill
    row["avg_inventory_value"] = versus.plan_inventory_at_rule_fill
    return pd.concat([total, row], ignore_index=True)
