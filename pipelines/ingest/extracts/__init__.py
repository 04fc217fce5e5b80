"""Pure readers and normalisers for ERP CSV / Excel extracts (no Dagster, no DuckDB)."""
