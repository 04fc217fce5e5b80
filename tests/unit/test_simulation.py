"""Policy simulation: hand-traced replays, the comparison arithmetic, and properties over random panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from models_ml.replenishment import ReplenishmentConfig, plan_replenishment
from models_ml.simulation import (
    DAILY_COLUMNS,
    METRIC_COLUMNS,
    SimulationConfig,
    compare_with_history,
    comparison_markdown,
    simulate_policy,
)

START = pd.Timestamp("2025-01-01")


def demand_frame(series: dict[tuple[str, str], list[float]], warmup: int = 0, warm_rate: float = 0.0):
    """Daily demand; ``warmup`` days before START at ``warm_rate`` feed the stand-in forecast."""
    frames = []
    for (sku, wh), qty in series.items():
        dates = pd.date_range(START - pd.Timedelta(days=warmup), periods=warmup + len(qty))
        frames.append(
            pd.DataFrame({"sku": sku, "warehouse_id": wh, "date": dates, "qty": [warm_rate] * warmup + qty})
        )
    return pd.concat(frames, ignore_index=True)


def stock_frame(rows: dict[tuple[str, str], float], cost: float = 2.0) -> pd.DataFrame:
    return pd.DataFrame(
        [{"sku": s, "warehouse_id": w, "on_hand_qty": q, "unit_cost": cost} for (s, w), q in rows.items()]
    )


def base_params(**cols) -> pd.DataFrame:
    p = {"sku": "A", "lead_time_mean_days": 2.0, "lead_time_std_days": 0.0, "review_period_days": 1.0}
    p.update(cols)
    return pd.DataFrame({k: [v] for k, v in p.items()})


def test_steady_state_replay_by_hand():
    # d = 10/day without noise, L = 2, R = 1 -> S = 30, SS = 0. Start 30 on hand, review daily.
    # day 0: ship 10 -> 20, position 20 -> order 10 (arrives day 2); day 1: 10 left, position 20 -> 10;
    # from day 2 every day: +10 arrives, ship 10, order 10 -> on hand 10 each evening, never short.
    d = demand_frame({("A", "W1"): [10.0] * 10}, warmup=28, warm_rate=10.0)
    out = simulate_policy(
        d, base_params(), stock_frame({("A", "W1"): 30}), sim_config=SimulationConfig(days=10)
    )
    assert list(out.columns) == DAILY_COLUMNS
    assert len(out) == 10
    assert out["on_hand_qty"].tolist() == [20, 10] + [10] * 8
    assert out["order_qty"].tolist() == [10] * 10
    assert out["receipt_qty"].tolist() == [0, 0] + [10] * 8
    assert out["shipped_qty"].sum() == 100 and not out["is_stockout_day"].any()
    assert out["on_order_qty"].tolist() == [10, 20] + [20] * 8
    assert out["inventory_value"].tolist() == [40, 20] + [20] * 8


def test_forecast_input_gives_the_same_replay_as_an_equal_stand_in():
    d = demand_frame({("A", "W1"): [10.0] * 10}, warmup=28, warm_rate=10.0)
    f = pd.DataFrame(
        {"sku": "A", "warehouse_id": "W1", "date": pd.date_range(START, periods=20), "p50": 10.0}
    )
    f["p90"] = 10.0
    a = simulate_policy(
        d, base_params(), stock_frame({("A", "W1"): 30}), sim_config=SimulationConfig(days=10)
    )
    b = simulate_policy(
        d, base_params(), stock_frame({("A", "W1"): 30}), forecast=f, sim_config=SimulationConfig(days=10)
    )
    pd.testing.assert_frame_equal(a, b)


def test_stockout_lost_sales_and_backorders():
    d = demand_frame({("A", "W1"): [10.0, 10.0, 0.0]})
    p = base_params(is_dead_stock=True)  # never orders
    lost = simulate_policy(d, p, stock_frame({("A", "W1"): 15}), sim_config=SimulationConfig(days=3))
    assert lost["shipped_qty"].tolist() == [10, 5, 0]
    assert lost["unmet_qty"].tolist() == [0, 5, 0]
    assert lost["is_stockout_day"].tolist() == [False, True, False]
    pos = pd.DataFrame({"sku": ["A"], "warehouse_id": ["W1"], "qty": [8], "expected_date": ["2025-01-03"]})
    back = simulate_policy(
        d,
        p,
        stock_frame({("A", "W1"): 15}),
        open_pos=pos,
        sim_config=SimulationConfig(days=3, lost_sales=False),
    )
    assert back["shipped_qty"].tolist() == [10, 5, 5]  # the 5 backordered ship when the PO lands on day 2
    assert back["unmet_qty"].tolist() == [0, 5, 0]
    assert back["on_hand_qty"].tolist() == [5, 0, 3]


def test_open_pos_arrive_on_their_date_and_overdue_on_the_first_day():
    d = demand_frame({("A", "W1"): [0.0] * 5})
    pos = pd.DataFrame(
        {
            "sku": ["A", "A"],
            "warehouse_id": ["W1", "W1"],
            "qty": [7, 4],
            "expected_date": ["2024-12-20", "2025-01-04"],
        }
    )
    out = simulate_policy(d, base_params(is_dead_stock=True), stock_frame({}), open_pos=pos,
                          sim_config=SimulationConfig(days=5))  # fmt: skip
    assert out["receipt_qty"].tolist() == [7, 0, 0, 4, 0]
    assert out["on_order_qty"].tolist() == [4, 4, 4, 0, 0]


def test_lead_time_longer_than_the_window_never_arrives():
    d = demand_frame({("A", "W1"): [5.0] * 20}, warmup=28, warm_rate=5.0)
    out = simulate_policy(d, base_params(lead_time_mean_days=400.0), stock_frame({("A", "W1"): 0}),
                          sim_config=SimulationConfig(days=20))  # fmt: skip
    assert out["receipt_qty"].sum() == 0
    assert out["order_qty"].iloc[0] > 0
    assert out["shipped_qty"].sum() == 0 and out["is_stockout_day"].all()
    assert out["on_order_qty"].iloc[-1] == out["order_qty"].sum()


def test_orders_respect_review_weekdays_moq_and_pack_and_stop_when_discontinued():
    d = demand_frame({("A", "W1"): [3.0] * 21}, warmup=28, warm_rate=3.0)  # 2025-01-01 is a Wednesday
    p = base_params(review_period_days=np.nan, order_weekdays="Mon", moq=25, pack_size=10,
                    discontinued_date="2025-01-15")  # fmt: skip
    out = simulate_policy(d, p, stock_frame({("A", "W1"): 0}), sim_config=SimulationConfig(days=21))
    placed = out[out["order_qty"] > 0]
    assert placed["date"].dt.dayofweek.eq(0).all()
    assert (placed["order_qty"] % 10 == 0).all() and (placed["order_qty"] >= 25).all()
    assert placed["date"].tolist() == [pd.Timestamp("2025-01-06"), pd.Timestamp("2025-01-13")]


def test_observed_lead_time_samples_drive_arrivals():
    d = demand_frame({("A", "W1"): [10.0] * 10}, warmup=28, warm_rate=10.0)
    p = base_params(supplier_id="S1", lead_time_mean_days=2.0)
    samples = pd.DataFrame({"supplier_id": ["S1"] * 3, "lead_time_days": [5, 5, 5]})
    out = simulate_policy(d, p, stock_frame({("A", "W1"): 0}), lead_time_samples=samples,
                          sim_config=SimulationConfig(days=10))  # fmt: skip
    first_order = out.index[out["order_qty"] > 0][0]
    first_receipt = out.index[out["receipt_qty"] > 0][0]
    assert first_receipt - first_order == 5


def test_new_sku_starts_ordering_after_its_first_demand():
    d = demand_frame({("NEW", "W1"): [0.0] * 5 + [4.0] * 15, ("A", "W1"): [1.0] * 20})
    out = simulate_policy(d, None, stock_frame({}), sim_config=SimulationConfig(days=20))
    new = out[out["sku"] == "NEW"]
    assert new["order_qty"].iloc[:6].sum() == 0  # no demand yet, no history: nothing to order
    assert new["order_qty"].iloc[6:].sum() > 0


def test_transfer_from_a_warehouse_with_excess_instead_of_buying_by_hand():
    # A sells 10/day at W1 (S = 30: L = 2, R = 1, no noise) and nothing at W2, which holds 100 (S = 0).
    # day 0: W1 sells nothing (empty), needs 30 -> W2 transfers 30 the same evening (W2: 70);
    # days 1-5: W1 sells 10, needs 10 -> transferred (W2: 60, 50, ..., 20). Nothing is bought.
    d = demand_frame({("A", "W1"): [10.0] * 6, ("A", "W2"): [0.0] * 6}, warmup=28, warm_rate=0.0)
    d.loc[(d["warehouse_id"] == "W1") & (d["date"] < START), "qty"] = 10.0
    s = stock_frame({("A", "W1"): 0, ("A", "W2"): 100})
    out = simulate_policy(d, base_params(), s, sim_config=SimulationConfig(days=6))
    w1, w2 = out[out["warehouse_id"] == "W1"], out[out["warehouse_id"] == "W2"]
    assert w1["transfer_qty"].tolist() == [30, 10, 10, 10, 10, 10]
    assert w2["transfer_qty"].tolist() == [-30, -10, -10, -10, -10, -10]
    assert w1["on_hand_qty"].tolist() == [30] * 6
    assert w2["on_hand_qty"].tolist() == [70, 60, 50, 40, 30, 20]
    assert w1["shipped_qty"].tolist() == [0] + [10] * 5
    assert out["order_qty"].sum() == 0 and out["receipt_qty"].sum() == 0
    # without transfers W1 buys 30 on day 0 (arrives day 2; day 1 its position is 30 on order), then
    # 10 a day from day 2, and sells nothing before day 2
    off = simulate_policy(d, base_params(), s, config=ReplenishmentConfig(allow_transfers=False),
                          sim_config=SimulationConfig(days=6))  # fmt: skip
    w1 = off[off["warehouse_id"] == "W1"]
    assert off["transfer_qty"].sum() == 0 and w1["order_qty"].tolist() == [30, 0, 10, 10, 10, 10]
    assert w1["shipped_qty"].tolist() == [0, 0, 10, 10, 10, 10]


def test_transfer_needs_the_whole_shortfall_and_dead_stock_gives_all_it_has():
    d = demand_frame({("A", "W1"): [10.0] * 3, ("A", "W2"): [10.0] * 3}, warmup=28, warm_rate=10.0)
    # W2 is alive: it keeps its own S = 30, so 50 on hand spares 20 < W1's 30 -> W1 buys
    alive = simulate_policy(d, base_params(), stock_frame({("A", "W1"): 0, ("A", "W2"): 50}),
                            sim_config=SimulationConfig(days=1))  # fmt: skip
    assert alive["transfer_qty"].tolist() == [0, 0]
    assert alive["order_qty"].tolist() == [30, 0]
    # W2 is dead stock there (no orders): all its free stock (50 - 10 sold = 40) may go, 30 does
    p = pd.concat([base_params(warehouse_id="W1"), base_params(warehouse_id="W2", is_dead_stock=True)])
    dead = simulate_policy(d, p, stock_frame({("A", "W1"): 0, ("A", "W2"): 50}),
                           sim_config=SimulationConfig(days=1))  # fmt: skip
    assert dead["transfer_qty"].tolist() == [30, -30]
    assert dead["order_qty"].tolist() == [0, 0]
    assert dead["on_hand_qty"].tolist() == [30, 10]


def test_optimised_levels_in_the_replay_match_the_plan_on_the_first_review():
    # two SKUs alike but for the review period; with optimised levels the replay's first orders are
    # the plan's order-up-to levels computed from the same (flat, stand-in) forecast
    rng = np.random.default_rng(5)
    d = demand_frame({k: list(rng.poisson(6, 91).astype(float)) + [6.0] for k in [("A", "W1"), ("B", "W1")]})
    d["date"] = d["date"] - pd.Timedelta(days=91)
    p = pd.DataFrame(
        {"sku": ["A", "B"], "lead_time_mean_days": 5.0, "review_period_days": [1.0, 7.0], "unit_cost": 2.0}
    )
    cfg = ReplenishmentConfig(service_allocation="optimised", target_fill_rate=0.99)
    out = simulate_policy(d, p, stock_frame({}), config=cfg, sim_config=SimulationConfig(days=1))
    hist = d[d["date"] < d["date"].max()]
    mean = hist.groupby("sku").tail(28).groupby("sku")["qty"].mean()
    std = hist.groupby("sku")["qty"].std()
    dates = pd.date_range(START, periods=40)
    f = pd.concat(
        pd.DataFrame({"sku": k, "warehouse_id": "W1", "date": dates, "p50": mean[k], "sigma": std[k]})
        for k in ("A", "B")
    )
    f["mean"], f["p90"] = f["p50"], f["p50"] + 1.2815515655446004 * f["sigma"]
    plan = plan_replenishment(f, stock_frame({}), p, as_of=START, config=cfg)
    assert plan["service_level"].nunique() == 2  # the two review periods get different levels
    want = np.ceil(plan.set_index("sku")["order_up_to_qty"] - 1e-9)
    assert out.set_index("sku")["order_qty"].astype(float).to_dict() == want.to_dict()


def test_compare_with_history_by_hand():
    # two series over 2 days, unit cost 2 (A, class A) and 10 (B, class C)
    days = pd.date_range(START, periods=2)
    prop = pd.DataFrame(
        {
            "sku": ["A", "A", "B", "B"],
            "warehouse_id": ["W1", "W1", "W2", "W2"],
            "abc_class": ["A", "A", "C", "C"],
            "date": list(days) * 2,
            "demand_qty": [10, 10, 1, 0],
            "shipped_qty": [10, 8, 1, 0],
            "unmet_qty": [0, 2, 0, 0],
            "on_hand_qty": [5, 0, 3, 3],
            "unit_cost": [2.0, 2.0, 10.0, 10.0],
        }
    )
    prop["inventory_value"] = prop["on_hand_qty"] * prop["unit_cost"]
    prop["cogs_value"] = prop["shipped_qty"] * prop["unit_cost"]
    prop["is_stockout_day"] = prop["unmet_qty"] > 0
    hist = prop[["sku", "warehouse_id", "date", "demand_qty"]].assign(
        shipped_qty=[5, 5, 0, 0], on_hand_qty=[0, 0, 9, 9]
    )
    comp = compare_with_history(prop, hist, days_per_year=360)
    total = comp["total"].set_index("scenario")
    assert list(comp["total"].columns) == ["group", "scenario", *METRIC_COLUMNS]
    # proposed: fill 19/21; stockouts 1; avg inv = (10 + 0)/2 + (30 + 30)/2 = 35; COGS = 18 x 2 + 1 x 10 = 46
    p = total.loc["proposed"]
    assert p["fill_rate"] == pytest.approx(19 / 21)
    assert p["stockout_days"] == 1
    assert p["avg_inventory_value"] == pytest.approx(35.0)
    assert p["cogs_value"] == pytest.approx(46.0)
    assert p["turnover"] == pytest.approx(46 / 35 * 180)
    assert p["dio_days"] == pytest.approx(35 / 46 * 2)
    # history: fill 10/21; stockout days: A both days, B day 1 -> 3; avg inv = 90; COGS 20
    h = total.loc["history"]
    assert h["fill_rate"] == pytest.approx(10 / 21)
    assert h["stockout_days"] == 3
    assert h["avg_inventory_value"] == pytest.approx(90.0)
    assert h["dio_days"] == pytest.approx(90 / 20 * 2)
    wh = comp["warehouse_id"].set_index(["group", "scenario"])
    assert wh.loc[("W2", "history"), "fill_rate"] == 0
    abc = comp["abc_class"].set_index(["group", "scenario"])
    assert abc.loc[("A", "proposed"), "avg_inventory_value"] == pytest.approx(5.0)
    md = comparison_markdown(comp)
    assert md.splitlines()[0].startswith("| level | group | fill rate hist | fill rate prop")
    assert "| total | all | 0.476 | 0.905 |" in md
    assert "| abc_class | C |" in md


def test_replay_is_deterministic_for_a_seed():
    rng = np.random.default_rng(3)
    d = demand_frame({("A", "W1"): list(rng.poisson(4, 60).astype(float))}, warmup=30, warm_rate=4.0)
    p = base_params(supplier_id="S1")
    samples = pd.DataFrame({"supplier_id": ["S1"] * 4, "lead_time_days": [2, 3, 6, 9]})
    run = lambda seed: simulate_policy(  # noqa: E731
        d,
        p,
        stock_frame({("A", "W1"): 10}),
        lead_time_samples=samples,
        sim_config=SimulationConfig(days=60, seed=seed),
    )
    pd.testing.assert_frame_equal(run(1), run(1))
    # the warehouse returns rows in no fixed order: the same rows shuffled give the same replay
    shuffled = simulate_policy(
        d.sample(frac=1, random_state=0),
        p,
        stock_frame({("A", "W1"): 10}),
        lead_time_samples=samples.sample(frac=1, random_state=1),
        sim_config=SimulationConfig(days=60, seed=1),
    )
    pd.testing.assert_frame_equal(run(1), shuffled)


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(1, 5),
    days=st.integers(1, 40),
    seed=st.integers(0, 1000),
    policy=st.sampled_from(["RS", "sQ", "minmax"]),
    lost=st.booleans(),
    allocation=st.sampled_from(["matrix", "optimised"]),
)
# one donor serving two receivers the same day: its stock and transfer were debited once (fixed)
@example(n=5, days=12, seed=677, policy="RS", lost=False, allocation="matrix")
def test_replay_properties(n, days, seed, policy, lost, allocation):
    rng = np.random.default_rng(seed)
    series = {
        (f"S{i % 2}", f"W{i}"): list(rng.poisson(rng.uniform(0, 8), days + 20).astype(float))
        for i in range(n)
    }
    d = demand_frame(series)
    p = pd.DataFrame(
        {
            "sku": [f"S{i % 2}" for i in range(n)],
            "warehouse_id": [f"W{i}" for i in range(n)],
            "lead_time_mean_days": rng.uniform(0, 30, n),
            "lead_time_std_days": rng.uniform(0, 5, n),
            "moq": rng.integers(0, 50, n),
            "pack_size": rng.integers(1, 13, n),
            "review_period_days": rng.uniform(0, 10, n),
            "is_dead_stock": rng.random(n) < 0.3,
            "supplier_id": "S",
        }
    )
    s = stock_frame({k: float(rng.integers(0, 40)) for k in series})
    samples = pd.DataFrame({"supplier_id": "S", "lead_time_days": rng.integers(1, 20, 5)})
    cfg = ReplenishmentConfig(policy=policy, service_allocation=allocation)
    out = simulate_policy(d, p, s, lead_time_samples=samples, config=cfg,
                          sim_config=SimulationConfig(days=days, seed=seed, lost_sales=lost))  # fmt: skip
    assert len(out) == n * days
    assert (out["on_hand_qty"] >= -1e-9).all() and (out["order_qty"] >= 0).all()
    out = out.astype({"sku": str, "warehouse_id": str}).merge(
        p[["sku", "warehouse_id", "pack_size", "is_dead_stock"]], on=["sku", "warehouse_id"]
    )
    assert np.allclose(out["order_qty"] % out["pack_size"], 0)
    assert (out.loc[out["is_dead_stock"], "order_qty"] == 0).all()
    if lost:
        assert (out["shipped_qty"] <= out["demand_qty"] + 1e-9).all()
    # transfers net to zero per SKU and day, and dead stock only gives
    assert np.allclose(out.groupby(["sku", "date"], observed=True)["transfer_qty"].sum(), 0)
    assert (out.loc[out["is_dead_stock"], "transfer_qty"] <= 0).all()
    # stock ledger: opening + receipts + transfers - shipments = closing
    g = out.groupby(["sku", "warehouse_id"], observed=True)
    opening = s.set_index(["sku", "warehouse_id"])["on_hand_qty"]
    closing = g["on_hand_qty"].last()
    flow = g["receipt_qty"].sum() + g["transfer_qty"].sum() - g["shipped_qty"].sum()
    keys = pd.MultiIndex.from_arrays([closing.index.get_level_values(i).astype(str) for i in (0, 1)])
    assert np.allclose(closing, opening.reindex(keys).to_numpy() + flow.to_numpy())


# ----------------------------------------------------------------------------- the current rule


def test_rule_orders_by_hand():
    """mean 10/day, sigma 4, L = 4, R = 7, sigma_L = 1, position 30."""
    from models_ml.current_rule import CurrentRule, rule_order

    args = dict(
        position=np.array([30.0]),
        mean=np.array([10.0]),
        sigma=np.array([4.0]),
        lead=np.array([4.0]),
        lead_std=np.array([1.0]),
        review=np.array([7.0]),
    )
    # (R, S): S = 10 x 11 + 1.65 x sqrt(11 x 16 + 100 x 1) = 110 + 1.65 x 16.613 = 137.41 -> 107.41
    assert rule_order(CurrentRule("rs"), **args)[0] == pytest.approx(110 + 1.65 * np.sqrt(276) - 30)
    # ERPNext: level = 40 + 7 x 10 = 110 >= 30 -> up to 110 + 70 = 180 -> 150
    assert rule_order(CurrentRule("erpnext"), **args)[0] == pytest.approx(150.0)
    # Odoo: min = 40 + 1 x 4 x 2 = 48 -> max = 118 -> 88; a position above min orders nothing
    assert rule_order(CurrentRule("odoo", 1.0), **args)[0] == pytest.approx(88.0)
    assert rule_order(CurrentRule("odoo", 1.0), **{**args, "position": np.array([60.0])})[0] == 0.0
    # item master: min 50, max 200 -> 170; safety stock 5 only -> min 45, max 115 -> 85; none -> Odoo k
    hand = dict(hand_min=np.array([50.0, np.nan, np.nan]), hand_max=np.array([200.0, np.nan, np.nan]))
    hand["hand_safety"] = np.array([np.nan, 5.0, np.nan])
    three = {k: np.repeat(v, 3) for k, v in args.items()}
    got = rule_order(CurrentRule("items", 1.0), **three, **hand)
    np.testing.assert_allclose(got, [170.0, 85.0, 88.0])
    with pytest.raises(ValueError, match="rule"):
        CurrentRule("kanban")


def test_rule_replay_orders_by_the_rule_with_history_only():
    """Constant demand 10/day, L = 2, R = 1: the (R, S) rule with k = 0 orders up to 30, as the plan with
    zero spread does, and never transfers; a forecast passed in is ignored by the rule."""
    from models_ml.current_rule import CurrentRule

    d = demand_frame({("A", "W1"): [10.0] * 10}, warmup=28, warm_rate=10.0)
    f = pd.DataFrame(
        {"sku": "A", "warehouse_id": "W1", "date": pd.date_range(START, periods=20), "p50": 99.0, "p90": 99.0}
    )
    out = simulate_policy(
        d,
        base_params(),
        stock_frame({("A", "W1"): 30}),
        forecast=f,
        sim_config=SimulationConfig(days=10),
        rule=CurrentRule("rs", 0.0),
    )
    assert out["order_qty"].tolist() == [10] * 10
    assert out["on_hand_qty"].tolist() == [20, 10] + [10] * 8
    assert (out["transfer_qty"] == 0).all()


def test_item_master_levels_are_split_over_warehouses_by_demand_share():
    from models_ml.current_rule import CurrentRule

    d = demand_frame({("A", "W1"): [3.0] * 10, ("A", "W2"): [1.0] * 10}, warmup=28, warm_rate=0.0)
    d.loc[d["warehouse_id"] == "W1", "qty"] = 3.0
    d.loc[d["warehouse_id"] == "W2", "qty"] = 1.0
    params = base_params(min_qty=40.0, max_qty=80.0, review_period_days=1.0)
    out = simulate_policy(
        d,
        params,
        stock_frame({("A", "W1"): 0, ("A", "W2"): 0}),
        sim_config=SimulationConfig(days=10),
        rule=CurrentRule("items"),
    )
    first = out[out["date"] == START].set_index("warehouse_id")["order_qty"]
    # demand shares 3/4 and 1/4: W1 min 30 max 60, W2 min 10 max 20; both start empty -> order up to max
    assert first.to_dict() == {"W1": 60.0, "W2": 20.0}


def test_plan_stock_at_the_rule_fill_from_its_frontier():
    from models_ml.current_rule import CurrentRule, compare_rule, stock_at_equal_fill, with_equal_fill_row

    assert stock_at_equal_fill([(0.90, 100.0), (0.96, 160.0), (0.98, 200.0)], 0.93) == pytest.approx(130.0)
    assert np.isnan(stock_at_equal_fill([(0.90, 100.0), (0.96, 160.0)], 0.99))

    def frame(fill: float, value: float) -> pd.DataFrame:  # 2 days of one series
        return pd.DataFrame(
            {
                "date": [START, START + pd.Timedelta(days=1)],
                "demand_qty": [50.0, 50.0],
                "shipped_qty": [50.0 * fill] * 2,
                "inventory_value": [value, value],
            }
        )

    plans = {0.0: frame(0.95, 150.0), -0.5: frame(0.90, 100.0), 0.5: frame(0.98, 200.0)}
    v = compare_rule(plans, frame(0.93, 180.0), CurrentRule("odoo", 1.0))
    # the plan at 93% fill: 100 + (0.03 / 0.05) x 50 = 130 against the rule's 180
    assert v.plan_inventory_at_rule_fill == pytest.approx(130.0)
    assert v.stock_ratio == pytest.approx(130 / 180)
    assert "28% less stock" in v.sentence() and "Odoo min/max with k = 1" in v.sentence()
    total = pd.DataFrame(
        {"group": ["all"] * 2, "scenario": ["proposed", "current_rule"], "fill_rate": [0.95, 0.93],
         "avg_inventory_value": [150.0, 180.0], "turnover": [5.0, 4.0]}
    )  # fmt: skip
    row = with_equal_fill_row(total, v).set_index("scenario").loc["proposed_at_rule_fill"]
    assert (row["fill_rate"], row["avg_inventory_value"]) == (pytest.approx(0.93), pytest.approx(130.0))
    assert np.isnan(row["turnover"])

    # a rule below the plan's lowest traced fill: the plan's lowest point bounds its stock from above
    low = compare_rule(plans, frame(0.84, 180.0), CurrentRule("items"))
    assert low.at_most and low.plan_inventory_at_rule_fill == pytest.approx(100.0)
    assert "at least 44% less stock" in low.sentence() and "90.0% fill" in low.sentence()
    scenarios = set(with_equal_fill_row(total, low)["scenario"])
    assert "proposed_at_rule_fill_at_most" in scenarios and "proposed_at_rule_fill" not in scenarios
    # above the plan's highest fill nothing can be said
    high = compare_rule(plans, frame(0.99, 180.0), CurrentRule("rs"))
    assert not high.at_most and np.isnan(high.stock_ratio) and "no equal-fill figure" in high.sentence()
