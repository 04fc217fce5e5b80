"""fit_predict contract, determinism, censoring, drivers, intermittent routing and the baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models_ml.config import ForecastConfig
from models_ml.features import build_panel
from models_ml.forecast import (
    croston_forecast,
    dist_quantile,
    fit_predict,
    forecast_panel,
    future_drivers,
    moving_average,
    seasonal_naive,
)

SMALL = ForecastConfig(n_estimators=40, learning_rate=0.15, num_leaves=15, min_data_in_leaf=20, num_threads=1)
H = 14


def synthetic(n_series: int = 12, days: int = 300, seed: int = 0, freq: str = "D") -> pd.DataFrame:
    """Weekly-seasonal Poisson demand, promotions lifting demand 2.5x, a price column."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq=freq)
    frames = []
    for s in range(n_series):
        level = rng.uniform(0.5, 20)
        weekly = 1.0 + 0.5 * (dates.day_of_week < 5) if freq == "D" else np.ones(days)
        promo = (rng.random(days) < 0.08).astype(float)
        qty = rng.poisson(level * weekly * (1 + 1.5 * promo)).astype(float)
        frames.append(
            pd.DataFrame(
                {
                    "sku": f"S{s:02d}",
                    "warehouse_id": "W1" if s % 2 else "W2",
                    "date": dates,
                    "qty": qty,
                    "price": 10.0 + s,
                    "is_promo": promo,
                    "category": "c1" if s < n_series // 2 else "c2",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    h = synthetic()
    extra = [
        # a new SKU with five days of history
        pd.DataFrame(
            {
                "sku": "NEW",
                "warehouse_id": "W1",
                "date": pd.date_range("2024-10-22", periods=5),
                "qty": [3.0, 0.0, 4.0, 2.0, 5.0],
                "price": 9.0,
                "is_promo": 0.0,
                "category": "c1",
            }
        ),
        # an all-zero series
        pd.DataFrame(
            {
                "sku": "ZERO",
                "warehouse_id": "W1",
                "date": pd.date_range("2024-01-01", periods=300),
                "qty": 0.0,
                "price": 5.0,
                "is_promo": 0.0,
                "category": "c2",
            }
        ),
        # a series that stopped two months before the origin, with gaps before that
        pd.DataFrame(
            {
                "sku": "STOP",
                "warehouse_id": "W2",
                "date": pd.date_range("2024-01-01", periods=240)[::3],
                "qty": 6.0,
                "price": 7.0,
                "is_promo": 0.0,
                "category": "c2",
            }
        ),
    ]
    return pd.concat([h, *extra], ignore_index=True)


@pytest.fixture(scope="module")
def forecast(history: pd.DataFrame) -> pd.DataFrame:
    return fit_predict(history, H, "D", config=SMALL)


def test_contract_shape_columns_and_dates(history: pd.DataFrame, forecast: pd.DataFrame) -> None:
    n_series = history.groupby(["sku", "warehouse_id"]).ngroups
    assert list(forecast.columns) == ["sku", "warehouse_id", "date", "p50", "p90"]
    assert len(forecast) == n_series * H
    origin = history["date"].max()
    expected = pd.date_range(origin + pd.Timedelta(days=1), periods=H)
    for _, g in forecast.groupby(["sku", "warehouse_id"]):
        assert list(g["date"]) == list(expected)  # same origin for all, including STOP and NEW
    assert not forecast.duplicated(["sku", "warehouse_id", "date"]).any()


def test_non_negative_finite_and_ordered_quantiles(forecast: pd.DataFrame) -> None:
    vals = forecast[["p50", "p90"]].to_numpy()
    assert np.isfinite(vals).all() and (vals >= 0).all()
    assert (forecast["p90"] >= forecast["p50"]).all()


def test_new_zero_and_stopped_series(forecast: pd.DataFrame) -> None:
    by = forecast.groupby("sku")
    assert by.get_group("ZERO")[["p50", "p90"]].to_numpy().max() == 0.0
    new = by.get_group("NEW")
    assert new["p90"].mean() > 0  # five days of sales: something is forecast
    busy = by.get_group("S00")["p50"].mean() + by.get_group("S01")["p50"].mean()
    assert busy > 0


def test_more_quantiles_when_configured(history: pd.DataFrame) -> None:
    cfg = SMALL.with_(quantiles=(0.5, 0.8, 0.9, 0.975), calibrate=False)
    fc = fit_predict(history, 7, "D", config=cfg)
    assert list(fc.columns[3:]) == ["p50", "p80", "p90", "p97.5"]
    q = fc[["p50", "p80", "p90", "p97.5"]].to_numpy()
    assert (np.diff(q, axis=1) >= 0).all()


def test_deterministic(history: pd.DataFrame, forecast: pd.DataFrame) -> None:
    again = fit_predict(history, H, "D", config=SMALL)
    pd.testing.assert_frame_equal(forecast, again)


def test_weekly_data() -> None:
    h = synthetic(n_series=8, days=120, freq="W").drop(columns="is_promo")  # no promotion carried forward
    fc = fit_predict(h, 8, "W", config=SMALL)
    assert len(fc) == 8 * 8
    origin = h["date"].max()
    assert fc["date"].min() == origin + pd.Timedelta(days=7)
    assert fc["date"].max() == origin + pd.Timedelta(days=56)
    # the forecast follows each series' level
    level = h[h["date"] > origin - pd.Timedelta(weeks=26)].groupby("sku")["qty"].mean()
    pred = fc.groupby("sku")["p50"].mean()
    assert np.corrcoef(level.loc[pred.index], pred)[0, 1] > 0.9


def test_stockout_run_is_censored_not_zero_demand() -> None:
    """A series with its last three weeks out of stock (zero sales) is forecast at its in-stock rate."""
    h = synthetic(n_series=10, days=300, seed=3).drop(columns=["is_promo"])
    rng = np.random.default_rng(5)
    target = pd.DataFrame(
        {
            "sku": "OOS",
            "warehouse_id": "W1",
            "date": pd.date_range("2024-01-01", periods=300),
            "qty": rng.poisson(10, 300).astype(float),
            "price": 10.0,
            "category": "c1",
        }
    )
    target.loc[279:, "qty"] = 0.0
    h = pd.concat([h, target], ignore_index=True)
    h["is_stockout"] = False
    flagged = h.copy()
    flagged.loc[(flagged["sku"] == "OOS") & (flagged["date"] >= target["date"].iloc[279]), "is_stockout"] = (
        True
    )
    cfg = SMALL.with_(calibrate=False)
    censored = fit_predict(flagged, H, "D", config=cfg)
    naive = fit_predict(h, H, "D", config=cfg)
    got = censored[censored["sku"] == "OOS"]["p50"].mean()
    unflagged = naive[naive["sku"] == "OOS"]["p50"].mean()
    assert 7.0 <= got <= 13.0, got
    assert unflagged < 4.0 < got
    # the mean behind the calibrated quantiles too
    rc = SMALL.resolved("D")
    panel = build_panel(flagged, rc)
    res = forecast_panel(panel, H, future_drivers(panel, None, H), rc)
    oos = int(np.flatnonzero(panel.keys["sku"].to_numpy() == "OOS")[0])
    assert 7.5 <= res.mean[oos].mean() <= 12.5


def test_promotion_in_future_raises_forecast() -> None:
    h = synthetic(n_series=12, days=300, seed=1)
    origin = h["date"].max()
    dates = pd.date_range(origin + pd.Timedelta(days=1), periods=H)
    keys = h[["sku", "warehouse_id"]].drop_duplicates()
    future = keys.merge(pd.DataFrame({"date": dates}), how="cross")
    future["is_promo"] = (future["date"].dt.day_of_week == 2).astype(float)  # promotions on Wednesdays
    fc = fit_predict(h, H, "D", future=future, config=SMALL.with_(calibrate=False))
    fc = fc.merge(future, on=["sku", "warehouse_id", "date"])
    weekdays = fc[fc["date"].dt.day_of_week.isin([1, 2, 3])]
    mean = weekdays.groupby("is_promo")["p50"].mean()
    assert mean.loc[1.0] > 1.5 * mean.loc[0.0]
    # without the future frame, drivers are carried forward from the last day: one value for all days
    carried = future_drivers(build_panel(h, SMALL.resolved("D")), None, H)["is_promo"]
    assert (carried == carried[:, :1]).all()


def test_intermittent_routing_to_croston_family() -> None:
    rng = np.random.default_rng(2)
    h = synthetic(n_series=6, days=300, seed=2)
    sparse = []
    for s in range(6):
        q = np.where(rng.random(300) < 0.15, rng.integers(1, 6, 300), 0).astype(float)
        sparse.append(
            pd.DataFrame(
                {
                    "sku": f"I{s}",
                    "warehouse_id": "W1",
                    "date": pd.date_range("2024-01-01", periods=300),
                    "qty": q,
                    "price": 3.0,
                    "is_promo": 0.0,
                    "category": "c3",
                }
            )
        )
    h = pd.concat([h, *sparse], ignore_index=True)
    rc = SMALL.with_(intermittent_method="sba").resolved("D")
    panel = build_panel(h, rc)
    res = forecast_panel(panel, H, future_drivers(panel, None, H), rc)
    sku = panel.keys["sku"].to_numpy()
    assert set(res.method[np.char.startswith(sku.astype(str), "I")]) == {"sba"}
    assert set(res.method[np.char.startswith(sku.astype(str), "S")]) == {"global"}
    # auto: the holdout decides, and whatever it picks is one of the candidates
    rc_auto = SMALL.resolved("D")
    auto = forecast_panel(panel, H, future_drivers(panel, None, H), rc_auto)
    assert set(auto.calibration.routes.values()) <= {"global", "croston", "sba", "tsb"}
    assert set(auto.method) <= {"global", "croston", "sba", "tsb", "mean"}


def test_input_validation() -> None:
    h = synthetic(n_series=2, days=30)
    with pytest.raises(ValueError):
        fit_predict(h, 0)
    with pytest.raises(ValueError):
        fit_predict(h, 7, freq="M")
    with pytest.raises(ValueError):
        fit_predict(h.drop(columns="qty"), 7)
    with pytest.raises(ValueError):
        ForecastConfig(quantiles=(0.5, 1.0))


def test_baselines_by_hand() -> None:
    qty = [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    h = pd.DataFrame(
        {"sku": "A", "warehouse_id": "W1", "date": pd.date_range("2024-01-01", periods=14), "qty": qty}
    )
    sn = seasonal_naive(h, 9)
    assert sn["p50"].tolist() == [8, 9, 10, 11, 12, 13, 14, 8, 9]
    ma = moving_average(h, 3, window=4)
    assert ma["p50"].tolist() == [12.5] * 3
    cr = croston_forecast(h, 3, method="sba")
    assert len(cr) == 3 and (cr["p50"] > 0).all()


def test_negative_binomial_quantiles() -> None:
    from scipy import stats

    mean = np.array([0.0, 0.2, 1.0, 7.5, 120.0])
    shape = np.array([1.0, 0.5, 3.0, 10.0, 1e6])
    for q in (0.5, 0.9, 0.99):
        expected = np.where(mean > 0, stats.nbinom.ppf(q, shape, shape / (shape + mean)), 0.0)
        np.testing.assert_array_equal(dist_quantile(mean, shape, q, True), expected)
    # gamma for non-integer demand: the median of shape 1 (exponential) is mean * ln 2
    np.testing.assert_allclose(dist_quantile(np.array([2.0]), np.array([1.0]), 0.5, False), [2 * np.log(2)])


def test_mean_column_on_request_lies_at_or_above_the_skewed_median():
    from models_ml.config import ForecastConfig
    from models_ml.forecast import fit_predict

    rng = np.random.default_rng(3)
    dates = pd.date_range("2025-01-01", periods=120, freq="D")
    history = pd.DataFrame(
        {
            "sku": "A",
            "warehouse_id": "W1",
            "date": dates,
            "qty": rng.choice([0, 0, 0, 1, 5], size=len(dates)).astype(float),
        }
    )
    plain = fit_predict(history, 7, config=ForecastConfig(num_threads=1, n_estimators=20))
    with_mean = fit_predict(
        history, 7, config=ForecastConfig(num_threads=1, n_estimators=20, include_mean=True)
    )
    assert "mean" not in plain.columns
    assert list(with_mean.columns) == ["sku", "warehouse_id", "date", "p50", "p90", "mean"]
    pd.testing.assert_frame_equal(plain, with_mean.drop(columns="mean"))
    assert (with_mean["mean"] >= 0).all() and with_mean["mean"].sum() > with_mean["p50"].sum()


def test_baseline_fallback_has_the_model_contract():
    from models_ml.config import ForecastConfig
    from models_ml.forecast import baseline_forecast

    dates = pd.date_range("2025-01-01", periods=60, freq="D")
    history = pd.DataFrame(
        {"sku": "A", "warehouse_id": "W1", "date": dates, "qty": np.tile([0.0, 2.0, 4.0], 20)}
    )
    for method in ("seasonal_naive", "ma", "sba"):
        out = baseline_forecast(history, 7, method, config=ForecastConfig(include_mean=True))
        assert list(out.columns) == ["sku", "warehouse_id", "date", "p50", "p90", "mean"], method
        assert len(out) == 7 and (out["p90"] >= out["p50"]).all() and (out["p50"] >= 0).all()
    ma = baseline_forecast(history, 7, "ma", config=ForecastConfig(include_mean=True))
    assert np.allclose(ma["mean"], 58 / 28)  # the last 28 days: nine 4-0-2 cycles (54) and a 4


def test_batches_of_series_give_the_whole_panels_forecast_bit_for_bit(monkeypatch) -> None:
    """Features, predictions, training rows and Croston run per batch of series to bound memory; with
    batches of a few series (many batches) the forecast is the one-batch forecast, exactly."""
    import importlib
    import pkgutil

    from models_ml import features, forecast

    h = synthetic(n_series=10, days=200, seed=3)
    h["price"] = h["price"] + np.random.default_rng(1).normal(0, 0.37, len(h))  # non-integer cumulative sums
    h = h.sample(frac=1.0, random_state=2)  # row order must not matter either
    cfg = SMALL.with_(max_train_rows=1500, intermittent_method="sba")
    whole = fit_predict(h, H, "D", None, cfg)
    for fn in (features.Panel.batches, features.batched_rows, features.by_batch, features.design_batches):
        monkeypatch.setattr(fn, "__defaults__", (450,))
    # every module of the two packages that reads BATCH_ROWS at run time (training rows, Croston, drivers)
    for package in (features, forecast):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            if hasattr(module, "BATCH_ROWS"):
                monkeypatch.setattr(module, "BATCH_ROWS", 450)
    panel = build_panel(h, cfg.resolved("D"))
    assert len(list(panel.batches())) >= 4
    batched = fit_predict(h, H, "D", None, cfg)
    pd.testing.assert_frame_equal(whole, batched, check_exact=True)


def test_training_rows_drawn_in_chunks_match_one_draw(monkeypatch) -> None:
    """The random horizons are drawn chunk by chunk from one generator: the same pairs as one draw."""
    from models_ml.forecast import model

    panel = build_panel(synthetic(n_series=6, days=150), SMALL.resolved("D"))
    rc = SMALL.with_(max_train_rows=300).resolved("D")
    rng = np.random.default_rng(rc.base.seed)
    target = np.flatnonzero((panel.t <= -H) & ~np.isnan(panel.y))
    h = rng.integers(1, H + 1, target.size)
    ok = target - h >= panel.offset[panel.sid[target]]
    origin, h = (target - h)[ok], h[ok]
    keep = np.sort(rng.choice(origin.size, 300, replace=False))
    monkeypatch.setattr(model, "BATCH_ROWS", 97)
    got_origin, got_h = model.training_rows(panel, -H, H, rc)
    np.testing.assert_array_equal(got_origin, origin[keep])
    np.testing.assert_array_equal(got_h, h[keep])
