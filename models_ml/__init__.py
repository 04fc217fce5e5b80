"""Forecasting and replenishment: pandas in, pandas out; no Dagster, no DuckDB, no environment variables."""
