"""An inventory replay with lost sales, written apart from Stockflow's planning code (an independent check).

Nothing here imports ``models_ml`` or ``pipelines``: the simulator, the planners' rules and the frontier
arithmetic are re-derived from the textbook definitions so that a defect in the planning code cannot hide
behind the same defect in the check.

Time is counted in periods of the data (weeks for weekly data, days for daily data). Every period ``t``:

1. receipts due at ``t`` arrive (they serve period ``t``'s demand);
2. on a review period (``start``, ``start + review``, ...) each policy sees the inventory position
   (on hand + on order, after today's receipts) and the demand of periods ``< t`` only, and orders;
   an order placed at ``t`` with lead time ``L`` periods arrives at ``t + L`` (so it first serves
   period ``t + L``; the protection window of an order is ``L + R`` periods);
3. demand is served from stock: ``shipped = min(on hand, demand)``; the rest is lost.

Many policy variants step in lock-step over the same demand and the same lead-time draws (common random
numbers): state arrays carry a leading variant axis ``V``.

Measured from ``measure_from`` on (a warm-up lets the opening stock wash out): units demanded, shipped,
stock-out periods, and on-hand stock at the opening of the period (after receipts, before demand) and at
its close. Average stock uses the mid-period level ``(open + close) / 2`` (a trapezoid over the period,
so weekly and daily replays of the same demand measure comparable stock); the closing level is kept too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# ------------------------------------------------------------------------------------------------ lead times


@dataclass(frozen=True)
class LeadTimeScenario:
    """Lead time in periods: fixed (``choices`` of one value) or drawn uniformly from ``choices`` per order."""

    name: str
    choices: tuple[int, ...]

    @property
    def mean(self) -> float:
        return float(np.mean(self.choices))

    @property
    def std(self) -> float:
        return float(np.std(self.choices))  # population std of the uniform draw

    @property
    def max(self) -> int:
        return int(max(self.choices))


def draw_lead_times(scenario: LeadTimeScenario, n_series: int, n_periods: int, seed: int = 0) -> np.ndarray:
    """Lead time (periods) of an order placed by series ``i`` at period ``t``: int array ``[n_series, n_periods]``.

    Drawn once per (series, period), so every policy ordering at the same moment gets the same lead time."""
    if len(scenario.choices) == 1:
        return np.full((n_series, n_periods), scenario.choices[0], dtype=np.int64)
    rng = np.random.default_rng(seed)
    return rng.choice(np.asarray(scenario.choices, dtype=np.int64), size=(n_series, n_periods))


# ------------------------------------------------------------------------------------------------ simulator


@dataclass
class ReplayTotals:
    """Sums over the measured periods, per variant and series (arrays ``[V, n]``; demand ``[n]``)."""

    demand: np.ndarray
    shipped: np.ndarray
    lost: np.ndarray
    on_hand_open: np.ndarray  # sum over measured periods of the opening (after-receipt) on hand
    on_hand_close: np.ndarray
    stockout_periods: np.ndarray  # periods with demand not met in full
    orders: np.ndarray  # number of orders placed (whole replay)
    ordered_qty: np.ndarray
    periods: int  # measured periods
    ending_on_hand: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ending_on_order: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def avg_on_hand(self) -> np.ndarray:
        """Mean mid-period on hand per variant and series ``[V, n]``."""
        return (self.on_hand_open + self.on_hand_close) / 2.0 / max(self.periods, 1)

    @property
    def avg_on_hand_close(self) -> np.ndarray:
        return self.on_hand_close / max(self.periods, 1)


# decide(t, on_hand[V, n], on_order[V, n]) -> order quantities [V, n]
Decide = Callable[[int, np.ndarray, np.ndarray], np.ndarray]


def replay(
    demand: np.ndarray,
    lead_times: np.ndarray,
    decide: Decide,
    n_variants: int,
    start: int,
    review: int = 1,
    measure_from: int | None = None,
    opening_on_hand: np.ndarray | float = 0.0,
) -> ReplayTotals:
    """Replay ``demand`` (``[n, T]``, requested units per period) from period ``start`` to ``T - 1``.

    ``lead_times[i, t]`` is the lead time (periods, >= 0; 0 = arrives at once) of an order placed by series
    ``i`` at ``t``. ``opening_on_hand`` (scalar, ``[n]`` or ``[V, n]``) is the stock at the opening of
    ``start``, with nothing on order. ``decide`` is called at each review with the state of all variants
    and returns non-negative order quantities ``[V, n]`` (negative values are treated as 0)."""
    demand = np.asarray(demand, dtype=float)
    n, T = demand.shape
    V = int(n_variants)
    measure_from = start if measure_from is None else measure_from
    if not 0 <= start <= measure_from <= T:
        raise ValueError("need 0 <= start <= measure_from <= T")
    if review < 1:
        raise ValueError("review must be at least 1 period")
    lead_times = np.asarray(lead_times, dtype=np.int64)
    if lead_times.shape != (n, T):
        raise ValueError(f"lead_times must have shape {(n, T)}, got {lead_times.shape}")
    if (lead_times < 0).any():
        raise ValueError("lead times must be non-negative")
    horizon = T + int(lead_times.max()) + 1
    on_hand = np.broadcast_to(np.asarray(opening_on_hand, dtype=float), (V, n)).copy()
    pipeline = np.zeros((V, n, horizon))  # pipeline[v, i, t]: units arriving at the opening of t
    rows = np.arange(n)

    z = lambda: np.zeros((V, n))  # noqa: E731
    tot = ReplayTotals(
        demand=np.zeros(n),
        shipped=z(),
        lost=z(),
        on_hand_open=z(),
        on_hand_close=z(),
        stockout_periods=z(),
        orders=z(),
        ordered_qty=z(),
        periods=0,
    )
    for t in range(start, T):
        on_hand += pipeline[:, :, t]
        pipeline[:, :, t] = 0.0
        if (t - start) % review == 0:
            on_order = pipeline[:, :, t + 1 :].sum(axis=2)
            qty = np.asarray(decide(t, on_hand.copy(), on_order), dtype=float)
            if qty.shape != (V, n):
                raise ValueError(f"decide returned shape {qty.shape}, expected {(V, n)}")
            qty = np.where(np.isfinite(qty), np.maximum(qty, 0.0), 0.0)
            lt = lead_times[:, t]
            now = lt == 0
            on_hand[:, now] += qty[:, now]
            later = ~now
            pipeline[:, rows[later], t + lt[later]] += qty[:, later]
            tot.orders += qty > 0
            tot.ordered_qty += qty
        d = demand[:, t]
        opening = on_hand.copy()
        shipped = np.minimum(on_hand, d)
        on_hand -= shipped
        if t >= measure_from:
            tot.demand += d
            tot.shipped += shipped
            tot.lost += d - shipped
            tot.on_hand_open += opening
            tot.on_hand_close += on_hand
            tot.stockout_periods += shipped < d
            tot.periods += 1
    tot.ending_on_hand = on_hand
    tot.ending_on_order = pipeline.sum(axis=2)
    return tot


def fill_rate(tot: ReplayTotals, weights: np.ndarray | None = None) -> np.ndarray:
    """Aggregate fill per variant: sum shipped / sum demanded over series (weighted by unit value if given)."""
    w = np.ones_like(tot.demand) if weights is None else np.asarray(weights, dtype=float)
    den = float((tot.demand * w).sum())
    return (tot.shipped * w).sum(axis=1) / den if den > 0 else np.full(tot.shipped.shape[0], np.nan)


# ------------------------------------------------------------------------------------------------ planners' rules


def trailing_stats(
    demand: np.ndarray, t: int, window: int, first: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std-dev (ddof=1 where >= 2 periods) of each series' demand over periods ``[t - window, t)``.

    Periods before ``first[i]`` (a series' first demand, e.g. its launch) are not counted. A series without
    any counted period gets 0 / 0; with one period, std 0."""
    n, _ = demand.shape
    lo = max(0, t - window)
    block = demand[:, lo:t].astype(float)
    if block.shape[1] == 0:
        return np.zeros(n), np.zeros(n)
    idx = np.arange(lo, t)
    mask = np.ones_like(block, dtype=bool) if first is None else idx[None, :] >= np.asarray(first)[:, None]
    cnt = mask.sum(axis=1)
    s = np.where(mask, block, 0.0).sum(axis=1)
    mean = np.divide(s, cnt, out=np.zeros(n), where=cnt > 0)
    dev = np.where(mask, block - mean[:, None], 0.0)
    var = np.divide((dev**2).sum(axis=1), cnt - 1, out=np.zeros(n), where=cnt > 1)
    return mean, np.sqrt(var)


