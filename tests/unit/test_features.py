"""Feature building: calendar and holidays, the dense panel, censoring, rolling statistics, leakage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models_ml.config import ForecastConfig
from models_ml.features import (
    PATTERNS,
    build_panel,
    daily_calendar,
    demand_patterns,
    design_matrix,
    origin_features,
    spring_festivals,
)

RC = ForecastConfig().resolved("D")


def frame(values: dict[str, list[float]], start: str = "2024-01-01", **extra: list) -> pd.DataFrame:
    parts = []
    for sku, qty in values.items():
        parts.append(
            pd.DataFrame(
                {"sku": sku, "warehouse_id": "W1", "date": pd.date_range(start, periods=len(qty)), "qty": qty}
            )
        )
    out = pd.concat(parts, ignore_index=True)
    for k, v in extra.items():
        out[k] = v
    return out


def test_calendar_spring_festival_618_and_1111() -> None:
    # 2024's Spring Festival began on 10 February, 2025's on 29 January (holidays.China)
    assert pd.Timestamp("2024-02-10") in spring_festivals(2024, 2025)
    assert pd.Timestamp("2025-01-29") in spring_festivals(2024, 2025)
    days = pd.DatetimeIndex(
        ["2024-02-10", "2024-02-05", "2024-06-18", "2024-11-11", "2024-10-01", "2024-03-31"]
    )
    cal = daily_calendar(days)
    assert cal["d_spring"].tolist()[:2] == [0.0, -5.0]
    assert cal["d_618"].iloc[2] == 0 and cal["d_1111"].iloc[3] == 0
    assert cal["is_holiday"].iloc[4] == 1.0 and cal["is_holiday"].iloc[5] == 0.0
    assert cal["is_month_end"].iloc[5] == 1.0
    assert cal["dow"].iloc[0] == 5  # a Saturday


def test_panel_fills_gaps_sums_duplicates_and_ends_at_origin() -> None:
    h = pd.DataFrame(
        {
            "sku": ["A", "A", "A", "B"],
            "warehouse_id": ["W1"] * 4,
            "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-04", "2024-01-02"]),
            "qty": [2.0, 3.0, 4.0, 1.0],
        }
    )
    p = build_panel(h, RC)
    assert p.origin == pd.Timestamp("2024-01-04")
    assert p.length.tolist() == [4, 3]  # B stopped on 2 January but is carried to the origin
    assert p.y.tolist() == [5.0, 0.0, 0.0, 4.0, 1.0, 0.0, 0.0]
    assert p.t.tolist() == [-3, -2, -1, 0, -2, -1, 0]


def test_stockout_days_are_censored_and_imputed_from_the_past() -> None:
    qty = [4.0, 6.0, 5.0, 0.0, 0.0]
    h = frame({"A": qty}, is_stockout=[False, False, False, True, True])
    p = build_panel(h, RC)
    assert np.isnan(p.y[3:]).all()
    np.testing.assert_allclose(p.y_feat, [4, 6, 5, 5, 5])  # in-stock mean of the days before


def test_rolling_features_by_hand() -> None:
    qty = [1.0, 0.0, 3.0, 0.0, 0.0, 2.0, 0.0, 4.0]
    p = build_panel(frame({"A": qty}), RC)
    f = origin_features(p, np.array([7, 3]), RC)
    np.testing.assert_allclose(f["mean_7"], [np.mean(qty[1:8]), np.mean(qty[:4])])
    np.testing.assert_allclose(f["lag_1"], [0.0, 3.0])
    np.testing.assert_allclose(f["since_sale"], [0.0, 1.0])
    np.testing.assert_allclose(f["age"], [8.0, 4.0])


def test_price_driver_is_carried_forward_within_series() -> None:
    h = frame({"A": [1, 1, 1], "B": [1, 1, 1]}, price=[np.nan, 2.0, np.nan, 5.0, np.nan, np.nan])
    p = build_panel(h, RC)
    assert p.price_col == "price"
    np.testing.assert_allclose(p.drivers["price"], [2.0, 2.0, 2.0, 5.0, 5.0, 5.0])


def test_demand_patterns() -> None:
    rng = np.random.default_rng(0)
    smooth = (10 + rng.integers(-1, 2, 200)).astype(float).tolist()
    sparse = np.zeros(200)
    sparse[::10] = 3.0
    pat = demand_patterns(frame({"S": smooth, "I": sparse.tolist(), "Z": [0.0] * 200}), RC).set_index("sku")
    assert pat.loc["S", "pattern"] == "smooth"
    assert pat.loc["I", "pattern"] == "intermittent"
    assert pat.loc["Z", "pattern"] == "zero"
    assert set(pat["pattern"]) <= set(PATTERNS)


@pytest.mark.parametrize("freq", ["D", "W"])
def test_no_feature_sees_past_the_origin(freq: str) -> None:
    """Changing every value after an origin leaves all features of (origin, horizon) pairs unchanged."""
    rc = ForecastConfig().resolved(freq)
    rng = np.random.default_rng(1)
    n = 400 if freq == "D" else 120
    dates = pd.date_range("2023-01-01", periods=n, freq="D" if freq == "D" else "W")
    base = pd.DataFrame(
        {
            "sku": np.repeat(["A", "B"], n),
            "warehouse_id": "W1",
            "date": np.tile(dates, 2),
            "qty": rng.poisson(5, 2 * n).astype(float),
            "price": np.tile(np.linspace(10, 12, n), 2),
        }
    )
    cut = n - 30
    scrambled = base.copy()
    after = np.tile(np.arange(n) >= cut, 2)
    scrambled.loc[after, "qty"] = rng.poisson(50, after.sum()).astype(float)
    p1, p2 = build_panel(base, rc), build_panel(scrambled, rc)
    origins = np.array([cut - 1, cut - 10, n + cut - 1])  # rows of A and B at or before the cut
    h = np.array([1, 10, 28])
    drv = {"price": p1.drivers["price"][origins + h]}
    x1 = design_matrix(p1, origins, h, drv, rc)
    x2 = design_matrix(p2, origins, h, drv, rc)
    pd.testing.assert_frame_equal(x1, x2)
    # and the features do react to the past: scrambling before the cut changes them
    p3 = build_panel(scrambled.assign(qty=scrambled["qty"] + np.tile(np.arange(n) < cut, 2)), rc)
    assert not design_matrix(p3, origins, h, drv, rc).equals(x1)
