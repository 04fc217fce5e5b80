"""Warehouse stage: the DuckDB file, dbt's manifest and the published copy BI tools read.

Owns connections and the writer lock (``connection``), what dbt's manifest says about models
(``dbt_manifest``) and the atomic copy of the marts for BI (``publish``). Wired into Dagster by
``pipelines/defs/warehouse`` (dbt) and ``pipelines/defs/publish`` (the BI copy); never imports Dagster.
"""
