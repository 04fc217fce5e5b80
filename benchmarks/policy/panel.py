"""Demand as arrays for the replay: one row per series, one column per period (``Panel``), and back to
the long frame ``fit_predict`` reads for any window of periods."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from benchmarks.policy.demand import KEYS

STEP_DAYS = {"D": 1, "W": 7}


@dataclass
class Panel:
    keys: pd.DataFrame  # sku, warehouse_id (strings), one row per series
    dates: pd.DatetimeIndex
    qty: np.ndarray  # [n, T] requested demand (NaN-free; 0 before a series' first date)
    first: np.ndarray  # [n] first period of the series in the input
    drivers: dict[str, np.ndarray]  # name -> [n, T]
    freq: str


def build_panel(demand: pd.DataFrame, freq: str) -> Panel:
    df = demand.copy()
    df["sku"] = df["sku"].astype(str)
    df["warehouse_id"] = df["warehouse_id"].astype(str)
    df["date"] = pd.to_datetime(df["date"])
    drivers = [
        c
        for c in df.columns
        if c not in (*KEYS, "date", "qty", "is_stockout") and pd.api.types.is_numeric_dtype(df[c])
    ]
    step = "D" if freq == "D" else "W-SUN"
    dates = pd.date_range(df["date"].min(), df["date"].max(), freq=step)
    if freq == "W" and not (df["date"].dt.day_of_week == 6).all():
        raise ValueError("weekly dates must be Sundays (pandas 'W' labels the week ending on that day)")
    keys = df[KEYS].drop_duplicates().sort_values(KEYS).reset_index(drop=True)
    kidx = pd.MultiIndex.from_frame(keys)
    row = kidx.get_indexer(pd.MultiIndex.from_frame(df[KEYS]))
    col = dates.get_indexer(df["date"])
    if (col < 0).any():
        raise ValueError("dates off the frequency grid")
    n, T = len(keys), len(dates)
    qty = np.zeros((n, T))
    np.add.at(qty, (row, col), df["qty"].to_numpy(float))
    first = np.full(n, T)
    np.minimum.at(first, row, col)
    drv = {}
    for c in drivers:
        m = np.zeros((n, T))
        m[row, col] = df[c].to_numpy(float)
        drv[c] = m
    return Panel(keys, dates, qty, first, drv, freq)


def panel_frame(panel: Panel, lo: int, hi: int, drivers: bool) -> pd.DataFrame:
    """Long frame of periods [lo, hi) from each series' first period (what fit_predict gets)."""
    n = len(panel.keys)
    t = np.arange(lo, hi)
    ii, tt = np.meshgrid(np.arange(n), t, indexing="ij")
    ii, tt = ii.ravel(), tt.ravel()
    keep = tt >= panel.first[ii]
    ii, tt = ii[keep], tt[keep]
    out = pd.DataFrame(
        {
            "sku": panel.keys["sku"].to_numpy()[ii],
            "warehouse_id": panel.keys["warehouse_id"].to_numpy()[ii],
            "date": panel.dates[tt],
            "qty": panel.qty[ii, tt],
        }
    )
    if drivers:
        for c, m in panel.drivers.items():
            out[c] = m[ii, tt]
    return out
