"""Forecast accuracy metrics (definitions as in docs/METRICS.md), computed from their additive parts.

Every grouped metric aggregates numerators and denominators, never ratios of rows:

- WAPE = sum|y - f| / sum y                          (utilsforecast ``nd``)
- bias = sum(f - y) / sum y                          (percent bias, forecast minus actual)
- MASE = mean over series of  mean|y - f| / scale1   scale1 = in-sample mean |y_t - y_{t-season}|
- RMSSE = mean over series of sqrt(mean (y - f)^2 / scale2)   scale2 = in-sample mean (y_t - y_{t-1})^2
- coverage = share of periods with y <= p90
Series whose in-sample scale is zero (constant history) are left out of MASE and RMSSE.

Never imports: the forecaster (metrics take frames of actuals and forecasts, whoever made them), nor
dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def wape(y: np.ndarray, f: np.ndarray) -> float:
    y, f = np.asarray(y, dtype=float), np.asarray(f, dtype=float)
    den = np.abs(y).sum()
    return float(np.abs(y - f).sum() / den) if den > 0 else float("nan")


def bias(y: np.ndarray, f: np.ndarray) -> float:
    y, f = np.asarray(y, dtype=float), np.asarray(f, dtype=float)
    den = np.abs(y).sum()
    return float((f - y).sum() / den) if den > 0 else float("nan")


def coverage(y: np.ndarray, upper: np.ndarray) -> float:
    y, upper = np.asarray(y, dtype=float), np.asarray(upper, dtype=float)
    ok = ~np.isnan(upper)
    return float((y[ok] <= upper[ok] + 1e-9).mean()) if ok.any() else float("nan")


def summarise(frame: pd.DataFrame, by: list[str], upper: str = "p90") -> pd.DataFrame:
    """Metrics per group of a long frame with columns ``series``, ``y``, ``p50``, ``upper``,
    ``mase_scale``, ``rmsse_scale`` and the ``by`` columns."""
    d = frame.assign(
        abs_err=(frame["y"] - frame["p50"]).abs(),
        err=frame["p50"] - frame["y"],
        sq_err=(frame["y"] - frame["p50"]) ** 2,
        covered=np.where(frame[upper].isna(), np.nan, (frame["y"] <= frame[upper] + 1e-9).astype(float)),
    )
    g = d.groupby(by, observed=True, sort=True)
    out = pd.DataFrame(
        {
            "n": g.size(),
            "actual": g["y"].sum(),
            "forecast": g["p50"].sum(),
            "wape": g["abs_err"].sum() / g["y"].sum().where(lambda s: s > 0),
            "bias": g["err"].sum() / g["y"].sum().where(lambda s: s > 0),
            "coverage_p90": g["covered"].mean(),
        }
    )
    per_series = d.groupby([*by, "series"], observed=True).agg(
        mae=("abs_err", "mean"),
        mse=("sq_err", "mean"),
        s1=("mase_scale", "first"),
        s2=("rmsse_scale", "first"),
    )
    per_series["mase"] = per_series["mae"] / per_series["s1"].where(per_series["s1"] > 0)
    per_series["rmsse"] = np.sqrt(per_series["mse"] / per_series["s2"].where(per_series["s2"] > 0))
    gs = per_series.groupby(level=list(range(len(by))), observed=True)
    out["mase"] = gs["mase"].mean()
    out["rmsse"] = gs["rmsse"].mean()
    return out.reset_index()
