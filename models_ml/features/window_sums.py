"""Window sums over the panel: which per-row values the rolling features add up (``cumulative_inputs``,
the terms of the price regression) and their sum over the ``w`` periods up to a row (``_window_stat``,
from the panel's cached cumulative sums).

Never imports: the rest of ``models_ml.features`` at run time (``panel`` imports this module),
``models_ml.forecast``, nor dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from models_ml.features.panel import Panel


def cumulative_inputs(panel: Panel) -> dict[str, np.ndarray]:
    """The values whose cumulative sums the window features use (``Panel.cumsum`` names)."""
    yf = panel.y_feat
    ok = ~np.isnan(yf)
    y0 = np.where(ok, yf, 0.0)
    out = {"y": y0, "n": ok.astype(np.float64), "y2": y0**2, "nz": (y0 > 0).astype(np.float64)}
    if panel.log_target:
        out["ly"] = np.log1p(y0)
    if panel.promo is not None:
        base = ok & ~panel.promo
        out["bn"] = base.astype(np.float64)
        out["by"] = np.where(base, np.log1p(y0), 0.0)
    if panel.price_col is not None:
        p = panel.drivers[panel.price_col]
        pok = ~np.isnan(p)
        out["p"], out["pn"] = np.where(pok, p, 0.0), pok.astype(np.float64)
        if panel.log_target:
            out.update(_price_response_inputs(panel, y0, ok))
    return out


def _price_response_inputs(panel: Panel, y0: np.ndarray, ok: np.ndarray) -> dict[str, np.ndarray]:
    """Per row, the terms of the windowed log-log price regression (``price_response``): x = log price,
    z = log(1 + demand) where both are known (else 0), their squares and product, and the count."""
    p = panel.drivers[panel.price_col]
    both = ok & (np.nan_to_num(p) > 0)
    x = np.log(np.where(both, p, 1.0))
    z = np.where(both, np.log1p(y0), 0.0)
    return {"rn": both.astype(np.float64), "rx": x, "rz": z, "rxx": x * x, "rxz": x * z}


def _window_stat(panel: Panel, name: str, values: np.ndarray, idx: np.ndarray, w: int) -> np.ndarray:
    """Sum of ``values`` over the ``w`` periods ending at rows ``idx`` (within each series)."""
    c = panel.cumsum(name, values)
    lo = np.maximum(idx - w + 1, panel.offset[panel.sid[idx]])
    return c[idx + 1] - c[lo]
