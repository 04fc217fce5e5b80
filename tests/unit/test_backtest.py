"""Metrics worked by hand, the rolling-origin backtest, leakage and forecast value added."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models_ml.backtest import BacktestConfig, actuals, backtest, origins_for, series_scales
from models_ml.config import ForecastConfig
from models_ml.metrics import bias, coverage, summarise, wape
from tests.unit.test_forecast import SMALL, synthetic

H = 7


def test_metrics_by_hand() -> None:
    y = np.array([2.0, 0.0, 4.0, 4.0])
    f = np.array([1.0, 1.0, 4.0, 6.0])
    assert wape(y, f) == pytest.approx(4 / 10)
    assert bias(y, f) == pytest.approx(2 / 10)
    assert coverage(y, np.array([2.0, 0.0, 3.0, 9.0])) == pytest.approx(0.75)
    assert np.isnan(wape(np.zeros(3), np.ones(3)))


def test_summarise_mase_rmsse_by_hand() -> None:
    frame = pd.DataFrame(
        {
            "method": "m",
            "series": ["a", "a", "b", "b"],
            "y": [2.0, 4.0, 1.0, 1.0],
            "p50": [3.0, 2.0, 1.0, 3.0],
            "p90": [5.0, 5.0, 2.0, 2.0],
            "mase_scale": [2.0, 2.0, 1.0, 1.0],
            "rmsse_scale": [4.0, 4.0, 0.0, 0.0],
        }
    )
    out = summarise(frame, ["method"]).iloc[0]
    assert out["wape"] == pytest.approx(5 / 8)
    assert out["bias"] == pytest.approx(1 / 8)
    assert out["coverage_p90"] == pytest.approx(1.0)
    # MASE: series a mean|e| = 1.5 / 2, series b 1 / 1 -> mean 0.875
    assert out["mase"] == pytest.approx((0.75 + 1.0) / 2)
    # RMSSE: series a sqrt(mean(1, 4) / 4); series b has a zero scale and is left out
    assert out["rmsse"] == pytest.approx(np.sqrt(2.5 / 4))


def test_scales_and_actuals() -> None:
    h = pd.DataFrame(
        {
            "sku": "A",
            "warehouse_id": "W",
            "date": pd.date_range("2024-01-01", periods=9),
            "qty": [1.0, 3, 1, 3, 1, 3, 1, 3, 5],
        }
    )
    s = series_scales(h, 7, "D", ForecastConfig()).iloc[0]
    assert s["mase_scale"] == pytest.approx((2 + 2) / 2)  # |y8 - y1|, |y9 - y2|
    assert s["rmsse_scale"] == pytest.approx(4.0)  # every first difference is 2
    origin = pd.Timestamp("2024-01-07")
    window = h[h["date"] > origin].assign(is_stockout=[True, False])
    act = actuals(h[h["date"] <= origin], window, 3, 1, True, origin)
    assert act["h"].tolist() == [2, 3] and act["y"].tolist() == [5.0, 0.0]  # stockout day dropped


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return synthetic(n_series=8, days=200, seed=4)


@pytest.fixture(scope="module")
def result(history: pd.DataFrame):
    return backtest(
        history, H, "D", SMALL, BacktestConfig(n_origins=2, baselines=("seasonal_naive", "ma", "sba"))
    )


def test_backtest_outputs(history: pd.DataFrame, result) -> None:
    methods = {"model", "seasonal_naive", "ma", "sba"}
    assert set(result.metrics["method"]) == methods
    assert {"wape", "mase", "rmsse", "bias", "coverage_p90"} <= set(result.metrics.columns)
    n_series = history.groupby(["sku", "warehouse_id"]).ngroups
    assert len(result.forecasts) == len(methods) * 2 * n_series * H
    assert set(result.forecasts["origin"]) == set(origins_for(history, H, "D", 2, None))
    assert set(result.by_horizon["horizon_bucket"]) == {"d01-07"}
    assert set(result.by_segment["segment"]) <= {"smooth", "erratic", "intermittent", "lumpy", "zero"}
    model = result.metrics.set_index("method")
    assert 0.5 <= model.loc["model", "coverage_p90"] <= 1.0
    fva = result.fva[result.fva["scope"] == "all"].set_index("baseline")
    for b in ("seasonal_naive", "ma", "sba"):
        assert fva.loc[b, "fva_points"] == pytest.approx(model.loc[b, "wape"] - model.loc["model", "wape"])
    # a model that knows the promotion calendar beats seasonal naive on this data
    assert fva.loc["seasonal_naive", "fva_points"] > 0


def test_backtest_segments_from_mapping(history: pd.DataFrame) -> None:
    seg = {sku: ("A" if i < 3 else "B") for i, sku in enumerate(sorted(history["sku"].unique()))}
    res = backtest(
        history,
        H,
        "D",
        SMALL.with_(calibrate=False),
        BacktestConfig(n_origins=1, baselines=("ma",)),
        segments=seg,
    )
    assert set(res.by_segment["segment"]) == {"A", "B"}
    assert set(res.fva["segment"]) == {"all", "A", "B"}


def test_scrambling_after_the_origin_does_not_change_its_forecasts(history: pd.DataFrame) -> None:
    """Leakage: the forecasts made at an origin depend on nothing after it (except planned drivers)."""
    bt = BacktestConfig(n_origins=1, baselines=("seasonal_naive",))
    origin = origins_for(history, H, "D", 1, None)[0]
    scrambled = history.copy()
    after = scrambled["date"] > origin
    rng = np.random.default_rng(9)
    scrambled.loc[after, "qty"] = rng.permutation(scrambled.loc[after, "qty"].to_numpy()) * 3 + 1
    a = backtest(history, H, "D", SMALL, bt).forecasts
    b = backtest(scrambled, H, "D", SMALL, bt).forecasts
    cols = ["method", "sku", "warehouse_id", "date", "p50", "p90"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert not np.allclose(a["y"], b["y"])  # the actuals did change
