"""Stockflow: ERP extracts -> DuckDB warehouse -> marts, forecasts and replenishment plans."""

__version__ = "0.1.0"
