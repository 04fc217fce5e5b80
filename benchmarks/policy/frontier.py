"""The fill-vs-stock frontier of each policy family (its efficient points, stock interpolated at given
fills) and the ratios Stockflow / rule of stock at equal fill."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.policy_replay import LeadTimeScenario, efficient_points, stock_at_fill

FILL_LEVELS = (0.90, 0.95, 0.97, 0.98, 0.99)


def frontier_table(points: pd.DataFrame, stock_col: str, fills=FILL_LEVELS) -> dict[str, list]:
    out = {}
    for fam, g in points.groupby("family"):
        f, s = efficient_points(g["fill"].to_numpy(), g[stock_col].to_numpy())
        out[fam] = {
            "efficient_fill": f.round(5).tolist(),
            "efficient_stock": s.round(3).tolist(),
            "stock_at_fill": dict(
                zip(
                    [f"{x:.2f}" for x in fills],
                    stock_at_fill(g["fill"].to_numpy(), g[stock_col].to_numpy(), np.array(fills))
                    .round(3)
                    .tolist(),
                    strict=True,
                )
            ),
            "max_fill": float(g["fill"].max()),
        }
    return out


def ratios(front: dict, fills=FILL_LEVELS) -> dict[str, dict[str, dict[str, float]]]:
    """Stockflow family / rule family stock at equal fill."""
    rules = [f for f in ("rs", "erpnext", "odoo") if f in front]
    out = {}
    for fam in front:
        if not fam.startswith("stockflow"):
            continue
        out[fam] = {}
        for r in rules:
            out[fam][r] = {}
            for x in fills:
                a, b = front[fam]["stock_at_fill"][f"{x:.2f}"], front[r]["stock_at_fill"][f"{x:.2f}"]
                out[fam][r][f"{x:.2f}"] = (
                    float(a / b) if a is not None and b and not (np.isnan(a) or np.isnan(b)) else float("nan")
                )
    return out


def add_frontiers(
    result: dict, pts: pd.DataFrame, lead_scenarios: list[LeadTimeScenario], has_cost: bool
) -> None:
    """Per scenario: each family's frontier and the ratios at equal fill (in units, and in value with
    costs), and the Stockflow families' targets against the fill they achieved."""
    for sc in lead_scenarios:
        g = pts[(pts["scenario"] == sc.name) & ~pts["failed"]]
        fr = frontier_table(g, "avg_on_hand_units")
        result["frontiers"][sc.name] = fr
        result["ratios"][sc.name] = ratios(fr)
        if has_cost:
            frv = frontier_table(g, "avg_on_hand_value")
            result.setdefault("frontiers_value", {})[sc.name] = frv
            result.setdefault("ratios_value", {})[sc.name] = ratios(frv)
        sf = g[g["family"].str.startswith("stockflow")]
        result["target_vs_achieved"][sc.name] = sf[["family", "param", "fill", "avg_on_hand_units"]].to_dict(
            "records"
        )
