"""Order-quantity rounding: a net requirement rounded up to the MOQ and the pack multiple, capped at a maximum.

Pure numpy; never imports dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

import numpy as np


def round_order_qty(
    net: np.ndarray, moq: np.ndarray, pack: np.ndarray, max_qty: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Round a net requirement up to the MOQ and the pack multiple, capped at the maximum.

    qty = ceil(max(net, MOQ) / pack) * pack if net > 0 else 0. The cap (max_qty > 0; NaN or <= 0 means
    none) is first rounded down to a pack multiple (at least one pack: the pack wins over a cap below
    it), so the result is always a non-negative multiple of the pack. A cap below the MOQ wins over
    the MOQ. Returns qty and the masks moq_applied, pack_applied, capped.
    """
    net = np.asarray(net, dtype=float)
    pack = np.where(np.asarray(pack, dtype=float) > 0, pack, 1.0)
    moq = np.where(np.asarray(moq, dtype=float) > 0, moq, 0.0)
    need = net > 1e-9
    base = np.where(need, np.maximum(net, moq), 0.0)
    qty = np.ceil(base / pack - 1e-9) * pack
    cap = np.asarray(max_qty, dtype=float)
    has_cap = np.isfinite(cap) & (cap > 0)
    cap_eff = np.where(has_cap, np.maximum(np.floor(cap / pack + 1e-9), 1.0) * pack, np.inf)
    capped = qty > cap_eff
    qty = np.where(need, np.minimum(qty, cap_eff), 0.0)
    moq_applied = need & (moq > net) & ~capped
    pack_applied = need & ~capped & (qty > base + 1e-9) & (pack > 1)  # pack 1: a whole unit, not a pack
    return qty, moq_applied, pack_applied, capped
