"""The independent inventory replay of benchmarks/policy_replay.py, checked on numbers worked by hand."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

from policy_replay import (  # noqa: E402
    LeadTimeScenario,
    ReplayTotals,
    draw_lead_times,
    efficient_points,
    erpnext_levels,
    fill_rate,
    odoo_levels,
    order_if_at_or_below,
    order_up_to,
    replay,
    rs_order_up_to,
    stock_at_fill,
    trailing_stats,
)


def _never(t, on_hand, on_order):
    return np.zeros_like(on_hand)


def test_lost_sales_accounting():
    # opening 8, demand 5 a period, no orders: 5 served, then 3 of 5 (2 lost), then 0 of 5 (5 lost)
    demand = np.array([[5.0, 5.0, 5.0]])
    tot = replay(demand, np.ones((1, 3), dtype=int), _never, n_variants=1, start=0, opening_on_hand=8.0)
    assert tot.demand.tolist() == [15.0]
    assert tot.shipped.tolist() == [[8.0]]
    assert tot.lost.tolist() == [[7.0]]
    assert tot.stockout_periods.tolist() == [[2.0]]
    assert fill_rate(tot)[0] == pytest.approx(8 / 15)
    # opening after receipts 8, 3, 0; closing 3, 0, 0; mid-period (5.5 + 1.5 + 0) / 3
    assert tot.avg_on_hand[0, 0] == pytest.approx(7 / 3)
    assert tot.avg_on_hand_close[0, 0] == pytest.approx(1.0)
    assert tot.ending_on_hand.tolist() == [[0.0]]  # lost, never backordered


def test_measurement_starts_after_warm_up():
    demand = np.array([[5.0, 5.0, 5.0]])
    tot = replay(
        demand, np.ones((1, 3), dtype=int), _never, n_variants=1, start=0, measure_from=2, opening_on_hand=8.0
    )
    assert tot.periods == 1
    assert tot.demand.tolist() == [5.0]
    assert tot.shipped.tolist() == [[0.0]]  # only the third period, where stock had run out


def test_lead_time_arrival_timing_and_review_days():
    # one order of 10 at period 0 with lead time 2 arrives at the opening of period 2
    seen = []

    def decide(t, on_hand, on_order):
        seen.append((t, on_hand[0, 0], on_order[0, 0]))
        return np.full_like(on_hand, 10.0 if t == 0 else 0.0)

    demand = np.zeros((1, 5))
    demand[0, 2] = 4.0
    tot = replay(demand, np.full((1, 5), 2), decide, n_variants=1, start=0, review=2)
    assert [s[0] for s in seen] == [0, 2, 4]  # reviews every 2 periods from the start
    assert seen[1] == (2, 10.0, 0.0)  # received before the review of period 2, nothing left on order
    assert tot.shipped.tolist() == [[4.0]]  # and it serves period 2's demand
    assert tot.on_hand_open.tolist() == [[0 + 0 + 10 + 6 + 6]]
    assert tot.orders.tolist() == [[1.0]]


def test_random_lead_times_cross_and_on_order_is_counted():
    seen = {}

    def decide(t, on_hand, on_order):
        seen[t] = (on_hand[0, 0], on_order[0, 0])
        return np.full_like(on_hand, {0: 5.0, 1: 7.0}.get(t, 0.0))

    lt = np.array([[3, 1, 1, 1, 1]])  # the second order overtakes the first
    tot = replay(np.zeros((1, 5)), lt, decide, n_variants=1, start=0)
    assert seen[1] == (0.0, 5.0)
    assert seen[2] == (7.0, 5.0)
    assert seen[3] == (12.0, 0.0)
    assert tot.on_hand_open.tolist() == [[0 + 0 + 7 + 12 + 12]]


def test_zero_lead_time_serves_the_same_period():
    tot = replay(
        np.array([[3.0]]), np.zeros((1, 1), dtype=int), lambda t, h, o: np.full_like(h, 3.0), 1, start=0
    )
    assert tot.shipped.tolist() == [[3.0]]


def test_rs_order_up_to_with_known_demand():
    # 4 units a period, R = L = 1, sigma 0 -> S = 4 x 2 = 8; opening 8 at period 4
    demand = np.full((1, 8), 4.0)
    orders = {}

    def decide(t, on_hand, on_order):
        mean, std = trailing_stats(demand, t, 4)
        q = order_up_to(on_hand + on_order, rs_order_up_to(mean, std, L=1, R=1, std_L=0.0, k=2.0))
        orders[t] = float(q[0, 0])
        return q

    tot = replay(demand, np.ones((1, 8), dtype=int), decide, n_variants=1, start=4, opening_on_hand=8.0)
    # period 4: position 8 = S, no order, 8 -> 4; periods 5-7: position 4, order 4, arriving next period
    assert orders == {4: 0.0, 5: 4.0, 6: 4.0, 7: 4.0}
    assert fill_rate(tot)[0] == 1.0
    # mid-period on hand (8+4)/2, (4+0)/2, (4+0)/2, (4+0)/2 -> 12 / 4
    assert tot.avg_on_hand[0, 0] == pytest.approx(3.0)
    assert tot.ordered_qty.tolist() == [[12.0]]
    assert tot.ending_on_order.tolist() == [[4.0]]


def test_variants_step_in_lock_step_on_the_same_demand():
    # variant 0 orders nothing, variant 1 orders 5 every period (lead 1): only variant 1 keeps serving
    demand = np.array([[5.0, 5.0, 5.0, 5.0]])

    def decide(t, on_hand, on_order):
        return np.array([[0.0], [5.0]])

    tot = replay(demand, np.ones((1, 4), dtype=int), decide, n_variants=2, start=0, opening_on_hand=5.0)
    assert tot.shipped[:, 0].tolist() == [5.0, 20.0]
    assert fill_rate(tot).tolist() == [0.25, 1.0]


def test_rule_levels_by_hand():
    mean, std = np.array([10.0]), np.array([3.0])
    # S = 10 x 3 + 2 sqrt(3 x 9 + 100 x 0.25) = 30 + 2 sqrt(52)
    assert rs_order_up_to(mean, std, L=2, R=1, std_L=0.5, k=2)[0] == pytest.approx(30 + 2 * np.sqrt(52))
    # Odoo: min = 10 x 4 + 1.5 x 4 x sqrt(4) = 52, max = 52 + 10
    lo, hi = odoo_levels(mean, np.array([4.0]), L=4, R=1, k=1.5)
    assert (lo[0], hi[0]) == (52.0, 62.0)
    assert order_if_at_or_below(np.array([52.0, 53.0]), lo, hi).tolist() == [10.0, 0.0]
    # ERPNext: level = 10 x 2 + 1.5 x 10 = 35, order up to 35 + 10 (one review's demand)
    lo, hi = erpnext_levels(mean, L=2, R=1, safety_periods=1.5)
    assert (lo[0], hi[0]) == (35.0, 45.0)
    assert order_if_at_or_below(np.array([34.5, 35.0, 36.0]), lo, hi).tolist() == [
        11.0,
        10.0,
        0.0,
    ]  # whole units
    # no demand, no order even at position 0
    assert order_if_at_or_below(np.array([0.0]), np.array([0.0]), np.array([0.0])).tolist() == [0.0]
    assert order_up_to(np.array([7.2, 9.0]), np.array([10.0, 8.0])).tolist() == [3.0, 0.0]


def test_trailing_stats_count_from_first_demand():
    d = np.array([[0.0, 0.0, 2.0, 4.0, 6.0]])
    mean, std = trailing_stats(d, 5, 10, first=np.array([2]))
    assert (mean[0], std[0]) == (4.0, pytest.approx(2.0))
    mean, std = trailing_stats(d, 5, 2)
    assert (mean[0], std[0]) == (5.0, pytest.approx(np.sqrt(2.0)))
    mean, std = trailing_stats(d, 2, 10, first=np.array([2]))  # nothing before its first period
    assert (mean[0], std[0]) == (0.0, 0.0)


def test_fill_rate_sums_units_not_ratios():
    tot = ReplayTotals(
        demand=np.array([10.0, 30.0]),
        shipped=np.array([[10.0, 15.0]]),
        lost=np.array([[0.0, 15.0]]),
        on_hand_open=np.zeros((1, 2)),
        on_hand_close=np.zeros((1, 2)),
        stockout_periods=np.zeros((1, 2)),
        orders=np.zeros((1, 2)),
        ordered_qty=np.zeros((1, 2)),
        periods=1,
    )
    assert fill_rate(tot)[0] == pytest.approx(25 / 40)  # not the mean of 1.0 and 0.5
    assert fill_rate(tot, weights=np.array([2.0, 1.0]))[0] == pytest.approx(35 / 50)


def test_frontier_keeps_efficient_points_and_never_extrapolates():
    fill = np.array([0.90, 0.95, 0.93, 0.99])
    stock = np.array([100.0, 150.0, 160.0, 300.0])
    f, s = efficient_points(fill, stock)
    assert f.tolist() == [0.90, 0.95, 0.99]  # (0.93, 160) is beaten by (0.95, 150)
    assert s.tolist() == [100.0, 150.0, 300.0]
    got = stock_at_fill(fill, stock, np.array([0.85, 0.90, 0.95, 0.97, 0.99, 0.995]))
    assert np.isnan(got[0]) and np.isnan(got[-1])
    assert got[1:3].tolist() == pytest.approx([100.0, 150.0])
    assert 150.0 < got[3] < 300.0 and got[4] == pytest.approx(300.0)
    # two points: linear
    assert stock_at_fill(np.array([0.9, 1.0]), np.array([100.0, 200.0]), np.array([0.95]))[
        0
    ] == pytest.approx(150.0)


def test_lead_time_draws_are_seeded_and_shared():
    fixed = draw_lead_times(LeadTimeScenario("L2", (2,)), 3, 4)
    assert (fixed == 2).all()
    sc = LeadTimeScenario("L1-3", (1, 2, 3))
    a, b = draw_lead_times(sc, 50, 40, seed=7), draw_lead_times(sc, 50, 40, seed=7)
    assert (a == b).all() and set(np.unique(a)) == {1, 2, 3}
    assert sc.mean == 2.0 and sc.std == pytest.approx(np.sqrt(2 / 3))


def test_split_weekly_forecast_keeps_the_weekly_total_and_variance():
    from policy_real import split_weekly_forecast

    z90 = 1.2815515655446004
    fc = pd.DataFrame(
        {
            "sku": ["A"],
            "warehouse_id": ["W1"],
            "date": [pd.Timestamp("2024-06-02")],  # a Sunday
            "p50": [70.0],
            "p90": [70.0 + z90 * 14.0],
            "mean": [70.0],
        }
    )
    days = split_weekly_forecast(fc)
    assert days["date"].tolist() == list(pd.date_range("2024-05-27", "2024-06-02"))  # Monday..Sunday
    assert days["mean"].sum() == pytest.approx(70.0)
    assert np.sqrt((days["sigma"] ** 2).sum()) == pytest.approx(14.0)


def test_to_weekly_sums_complete_weeks_only():
    from policy_real import to_weekly

    daily = pd.DataFrame(
        {
            "sku": "A",
            "warehouse_id": "W1",
            "date": pd.date_range("2024-05-29", "2024-06-09"),
            "qty": 1.0,
            "discount_pct": [0.0] * 5 + [14.0] * 7,
        }
    )
    w = to_weekly(daily)
    assert w["date"].tolist() == [pd.Timestamp("2024-06-09")]  # the partial week ending 2024-06-02 is dropped
    assert w["qty"].tolist() == [7.0] and w["discount_pct"].tolist() == [14.0]
