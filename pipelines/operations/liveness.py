"""Is the process that runs a Stockflow run still alive? Its identity is recorded on the run as tags.

A run killed with `kill -9`, by the out-of-memory killer or by a restart never records its end: Dagster
keeps it STARTED. Each run records who runs it (host, pid and the process's start time, so a recycled pid
is not taken for the same process); `operations.runner.mark_dead_runs` then marks runs whose process is
gone as failed, alerts, and says so in `stockflow status`. Linux /proc; elsewhere a pid check alone.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

HOST_TAG, PID_TAG, STARTED_TAG = "stockflow/host", "stockflow/pid", "stockflow/pid_started"
DIED_TAG = "stockflow/died"  # set when Stockflow marked the run failed because its process was gone
# set when the warehouse build failed in part: what failed and what was not refreshed; then once reported
PARTIAL_TAG, PARTIAL_DONE_TAG = "stockflow/partial", "stockflow/partial_reported"


def _start_ticks(pid: int) -> str:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or ''."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]  # after the command name, which may hold spaces


def identity_tags(pid: int | None = None) -> dict[str, str]:
    """Tags naming this process (or `pid`) for the run it executes."""
    pid = pid or os.getpid()
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(pid), STARTED_TAG: _start_ticks(pid)}


def is_alive(tags: dict[str, str]) -> bool | None:
    """True or False for a run executed on this host; None when it ran elsewhere or left no identity."""
    pid = tags.get(PID_TAG)
    if not pid or tags.get(HOST_TAG) != socket.gethostname():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process now holds the pid
        return False
    started = tags.get(STARTED_TAG)
    return not started or _start_ticks(int(pid)) == started
