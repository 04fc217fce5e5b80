"""The day-by-day stock simulation: hand-set min/max replenishment against the simulated demand.

State is a set of numpy arrays over all series (SKU x warehouse, ``s = sku * n_warehouses + w``);
the only Python loop runs over days. Each day, in order:

1. Yesterday's next-day shipments leave; purchase receipts and customer returns due today arrive
   (moving-average cost updated on receipt); a few receipts are partly returned to the supplier.
2. Demand becomes order lines. A line ships ``min(ordered, on hand)`` (whole boxes for boxed SKUs),
   the same day or the next; the unfilled rest is short-closed, except in the last few days of
   history, where short lines stay open (open backorders). A few lines are cancelled.
3. Weekly, stock is transferred from a warehouse holding more than it needs to one below its min.
4. Rolling cycle counts book small adjustments (mostly shrinkage); a few units are scrapped.
5. On the supplier's order days, a series whose inventory position (on hand + on order, less
   what is committed to ship) is below its min orders up to its max, rounded up to MOQ and pack
   size. The actual lead time is drawn per PO line (log-normal around the quoted one, so late
   deliveries are common for some suppliers); some lines arrive in two receipts, a few short,
   a few POs are cancelled.
6. Month ends and the last day are snapshotted.

The min/max levels and the opening stock come from ``policy`` (the planners' hand-set levels).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from pipelines.demo.catalogue import Catalogue
from pipelines.demo.demand import Demand
from pipelines.demo.policy import Policy

RING = 256  # days of future events kept (longest lead time + split delay must stay below)
OPEN_DAYS = 5  # short lines of the last days stay open
P_NEXT_DAY = 0.3
P_LINE_CANCEL = 0.004
P_RETURN = 0.015
P_PO_CANCEL = 0.005
P_SHORT_RECEIPT = 0.03
P_SUPPLIER_RETURN = 0.01
P_TRANSFER = 0.3
TRANSFER_WEEKDAY = 2  # Wednesday
COUNT_CYCLE = 91  # every series is counted once a quarter
P_COUNT_DIFF = 0.35
P_SCRAP = 0.0003

STATUS_OPEN, STATUS_CLOSED, STATUS_CANCELLED = 0, 1, 2
(
    MOVE_ADJUSTMENT,
    MOVE_TRANSFER_IN,
    MOVE_TRANSFER_OUT,
    MOVE_CUSTOMER_RETURN,
    MOVE_SUPPLIER_RETURN,
    MOVE_SCRAP,
) = range(6)
MOVEMENT_TYPES = ("adjustment", "transfer_in", "transfer_out", "customer_return", "supplier_return", "scrap")


class Recorder:
    """Collects column arrays day by day and concatenates them once at the end."""

    def __init__(self, **dtypes: type) -> None:
        self._dtypes = dtypes
        self._parts: dict[str, list[np.ndarray]] = {k: [] for k in dtypes}

    def add(self, **cols: np.ndarray | int) -> None:
        n = max(np.size(v) for v in cols.values() if np.ndim(v) > 0)
        if n == 0:
            return
        for k, dtype in self._dtypes.items():
            self._parts[k].append(np.broadcast_to(np.asarray(cols[k], dtype=dtype), (n,)).copy())

    def finish(self) -> dict[str, np.ndarray]:
        return {
            k: np.concatenate(v) if v else np.zeros(0, dtype=self._dtypes[k]) for k, v in self._parts.items()
        }


@dataclass
class SimResult:
    sales: dict[str, np.ndarray]  # day, series, ordered, shipped, delay (-1: nothing shipped), status
    po_lines: dict[str, np.ndarray]  # day, series, qty, unit_cost, currency, expected, closed, cancelled
    receipts: dict[str, np.ndarray]  # day, po_line, qty
    movements: dict[str, np.ndarray]  # day, series, type, qty, counterpart (-1), unit_cost
    snapshots: dict[str, np.ndarray]  # day (-1: opening), series, qty, unit_cost
    cogs: np.ndarray  # cost of goods shipped per day, CNY
    last_sale: np.ndarray  # per series: last day something shipped (-1: never)


class StockSimulation:
    def __init__(self, rng: np.random.Generator, cat: Catalogue, demand: Demand, policy: Policy) -> None:
        self.rng, self.cat, self.demand, self.policy = rng, cat, demand, policy
        skus, sup = cat.skus, cat.suppliers
        self.days = cat.cal.days
        self.n_wh = len(cat.warehouses.ids)
        n = cat.n_series
        self.sku_of = np.repeat(np.arange(skus.n), self.n_wh)
        self.wh_of = np.tile(np.arange(self.n_wh), skus.n)
        self.supplier = skus.supplier[self.sku_of]
        self.box = skus.box[self.sku_of]
        self.moq = np.maximum(skus.moq[self.sku_of], 1)
        self.pack = np.maximum(skus.pack[self.sku_of], 1)
        self.max_order = skus.max_order[self.sku_of]
        self.order_day = sup.order_days[self.supplier].T.copy()  # [7, n]
        self.count_groups = _groups(rng.integers(0, COUNT_CYCLE, n), COUNT_CYCLE)
        dates = cat.cal.dates
        month_end = dates.astype("datetime64[M]") != (dates + 1).astype("datetime64[M]")
        month_end[-1] = True
        self.snapshot_day = month_end

        self.on_hand = policy.opening.copy()
        self.pending = np.zeros(n, dtype=np.int64)  # shipped tomorrow, still on hand tonight
        self.on_order = np.zeros(n, dtype=np.int64)
        self.avg_cost = (skus.cost * demand.cost_factor[0])[self.sku_of].astype(np.float64)
        self.ever_stocked = self.on_hand > 0
        self.ring_qty = np.zeros((RING, n), dtype=np.int64)
        self.ring_value = np.zeros((RING, n))
        self.ring_release = np.zeros((RING, n), dtype=np.int64)
        self.ring_return = np.zeros((RING, n), dtype=np.int64)
        self.n_po_lines = 0
        self.cogs = np.zeros(self.days)
        self.last_sale = np.full(n, -1, dtype=np.int64)

        i32, i64, f64 = np.int32, np.int64, np.float64
        self.sales = Recorder(day=i32, series=i32, ordered=i64, shipped=i64, delay=np.int8, status=np.int8)
        self.po_lines = Recorder(
            day=i32,
            series=i32,
            qty=i64,
            unit_cost=f64,
            currency=np.int8,
            expected=i32,
            closed=i32,
            cancelled=bool,
        )
        self.receipts = Recorder(day=i32, po_line=i64, qty=i64)
        self.movements = Recorder(day=i32, series=i32, type=np.int8, qty=i64, counterpart=i32, unit_cost=f64)
        self.snapshots = Recorder(day=i32, series=i32, qty=i64, unit_cost=f64)

    def run(self, progress: bool = False) -> SimResult:
        opening = np.flatnonzero(self.on_hand > 0)
        self.snapshots.add(
            day=-1, series=opening, qty=self.on_hand[opening], unit_cost=self.avg_cost[opening]
        )
        weekday = self.cat.cal.weekday
        for t in tqdm(range(self.days), desc="simulating days", unit="day", disable=not progress):
            self._start_day(t)
            self._ship(t)
            if self.n_wh > 1 and weekday[t] == TRANSFER_WEEKDAY:
                self._rebalance(t)
            self._count_and_scrap(t)
            self._replenish(t)
            if self.snapshot_day[t]:
                self._snapshot(t)
            if self.on_hand.min(initial=0) < 0:
                raise AssertionError(f"negative on-hand stock on day {t}")
        return SimResult(
            self.sales.finish(),
            self.po_lines.finish(),
            self.receipts.finish(),
            self.movements.finish(),
            self.snapshots.finish(),
            self.cogs,
            self.last_sale,
        )

    def _start_day(self, t: int) -> None:
        self.on_hand -= self.pending
        self.pending[:] = 0
        slot = t % RING
        idx = np.flatnonzero(self.ring_qty[slot])
        if idx.size:
            qty = self.ring_qty[slot, idx]
            held = self.on_hand[idx]
            self.avg_cost[idx] = (held * self.avg_cost[idx] + self.ring_value[slot, idx]) / (held + qty)
            self.on_hand[idx] += qty
            self._return_to_supplier(t, idx, qty)
        self.on_order -= self.ring_release[slot]
        self.on_hand += self.ring_return[slot]
        for ring in (self.ring_qty, self.ring_value, self.ring_release, self.ring_return):
            ring[slot] = 0
        self.ever_stocked |= self.on_hand > 0

    def _return_to_supplier(self, t: int, idx: np.ndarray, received: np.ndarray) -> None:
        """Inspection finds a few bad units in some receipts; they go back the same day."""
        hit = self.rng.random(idx.size) < P_SUPPLIER_RETURN
        if not hit.any():
            return
        s = idx[hit]
        qty = np.minimum(
            np.maximum(1, np.round(received[hit] * self.rng.uniform(0.01, 0.05, s.size))), received[hit]
        ).astype(np.int64)
        self.on_hand[s] -= qty
        self.movements.add(
            day=t, series=s, type=MOVE_SUPPLIER_RETURN, qty=-qty, counterpart=-1, unit_cost=self.avg_cost[s]
        )

    def _ship(self, t: int) -> None:
        demand = self.demand.qty[t]
        idx = np.flatnonzero(demand)
        if not idx.size:
            return
        ordered = demand[idx].astype(np.int64)
        u = self.rng.random((3, idx.size))
        cancelled = u[0] < P_LINE_CANCEL
        next_day = u[1] < P_NEXT_DAY
        wanted = np.where(cancelled, 0, ordered)
        shipped = np.minimum(wanted, self.on_hand[idx])
        shipped -= shipped % self.box[idx]
        last_day = t == self.days - 1
        if last_day:  # orders for tomorrow's dispatch have not shipped when the history ends
            shipped[next_day] = 0
        self.on_hand[idx] -= np.where(next_day, 0, shipped)
        self.pending[idx] = np.where(next_day, shipped, 0)
        is_open = ((shipped < wanted) & (t >= self.days - OPEN_DAYS)) | (last_day & next_day)
        status = np.where(cancelled, STATUS_CANCELLED, np.where(is_open, STATUS_OPEN, STATUS_CLOSED))
        delay = np.where(shipped > 0, next_day.astype(np.int8), -1)
        self.sales.add(day=t, series=idx, ordered=ordered, shipped=shipped, delay=delay, status=status)
        self.cogs[t] = float(shipped @ self.avg_cost[idx])
        self.last_sale[idx[shipped > 0]] = t
        self._schedule_customer_returns(t, idx, shipped, u[2] < P_RETURN)

    def _schedule_customer_returns(
        self, t: int, idx: np.ndarray, shipped: np.ndarray, hit: np.ndarray
    ) -> None:
        hit &= shipped > 0
        if not hit.any():
            return
        s = idx[hit]
        qty = 1 + self.rng.binomial(shipped[hit] - 1, 0.1)
        day = t + self.rng.integers(3, 15, s.size)
        keep = day < self.days
        s, qty, day = s[keep], qty[keep], day[keep]
        self.ring_return[day % RING, s] += qty
        self.movements.add(
            day=day, series=s, type=MOVE_CUSTOMER_RETURN, qty=qty, counterpart=-1, unit_cost=self.avg_cost[s]
        )

    def _rebalance(self, t: int) -> None:
        """Move stock from the warehouse with most excess to the one furthest below its min."""
        n_wh, p = self.n_wh, self.policy
        shape = (-1, n_wh)
        free = (self.on_hand - self.pending).reshape(shape)
        position = free + self.on_order.reshape(shape)
        lo, hi = p.min_qty.reshape(shape), p.max_qty.reshape(shape)
        need = np.where(position < lo, hi - position, 0)
        excess = free - np.maximum(lo, (lo + hi) // 2)
        receiver = need.argmax(axis=1)
        donor = excess.argmax(axis=1)
        rows = np.arange(free.shape[0])
        qty = np.minimum(need[rows, receiver], excess[rows, donor])
        listed = (t >= p.order_start[::n_wh]) & (t < p.order_stop[::n_wh])
        go = (qty > 0) & (receiver != donor) & listed & (self.rng.random(len(rows)) < P_TRANSFER)
        if not go.any():
            return
        sku = rows[go]
        q = qty[go]
        out_s, in_s = sku * n_wh + donor[go], sku * n_wh + receiver[go]
        cost = self.avg_cost[out_s]
        held = self.on_hand[in_s]
        self.avg_cost[in_s] = (held * self.avg_cost[in_s] + q * cost) / (held + q)
        self.on_hand[out_s] -= q
        self.on_hand[in_s] += q
        self.ever_stocked[in_s] = True
        self.movements.add(
            day=t, series=out_s, type=MOVE_TRANSFER_OUT, qty=-q, counterpart=receiver[go], unit_cost=cost
        )
        self.movements.add(
            day=t, series=in_s, type=MOVE_TRANSFER_IN, qty=q, counterpart=donor[go], unit_cost=cost
        )

    def _count_and_scrap(self, t: int) -> None:
        rng = self.rng
        idx = self.count_groups[t % COUNT_CYCLE]
        free = self.on_hand[idx] - self.pending[idx]
        diff = (free > 0) & (rng.random(idx.size) < P_COUNT_DIFF)
        s, free = idx[diff], free[diff]
        size = np.maximum(1, np.round(free * rng.uniform(0, 0.02, s.size))).astype(np.int64)
        delta = np.where(rng.random(s.size) < 0.8, -np.minimum(size, free), size)
        self.on_hand[s] += delta
        self.movements.add(
            day=t, series=s, type=MOVE_ADJUSTMENT, qty=delta, counterpart=-1, unit_cost=self.avg_cost[s]
        )
        s = np.unique(rng.integers(0, len(self.on_hand), rng.binomial(len(self.on_hand), P_SCRAP)))
        free = self.on_hand[s] - self.pending[s]
        s, free = s[free > 0], free[free > 0]
        qty = np.minimum(free, rng.integers(1, 6, s.size))
        self.on_hand[s] -= qty
        self.movements.add(
            day=t, series=s, type=MOVE_SCRAP, qty=-qty, counterpart=-1, unit_cost=self.avg_cost[s]
        )

    def _replenish(self, t: int) -> None:
        p = self.policy
        position = self.on_hand - self.pending + self.on_order
        due = self.order_day[self.cat.cal.weekday[t]] & (t >= p.order_start) & (t < p.order_stop)
        idx = np.flatnonzero(due & (position < p.min_qty))
        if not idx.size:
            return
        net = p.max_qty[idx] - position[idx]
        moq, pack = self.moq[idx], self.pack[idx]
        qty = np.where(net <= moq, moq, moq + -(-(net - moq) // pack) * pack)
        cap = self.max_order[idx]
        qty = np.where(cap > 0, np.minimum(qty, cap), qty)
        self._place_po_lines(t, idx, qty)

    def _place_po_lines(self, t: int, idx: np.ndarray, qty: np.ndarray) -> None:
        rng, sup, n = self.rng, self.cat.suppliers, idx.size
        v = self.supplier[idx]
        quoted = sup.lead_time[v]
        drawn = quoted * np.exp(sup.lead_bias[v] + sup.lead_sigma[v] * rng.standard_normal(n))
        lead = np.clip(np.round(drawn), 1, np.minimum(3 * quoted + 10, RING - 40)).astype(np.int64)
        u = rng.random((3, n))
        cancelled = u[0] < P_PO_CANCEL
        split = ~cancelled & (u[1] < sup.split_prob[v]) & (qty >= 2)
        first = np.where(split, np.clip(np.round(qty * rng.uniform(0.4, 0.8, n)), 1, qty - 1), qty).astype(
            np.int64
        )
        rest = qty - first
        last_part = np.where(split, rest, first)
        short = np.where(
            ~cancelled & (u[2] < P_SHORT_RECEIPT), np.maximum(1, np.round(qty * rng.uniform(0.02, 0.1, n))), 0
        ).astype(np.int64)
        short = np.minimum(short, last_part - 1)
        got1 = first - np.where(split, 0, short)
        got2 = rest - np.where(split, short, 0)
        day1 = t + lead
        day2 = day1 + rng.integers(3, 16, n)
        cancel_day = t + rng.integers(2, 11, n)

        sku = self.sku_of[idx]
        currency = sup.currency[v]
        fx = self.cat.fx.daily[currency, t]
        cny = self.cat.skus.cost[sku] * self.demand.cost_factor[t, sku] * rng.normal(1.0, 0.01, n)
        unit_cost = np.round(cny / fx, 2)
        unit_cny = unit_cost * fx

        ok = ~cancelled
        self.ring_qty[day1[ok] % RING, idx[ok]] += got1[ok]
        self.ring_value[day1[ok] % RING, idx[ok]] += got1[ok] * unit_cny[ok]
        self.ring_release[day1[ok] % RING, idx[ok]] += first[ok]
        self.ring_qty[day2[split] % RING, idx[split]] += got2[split]
        self.ring_value[day2[split] % RING, idx[split]] += got2[split] * unit_cny[split]
        self.ring_release[day2[split] % RING, idx[split]] += rest[split]
        self.ring_release[cancel_day[cancelled] % RING, idx[cancelled]] += qty[cancelled]
        self.on_order[idx] += qty

        line = self.n_po_lines + np.arange(n)
        self.n_po_lines += n
        closed = np.where(cancelled, cancel_day, np.where(split, day2, day1))
        self.po_lines.add(
            day=t,
            series=idx,
            qty=qty,
            unit_cost=unit_cost,
            currency=currency,
            expected=t + quoted,
            closed=closed,
            cancelled=cancelled,
        )
        r1 = ok & (got1 > 0) & (day1 < self.days)
        r2 = split & (got2 > 0) & (day2 < self.days)
        self.receipts.add(day=day1[r1], po_line=line[r1], qty=got1[r1])
        self.receipts.add(day=day2[r2], po_line=line[r2], qty=got2[r2])

    def _snapshot(self, t: int) -> None:
        s = np.flatnonzero(self.ever_stocked)
        self.snapshots.add(day=t, series=s, qty=self.on_hand[s], unit_cost=self.avg_cost[s])


def _groups(labels: np.ndarray, n: int) -> list[np.ndarray]:
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n + 1))
    return [order[bounds[k] : bounds[k + 1]] for k in range(n)]


def simulate(
    rng: np.random.Generator, cat: Catalogue, demand: Demand, policy: Policy, progress: bool = False
) -> SimResult:
    return StockSimulation(rng, cat, demand, policy).run(progress)
