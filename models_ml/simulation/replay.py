"""The day loop of the replay: ``simulate_policy`` serves each day's demand from stock and, on review
days, orders by the plan's policy (with its transfers) or by the current rule; ``DAILY_COLUMNS`` is what
it returns. The steps: ``serve_day``, ``rule_review``, ``policy_review`` (``optimised_z_today``,
``book_transfers``), ``daily_frame``.

Pure numpy/pandas; the only Python loop runs over days, vectorised across all series. Never imports
dagster, duckdb, dbt, pipelines or benchmarks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models_ml.current_rule import CurrentRule, rule_order
from models_ml.replenishment.config import ReplenishmentConfig
from models_ml.replenishment.policy import cycle_quantity, policy_order
from models_ml.replenishment.rounding import round_order_qty
from models_ml.replenishment.safety import safety_stock
from models_ml.replenishment.service import optimised_service_z
from models_ml.replenishment.transfers import allocate_transfers, transfer_excess
from models_ml.simulation.book import ReplayBook, opening_book
from models_ml.simulation.config import SimulationConfig
from models_ml.simulation.inputs import ReplayInputs, replay_inputs

DAILY_COLUMNS = [
    "sku", "warehouse_id", "abc_class", "date", "demand_qty", "shipped_qty", "unmet_qty", "on_hand_qty",
    "on_order_qty", "receipt_qty", "transfer_qty", "order_qty", "unit_cost", "inventory_value",
    "cogs_value", "is_stockout_day",
]  # fmt: skip


def simulate_policy(
    demand: pd.DataFrame,
    params: pd.DataFrame | None,
    stock: pd.DataFrame,
    open_pos: pd.DataFrame | None = None,
    forecast: pd.DataFrame | None = None,
    lead_time_samples: pd.DataFrame | None = None,
    config: ReplenishmentConfig | None = None,
    sim_config: SimulationConfig | None = None,
    rule: CurrentRule | None = None,
) -> pd.DataFrame:
    """Replay the last ``sim_config.days`` days of ``demand`` under ``config``'s policy (``DAILY_COLUMNS``),
    or, with ``rule``, under that rule (``CurrentRule``: history only, no transfers; lead times, review
    days, MOQ, pack and maximum as for the plan)."""
    cfg = config or ReplenishmentConfig()
    sc = sim_config or SimulationConfig()
    rng = np.random.default_rng(sc.seed)
    rp = replay_inputs(demand, params, stock, forecast, rule, cfg, sc)
    book = opening_book(rp, open_pos, lead_time_samples, rng)
    for t in range(sc.days):
        serve_day(rp, book, t, sc.lost_sales)
        idx = np.flatnonzero(rp.review_day[t] & ~rp.blocked & (t < rp.stop))
        if idx.size and rule is not None:
            rule_review(rp, book, rule, idx, t)
        elif idx.size:
            policy_review(rp, book, cfg, idx, t)
        book.rec["on_hand"][t] = book.on_hand
        book.rec["on_order"][t] = book.on_order
    return daily_frame(rp, book.rec)


def serve_day(rp: ReplayInputs, book: ReplayBook, t: int, lost_sales: bool) -> None:
    """Day t: receipts due arrive, then demand (+ backlog) is served from on hand; the rest is lost or,
    with ``lost_sales=False``, backordered."""
    a = rp.t0 + t
    got = book.arrivals[t]
    book.on_hand += got
    book.on_order -= got
    want = rp.dm[a] + book.backlog
    shipped = np.minimum(want, book.on_hand)
    book.on_hand -= shipped
    book.backlog = np.zeros(len(rp.keys)) if lost_sales else want - shipped
    book.rec["demand"][t] = rp.dm[a]
    book.rec["shipped"][t] = shipped
    book.rec["unmet"][t] = want - shipped
    book.rec["receipt"][t] = got


def rule_review(rp: ReplayInputs, book: ReplayBook, rule: CurrentRule, idx: np.ndarray, t: int) -> None:
    """Day t's orders of the reviewed series ``idx`` under the current rule (history only)."""
    sp, hand = rp.sp, rp.hand
    mean, var = rp.history_stats(idx, t)
    position = book.on_hand[idx] + book.on_order[idx] - book.backlog[idx]
    net = rule_order(
        rule,
        position,
        mean,
        np.sqrt(var),
        sp.lead_time[idx],
        sp.lead_time_std[idx],
        sp.review_period[idx],
        None if hand is None else hand["min"][idx],
        None if hand is None else hand["max"][idx],
        None if hand is None else hand["safety"][idx],
    )
    qty, _, _, _ = round_order_qty(net, sp.moq[idx], sp.pack[idx], sp.max_order_qty[idx])
    book.place_orders(idx, qty, t)


