"""Comparison of replays with history: fill rate, stockout days, average inventory value, turnover and DIO
per warehouse, ABC class and in total (``compare_with_history``), and its markdown table
(``comparison_markdown``). Pure numpy/pandas; never imports dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

METRIC_COLUMNS = [
    "series", "days", "demand_qty", "shipped_qty", "fill_rate", "stockout_days", "stockout_day_share",
    "avg_inventory_value", "cogs_value", "turnover", "dio_days",
]  # fmt: skip


def _aggregate(daily: pd.DataFrame, by: str | None, days: int, days_per_year: float) -> pd.DataFrame:
    """Additive parts per group first, ratios from the summed parts (never averaged ratios)."""
    d = daily.assign(_series=daily["sku"].astype(str) + "|" + daily["warehouse_id"].astype(str))
    g = d.groupby(by, observed=True, dropna=False) if by else d.assign(_all="all").groupby("_all")
    out = pd.DataFrame(
        {
            "series": g["_series"].nunique(),
            "days": days,
            "demand_qty": g["demand_qty"].sum(),
            "shipped_qty": g["shipped_qty"].sum(),
            "stockout_days": g["is_stockout_day"].sum().astype("int64"),
            "avg_inventory_value": g["inventory_value"].sum() / days,  # sum over series of daily means
            "cogs_value": g["cogs_value"].sum(),
        }
    )
    out["fill_rate"] = out["shipped_qty"] / out["demand_qty"].where(out["demand_qty"] > 0)
    out["stockout_day_share"] = out["stockout_days"] / (out["series"] * days)
    cogs = out["cogs_value"].where(out["cogs_value"] > 0)
    out["turnover"] = (
        cogs / out["avg_inventory_value"].where(out["avg_inventory_value"] > 0) * (days_per_year / days)
    )
    out["dio_days"] = out["avg_inventory_value"] / cogs * days
    out.index = out.index.astype(str)
    return out.rename_axis("group").reset_index()[["group", *METRIC_COLUMNS]]


def compare_with_history(
    proposed: pd.DataFrame,
    history: pd.DataFrame,
    days_per_year: float = 365.0,
    others: Mapping[str, pd.DataFrame] | None = None,
) -> dict[str, pd.DataFrame]:
    """Fill rate, stockout days, average inventory value, turnover and DIO: history vs proposed.

    ``proposed`` is ``simulate_policy``'s output. ``history`` holds what the ledger shows for the same
    series and days: ``sku, warehouse_id, date, demand_qty, shipped_qty, on_hand_qty`` (end of day)
    + optional ``is_stockout_day`` (default: shipped < demand that day). History is valued at the
    proposed frame's unit cost per series and takes its ABC class, so only quantities differ; only the
    proposed frame's series and dates are compared (missing history days count as zero).

    Definitions: fill rate = units shipped / units demanded (unit fill rate); stockout days = series-days
    with demand not served in full; average inventory value = sum over series of the mean daily on-hand
    value; turnover = COGS / average inventory, annualised (x days_per_year / days); DIO = average
    inventory / COGS x days. Returns {"warehouse_id": ..., "abc_class": ..., "total": ...}: long frames
    with ``group, scenario`` and ``METRIC_COLUMNS``. ``others``: further replays of the same series and
    days (``simulate_policy`` frames, e.g. the current rule), each a scenario of its own name.
    """
    p = proposed.copy()
    p["sku"], p["warehouse_id"] = p["sku"].astype(str), p["warehouse_id"].astype(str)
    p["date"] = pd.to_datetime(p["date"])
    days = p["date"].nunique()
    frame = p[["sku", "warehouse_id", "date", "abc_class", "unit_cost"]]
    h = history.copy()
    h["sku"], h["warehouse_id"] = h["sku"].astype(str), h["warehouse_id"].astype(str)
    h["date"] = pd.to_datetime(h["date"]).dt.normalize()
    keep = ["sku", "warehouse_id", "date", "demand_qty", "shipped_qty", "on_hand_qty"]
    if "is_stockout_day" in h.columns:
        keep.append("is_stockout_day")
    h = frame.merge(h[keep], on=["sku", "warehouse_id", "date"], how="left")
    for c in ("demand_qty", "shipped_qty", "on_hand_qty"):
        h[c] = pd.to_numeric(h[c]).fillna(0.0)
    if "is_stockout_day" in h.columns:
        h["is_stockout_day"] = h["is_stockout_day"].astype("boolean").fillna(False).astype(bool)
    else:
        h["is_stockout_day"] = h["shipped_qty"] < h["demand_qty"] - 1e-9
    h["inventory_value"] = h["on_hand_qty"] * h["unit_cost"]
    h["cogs_value"] = h["shipped_qty"] * h["unit_cost"]
    out = {}
    for level in ("warehouse_id", "abc_class", None):
        parts = [
            _aggregate(df, level, days, days_per_year).assign(scenario=name)
            for name, df in (("history", h), ("proposed", p), *(others or {}).items())
        ]
        both = pd.concat(parts, ignore_index=True)
        both = both[["group", "scenario", *METRIC_COLUMNS]].sort_values(
            ["group", "scenario"], ignore_index=True
        )
        out[level or "total"] = both
    return out


def comparison_markdown(comparison: Mapping[str, pd.DataFrame], digits: int = 3) -> str:
    """A wide markdown table: one row per level/group, history vs proposed (vs the current rule, when the
    comparison has it) side by side."""
    metrics = [
        ("fill_rate", "fill rate", digits),
        ("stockout_days", "stockout days", 0),
        ("avg_inventory_value", "avg inventory value", 0),
        ("turnover", "turnover /yr", 2),
        ("dio_days", "DIO days", 1),
    ]
    scenarios = [("history", "hist"), ("proposed", "prop")]
    if any((df["scenario"] == "current_rule").any() for df in comparison.values()):
        scenarios.append(("current_rule", "rule"))
    head = ["level", "group"] + [f"{label} {short}" for _, label, _ in metrics for _, short in scenarios]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for level, df in comparison.items():
        wide = df.set_index(["group", "scenario"])
        for group in df["group"].drop_duplicates():
            cells = [level, str(group)]
            for col, _, nd in metrics:
                for scen, _ in scenarios:
                    v = wide.loc[(group, scen), col] if (group, scen) in wide.index else np.nan
                    cells.append("" if pd.isna(v) else f"{v:,.{nd}f}")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
