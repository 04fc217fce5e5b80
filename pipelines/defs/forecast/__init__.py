"""Wiring of the forecast stage (pipelines/forecast + models_ml): forecasts and the backtest as assets."""
