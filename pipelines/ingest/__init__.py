"""Ingest stage: files in the inbox -> validated raw tables, bad files quarantined with a reason.

Owns the inbox (``inbox``), the extract contract and its readers, header mapping and validation
(``extracts/``), the load of one file into ``raw`` (``load``) and the DuckDB-native path for large
files (``fastpath``). Wired into Dagster by ``pipelines/defs/ingest``; never imports Dagster, the
forecaster, plans or reports.
"""
