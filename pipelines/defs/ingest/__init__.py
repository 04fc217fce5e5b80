"""Wiring of the ingest stage (pipelines/ingest): one asset per extract kind, plus its checks."""