def policy_review(
    rp: ReplayInputs, book: ReplayBook, cfg: ReplenishmentConfig, idx: np.ndarray, t: int
) -> None:
    """Day t's orders of the reviewed series ``idx`` as the plan computes them (safety stock, policy
    levels, rounding), after the plan's transfer rule has served what it can."""
    sp = rp.sp
    d_lead, d_prot, var_prot, daily = rp.windows(idx, t)
    z = sp.z[idx]
    if cfg.service_allocation == "optimised":  # over every series that may order today
        z = optimised_z_today(rp, cfg, idx, t, z)
    ss, _, _ = safety_stock(
        var_prot,
        daily,
        sp.lead_time_std[idx],
        z,
        cfg.min_safety_stock_days,
        cfg.max_safety_stock_days,
    )
    position = book.on_hand[idx] + book.on_order[idx] - book.backlog[idx]
    _, up_to, net = policy_order(
        cfg.policy,
        position,
        d_lead,
        d_prot,
        ss,
        daily,
        sp.moq[idx],
        sp.pack[idx],
        cfg.order_cover_days,
    )
    qty, _, _, _ = round_order_qty(net, sp.moq[idx], sp.pack[idx], sp.max_order_qty[idx])
    if cfg.allow_transfers and (qty > 0).any():
        book_transfers(rp, book, cfg, idx, qty, net, position, up_to, daily, t)
    book.place_orders(idx, qty, t)


def optimised_z_today(
    rp: ReplayInputs, cfg: ReplenishmentConfig, idx: np.ndarray, t: int, z: np.ndarray
) -> np.ndarray:
    """Safety factors of the reviewed series from ``optimised_service_z`` over every series that may order
    today (not blocked, before its stop day, without its own service level) at today's forecast."""
    sp, lead_std, review = rp.sp, rp.sp.lead_time_std, rp.sp.review_period
    act = np.flatnonzero(~rp.blocked & (t < rp.stop) & ~sp.service_override)
    _, _, var_a, daily_a = rp.windows(act, t)
    z_act = optimised_service_z(
        daily_a,
        np.sqrt(var_a + (daily_a * lead_std[act]) ** 2),
        cycle_quantity(cfg.policy, daily_a, review[act], sp.moq[act], cfg.order_cover_days),
        rp.unit_cost[act],
        sp.z[act],
        cfg.target_fill_rate,
        cfg.optimised_service_bounds,
        cfg.fill_measure,
    )
    at = np.minimum(np.searchsorted(act, idx), max(act.size - 1, 0))
    return np.where(act[at] == idx, z_act[at], z) if act.size else z


def book_transfers(
    rp: ReplayInputs,
    book: ReplayBook,
    cfg: ReplenishmentConfig,
    idx: np.ndarray,
    qty: np.ndarray,
    net: np.ndarray,
    position: np.ndarray,
    up_to: np.ndarray,
    daily: np.ndarray,
    t: int,
) -> None:
    """Day t's transfers (``_transfers_today``), booked that evening on both sides; a served receiver's
    order ``qty`` is set to 0 in place."""
    to, frm, moved = _transfers_today(
        idx,
        qty,
        net,
        position,
        up_to,
        daily,
        rp.sku_code,
        book.on_hand,
        book.backlog,
        ~rp.blocked & (t < rp.stop),
        cfg,
    )
    if to.size:
        # unbuffered: one donor may serve several receivers the same day (a fancy-indexed
        # `-=` would debit it only once)
        np.subtract.at(book.on_hand, frm, moved)
        np.add.at(book.on_hand, to, moved)
        np.subtract.at(book.rec["transfer"][t], frm, moved)
        np.add.at(book.rec["transfer"][t], to, moved)
        qty[np.searchsorted(idx, to)] = 0.0


