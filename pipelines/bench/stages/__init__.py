"""What the benchmark measures, each a function run in its own process by ``harness.Bench``.

They call the project's own code paths: the demo generator, ``runner.run_refresh`` (the daily refresh
job the schedule runs, whole or for a selection of assets), ``forecasting.demand_history`` and
``models_ml.forecast.fit_predict``. Each returns a dict for the harness: ``rows``, ``rows_what``,
``detail`` and, for a Dagster run, ``steps`` (each step's window, status and rows).
"""

from pipelines.bench.stages.extracts import generate
from pipelines.bench.stages.home import PLACEMENT, bench_settings
from pipelines.bench.stages.peers import HOLDOUT, PEERS, STATSFORECAST, peer, peer_family, prepare_holdout
from pipelines.bench.stages.refresh_job import STEP_NAMES, refresh, stage_of
from pipelines.bench.stages.scan import sql_floor

__all__ = [
    "HOLDOUT",
    "PEERS",
    "PLACEMENT",
    "STATSFORECAST",
    "STEP_NAMES",
    "bench_settings",
    "generate",
    "peer",
    "peer_family",
    "prepare_holdout",
    "refresh",
    "sql_floor",
    "stage_of",
]
