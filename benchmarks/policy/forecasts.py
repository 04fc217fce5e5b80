"""Stockflow's forecasts in the policy benchmark: ``fit_predict`` refitted on the history before each
review, a weekly forecast split into days (the diagnostic family), and the forecasts' accuracy at the
reviews against a trailing moving average."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from benchmarks.policy.demand import KEYS
from benchmarks.policy.panel import Panel, panel_frame


def rolling_forecasts(
    panel: Panel, origins: list[int], horizon: int, use_drivers: bool, drivers_future: bool, config, log=print
) -> tuple[dict[int, pd.DataFrame], list[float]]:
    """``fit_predict`` on the history before each origin; returns origin -> forecast and fit seconds."""
    from models_ml.forecast import fit_predict

    out, secs = {}, []
    for o in origins:
        hist = panel_frame(panel, 0, o, use_drivers)
        future = None
        if use_drivers and drivers_future and panel.drivers:
            T = len(panel.dates)
            fut = panel_frame(panel, o, min(o + horizon, T), True).drop(columns="qty")
            # periods past the data end: drivers unknown, left to fit_predict's carry-forward
            future = fut
        t0 = time.perf_counter()
        fc = fit_predict(hist, horizon, panel.freq, future=future, config=config)
        secs.append(time.perf_counter() - t0)
        fc = fc.copy()
        fc["sku"] = fc["sku"].astype(str)
        fc["warehouse_id"] = fc["warehouse_id"].astype(str)
        fc["date"] = pd.to_datetime(fc["date"])
        out[o] = fc
        log(
            f"    fit origin {panel.dates[o].date()} ({'drivers' if use_drivers else 'history'}): {secs[-1]:.1f}s, {len(fc)} rows"
        )
    return out, secs


def split_weekly_forecast(fc: pd.DataFrame) -> pd.DataFrame:
    """Weekly rows (date = Sunday ending the week) -> 7 daily rows: mean / 7, sigma = weekly sigma / sqrt(7).

    Weekly sigma from (p90 - p50) / z(0.9). A diagnostic input for the day-based planner, not a fix."""
    z90 = 1.2815515655446004
    point = fc["mean"] if "mean" in fc else fc["p50"]
    sig_w = np.maximum(fc["p90"].to_numpy(float) - fc["p50"].to_numpy(float), 0.0) / z90
    base = pd.DataFrame(
        {
            "sku": fc["sku"].to_numpy(),
            "warehouse_id": fc["warehouse_id"].to_numpy(),
            "end": fc["date"].to_numpy(),
            "mean": point.to_numpy(float) / 7.0,
            "sigma": sig_w / math.sqrt(7.0),
        }
    )
    parts = []
    for back in range(6, -1, -1):
        p = base.copy()
        p["date"] = p["end"] - pd.Timedelta(days=back)
        parts.append(p)
    out = pd.concat(parts, ignore_index=True).drop(columns="end")
    out["p50"] = out["mean"]
    out["p90"] = out["mean"] + z90 * out["sigma"]
    return out.sort_values([*KEYS, "date"]).reset_index(drop=True)[
        ["sku", "warehouse_id", "date", "p50", "p90", "mean", "sigma"]
    ]


def forecast_accuracy(panel: Panel, forecasts: dict, reviews: list[int], R: int, end: int, freq: str) -> dict:
    """WAPE / bias of ``mean`` and ``p50`` vs a trailing moving average, at each review: the first period
    after the review (``1step``) and the sum over the review window of R periods (``review``; = 1step weekly).

    Series count from their first period; each review uses the forecast the replay used (last refit)."""
    ma_n = 13 if freq == "W" else 28
    out = {}
    idx = pd.MultiIndex.from_frame(panel.keys)
    n = len(panel.keys)
    for src, fcs in forecasts.items():
        err = {(m, w): [0.0, 0.0] for m in ("mean", "p50", "ma") for w in ("1step", "review")}
        act = {"1step": 0.0, "review": 0.0}
        for t in reviews:
            hi = min(t + R, end)
            if hi <= t:
                continue
            fc = fcs[max(o for o in fcs if o <= t)]
            win = fc[(fc["date"] >= panel.dates[t]) & (fc["date"] <= panel.dates[hi - 1])]
            alive = panel.first <= t
            lo_ma = np.maximum(panel.first, t - ma_n)
            ma = np.array([panel.qty[i, lo_ma[i] : t].mean() if t > lo_ma[i] else 0.0 for i in range(n)])
            for w, sel in (("1step", win[win["date"] == panel.dates[t]]), ("review", win)):
                g = sel.groupby(["sku", "warehouse_id"])[["mean", "p50"]].sum().reindex(idx).fillna(0.0)
                steps = 1 if w == "1step" else hi - t
                y = panel.qty[:, t : t + steps].sum(axis=1)[alive]
                for m, f in (
                    ("mean", g["mean"].to_numpy(float)),
                    ("p50", g["p50"].to_numpy(float)),
                    ("ma", ma * steps),
                ):
                    err[(m, w)][0] += np.abs(f[alive] - y).sum()
                    err[(m, w)][1] += (f[alive] - y).sum()
                act[w] += y.sum()
        res = {}
        for (m, w), (ae, e) in err.items():
            res[f"{m}_wape_{w}"] = round(ae / act[w], 4) if act[w] else None
            res[f"{m}_bias_{w}"] = round(e / act[w], 4) if act[w] else None
        res["moving_average_periods"] = ma_n
        out[src] = res
    return out