def _transfers_today(
    idx: np.ndarray,
    qty: np.ndarray,
    net: np.ndarray,
    position: np.ndarray,
    up_to: np.ndarray,
    daily: np.ndarray,
    sku_code: np.ndarray,
    on_hand: np.ndarray,
    backlog: np.ndarray,
    ordering: np.ndarray,
    cfg: ReplenishmentConfig,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The plan's transfer rule on a review day: (receiver rows, donor rows, quantities).

    Candidates are all series of the SKUs that would buy today. Reviewed series give their stock above
    the order-up-to level (``transfer_excess``), series that may not order (dead, discontinued, past
    their ``discontinued_date``) all their free stock, other series nothing; receivers are the series
    that would buy, each needing ceil(net requirement), served whole or not at all (``allocate_transfers``).
    """
    buying = qty > 0
    rows = np.flatnonzero(np.isin(sku_code, np.unique(sku_code[idx[buying]])))
    pos = np.minimum(np.searchsorted(idx, rows), idx.size - 1)
    reviewed = idx[pos] == rows
    k = np.where(reviewed, pos, 0)
    blocked = ~ordering[rows]
    excess = transfer_excess(
        on_hand[rows],
        backlog[rows],
        np.where(reviewed, position[k], 0.0),
        np.where(reviewed, up_to[k], 0.0),
        np.where(reviewed, daily[k], 0.0),
        blocked,
        cfg.transfer_keep_days,
    )
    excess = np.where(reviewed | blocked, excess, 0.0)
    need = np.where(reviewed & buying[k], np.ceil(net[k]), 0.0)
    to, frm = allocate_transfers(sku_code[rows], excess, need)
    return rows[to], rows[frm], need[to]


def daily_frame(rp: ReplayInputs, rec: dict[str, np.ndarray]) -> pd.DataFrame:
    """The record as one row per series and day (``DAILY_COLUMNS``), valued at the unit cost."""
    keys, n, T = rp.keys, len(rp.keys), rp.review_day.shape[0]
    series = np.repeat(np.arange(n), T)  # series-major: sorted by sku, warehouse_id, date

    def cat(values: np.ndarray) -> pd.Categorical:
        codes, uniques = pd.factorize(np.asarray(values, dtype=object))
        return pd.Categorical.from_codes(codes[series], categories=pd.Index(uniques, dtype="string"))

    def col(name: str) -> np.ndarray:
        return rec[name].T.ravel()

    cost = rp.unit_cost[series]
    out = pd.DataFrame(
        {
            "sku": cat(keys["sku"].to_numpy()),
            "warehouse_id": cat(keys["warehouse_id"].to_numpy()),
            "abc_class": cat(rp.sp.abc_class),
            "date": np.tile(pd.date_range(rp.start, periods=T).to_numpy(), n),
            "demand_qty": col("demand"),
            "shipped_qty": col("shipped"),
            "unmet_qty": col("unmet"),
            "on_hand_qty": col("on_hand"),
            "on_order_qty": col("on_order"),
            "receipt_qty": col("receipt"),
            "transfer_qty": col("transfer"),
            "order_qty": col("order"),
            "unit_cost": cost,
        }
    )
    out["inventory_value"] = out["on_hand_qty"] * cost
    out["cogs_value"] = out["shipped_qty"] * cost
    out["is_stockout_day"] = out["unmet_qty"] > 1e-9
    return out[DAILY_COLUMNS]
