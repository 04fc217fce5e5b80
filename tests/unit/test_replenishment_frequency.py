"""plan_replenishment given weekly forecasts (issue 14 defects 1, 2), pack rounding at pack 1 (defect 5),
the class fallback beside a service-level override (defect 3), each with the input that exposed it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from models_ml.replenishment import daily_forecast, forecast_step_days, plan_replenishment

Z90 = norm.ppf(0.9)


def weekly_forecast() -> pd.DataFrame:
    dates = pd.date_range("2024-06-02", periods=4, freq="W")  # Sundays: each labels the 7 days ending on it
    return pd.DataFrame(
        {"sku": "A", "warehouse_id": "W", "date": dates, "mean": 70.0, "p50": 70.0, "p90": 70.0 + Z90 * 14.0}
    )


def daily_equivalent() -> pd.DataFrame:
    dates = pd.date_range("2024-05-27", periods=28, freq="D")
    sd = 14.0 / np.sqrt(7)
    return pd.DataFrame(
        {"sku": "A", "warehouse_id": "W", "date": dates, "mean": 10.0, "p50": 10.0, "p90": 10.0 + Z90 * sd}
    )


PARAMS = pd.DataFrame(
    {
        "sku": ["A"],
        "warehouse_id": ["W"],
        "lead_time_mean_days": [14.0],
        "review_period_days": [7.0],
        "service_level": [0.95],
    }
)
STOCK = pd.DataFrame({"sku": ["A"], "warehouse_id": ["W"], "on_hand_qty": [0.0]})


def test_weekly_rows_are_weeks_not_days():
    plan = plan_replenishment(weekly_forecast(), STOCK, PARAMS).iloc[0]
    assert plan["daily_demand"] == pytest.approx(10.0)
    assert plan["demand_protection_qty"] == pytest.approx(210.0)  # 21 days, not 21 weekly rows
    # weekly sd 14 -> daily 14/sqrt(7); 21 days: sd 14 sqrt(3); SS = z95 * 14 sqrt(3) = 39.9
    assert plan["safety_stock_qty"] == pytest.approx(norm.ppf(0.95) * 14.0 * np.sqrt(3), rel=1e-6)
    assert "FORECAST_SPLIT_TO_DAYS" in plan["flags"]
    assert plan["as_of_date"] == pd.Timestamp("2024-05-27")  # the first day of the first week


def test_weekly_and_daily_paths_give_the_same_plan():
    weekly = plan_replenishment(weekly_forecast(), STOCK, PARAMS)
    daily = plan_replenishment(daily_equivalent(), STOCK, PARAMS)
    for col in ("daily_demand", "demand_protection_qty", "safety_stock_qty", "order_up_to_qty", "order_qty"):
        assert weekly[col].iloc[0] == pytest.approx(daily[col].iloc[0], rel=1e-9), col
    assert "FORECAST_SPLIT_TO_DAYS" not in daily["flags"].iloc[0]


def test_frequency_from_attrs_or_argument_and_refusal_of_other_spacings():
    one_week = weekly_forecast().iloc[:1].copy()  # one row: the spacing cannot tell
    assert forecast_step_days(one_week) == 1
    one_week.attrs["freq"] = "W"  # fit_predict sets it
    assert forecast_step_days(one_week) == 7
    assert forecast_step_days(weekly_forecast().iloc[:1], "W") == 7
    monthly = weekly_forecast().assign(date=pd.date_range("2024-01-31", periods=4, freq="ME"))
    with pytest.raises(ValueError, match="days apart"):
        plan_replenishment(monthly, STOCK, PARAMS)
    with pytest.raises(ValueError, match="freq must be one of"):
        forecast_step_days(weekly_forecast(), "M")


def test_daily_split_keeps_the_week_totals():
    days, step = daily_forecast(weekly_forecast())
    assert step == 7 and len(days) == 28
    assert days["date"].min() == pd.Timestamp("2024-05-27") and days["date"].max() == pd.Timestamp(
        "2024-06-23"
    )
    assert days.groupby(np.arange(28) // 7)["mean"].sum().tolist() == pytest.approx([70.0] * 4)
    assert (days["p90"] - days["mean"]).iloc[0] == pytest.approx(Z90 * 14.0 / np.sqrt(7))


def test_pack_of_one_is_not_a_pack_rounding():
    fc = daily_equivalent().assign(mean=10.3, p50=10.3)
    plan = plan_replenishment(fc, STOCK, PARAMS.assign(pack_size=1.0)).iloc[0]
    assert plan["order_qty"] == np.ceil(plan["order_qty_unrounded"])
    assert "ROUNDED_TO_PACK" not in plan["flags"] and plan["rounding"] == "none"
    packed = plan_replenishment(fc, STOCK, PARAMS.assign(pack_size=12.0)).iloc[0]
    assert "ROUNDED_TO_PACK" in packed["flags"] and packed["order_qty"] % 12 == 0


def test_service_override_is_not_flagged_as_default_class():
    plan = plan_replenishment(daily_equivalent(), STOCK, PARAMS).iloc[0]
    assert plan["service_level"] == pytest.approx(0.95)
    assert "DEFAULT_CLASS" not in plan["flags"]
    without = plan_replenishment(daily_equivalent(), STOCK, PARAMS.drop(columns="service_level")).iloc[0]
    assert "CLASS_FROM_FORECAST" in without["flags"] and "DEFAULT_CLASS" not in without["flags"]
