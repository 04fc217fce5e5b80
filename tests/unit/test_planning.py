"""Plan exceptions worked by hand on a tiny plan frame."""

import pandas as pd

from pipelines.plans.planning import plan_exceptions


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


def test_rule_comparison_workbook_states_the_equal_fill_saving(tmp_path):
    import openpyxl

    from models_ml.current_rule import RuleComparison
    from pipelines.plans.planning import rule_sentence, write_rule_comparison

    versus = RuleComparison(
        rule="item master min/max (Odoo min/max with k = 1.65 where none is set)",
        kind="items",
        rule_fill=0.92,
        rule_inventory_value=2_400_000.0,
        plan_fill=0.95,
        plan_inventory_value=1_800_000.0,
        frontier=((0.90, 1_300_000.0), (0.95, 1_800_000.0), (0.98, 2_600_000.0)),
        plan_inventory_at_rule_fill=1_500_000.0,
    )
    zh = rule_sentence(versus, "zh")
    assert "物料档案的最低/最高库存" in zh and "92.0%" in zh and "库存少 38%" in zh
    assert "38% less stock" in rule_sentence(versus, "en")
    total = pd.DataFrame(
        {"group": ["all", "all"], "scenario": ["proposed", "current_rule"], "fill_rate": [0.95, 0.92]}
    )
    path = write_rule_comparison({"total": total}, zh, tmp_path, "2025-06-16", "zh")
    assert path.name == "policy_vs_current_rule_2025-06-16.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["结论", "明细"]
    assert wb["结论"]["A2"].value == zh
    rows = list(wb["明细"].iter_rows(values_only=True))
    assert rows[0][:3] == ("层级", "分组", "方案") and {r[2] for r in rows[1:]} == {"建议策略", "现行规则"}
