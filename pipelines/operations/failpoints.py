"""Fault injection for the crash and isolation tests: STOCKFLOW_FAILPOINT names where a run breaks on purpose.

A comma-separated list of
  kill:<point>      the process running that stage kills itself with SIGKILL (what `kill -9` does) at
                    `point`, one of POINTS: after the stage has written part of its output and before it
                    reports success, the worst moment for a crash;
  dbt_fail:<model>  that dbt model raises an error when it is built (macro `stockflow_failpoint`, a
                    pre-hook on every model), as a model that cannot take its data would.
Empty (the default) in every real deployment. The fault-injection tests (tests/e2e/test_crash_recovery.py)
use it to show that every stage converges after a crash and that a failing model skips only what depends
on it.
"""

from __future__ import annotations

import os
import signal

ENV = "STOCKFLOW_FAILPOINT"
# where `kill:` can strike, in run order
POINTS = ("ingest", "dbt", "forecast", "plan", "publish", "dashboard")


def active(env: dict[str, str] | None = None) -> set[str]:
    value = (os.environ if env is None else env).get(ENV, "")
    return {part.strip() for part in value.split(",") if part.strip()}


def validate(env: dict[str, str] | None = None) -> set[str]:
    """The failpoints set, after checking each one's form (a typo must not pass silently)."""
    points = active(env)
    for point in points:
        kind, _, name = point.partition(":")
        if kind == "kill" and name in POINTS:
            continue
        if kind == "dbt_fail" and name:
            continue
        raise ValueError(
            f"{ENV}={(os.environ if env is None else env).get(ENV)!r}: {point!r} is neither "
            f"kill:<{'|'.join(POINTS)}> nor dbt_fail:<model>"
        )
    return points


def kill_at(point: str) -> None:
    """Kill this process with SIGKILL when `kill:<point>` is set; otherwise do nothing."""
    if f"kill:{point}" in active():
        os.kill(os.getpid(), signal.SIGKILL)
