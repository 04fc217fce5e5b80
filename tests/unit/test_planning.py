"""Plan exceptions worked by hand on a tiny plan frame."""

import pandas as pd

from pipelines.planning import plan_exceptions


def _plan(**overrides):
    base = {
        "sku": "A",
        "warehouse_id": "W1",
        "supplier_id": "S1",
        "on_hand_qty": 10.0,
        "on_order_qty": 0.0,
        "backorder_qty": 0.0,
        "demand_lead_time_qty": 5.0,
        "daily_demand": 1.0,
        "unit_cost": 2.0,
        "flags": "",
    }
    return {**base, **overrides}


def test_exceptions_by_rule():
    plan = pd.DataFrame(
        [
            _plan(sku="RISK", on_hand_qty=3.0, on_order_qty=1.0, demand_lead_time_qty=5.0),  # 4 < 5: at risk
            _plan(sku="EXCESS", on_hand_qty=400.0, daily_demand=2.0),  # 200 days of cover > 180
            _plan(sku="DEAD", on_hand_qty=7.0, daily_demand=0.0, demand_lead_time_qty=0.0),
            _plan(sku="NOLT", flags="ROUNDED_TO_PACK;MISSING_LEAD_TIME_FALLBACK"),
            _plan(sku="FINE"),  # 10 on hand covers 5 over the lead time, 10 days of cover
        ]
    )
    params = pd.DataFrame(
        {
            "sku": ["RISK", "EXCESS", "DEAD", "NOLT", "FINE"],
            "warehouse_id": "W1",
            "is_dead_stock": [False, False, True, False, False],
        }
    )
    found = plan_exceptions(plan, params)
    assert sorted(zip(found["exception"], found["sku"], strict=True)) == [
        ("DEAD_STOCK", "DEAD"),
        ("EXCESS_STOCK", "EXCESS"),
        ("MISSING_OR_CONTRADICTORY_DATA", "NOLT"),
        ("STOCKOUT_RISK_WITHIN_LEAD_TIME", "RISK"),
    ]
    dead = found[found["exception"] == "DEAD_STOCK"].iloc[0]
    assert dead["value"] == 14.0 and pd.isna(dead["days_of_cover"])
    assert found.loc[found["sku"] == "EXCESS", "days_of_cover"].iloc[0] == 200.0
