"""Every way a run starts takes the one run lock: the job's executor (runs from the schedule, the sensor or
the UI) waits for `stockflow run`'s lock, then fails clearly; it records the run worker's identity.

A real Dagster job with the real executor, executed by `execute_job` on a test instance, as the run worker
a daemon launches would execute it.
"""

from __future__ import annotations

import os

import dagster as dg

from pipelines.defs.executor import one_run_at_a_time_executor
from pipelines.operations import liveness
from pipelines.operations.runner import run_lock
from pipelines.operations.settings import Settings


@dg.asset
def probe() -> int:
    return 1


def locked_job() -> dg.JobDefinition:
    defs = dg.Definitions(
        assets=[probe], jobs=[dg.define_asset_job("probe_job")], executor=one_run_at_a_time_executor
    )
    return defs.resolve_job_def("probe_job")


def test_a_run_waits_for_the_lock_then_fails_clearly(settings, monkeypatch):
    monkeypatch.setenv("STOCKFLOW_LOCK_TIMEOUT_SECONDS", "1")
    with (
        dg.instance_for_test() as instance,
        run_lock(Settings.from_env()),  # a `stockflow run` holds it
        dg.execute_job(dg.reconstructable(locked_job), instance=instance) as result,
    ):
        assert not result.success
        logs = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        assert logs and "another Stockflow run is using" in str(logs[0].dagster_event.event_specific_data)


def test_a_run_takes_the_lock_and_records_its_process(settings):
    with (
        dg.instance_for_test() as instance,
        dg.execute_job(dg.reconstructable(locked_job), instance=instance) as result,
    ):
        assert result.success
        (probed,) = instance.fetch_materializations(dg.AssetKey("probe"), limit=1).records
        assert probed.run_id == result.run_id  # the step ran inside the executor and materialised
        tags = instance.get_run_by_id(result.run_id).tags
        assert tags[liveness.PID_TAG] == str(os.getpid())  # the run worker is this process ...
        assert liveness.is_alive(tags) is True  # ... and is alive
    with run_lock(Settings.from_env()):  # and let the lock go when it ended
        pass