def first_demand_period(demand: np.ndarray) -> np.ndarray:
    """Index of each series' first period with positive demand (``T`` when never)."""
    pos = np.asarray(demand) > 0
    return np.where(pos.any(axis=1), pos.argmax(axis=1), demand.shape[1])


def rs_order_up_to(
    mean: np.ndarray, std: np.ndarray, L: float, R: float, std_L: float, k: float
) -> np.ndarray:
    """Textbook periodic review: S = mean (L + R) + k sqrt((L + R) sigma^2 + mean^2 sigma_L^2)."""
    P = L + R
    return mean * P + k * np.sqrt(P * std**2 + mean**2 * std_L**2)


def erpnext_levels(
    mean: np.ndarray, L: float, R: float, safety_periods: float
) -> tuple[np.ndarray, np.ndarray]:
    """ERPNext-style reorder level = average outgoing x lead time + safety periods x average outgoing.

    Returns (reorder level, order-up-to level = reorder level + reorder qty), reorder qty = one review's
    average demand (mean x R)."""
    level = mean * L + safety_periods * mean
    return level, level + mean * R


def odoo_levels(
    mean: np.ndarray, std: np.ndarray, L: float, R: float, k: float
) -> tuple[np.ndarray, np.ndarray]:
    """Odoo min/max: min = mean L + k sigma sqrt(L), max = min + one review's demand (mean x R)."""
    lo = mean * L + k * std * np.sqrt(L)
    return lo, lo + mean * R


