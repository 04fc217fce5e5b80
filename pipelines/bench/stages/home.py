"""Where a bench run's files live: every setting that places Stockflow's files points into the bench's
own folder, tuning settings (threads, history) kept."""

from __future__ import annotations

import os
from pathlib import Path

# the settings that place Stockflow's files: the bench points them all into its own folder
PLACEMENT = (
    "STOCKFLOW_HOME",
    "STOCKFLOW_INBOX",
    "STOCKFLOW_ARCHIVE",
    "STOCKFLOW_QUARANTINE",
    "STOCKFLOW_WAREHOUSE_PATH",
    "STOCKFLOW_EXPORTS",
    "STOCKFLOW_HEADER_MAP",
    "DAGSTER_HOME",
)


def bench_settings(home: Path):
    """Stockflow's settings with every file under ``home``; tuning settings (threads, history) kept."""
    from pipelines.operations.settings import Settings

    for name in PLACEMENT:
        os.environ.pop(name, None)
    os.environ["STOCKFLOW_HOME"] = str(home)
    settings = Settings.from_env()
    settings.export_env()
    return settings
