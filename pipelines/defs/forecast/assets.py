"""Demand forecasts and their backtest: thin callers of models_ml (the logic lives there)."""

import time

import dagster as dg
import pandas as pd

from pipelines.defs.resources import StockflowResource
from pipelines.forecast.forecasting import (
    backtest_fingerprint,
    choose_method,
    demand_history,
    forecast_config,
    latest_backtest_wape,
    save_backtest,
    save_forecasts,
)
from pipelines.reports.charts import forecast_vs_actual

DEMAND_MART = dg.AssetKey(["marts", "fct_sku_daily_demand"])
SKU_DIM = dg.AssetKey(["marts", "dim_skus"])
PROMOTIONS = dg.AssetKey(["staging", "stg_erp__promotions"])


def _markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    frame = frame.reset_index()
    head = "| " + " | ".join(map(str, frame.columns)) + " |\n|" + "---|" * len(frame.columns)
    rows = [
        "| " + " | ".join(f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([head, *rows])


@dg.asset(
    key=["forecast", "forecast_backtest"],
    group_name="forecast",
    kinds={"python", "lightgbm"},
    deps=[DEMAND_MART, SKU_DIM, PROMOTIONS],
    owners=["team:data"],
    description="Rolling-origin backtest of the forecaster against seasonal naive, a moving average and the "
    "Croston family: WAPE, MASE, RMSSE, bias, p90 coverage, by ABC x XYZ segment and horizon, and the value added. "
    "The daily refresh runs it when due: every STOCKFLOW_BACKTEST_EVERY_DAYS days, after a settings change, "
    "or when there is none.",
    check_specs=[
        dg.AssetCheckSpec(
            "model_beats_seasonal_naive",
            asset=["forecast", "forecast_backtest"],
            description="The model's backtest WAPE is below seasonal naive's; when it is not, plans use the best baseline.",
        )
    ],
)
def forecast_backtest(context: dg.AssetExecutionContext, stockflow: StockflowResource):
    from models_ml.backtest import BacktestConfig, backtest

    settings = stockflow.settings
    with stockflow.connect(read_only=False) as conn:
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
    with stockflow.connect() as conn:
        save_backtest(
            conn, pd.concat([metrics.assign(scope="all"), by_segment.assign(scope="segment")]), context.run_id
        )
    wape = metrics.set_index("method")["wape"]
    model_wape, naive_wape = (
        float(wape.get("model", float("nan"))),
        float(wape.get("seasonal_naive", float("nan"))),
    )
    beats = model_wape < naive_wape
    best_baseline = wape.drop(labels=["model"], errors="ignore").idxmin()
    yield dg.MaterializeResult(
        metadata={
            "model_wape": model_wape,
            "seasonal_naive_wape": naive_wape,
            "wape_reduction_vs_seasonal_naive": 1 - model_wape / naive_wape if naive_wape else None,
            "p90_coverage": float(metrics.set_index("method").loc["model", "coverage_p90"]),
            "best_baseline": str(best_baseline),
            "duration_seconds": round(seconds, 1),
            # the daily refresh re-runs the backtest when this changes (or STOCKFLOW_BACKTEST_EVERY_DAYS pass)
            "config_fingerprint": backtest_fingerprint(settings),
            "metrics": dg.MetadataValue.md(_markdown(result.metrics)),
            "by_segment": dg.MetadataValue.md(_markdown(result.by_segment)),
            "value_added": dg.MetadataValue.md(_markdown(result.fva)),
            "forecast_vs_actual": dg.MetadataValue.md(forecast_vs_actual(result.forecasts)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="model_beats_seasonal_naive",
                passed=bool(beats),
                severity=dg.AssetCheckSeverity.WARN,
                description=(
                    f"model WAPE {model_wape:.3f} vs seasonal naive {naive_wape:.3f}"
                    if beats
                    else f"model WAPE {model_wape:.3f} is not below seasonal naive {naive_wape:.3f}: "
                    f"plans fall back to {best_baseline}"
                ),
            )
        ],
    )


@dg.asset(
    key=["forecast", "sku_demand_forecasts"],
    group_name="forecast",
    kinds={"python", "lightgbm", "duckdb"},
    deps=[DEMAND_MART, SKU_DIM, PROMOTIONS, dg.AssetKey(["forecast", "forecast_backtest"])],
    owners=["team:data"],
    description="Daily demand forecasts per SKU x warehouse (p50, p90, mean) over the horizon from the latest data "
    "date, appended to forecast.sku_demand_forecasts with the run id and origin so later actuals can be compared.",
    check_specs=[
        dg.AssetCheckSpec(
            "one_non_negative_forecast_per_active_series_day",
            asset=["forecast", "sku_demand_forecasts"],
            blocking=True,
            description="Every active SKU x warehouse has one non-negative forecast per horizon day.",
        )
    ],
)
def sku_demand_forecasts(context: dg.AssetExecutionContext, stockflow: StockflowResource):
    from models_ml.forecast import baseline_forecast, fit_predict

    settings = stockflow.settings
    horizon = settings.forecast_horizon_days
    with stockflow.connect(read_only=False) as conn:  # read, then close: never hold the file while training
        demand = demand_history(conn, horizon, settings.forecast_history_days)
        method, why = choose_method(latest_backtest_wape(conn, context.run_id))
    (context.log.info if method == "model" else context.log.warning)(why)
    started = time.perf_counter()
    if method == "model":
        forecasts = fit_predict(demand.history, horizon, "D", demand.future, forecast_config(settings))
    else:
        forecasts = baseline_forecast(demand.history, horizon, method, "D", forecast_config(settings))
    seconds = time.perf_counter() - started
    with stockflow.connect() as conn:
        rows = save_forecasts(conn, forecasts, context.run_id, demand.origin)
    series = demand.history[["sku", "warehouse_id"]].drop_duplicates()
    per_series = forecasts.groupby(["sku", "warehouse_id"]).size()
    complete = len(per_series) == len(series) and bool((per_series == horizon).all())
    non_negative = bool((forecasts[["p50", "p90"]] >= 0).all().all())
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "series": len(series),
            "origin_date": str(demand.origin.date()),
            "horizon_days": horizon,
            "method": method,
            "method_reason": why,
            "fit_predict_seconds": round(seconds, 1),
            "units_forecast_p50": float(forecasts["p50"].sum()),
            "units_forecast_mean": float(forecasts["mean"].sum()) if "mean" in forecasts else None,
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="one_non_negative_forecast_per_active_series_day",
                passed=complete and non_negative,
                metadata={"series_forecast": len(per_series), "series_expected": len(series)},
            )
        ],
    )
