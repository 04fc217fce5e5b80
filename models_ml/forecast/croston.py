"""The methods beside the global model: the Croston family (Croston, SBA, TSB from statsforecast) for
intermittent and lumpy series, and the plain series mean for series too short for a model.

Never imports: LightGBM, the calibration or the orchestration, nor dagster, duckdb, dbt, pipelines or
benchmarks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models_ml.config import ResolvedConfig
from models_ml.features import BATCH_ROWS, PATTERNS, Panel

CROSTON_METHODS = ("croston", "sba", "tsb")
INTERMITTENT = (PATTERNS.index("intermittent"), PATTERNS.index("lumpy"))


def croston_family(
    panel: Panel, series: np.ndarray, cutoff_t: int, horizon: int, method: str, rc: ResolvedConfig
) -> np.ndarray:
    """[len(series), horizon] Croston / SBA / TSB forecasts (statsforecast) from data up to ``cutoff_t``.

    Censored periods are left out of the series (Croston models inter-demand intervals)."""
    from statsforecast import StatsForecast
    from statsforecast.models import TSB, CrostonClassic, CrostonSBA

    model = {
        "croston": CrostonClassic(alias="m"),
        "sba": CrostonSBA(alias="m"),
        "tsb": TSB(alpha_d=rc.base.tsb_alpha_d, alpha_p=rc.base.tsb_alpha_p, alias="m"),
    }[method]
    out = np.zeros((len(series), horizon))
    pos = {int(s): k for k, s in enumerate(series)}
    # batches of series of about BATCH_ROWS rows: each series' forecast is its own, so batching changes
    # nothing but the size of the frames statsforecast copies
    lengths = panel.length[series]
    cut = np.flatnonzero(np.diff(np.cumsum(lengths) // BATCH_ROWS) != 0) + 1
    for part in np.split(np.asarray(series), cut):
        in_sel = np.zeros(panel.n_series, dtype=bool)
        in_sel[part] = True
        lo, hi = int(panel.offset[part.min()]), int(panel.offset[part.max()] + panel.length[part.max()])
        rows = lo + np.flatnonzero(
            in_sel[panel.sid[lo:hi]] & (panel.t[lo:hi] <= cutoff_t) & ~np.isnan(panel.y[lo:hi])
        )
        if rows.size == 0:
            continue
        df = pd.DataFrame(
            {"unique_id": panel.sid[rows].astype(np.int64), "ds": np.arange(rows.size), "y": panel.y[rows]}
        )
        # statsforecast wants regular integer time stamps: renumber the kept periods per series
        df["ds"] = df.groupby("unique_id").cumcount() + 1
        fc = StatsForecast(models=[model], freq=1, n_jobs=1).forecast(df=df, h=horizon)
        fc = fc.sort_values(["unique_id", "ds"])
        vals = fc["m"].to_numpy(dtype=np.float64).reshape(-1, horizon)
        ids = fc["unique_id"].to_numpy()[::horizon]
        out[[pos[int(s)] for s in ids]] = np.nan_to_num(vals)
    return np.clip(out, 0.0, None)


def series_mean(panel: Panel, series: np.ndarray) -> np.ndarray:
    ok = ~np.isnan(panel.y)
    s = np.bincount(panel.sid[ok], weights=panel.y[ok], minlength=panel.n_series)
    n = np.bincount(panel.sid[ok], minlength=panel.n_series)
    return (s / np.maximum(n, 1))[series]
