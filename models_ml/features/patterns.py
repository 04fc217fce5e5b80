"""Demand patterns (Syntetos-Boylan-Croston): ADI and CV² of the non-zero sizes over the pattern window,
the class of each series (smooth, erratic, intermittent, lumpy, zero) at any row, per series at the
origin (``demand_patterns``, ``series_patterns``).

Never imports: ``models_ml.forecast``, nor dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models_ml.config import ResolvedConfig
from models_ml.features.build import build_panel
from models_ml.features.panel import ID_COLS, Panel, by_batch
from models_ml.features.window_sums import _window_stat

PATTERNS = ("smooth", "erratic", "intermittent", "lumpy", "zero")
ADI_CUT, CV2_CUT = 1.32, 0.49  # Syntetos-Boylan-Croston


def pattern_stats(panel: Panel, idx: np.ndarray, window: int) -> dict[str, np.ndarray]:
    """ADI, CV² of non-zero sizes and the SBC class (index into ``PATTERNS``) at rows ``idx``."""
    yf = panel.y_feat
    ok = ~np.isnan(yf)
    y0 = np.where(ok, yf, 0.0)
    c = _window_stat(panel, "n", ok.astype(np.float64), idx, window)
    n_nz = _window_stat(panel, "nz", (y0 > 0).astype(np.float64), idx, window)
    s = _window_stat(panel, "y", y0, idx, window)
    s2 = _window_stat(panel, "y2", y0**2, idx, window)
    size = s / np.maximum(n_nz, 1)
    var = np.maximum(s2 / np.maximum(n_nz, 1) - size**2, 0.0)
    cv2 = np.where(n_nz > 1, var / np.maximum(size, 1e-12) ** 2, np.nan)
    adi = np.where(n_nz > 0, c / np.maximum(n_nz, 1), np.nan)
    pattern = classify(adi, cv2)
    return {"adi": adi, "cv2": cv2, "nz_size": np.where(n_nz > 0, size, 0.0), "pattern": pattern}


def classify(adi: np.ndarray, cv2: np.ndarray) -> np.ndarray:
    """SBC demand pattern codes (see ``PATTERNS``); one non-zero period counts as intermittent."""
    high_adi = adi >= ADI_CUT
    high_cv = np.nan_to_num(cv2, nan=0.0) >= CV2_CUT
    code = np.select(
        [np.isnan(adi), ~high_adi & ~high_cv, ~high_adi & high_cv, high_adi & ~high_cv],
        [4, 0, 1, 2],
        3,
    )
    return code.astype(np.int64)


def demand_patterns(history: pd.DataFrame, rc: ResolvedConfig) -> pd.DataFrame:
    """Per series: ADI, CV² and the SBC class (smooth/erratic/intermittent/lumpy/zero) at the origin."""
    panel = build_panel(history, rc)
    stats = by_batch(panel, panel.last_row(), lambda b, rows, _: pattern_stats(b, rows, rc.pattern_window))
    out = panel.keys[list(ID_COLS)].copy()
    out["adi"], out["cv2"] = stats["adi"], stats["cv2"]
    out["pattern"] = np.asarray(PATTERNS, dtype=object)[stats["pattern"]]
    return out


def series_patterns(panel: Panel, rows: np.ndarray, rc: ResolvedConfig) -> np.ndarray:
    """SBC pattern code of each series at rows ``rows`` (batch by batch)."""
    return by_batch(panel, rows, lambda b, r, _: pattern_stats(b, r, rc.pattern_window))["pattern"]
