"""The design matrix: static codes (warehouse, SKU, other text columns) and, per (origin row, horizon)
pair, origin plus target features, assembled batch of series by batch (``design_matrix``,
``design_batches``); what the model trains and predicts on.

Never imports: ``models_ml.forecast``, nor dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from models_ml.config import ResolvedConfig
from models_ml.features.origin import origin_features
from models_ml.features.panel import BATCH_ROWS, Panel, batched_rows, by_batch
from models_ml.features.target import target_features


def static_features(panel: Panel, idx: np.ndarray, rc: ResolvedConfig) -> dict[str, np.ndarray]:
    """Integer codes of the warehouse, the SKU (optional) and other static text columns."""
    s = panel.sid[idx]
    f: dict[str, np.ndarray] = {}
    cols = ["warehouse_id", *panel.static_cols] + (["sku"] if panel.sku_category else [])
    for col in cols:
        codes = pd.factorize(panel.keys[col].astype(str), sort=True)[0]
        f[f"cat_{col}"] = codes[s].astype(np.int64)
    return f


def _row_features(
    batch: Panel, rows: np.ndarray, h: np.ndarray, drivers: dict[str, np.ndarray], rc: ResolvedConfig
) -> dict[str, np.ndarray]:
    of = origin_features(batch, rows, rc)
    tf = target_features(batch, rows, h, drivers, of, rc)
    return {**{k: v for k, v in of.items() if not k.startswith("_")}, **tf}


def design_matrix(
    panel: Panel,
    idx: np.ndarray,
    h: np.ndarray,
    drivers: dict[str, np.ndarray],
    rc: ResolvedConfig,
) -> pd.DataFrame:
    """All features of the (origin row, horizon) pairs, one row each (computed per batch of series)."""
    features = by_batch(
        panel,
        idx,
        lambda b, rows, pos: _row_features(b, rows, h[pos], {k: v[pos] for k, v in drivers.items()}, rc),
    )
    return pd.DataFrame({**features, **static_features(panel, idx, rc)})


def design_batches(
    panel: Panel,
    idx: np.ndarray,
    h: np.ndarray,
    drivers: dict[str, np.ndarray],
    rc: ResolvedConfig,
    max_rows: int = BATCH_ROWS,
) -> Iterator[tuple[np.ndarray, pd.DataFrame]]:
    """``design_matrix`` one batch of series at a time: (positions in ``idx``, their feature rows)."""
    sf = static_features(panel, idx, rc)
    for batch, rows, pos in batched_rows(panel, idx, max_rows):
        f = _row_features(batch, rows, h[pos], {k: v[pos] for k, v in drivers.items()}, rc)
        yield pos, pd.DataFrame({**f, **{k: v[pos] for k, v in sf.items()}})
