"""Dagster wiring: resources, ingest assets, dbt assets, job, schedule and sensor."""
