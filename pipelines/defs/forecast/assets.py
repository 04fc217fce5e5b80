"""Demand forecasts and their backtest: assets wired to pipelines.forecast.run (the logic lives there)."""

import dagster as dg

from pipelines.defs.resources import StockflowResource
from pipelines.forecast.run import markdown_table, read_forecast_inputs, run_backtest, run_forecasts
from pipelines.reports.charts import forecast_vs_actual

DEMAND_MART = dg.AssetKey(["marts", "fct_sku_daily_demand"])
SKU_DIM = dg.AssetKey(["marts", "dim_skus"])
PROMOTIONS = dg.AssetKey(["staging", "stg_erp__promotions"])


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
    settings = stockflow.settings
    run = run_backtest(settings, stockflow.connect, context.run_id)
    yield dg.MaterializeResult(
        metadata={
            "model_wape": run.model_wape,
            "seasonal_naive_wape": run.naive_wape,
            "wape_reduction_vs_seasonal_naive": run.wape_reduction,
            "p90_coverage": run.p90_coverage,
            "best_baseline": run.best_baseline,
            "duration_seconds": round(run.seconds, 1),
            # the daily refresh re-runs the backtest when this changes (or STOCKFLOW_BACKTEST_EVERY_DAYS pass)
            "config_fingerprint": run.fingerprint,
            "metrics": dg.MetadataValue.md(markdown_table(run.result.metrics)),
            "by_segment": dg.MetadataValue.md(markdown_table(run.result.by_segment)),
            "value_added": dg.MetadataValue.md(markdown_table(run.result.fva)),
            "forecast_vs_actual": dg.MetadataValue.md(forecast_vs_actual(run.result.forecasts)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="model_beats_seasonal_naive",
                passed=run.beats,
                severity=dg.AssetCheckSeverity.WARN,
                description=run.check_description,
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
    settings = stockflow.settings
    inputs = read_forecast_inputs(settings, stockflow.connect, context.run_id)
    (context.log.info if inputs.method == "model" else context.log.warning)(inputs.why)
    run = run_forecasts(settings, stockflow.connect, inputs, context.run_id)
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": run.rows,
            "series": run.series_expected,
            "origin_date": str(inputs.demand.origin.date()),
            "horizon_days": settings.forecast_horizon_days,
            "method": inputs.method,
            "method_reason": inputs.why,
            "fit_predict_seconds": round(run.seconds, 1),
            "units_forecast_p50": run.units_p50,
            "units_forecast_mean": run.units_mean,
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="one_non_negative_forecast_per_active_series_day",
                passed=run.complete and run.non_negative,
                metadata={"series_forecast": run.series_forecast, "series_expected": run.series_expected},
            )
        ],
    )
