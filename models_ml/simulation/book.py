"""The replay's book: stock on hand, the pipeline of open and simulated orders with their arrival days,
the backlog, and the record of each day (``ReplayBook``, opened by ``opening_book``). Each order's lead
time is drawn from its supplier's observed lead times (``_lead_time_sampler``).

Pure numpy/pandas; never imports dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models_ml.replenishment.inputs import _num, _str_keys
from models_ml.simulation.inputs import ReplayInputs, _row_index

RECORDS = ("demand", "shipped", "unmet", "on_hand", "on_order", "receipt", "transfer", "order")


@dataclass
class ReplayBook:
    """The replay's state, changed day by day, and its daily record ([day, series] per ``RECORDS``)."""

    on_hand: np.ndarray
    on_order: np.ndarray
    arrivals: np.ndarray  # [T + 1, n]: row T collects what arrives after the window
    backlog: np.ndarray
    rec: dict[str, np.ndarray]
    draw_lead: Callable[[np.ndarray], np.ndarray]

    def place_orders(self, idx: np.ndarray, qty: np.ndarray, t: int) -> None:
        """Book day t's orders: each arrives after a lead time drawn for it (row T: after the window)."""
        T = self.arrivals.shape[0] - 1
        go = qty > 0
        if go.any():
            o, q = idx[go], qty[go]
            arrive = np.minimum(t + self.draw_lead(o), T)
            np.add.at(self.arrivals, (arrive, o), q)
            self.on_order[o] += q
            self.rec["order"][t, o] = q


def opening_book(
    rp: ReplayInputs,
    open_pos: pd.DataFrame | None,
    lead_time_samples: pd.DataFrame | None,
    rng: np.random.Generator,
) -> ReplayBook:
    """The book the evening before the window: opening stock, open POs due on their dates (a date before
    the window arrives on its first day), no backlog, an empty record."""
    n, T = len(rp.keys), rp.review_day.shape[0]
    arrivals = np.zeros((T + 1, n))  # row T collects what arrives after the window
    on_order = np.zeros(n)
    if open_pos is not None and len(open_pos):
        po = _str_keys(open_pos)
        pi = _row_index(rp.keys, po)
        day = (pd.to_datetime(po["expected_date"]).dt.normalize() - rp.start).dt.days.to_numpy()
        ok = pi >= 0
        qty = _num(po, "qty").fillna(0.0).clip(lower=0).to_numpy()
        np.add.at(arrivals, (np.clip(day[ok], 0, T), pi[ok]), qty[ok])
        np.add.at(on_order, pi[ok], qty[ok])
    draw_lead = _lead_time_sampler(
        rp.df["supplier_id"] if "supplier_id" in rp.df.columns else pd.Series(pd.NA, index=rp.df.index),
        lead_time_samples,
        rp.sp.lead_time,
        rng,
    )
    return ReplayBook(
        on_hand=rp.opening_on_hand.copy(),
        on_order=on_order,
        arrivals=arrivals,
        backlog=np.zeros(n),
        rec={k: np.zeros((T, n), dtype=np.float64) for k in RECORDS},
        draw_lead=draw_lead,
    )


def _lead_time_sampler(
    supplier: pd.Series, samples: pd.DataFrame | None, fallback: np.ndarray, rng: np.random.Generator
):
    """Vectorised draw of one observed lead time per ordering series (flat sample array + offsets)."""
    fallback_days = np.maximum(np.round(fallback), 1).astype(np.int64)
    if samples is None or samples.empty or supplier.isna().all():
        return lambda idx: fallback_days[idx]
    s = samples.dropna(subset=["supplier_id", "lead_time_days"])
    s = s.assign(
        supplier_id=s["supplier_id"].astype("string"), lead_time_days=pd.to_numeric(s["lead_time_days"])
    )
    s = s.sort_values(["supplier_id", "lead_time_days"], kind="stable")  # draws do not depend on row order
    names = pd.Index(s["supplier_id"].unique())
    code = names.get_indexer(supplier.astype("string"))
    counts = s.groupby("supplier_id", sort=True).size().reindex(names).to_numpy()
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    values = np.maximum(np.round(pd.to_numeric(s["lead_time_days"]).to_numpy()), 1).astype(np.int64)

    def draw(idx: np.ndarray) -> np.ndarray:
        c = code[idx]
        has = c >= 0
        out = fallback_days[idx].copy()
        pick = offsets[c[has]] + np.floor(rng.random(has.sum()) * counts[c[has]]).astype(np.int64)
        out[has] = values[pick]
        return out

    return draw
