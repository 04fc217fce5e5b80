"""Which forecasts the plan gets, from the backtest's WAPE per method."""

from pipelines.forecasting import choose_method


def test_model_kept_when_it_beats_seasonal_naive():
    assert choose_method({"model": 0.7, "seasonal_naive": 1.0, "ma": 0.6})[0] == "model"


def test_best_baseline_when_the_model_loses():
    method, why = choose_method(
        {"model": 1.1, "seasonal_naive": 1.0, "ma": 0.8, "tsb": 0.9, "croston": float("nan")}
    )
    assert method == "ma" and "fall back" in why and "0.800" in why


def test_no_backtest_keeps_the_model():
    assert choose_method({}) == ("model", "no backtest for this run: using the model")
