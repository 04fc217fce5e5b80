"""What one run of the policy benchmark replays, the same for every lead-time scenario (``Setup``): the
panel (sampled to N series), the replay's window after the warm-up, the reviews and the forecaster's
refits, the unit costs that value stock, and the policy variants."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from benchmarks.policy.demand import KEYS
from benchmarks.policy.panel import STEP_DAYS, Panel, build_panel
from benchmarks.policy.variants import Variant, make_variants
from benchmarks.policy_replay import LeadTimeScenario

# the parameters swept per policy family, in make_variants' order
SWEEPS = ("service_levels", "fill_targets", "rs_k", "odoo_k", "erpnext_safety_weeks")


@dataclass(frozen=True)
class Setup:
    """One benchmark's replay: the panel and its window, the reviews and refits, stock valuation and the
    policies."""

    panel: Panel
    qty: np.ndarray  # [n, end] requested demand up to the end of the replay
    R: int  # review period, in periods
    per_week: int  # periods per week
    start: int  # the first review: the warm-up's length in periods
    end: int  # one past the last period replayed
    measure_from: int  # after the warm-up (opening + L_max + R periods)
    reviews: list[int]
    refit_every: int
    origins: list[int]  # the reviews where the forecaster is refitted
    horizon: int
    stat_window: int
    lead_scenarios: list[LeadTimeScenario]
    cost: np.ndarray  # [n] unit cost (ones without costs)
    has_cost: bool
    sources: list[str]  # Stockflow forecast sources: "hist" (+ "drv" with drivers)
    sweeps: dict[str, tuple]  # service_levels, fill_targets, rs_k, odoo_k, erpnext_safety_weeks
    variants: list[Variant]
    replen_cfg: dict
    seed: int

    def describe(self) -> str:
        """The benchmark's one-line log of what is replayed."""
        panel, start, end, measure_from = self.panel, self.start, self.end, self.measure_from
        n, T = panel.qty.shape
        return (
            f"  {n} series x {T} periods ({panel.freq}); reviews {len(self.reviews)} from {panel.dates[start].date()}, measured from "
            f"{panel.dates[measure_from].date()} to {panel.dates[end - 1].date()}; {len(self.origins)} refits, horizon {self.horizon}; "
            f"{len(self.variants)} variants x {len(self.lead_scenarios)} lead-time scenarios"
        )


def review_periods(freq: str, review_days: int) -> tuple[int, int]:
    """(periods between reviews, periods per week) for ``freq`` ``"D"`` or ``"W"``."""
    if freq not in STEP_DAYS:
        raise ValueError("freq must be 'D' or 'W'")
    step = STEP_DAYS[freq]
    if review_days % step:
        raise ValueError("review_days must be a whole number of periods")
    return review_days // step, 7 // step


def default_lead_scenarios(freq: str, per_week: int) -> list[LeadTimeScenario]:
    """Fixed 1 week, fixed 2 weeks and uniform 1-3 weeks, in periods of ``freq``."""
    return [
        LeadTimeScenario("L1w", (per_week,)),
        LeadTimeScenario("L2w", (2 * per_week,)),
        LeadTimeScenario(
            "L1-3w",
            tuple(range(per_week, 3 * per_week + 1, per_week)) if freq == "W" else tuple(range(7, 22)),
        ),
    ]


def sample_series(panel: Panel, series: int | None, seed: int) -> Panel:
    """The first ``series`` series after a seeded shuffle (all of them when None or more than there are)."""
    if series is not None and series < len(panel.keys):
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(len(panel.keys), size=series, replace=False))
        panel = Panel(
            panel.keys.iloc[keep].reset_index(drop=True),
            panel.dates,
            panel.qty[keep],
            panel.first[keep],
            {k: m[keep] for k, m in panel.drivers.items()},
            panel.freq,
        )
    return panel


def unit_costs(panel: Panel, unit_cost: pd.DataFrame | None) -> tuple[np.ndarray, bool]:
    """Unit cost per series (by sku and warehouse, or by sku; missing ones at the mean), and whether any."""
    n = len(panel.keys)
    if unit_cost is not None:
        uc = unit_cost.copy()
        uc["sku"] = uc["sku"].astype(str)
        if "warehouse_id" in uc:
            uc["warehouse_id"] = uc["warehouse_id"].astype(str)
            cost = panel.keys.merge(uc, on=KEYS, how="left")["unit_cost"].to_numpy(float)
        else:
            cost = panel.keys.merge(uc.drop_duplicates("sku"), on="sku", how="left")["unit_cost"].to_numpy(
                float
            )
        has_cost = True
        cost = np.where(np.isfinite(cost), cost, np.nanmean(cost))
    else:
        cost, has_cost = np.ones(n), False
    return cost, has_cost


def prepare(
    demand: pd.DataFrame,
    freq: str,
    *,
    series: int | None,
    warmup: int | None,
    replay_periods: int | None,
    R: int,
    per_week: int,
    lead_scenarios: list[LeadTimeScenario],
    unit_cost: pd.DataFrame | None,
    refit_every: int,
    stat_window: int | None,
    sweeps: dict[str, tuple],
    split_weekly: bool,
    seed: int,
    replen_kw: dict | None,
) -> Setup:
    """The panel of ``demand`` (N series sampled), the replay's window, reviews and refits, unit costs and
    the policy variants."""
    panel = sample_series(build_panel(demand, freq), series, seed)
    T = panel.qty.shape[1]
    warmup = warmup if warmup is not None else (20 if freq == "W" else 364)
    start = warmup
    end = T if replay_periods is None else min(T, start + replay_periods)
    Lmax = max(s.max for s in lead_scenarios)
    measure_from = start + Lmax + R
    if measure_from >= end:
        raise ValueError("replay too short for the warm-up (L_max + R periods)")
    qty = panel.qty[:, :end]
    stat_window = stat_window or (26 if freq == "W" else 91)
    cost, has_cost = unit_costs(panel, unit_cost)

    # transfers off: the rules cannot move stock between warehouses and the replay books purchases only
    # (a plan row served by a transfer has order_qty 0: ordering "exactly order_qty" would drop its supply)
    replen_cfg = {"allow_transfers": False, **(replen_kw or {})}
    sources = ["hist"] + (["drv"] if panel.drivers else [])
    variants = make_variants(freq, sources, split_weekly, *(sweeps[name] for name in SWEEPS))
    reviews = list(range(start, end, R))
    refit_every = max(1, int(refit_every))
    origins = reviews[::refit_every]
    horizon = Lmax + R + (refit_every - 1) * R
    return Setup(
        panel=panel,
        qty=qty,
        R=R,
        per_week=per_week,
        start=start,
        end=end,
        measure_from=measure_from,
        reviews=reviews,
        refit_every=refit_every,
        origins=origins,
        horizon=horizon,
        stat_window=stat_window,
        lead_scenarios=lead_scenarios,
        cost=cost,
        has_cost=has_cost,
        sources=sources,
        sweeps=sweeps,
        variants=variants,
        replen_cfg=replen_cfg,
        seed=seed,
    )
