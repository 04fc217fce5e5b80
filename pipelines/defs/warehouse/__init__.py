"""Wiring of the warehouse stage: the dbt project as assets (dagster-dbt), tests as asset checks."""
