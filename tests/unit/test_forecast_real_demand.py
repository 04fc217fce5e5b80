"""What the forecaster gained for real demand: holiday calendars by country, drivers against the other
items of a location, the log target for demand that is rarely zero, a holdout over several origins,
explicit handling of drivers missing in ``future``, the MAPE point forecast; and the real-data harnesses."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.real import orange_juice as oj
from benchmarks.real import uci_weekly as uci
from models_ml.config import ForecastConfig
from models_ml.features import (
    PRICE_RESPONSE_RIDGE,
    build_panel,
    daily_calendar,
    design_matrix,
    location_drivers,
    origin_features,
    target_features,
)
from models_ml.forecast import FutureDriverWarning, fit_predict, holdout_origins

SMALL = ForecastConfig(n_estimators=40, learning_rate=0.15, num_leaves=15, min_data_in_leaf=20, num_threads=1)


def price_panel(weeks: int = 60, stores: int = 3, items: int = 4, seed: int = 1) -> pd.DataFrame:
    """Weekly demand that is never zero, driven by the own price against the other items' prices."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-08", periods=weeks, freq="W")
    rows = []
    for st in range(stores):
        prices = rng.choice([1.0, 0.8], size=(items, weeks), p=[0.8, 0.2])
        deal = (prices < 1.0).astype(float)
        for it in range(items):
            rel = prices[it] / prices.mean(axis=0)
            mu = 200 * (1 + st) * rel**-3.0
            qty = np.round(mu * rng.lognormal(0, 0.2, weeks))
            rows.append(
                pd.DataFrame(
                    {
                        "sku": f"I{it}",
                        "warehouse_id": f"S{st}",
                        "date": dates,
                        "qty": qty,
                        "price": prices[it],
                        "deal": deal[it],
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def test_calendar_uses_the_configured_country():
    days = pd.date_range("2024-07-01", "2024-07-08")
    us = daily_calendar(days, "US")
    assert us.loc["2024-07-04", "is_holiday"] == 1.0 and us.loc["2024-07-05", "is_holiday"] == 0.0
    assert us.loc["2024-07-02", "d_holiday"] == -2.0 and us.loc["2024-07-06", "d_holiday"] == 2.0
    assert "d_spring" not in us.columns  # China's festivals only for CN
    cn = daily_calendar(days, "CN")
    assert cn.loc["2024-07-04", "is_holiday"] == 0.0 and "d_spring" in cn.columns
    with pytest.raises(ValueError, match="holiday_country"):
        daily_calendar(days, "XX")


def test_location_drivers_by_hand():
    hist = pd.DataFrame(
        {
            "sku": ["A", "B", "A", "B"],
            "warehouse_id": ["W", "W", "W", "W"],
            "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-02"]),
            "qty": [1.0, 2.0, 3.0, 4.0],
            "price": [2.0, 6.0, 3.0, 3.0],
            "promo": [1.0, 0.0, 0.0, 0.0],
        }
    )
    panel = build_panel(hist, ForecastConfig().resolved("D"))
    assert panel.flag_cols == ("promo",)
    got = location_drivers(panel, panel.drivers, np.zeros(4, dtype=np.int64), panel.t)
    # day 1: mean price 4 -> A 2/4, B 6/4; one of two items on promotion. Day 2: equal prices, none.
    order = np.argsort(panel.sid * 10 + panel.t)  # rows: A d1, A d2, B d1, B d2
    assert np.allclose(got["loc_rel_price"][order], [0.5, 1.0, 1.5, 1.0])
    assert np.allclose(got["loc_share_promo"][order], [0.5, 0.0, 0.5, 0.0])


def test_log_target_for_demand_that_is_rarely_zero_and_missing_weeks_are_gaps():
    hist = price_panel()
    hist = hist.drop(index=hist.sample(frac=0.03, random_state=0).index)  # weeks without a row
    rc = SMALL.resolved("W")
    panel = build_panel(hist, rc)
    assert panel.log_target
    assert np.isnan(panel.y).sum() > 0  # the dropped weeks are unknown, not zero sales
    zero_heavy = hist.assign(qty=np.where(np.arange(len(hist)) % 3 == 0, 0.0, hist["qty"]))
    assert not build_panel(zero_heavy, rc).log_target
    forced = build_panel(zero_heavy, SMALL.with_(target_transform="log").resolved("W"))
    assert forced.log_target


def test_log_target_forecast_is_calibrated_and_uses_relative_price():
    hist = price_panel(weeks=70)
    origin = hist["date"].max() - pd.Timedelta(weeks=3)
    past, fut = hist[hist["date"] <= origin], hist[hist["date"] > origin]
    cfg = SMALL.with_(quantiles=(0.1, 0.5, 0.9), include_mean=True, holiday_country="US", n_estimators=80)
    fc = fit_predict(past, 3, "W", future=fut.drop(columns="qty"), config=cfg)
    m = fc.merge(fut, on=["sku", "warehouse_id", "date"])
    assert (m["p10"] <= m["p50"]).all() and (m["p50"] <= m["p90"]).all()
    assert abs(m["mean"].sum() / m["qty"].sum() - 1) < 0.25  # 36 test weeks; see docs for the bias measured
    inside = ((m["qty"] >= m["p10"]) & (m["qty"] <= m["p90"])).mean()
    assert inside >= 0.6
    # the price against the other items explains demand: forecasts follow planned price cuts
    cut = m[m["price"] < 1.0]
    full = m[m["price"] == 1.0]
    assert (cut["p50"] / cut["qty"]).median() > 0.6 and (full["p50"] / full["qty"]).median() < 1.6


def test_future_missing_drivers_warn_or_fail():
    hist = price_panel(weeks=40)
    origin = hist["date"].max() - pd.Timedelta(weeks=2)
    past, fut = hist[hist["date"] <= origin], hist[hist["date"] > origin]
    with pytest.warns(FutureDriverWarning, match="deal"):
        fit_predict(past, 2, "W", future=fut[["sku", "warehouse_id", "date", "price"]], config=SMALL)
    with pytest.raises(ValueError, match="future lacks driver values for deal"):
        fit_predict(
            past,
            2,
            "W",
            future=fut[["sku", "warehouse_id", "date", "price"]],
            config=SMALL.with_(future_missing="error"),
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # complete future: no warning
        fit_predict(past, 2, "W", future=fut.drop(columns="qty"), config=SMALL)


def test_mape_point_is_a_scaled_median():
    hist = price_panel(weeks=50)
    fc = fit_predict(hist, 3, "W", config=SMALL.with_(point_metric="mape"))
    ratio = fc["point"] / fc["p50"].where(fc["p50"] > 0)
    assert ratio.dropna().between(0.25, 2.0).all()
    assert ratio.dropna().nunique() <= 5  # one scale per demand pattern
    assert "point" not in fit_predict(hist, 3, "W", config=SMALL).columns
    mse = fit_predict(hist, 3, "W", config=SMALL.with_(point_metric="mse", include_mean=True))
    assert np.allclose(mse["point"], mse["mean"])


def test_holdout_covers_several_origins_for_short_weekly_horizons():
    assert holdout_origins(3, ForecastConfig().resolved("W")) == [-12, -9, -6, -3]
    assert holdout_origins(28, ForecastConfig().resolved("D")) == [-28]
    assert holdout_origins(14, ForecastConfig().resolved("D")) == [-28, -14]


def test_orange_juice_harness_reproduces_the_published_naive():
    assert oj.RDA_PATH.exists(), (
        f"{oj.RDA_PATH} missing: `make test` installs the Debian package r-cran-bayesm"
    )
    yx = oj.load_yx(Path(__file__).resolve().parents[2] / "data" / "real_cache")
    assert len(yx) == 106_139 and yx["store"].nunique() == 83 and yx["brand"].nunique() == 11
    result = oj.score(yx, oj.run(yx, oj.naive_tsperf))
    assert round(result["mape"], 2) == 109.67  # TSPerf's published naive
    assert result["rows"] == 21_054


def test_uci_weekly_loader():
    assert uci.data_path().exists(), f"{uci.data_path()} missing: shared/data/real beside the checkout"
    frame = uci.load()
    assert frame["sku"].nunique() == 811 and frame["week"].nunique() == 52
    assert len(frame) == 811 * 52
    assert (frame["date"].dt.day_of_week == 6).all()  # weekly dates on Sundays


def test_competing_items_are_those_of_the_same_warehouse_and_category():
    hist = pd.DataFrame(
        {
            "sku": ["A", "B", "C", "D"],
            "warehouse_id": ["W", "W", "W", "V"],
            "category": ["juice", "juice", "tv", "juice"],
            "date": pd.to_datetime(["2024-01-01"] * 4),
            "qty": [1.0, 2.0, 3.0, 4.0],
            "price": [1.0, 3.0, 500.0, 2.0],
        }
    )
    panel = build_panel(hist, ForecastConfig().resolved("D"))
    codes = dict(zip(panel.keys["sku"], panel.loc_code, strict=True))
    assert codes["A"] == codes["B"] and len({codes["A"], codes["C"], codes["D"]}) == 3


def _one_series(prices: np.ndarray, deal: np.ndarray, qty: np.ndarray) -> pd.DataFrame:
    dates = pd.date_range("2023-01-08", periods=len(qty), freq="W")
    return pd.DataFrame(
        {"sku": "A", "warehouse_id": "S", "date": dates, "qty": qty, "price": prices, "deal": deal}
    )


def test_promoted_periods_are_flags_or_price_cuts():
    prices = np.array([1.0] * 8 + [0.9, 1.0, 0.98, 1.0])  # a 10% cut at week 9, 2% at week 11
    deal = np.zeros(12)
    deal[5] = 1.0
    panel = build_panel(_one_series(prices, deal, np.full(12, 10.0)), ForecastConfig().resolved("W"))
    assert np.flatnonzero(panel.promo).tolist() == [5, 8]


def test_price_response_recovers_each_series_own_elasticity():
    """Two series with elasticities -1 and -3: the windowed log-log line of each gives its own slope (shrunk
    by the ridge term by var / (var + ridge)), and the feature evaluated at the target's price is close to
    the log demand at that price."""
    rng = np.random.default_rng(0)
    weeks = 60
    frames = []
    for sku, elasticity in (("A", -1.0), ("B", -3.0)):
        prices = rng.choice([1.0, 0.9, 0.8], size=weeks)
        qty = np.round(100 * prices**elasticity)
        frames.append(_one_series(prices, np.zeros(weeks), qty).assign(sku=sku))
    rc = ForecastConfig().resolved("W")
    panel = build_panel(pd.concat(frames, ignore_index=True), rc)
    rows = panel.last_row(0)
    of = origin_features(panel, rows, rc)
    slope = of["_resp_slope"]
    for k, (_, part) in enumerate(pd.concat(frames).groupby("sku")):
        var = np.var(np.log(part["price"].to_numpy()[-rc.windows[-1] :]))
        shrink = var / (var + PRICE_RESPONSE_RIDGE)
        assert slope[k] == pytest.approx((-1.0, -3.0)[k] * shrink, rel=0.03)
    target_price = np.full(2, 0.8)
    tf = target_features(
        panel, rows, np.ones(2, dtype=np.int64), {"price": target_price, "deal": np.zeros(2)}, of, rc
    )
    expected = np.log1p(np.round(100 * 0.8 ** np.array([-1.0, -3.0])))
    assert panel.log_target
    np.testing.assert_allclose(tf["price_response"], expected, atol=0.15)
    assert "_resp_slope" not in design_matrix(
        panel, rows, np.ones(2, dtype=np.int64), {"price": target_price, "deal": np.zeros(2)}, rc
    )


def test_log_objective_and_one_horizon_per_target_by_default():
    cfg = ForecastConfig()
    assert cfg.horizon_samples == 1 and cfg.log_objective == "l1"
    with pytest.raises(ValueError, match="log_objective"):
        ForecastConfig(log_objective="l3")
