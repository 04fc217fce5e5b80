"""The forecast stage's runs, end to end and without Dagster: the rolling-origin backtest (read, backtest,
store, judge the model against seasonal naive) and the day's forecasts (read and choose the method, then
fit or fall back to a baseline, store, check completeness).

Each run takes the settings, a ``connect`` that opens the warehouse (``StockflowResource.connect``) and the
run id, and returns a dataclass of what the asset reports. The connection is closed while a model trains.
``pipelines/defs/forecast`` wires them into assets; never imports Dagster.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from pipelines.forecast.forecasting import (
    DemandHistory,
    backtest_fingerprint,
    choose_method,
    demand_history,
    forecast_config,
    latest_backtest_wape,
    save_backtest,
    save_forecasts,
)
from pipelines.operations import failpoints
from pipelines.operations.settings import Settings
from pipelines.warehouse.connection import Connect

if TYPE_CHECKING:  # the forecaster is imported only where it runs (lightgbm is heavy)
    from models_ml.backtest import BacktestResult


def markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    frame = frame.reset_index()
    head = "| " + " | ".join(map(str, frame.columns)) + " |\n|" + "---|" * len(frame.columns)
    rows = [
        "| " + " | ".join(f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([head, *rows])


@dataclass(frozen=True)
class BacktestRun:
    """The backtest and what its asset reports."""

    result: BacktestResult
    seconds: float  # the backtest alone, without reading and writing
    model_wape: float
    naive_wape: float  # seasonal naive's
    best_baseline: str
    p90_coverage: float  # the model's
    fingerprint: str  # backtest_fingerprint: the refresh re-runs the backtest when it changes

    @property
    def beats(self) -> bool:
        return bool(self.model_wape < self.naive_wape)

    @property
    def wape_reduction(self) -> float | None:
        return 1 - self.model_wape / self.naive_wape if self.naive_wape else None

    @property
    def check_description(self) -> str:
        if self.beats:
            return f"model WAPE {self.model_wape:.3f} vs seasonal naive {self.naive_wape:.3f}"
        return (
            f"model WAPE {self.model_wape:.3f} is not below seasonal naive {self.naive_wape:.3f}: "
            f"plans fall back to {self.best_baseline}"
        )


def run_backtest(settings: Settings, connect: Connect, run_id: str) -> BacktestRun:
    """Backtest the forecaster and the baselines over STOCKFLOW_BACKTEST_ORIGINS origins and store the
    metrics (overall and per segment) with the run id."""
    from models_ml.backtest import BacktestConfig, backtest

    with connect(read_only=False) as conn:
        demand = demand_history(conn, settings.forecast_horizon_days, settings.forecast_history_days)
    started = time.perf_counter()
    result = backtest(
        demand.history,
        settings.forecast_horizon_days,
        "D",
        forecast_config(settings),
        BacktestConfig(n_origins=settings.backtest_origins),
        segments=demand.segments,
    )
    seconds = time.perf_counter() - started
    metrics = result.metrics.reset_index()
    by_segment = result.by_segment.reset_index()
    with connect() as conn:
        save_backtest(
            conn, pd.concat([metrics.assign(scope="all"), by_segment.assign(scope="segment")]), run_id
        )
    wape = metrics.set_index("method")["wape"]
    model_wape, naive_wape = (
        float(wape.get("model", float("nan"))),
        float(wape.get("seasonal_naive", float("nan"))),
    )
    best_baseline = wape.drop(labels=["model"], errors="ignore").idxmin()
    return BacktestRun(
        result=result,
        seconds=seconds,
        model_wape=model_wape,
        naive_wape=naive_wape,
        best_baseline=str(best_baseline),
        p90_coverage=float(metrics.set_index("method").loc["model", "coverage_p90"]),
        fingerprint=backtest_fingerprint(settings),
    )


@dataclass(frozen=True)
class ForecastInputs:
    """The demand history and the method the forecasts use, with the reason for the run's log."""

    demand: DemandHistory
    method: str  # "model" or the best baseline
    why: str


def read_forecast_inputs(settings: Settings, connect: Connect, run_id: str) -> ForecastInputs:
    """Read the demand history and choose the method from this run's (else the latest) backtest."""
    with connect(read_only=False) as conn:  # read, then close: never hold the file while training
        demand = demand_history(conn, settings.forecast_horizon_days, settings.forecast_history_days)
        method, why = choose_method(latest_backtest_wape(conn, run_id))
    return ForecastInputs(demand, method, why)


@dataclass(frozen=True)
class ForecastRun:
    """The day's forecasts and what their asset reports."""

    forecasts: pd.DataFrame
    rows: int  # rows stored
    seconds: float  # fit and predict alone
    series_expected: int  # active SKU x warehouse series
    series_forecast: int
    complete: bool  # every active series has one forecast per horizon day
    non_negative: bool

    @property
    def units_p50(self) -> float:
        return float(self.forecasts["p50"].sum())

    @property
    def units_mean(self) -> float | None:
        return float(self.forecasts["mean"].sum()) if "mean" in self.forecasts else None


def run_forecasts(settings: Settings, connect: Connect, inputs: ForecastInputs, run_id: str) -> ForecastRun:
    """Forecast every active series over the horizon with the chosen method and store the forecasts with
    the run id and origin."""
    from models_ml.forecast import baseline_forecast, fit_predict

    demand, method, horizon = inputs.demand, inputs.method, settings.forecast_horizon_days
    started = time.perf_counter()
    if method == "model":
        forecasts = fit_predict(demand.history, horizon, "D", demand.future, forecast_config(settings))
    else:
        forecasts = baseline_forecast(demand.history, horizon, method, "D", forecast_config(settings))
    seconds = time.perf_counter() - started
    with connect() as conn:
        rows = save_forecasts(conn, forecasts, run_id, demand.origin)
    failpoints.kill_at("forecast")  # fault injection: forecasts stored, the step not yet done
    series = demand.history[["sku", "warehouse_id"]].drop_duplicates()
    per_series = forecasts.groupby(["sku", "warehouse_id"]).size()
    complete = len(per_series) == len(series) and bool((per_series == horizon).all())
    non_negative = bool((forecasts[["p50", "p90"]] >= 0).all().all())
    return ForecastRun(forecasts, rows, seconds, len(series), len(per_series), complete, non_negative)
