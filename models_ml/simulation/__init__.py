"""Policy simulation: replay the last N days of actual demand under a proposed replenishment policy.

What no ERP offers: the same demand the company really saw, replayed day by day with orders placed at
each review by ``models_ml.replenishment`` rules and arriving after the lead times the suppliers really
took, compared with what the stock ledger shows happened. Pure numpy/pandas; the only Python loop runs
over days, vectorised across all series (as the demo generator's stock simulation).

Inputs
------
demand
    ``sku, warehouse_id, date, qty`` (+ optional ``is_stockout``, not used by the replay): the daily
    *requested* quantity (ordered, not shipped; unconstrained demand). Days before the replay window
    feed the stand-in forecast; missing days are zero demand.
params
    as in ``plan_replenishment`` (lead time, review period / ``order_weekdays``, MOQ, pack, maximum,
    ABC/XYZ, status, ``is_dead_stock``) + optional ``discontinued_date`` (no orders from that day).
stock
    ``sku, warehouse_id, on_hand_qty, unit_cost``: on hand the evening before the window starts. The
    unit cost values inventory and COGS in both scenarios (so only quantities differ).
open_pos (optional)
    ``sku, warehouse_id, qty, expected_date``: pipeline at the window start. For a replay pass the
    *actual* receipt dates; a date before the window arrives on its first day.
forecast (optional)
    ``sku, warehouse_id, date, p50, p90`` (+ ``mean``, ``sigma``) covering the window: the forecast the
    policy would have seen for each day (e.g. a rolling backtest). Without it a **stand-in** is used at
    each review: the mean of the trailing ``standin_mean_days`` days of demand (counted from a series'
    first demand, at least 7 days) and the standard deviation of the trailing ``standin_std_days``
    days; no look-ahead.
lead_time_samples (optional)
    ``supplier_id, lead_time_days``: observed PO lead times. Each simulated order draws one from its
    supplier's sample (seeded); without samples it arrives after round(mean lead time) days (>= 1).

Each day, in order: receipts due arrive; demand is served from on hand (``min(demand + backlog,
on hand)``; unmet demand is lost by default, as short-closed order lines are, or backordered with
``lost_sales=False``); on review days (the series' order weekdays, else every round(R) days from the
window start) the policy computes its levels from the forecast over lead time + review and orders
``max(0, S - position)`` rounded to MOQ / pack and capped (no orders for dead or discontinued series);
the order arrives ``lead time`` days later. Transfers between warehouses are not simulated.

``simulate_policy`` returns one row per series and day (``DAILY_COLUMNS``); ``compare_with_history``
aggregates it and an equally shaped history frame into fill rate, stockout days, average inventory
value, turnover and DIO per warehouse, ABC class and in total; ``comparison_markdown`` renders it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models_ml.current_rule import CurrentRule, hand_set_levels, rule_order
from models_ml.replenishment.config import ReplenishmentConfig
from models_ml.replenishment.inputs import KEYS, _merge_params, _num, _str_keys, resolve_supply
from models_ml.replenishment.policy import cycle_quantity, policy_order
from models_ml.replenishment.rounding import round_order_qty
from models_ml.replenishment.safety import safety_stock
from models_ml.replenishment.service import optimised_service_z
from models_ml.replenishment.transfers import allocate_transfers, transfer_excess
from models_ml.replenishment.windows import window_sums

DAILY_COLUMNS = [
    "sku", "warehouse_id", "abc_class", "date", "demand_qty", "shipped_qty", "unmet_qty", "on_hand_qty",
    "on_order_qty", "receipt_qty", "transfer_qty", "order_qty", "unit_cost", "inventory_value",
    "cogs_value", "is_stockout_day",
]  # fmt: skip

METRIC_COLUMNS = [
    "series", "days", "demand_qty", "shipped_qty", "fill_rate", "stockout_days", "stockout_day_share",
    "avg_inventory_value", "cogs_value", "turnover", "dio_days",
]  # fmt: skip


@dataclass(frozen=True)
class SimulationConfig:
    """Replay settings. ``days``: window length (the last ``days`` dates of the demand input)."""

    days: int = 180
    lost_sales: bool = True
    standin_mean_days: int = 28
    standin_std_days: int = 91
    seed: int = 0
    days_per_year: float = 365.0

    def __post_init__(self) -> None:
        if self.days < 1 or self.standin_mean_days < 1 or self.standin_std_days < 2:
            raise ValueError("days, standin_mean_days must be >= 1 and standin_std_days >= 2")


def _keys_of(*frames: pd.DataFrame | None) -> pd.DataFrame:
    parts = [_str_keys(f)[KEYS] for f in frames if f is not None and len(f) and "warehouse_id" in f.columns]
    keys = pd.concat(parts, ignore_index=True).dropna().drop_duplicates()
    return keys.sort_values(KEYS, ignore_index=True)


def _row_index(keys: pd.DataFrame, df: pd.DataFrame) -> np.ndarray:
    return pd.MultiIndex.from_frame(keys[KEYS]).get_indexer(pd.MultiIndex.from_frame(_str_keys(df)[KEYS]))


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
    demand = _str_keys(demand)
    demand_dates = pd.to_datetime(demand["date"]).dt.normalize()
    end = demand_dates.max()
    start = end - pd.Timedelta(days=sc.days - 1)
    first = min(demand_dates.min(), start)
    keys = _keys_of(
        demand, stock, params if params is not None and "warehouse_id" in params.columns else None
    )
    n, T = len(keys), sc.days
    t0 = (start - first).days
    total_days = t0 + T

    # demand matrix over warm-up + window
    dm = np.zeros((total_days, n))
    np.add.at(
        dm,
        ((demand_dates - first).dt.days.to_numpy(), _row_index(keys, demand)),
        _num(demand, "qty").fillna(0.0).clip(lower=0).to_numpy(),
    )
    c1 = np.vstack([np.zeros((1, n)), np.cumsum(dm, axis=0)])
    c2 = np.vstack([np.zeros((1, n)), np.cumsum(dm**2, axis=0)])
    nonzero = dm > 0
    first_demand = np.where(nonzero.any(axis=0), nonzero.argmax(axis=0), total_days)

    df = _merge_params(keys, params)
    sp = resolve_supply(df, cfg)
    lead, lead_std, review = sp.lead_time, sp.lead_time_std, sp.review_period
    protection = lead + review
    blocked = sp.dead | sp.discontinued
    stop = np.full(n, T, dtype=np.int64)
    if "discontinued_date" in df.columns:
        dd = pd.to_datetime(df["discontinued_date"], errors="coerce")
        days_to = (dd - start).dt.days.to_numpy(dtype=float, na_value=np.nan)
        stop = np.where(np.isfinite(days_to), np.clip(days_to, 0, T), T).astype(np.int64)

    # review days: the order weekdays when known, else every round(R) days from the window start
    weekday = ((start.dayofweek + np.arange(T)) % 7)[:, None]
    has_wd = sp.order_weekdays.any(axis=1)
    every = np.maximum(np.round(review), 1).astype(np.int64)
    review_day = np.where(
        has_wd[None, :], sp.order_weekdays.T[weekday[:, 0]], (np.arange(T)[:, None] % every[None, :]) == 0
    )

    st = (
        _str_keys(stock) if stock is not None and len(stock) else pd.DataFrame(columns=[*KEYS, "on_hand_qty"])
    )
    si = _row_index(keys, st)
    on_hand = np.zeros(n)
    np.add.at(on_hand, si[si >= 0], _num(st, "on_hand_qty").fillna(0.0).clip(lower=0).to_numpy()[si >= 0])
    unit_cost = np.full(n, np.nan)
    unit_cost[si[si >= 0]] = _num(st, "unit_cost").to_numpy()[si >= 0]
    unit_cost = np.where(np.isnan(unit_cost), _num(df, "unit_cost").to_numpy(), unit_cost)
    unit_cost = np.nan_to_num(unit_cost, nan=0.0)

    arrivals = np.zeros((T + 1, n))  # row T collects what arrives after the window
    on_order = np.zeros(n)
    if open_pos is not None and len(open_pos):
        po = _str_keys(open_pos)
        pi = _row_index(keys, po)
        day = (pd.to_datetime(po["expected_date"]).dt.normalize() - start).dt.days.to_numpy()
        ok = pi >= 0
        qty = _num(po, "qty").fillna(0.0).clip(lower=0).to_numpy()
        np.add.at(arrivals, (np.clip(day[ok], 0, T), pi[ok]), qty[ok])
        np.add.at(on_order, pi[ok], qty[ok])

    point_cum = var_cum = None
    if forecast is not None and len(forecast):
        point_cum, var_cum = _forecast_cumsums(forecast, keys, start, T + int(np.ceil(protection.max())) + 1)
    draw_lead = _lead_time_sampler(
        df["supplier_id"] if "supplier_id" in df.columns else pd.Series(pd.NA, index=df.index),
        lead_time_samples,
        lead,
        rng,
    )

    rec = {
        k: np.zeros((T, n), dtype=np.float64)
        for k in ("demand", "shipped", "unmet", "on_hand", "on_order", "receipt", "transfer", "order")
    }
    sku_code = pd.factorize(keys["sku"].to_numpy())[0]  # keys are sorted by sku, warehouse_id

    def history_stats(rows: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Trailing mean (``standin_mean_days``, from a series' first demand) and variance
        (``standin_std_days``) of daily demand before day t of the window: no look-ahead."""
        a = t0 + t
        length = np.clip(a - first_demand[rows], 7, sc.standin_mean_days).astype(float)
        mean = np.where(
            a > first_demand[rows],
            (c1[a, rows] - c1[np.maximum(a - length, 0).astype(int), rows]) / length,
            0.0,
        )
        k = min(sc.standin_std_days, a)
        if k >= 2:
            s1, s2 = c1[a, rows] - c1[a - k, rows], c2[a, rows] - c2[a - k, rows]
            var = np.maximum(s2 / k - (s1 / k) ** 2, 0.0) * k / (k - 1)
        else:
            var = np.zeros(rows.size)
        return mean, var

    hand = (
        hand_set_levels(df, keys, dm[:t0] if t0 > 0 else dm)
        if rule is not None and rule.kind == "items"
        else None
    )

    def windows(rows: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Forecast demand over L and P, its variance over P, and the daily rate, at day t of the window."""
        if point_cum is None:
            mean, var = history_stats(rows, t)
            return mean * lead[rows], mean * protection[rows], var * protection[rows], mean
        sub = np.ix_(np.arange(point_cum.shape[0]), rows)
        p = protection[rows]
        d_prot = window_sums(point_cum[sub], t, p)
        daily = np.where(p > 0, d_prot / np.where(p > 0, p, 1), 0.0)
        return window_sums(point_cum[sub], t, lead[rows]), d_prot, window_sums(var_cum[sub], t, p), daily

    def place_orders(idx: np.ndarray, qty: np.ndarray, t: int) -> None:
        """Book day t's orders: each arrives after a lead time drawn for it (row T: after the window)."""
        go = qty > 0
        if go.any():
            o, q = idx[go], qty[go]
            arrive = np.minimum(t + draw_lead(o), T)
            np.add.at(arrivals, (arrive, o), q)
            on_order[o] += q
            rec["order"][t, o] = q

    backlog = np.zeros(n)
    for t in range(T):
        a = t0 + t
        got = arrivals[t]
        on_hand += got
        on_order -= got
        want = dm[a] + backlog
        shipped = np.minimum(want, on_hand)
        on_hand -= shipped
        backlog = np.zeros(n) if sc.lost_sales else want - shipped
        rec["demand"][t] = dm[a]
        rec["shipped"][t] = shipped
        rec["unmet"][t] = want - shipped
        rec["receipt"][t] = got

        idx = np.flatnonzero(review_day[t] & ~blocked & (t < stop))
        if idx.size and rule is not None:
            mean, var = history_stats(idx, t)
            position = on_hand[idx] + on_order[idx] - backlog[idx]
            net = rule_order(
                rule,
                position,
                mean,
                np.sqrt(var),
                lead[idx],
                lead_std[idx],
                review[idx],
                None if hand is None else hand["min"][idx],
                None if hand is None else hand["max"][idx],
                None if hand is None else hand["safety"][idx],
            )
            qty, _, _, _ = round_order_qty(net, sp.moq[idx], sp.pack[idx], sp.max_order_qty[idx])
            place_orders(idx, qty, t)
        elif idx.size:
            d_lead, d_prot, var_prot, daily = windows(idx, t)
            z = sp.z[idx]
            if cfg.service_allocation == "optimised":  # over every series that may order today
                act = np.flatnonzero(~blocked & (t < stop) & ~sp.service_override)
                _, _, var_a, daily_a = windows(act, t)
                z_act = optimised_service_z(
                    daily_a,
                    np.sqrt(var_a + (daily_a * lead_std[act]) ** 2),
                    cycle_quantity(cfg.policy, daily_a, review[act], sp.moq[act], cfg.order_cover_days),
                    unit_cost[act],
                    sp.z[act],
                    cfg.target_fill_rate,
                    cfg.optimised_service_bounds,
                    cfg.fill_measure,
                )
                at = np.minimum(np.searchsorted(act, idx), max(act.size - 1, 0))
                z = np.where(act[at] == idx, z_act[at], z) if act.size else z
            ss, _, _ = safety_stock(
                var_prot,
                daily,
                lead_std[idx],
                z,
                cfg.min_safety_stock_days,
                cfg.max_safety_stock_days,
            )
            position = on_hand[idx] + on_order[idx] - backlog[idx]
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
                to, frm, moved = _transfers_today(
                    idx,
                    qty,
                    net,
                    position,
                    up_to,
                    daily,
                    sku_code,
                    on_hand,
                    backlog,
                    ~blocked & (t < stop),
                    cfg,
                )
                if to.size:
                    # unbuffered: one donor may serve several receivers the same day (a fancy-indexed
                    # `-=` would debit it only once)
                    np.subtract.at(on_hand, frm, moved)
                    np.add.at(on_hand, to, moved)
                    np.subtract.at(rec["transfer"][t], frm, moved)
                    np.add.at(rec["transfer"][t], to, moved)
                    qty[np.searchsorted(idx, to)] = 0.0
            place_orders(idx, qty, t)
        rec["on_hand"][t] = on_hand
        rec["on_order"][t] = on_order

    series = np.repeat(np.arange(n), T)  # series-major: sorted by sku, warehouse_id, date

    def cat(values: np.ndarray) -> pd.Categorical:
        codes, uniques = pd.factorize(np.asarray(values, dtype=object))
        return pd.Categorical.from_codes(codes[series], categories=pd.Index(uniques, dtype="string"))

    def col(name: str) -> np.ndarray:
        return rec[name].T.ravel()

    cost = unit_cost[series]
    out = pd.DataFrame(
        {
            "sku": cat(keys["sku"].to_numpy()),
            "warehouse_id": cat(keys["warehouse_id"].to_numpy()),
            "abc_class": cat(sp.abc_class),
            "date": np.tile(pd.date_range(start, periods=T).to_numpy(), n),
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


def _forecast_cumsums(
    forecast: pd.DataFrame, keys: pd.DataFrame, start: pd.Timestamp, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative point forecast and forecast variance per day from the window start (leading zero row)."""
    f = _str_keys(forecast)
    day = (pd.to_datetime(f["date"]).dt.normalize() - start).dt.days.to_numpy()
    row = _row_index(keys, f)
    ok = (row >= 0) & (day >= 0) & (day < width)
    point_col = "mean" if "mean" in f.columns and f["mean"].notna().any() else "p50"
    point = _num(f, point_col).fillna(_num(f, "p50")).fillna(0.0).clip(lower=0).to_numpy()
    if "sigma" in f.columns:
        sigma = _num(f, "sigma").to_numpy()
    else:
        sigma = ((_num(f, "p90") - _num(f, "p50")).clip(lower=0) / 1.2815515655446004).to_numpy()
    sigma = np.nan_to_num(sigma, nan=0.0)
    n = len(keys)
    pm, vm = np.zeros((width, n)), np.zeros((width, n))
    pm[day[ok], row[ok]] = point[ok]
    vm[day[ok], row[ok]] = sigma[ok] ** 2
    zero = np.zeros((1, n))
    return np.vstack([zero, np.cumsum(pm, axis=0)]), np.vstack([zero, np.cumsum(vm, axis=0)])


# --------------------------------------------------------------------------- comparison


def _aggregate(daily: pd.DataFrame, by: str | None, days: int, days_per_year: float) -> pd.DataFrame:
    """Additive parts per group first, ratios from the summed parts (never averaged ratios)."""
    d = daily.assign(_series=daily["sku"].astype(str) + "|" + daily["warehouse_id"].astype(str))
    g = d.groupby(by, observed=True, dropna=False) if by else d.assign(_all="all").groupby("_all")
    out = pd.DataFrame(
        {
            "series": g["_series"].nunique(),
            "days": days,
            "demand_qty": g["demand_qty"].sum(),
            "shipped_qty": g["shipped_qty"].sum(),
            "stockout_days": g["is_stockout_day"].sum().astype("int64"),
            "avg_inventory_value": g["inventory_value"].sum() / days,  # sum over series of daily means
            "cogs_value": g["cogs_value"].sum(),
        }
    )
    out["fill_rate"] = out["shipped_qty"] / out["demand_qty"].where(out["demand_qty"] > 0)
    out["stockout_day_share"] = out["stockout_days"] / (out["series"] * days)
    cogs = out["cogs_value"].where(out["cogs_value"] > 0)
    out["turnover"] = (
        cogs / out["avg_inventory_value"].where(out["avg_inventory_value"] > 0) * (days_per_year / days)
    )
    out["dio_days"] = out["avg_inventory_value"] / cogs * days
    out.index = out.index.astype(str)
    return out.rename_axis("group").reset_index()[["group", *METRIC_COLUMNS]]


def compare_with_history(
    proposed: pd.DataFrame,
    history: pd.DataFrame,
    days_per_year: float = 365.0,
    others: Mapping[str, pd.DataFrame] | None = None,
) -> dict[str, pd.DataFrame]:
    """Fill rate, stockout days, average inventory value, turnover and DIO: history vs proposed.

    ``proposed`` is ``simulate_policy``'s output. ``history`` holds what the ledger shows for the same
    series and days: ``sku, warehouse_id, date, demand_qty, shipped_qty, on_hand_qty`` (end of day)
    + optional ``is_stockout_day`` (default: shipped < demand that day). History is valued at the
    proposed frame's unit cost per series and takes its ABC class, so only quantities differ; only the
    proposed frame's series and dates are compared (missing history days count as zero).

    Definitions: fill rate = units shipped / units demanded (unit fill rate); stockout days = series-days
    with demand not served in full; average inventory value = sum over series of the mean daily on-hand
    value; turnover = COGS / average inventory, annualised (x days_per_year / days); DIO = average
    inventory / COGS x days. Returns {"warehouse_id": ..., "abc_class": ..., "total": ...}: long frames
    with ``group, scenario`` and ``METRIC_COLUMNS``. ``others``: further replays of the same series and
    days (``simulate_policy`` frames, e.g. the current rule), each a scenario of its own name.
    """
    p = proposed.copy()
    p["sku"], p["warehouse_id"] = p["sku"].astype(str), p["warehouse_id"].astype(str)
    p["date"] = pd.to_datetime(p["date"])
    days = p["date"].nunique()
    frame = p[["sku", "warehouse_id", "date", "abc_class", "unit_cost"]]
    h = history.copy()
    h["sku"], h["warehouse_id"] = h["sku"].astype(str), h["warehouse_id"].astype(str)
    h["date"] = pd.to_datetime(h["date"]).dt.normalize()
    keep = ["sku", "warehouse_id", "date", "demand_qty", "shipped_qty", "on_hand_qty"]
    if "is_stockout_day" in h.columns:
        keep.append("is_stockout_day")
    h = frame.merge(h[keep], on=["sku", "warehouse_id", "date"], how="left")
    for c in ("demand_qty", "shipped_qty", "on_hand_qty"):
        h[c] = pd.to_numeric(h[c]).fillna(0.0)
    if "is_stockout_day" in h.columns:
        h["is_stockout_day"] = h["is_stockout_day"].astype("boolean").fillna(False).astype(bool)
    else:
        h["is_stockout_day"] = h["shipped_qty"] < h["demand_qty"] - 1e-9
    h["inventory_value"] = h["on_hand_qty"] * h["unit_cost"]
    h["cogs_value"] = h["shipped_qty"] * h["unit_cost"]
    out = {}
    for level in ("warehouse_id", "abc_class", None):
        parts = [
            _aggregate(df, level, days, days_per_year).assign(scenario=name)
            for name, df in (("history", h), ("proposed", p), *(others or {}).items())
        ]
        both = pd.concat(parts, ignore_index=True)
        both = both[["group", "scenario", *METRIC_COLUMNS]].sort_values(
            ["group", "scenario"], ignore_index=True
        )
        out[level or "total"] = both
    return out


def comparison_markdown(comparison: Mapping[str, pd.DataFrame], digits: int = 3) -> str:
    """A wide markdown table: one row per level/group, history vs proposed (vs the current rule, when the
    comparison has it) side by side."""
    metrics = [
        ("fill_rate", "fill rate", digits),
        ("stockout_days", "stockout days", 0),
        ("avg_inventory_value", "avg inventory value", 0),
        ("turnover", "turnover /yr", 2),
        ("dio_days", "DIO days", 1),
    ]
    scenarios = [("history", "hist"), ("proposed", "prop")]
    if any((df["scenario"] == "current_rule").any() for df in comparison.values()):
        scenarios.append(("current_rule", "rule"))
    head = ["level", "group"] + [f"{label} {short}" for _, label, _ in metrics for _, short in scenarios]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for level, df in comparison.items():
        wide = df.set_index(["group", "scenario"])
        for group in df["group"].drop_duplicates():
            cells = [level, str(group)]
            for col, _, nd in metrics:
                for scen, _ in scenarios:
                    v = wide.loc[(group, scen), col] if (group, scen) in wide.index else np.nan
                    cells.append("" if pd.isna(v) else f"{v:,.{nd}f}")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