def order_up_to(position: np.ndarray, level: np.ndarray) -> np.ndarray:
    """(R, S): order S - position (whole units, rounded up) whenever the position is below S."""
    return np.ceil(np.maximum(level - position, 0.0) - 1e-9)


def order_if_at_or_below(position: np.ndarray, trigger: np.ndarray, level: np.ndarray) -> np.ndarray:
    """(s, S) rules (reorder level / min-max): when position <= s and s > 0, order up to S (whole units)."""
    q = np.where((position <= trigger) & (level > 0), level - position, 0.0)
    return np.ceil(np.maximum(q, 0.0) - 1e-9)


# ------------------------------------------------------------------------------------------------ frontier


def efficient_points(fill: np.ndarray, stock: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points no other point beats (at least the fill with less stock), sorted by fill.

    Both coordinates increase along the result."""
    fill = np.asarray(fill, dtype=float)
    stock = np.asarray(stock, dtype=float)
    ok = np.isfinite(fill) & np.isfinite(stock)
    f, s = fill[ok], stock[ok]
    order = np.lexsort((s, -f))  # fill descending, then stock ascending
    keep_f, keep_s = [], []
    best = np.inf
    for i in order:
        if s[i] < best - 1e-12:
            keep_f.append(f[i])
            keep_s.append(s[i])
            best = s[i]
    return np.asarray(keep_f[::-1]), np.asarray(keep_s[::-1])


def stock_at_fill(fill: np.ndarray, stock: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Least stock that reaches each target fill, interpolated monotonically along the efficient points.

    Piecewise-cubic Hermite (PCHIP, monotone) through the efficient points when there are at least three,
    linear between two; NaN outside the fills the policy reached (never extrapolated)."""
    targets = np.atleast_1d(np.asarray(targets, dtype=float))
    f, s = efficient_points(fill, stock)
    out = np.full(targets.shape, np.nan)
    if len(f) == 0:
        return out
    inside = (targets >= f[0] - 1e-12) & (targets <= f[-1] + 1e-12)
    if len(f) == 1:
        out[np.isclose(targets, f[0])] = s[0]
        return out
    if len(f) == 2:
        out[inside] = np.interp(targets[inside], f, s)
        return out
    from scipy.interpolate import PchipInterpolator

    out[inside] = PchipInterpolator(f, s)(np.clip(targets[inside], f[0], f[-1]))
    return out
