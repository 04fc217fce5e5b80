"""The job's executor: Dagster's in-process executor, holding Stockflow's run lock for the whole run.

`stockflow run` takes the lock in $STOCKFLOW_HOME/.stockflow-run.lock (`operations.runner.run_lock`)
around its in-process run; runs launched by the schedule, the inbox sensor or the UI execute through this
executor, which takes the same lock before the first step and records the run worker's identity
(`operations.liveness`) so that a run whose process dies is found and marked failed. Every way a run
starts is serialised by one lock: a second run waits up to STOCKFLOW_LOCK_TIMEOUT_SECONDS, then fails
with a clear reason. (`execute_in_process`, which `stockflow run` uses, always runs in-process without
this executor, so the CLI's own lock is not taken twice.)
"""

from __future__ import annotations

import dagster as dg

from pipelines.operations.liveness import identity_tags
from pipelines.operations.runner import run_lock
from pipelines.operations.settings import Settings


class OneRunAtATime(dg.Executor):
    def __init__(self, inner: dg.Executor):
        self._inner = inner

    @property
    def retries(self):
        return self._inner.retries

    @property
    def step_dependency_config(self):
        return self._inner.step_dependency_config

    def execute(self, plan_context, execution_plan):
        plan_context.instance.add_run_tags(plan_context.run_id, identity_tags())
        with run_lock(Settings.from_env()):
            yield from self._inner.execute(plan_context, execution_plan)


@dg.executor(name="stockflow_one_run_at_a_time", config_schema=dg.in_process_executor.config_schema)
def one_run_at_a_time_executor(init_context: dg.InitExecutorContext) -> dg.Executor:
    """In-process execution (one process: DuckDB has one writer per file, and re-importing per step costs
    about 6 s each) under Stockflow's run lock."""
    return OneRunAtATime(dg.in_process_executor.executor_creation_fn(init_context))
