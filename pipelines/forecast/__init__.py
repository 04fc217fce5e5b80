"""Forecast stage glue: the demand history read from the marts, forecasts and backtests written back.

The forecaster itself is ``models_ml`` (pure pandas / LightGBM); this package only moves frames between
it and the warehouse (``forecasting``) and runs the backtest and the forecasts end to end (``run``).
Wired into Dagster by ``pipelines/defs/forecast``; never imports Dagster.
"""
