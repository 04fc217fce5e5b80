"""Wiring of what readers get (pipelines/reports, pipelines/warehouse/publish): BI copy and dashboard."""
