"""Forecast stage glue: the demand history read from the marts, forecasts and backtests written back.

The forecaster itself is ``models_ml`` (pure pandas / LightGBM); this package only moves frames between
it and the warehouse. Wired into Dagster by ``pipelines/defs/forecast``; never imports Dagster.
"""
