"""`stockflow-dbt`: dbt's own command line, ended by the kernel when the process that started it dies.

Dagster's dbt step starts dbt as a child process. When the run is killed (`kill -9`, the out-of-memory
killer), an ordinary child keeps building and writing the warehouse with no one to record it, and holds the
warehouse's lock against the next run. This entry point asks Linux to send it SIGKILL when its parent
dies (prctl PR_SET_PDEATHSIG), then runs dbt's CLI unchanged; `dbt_manifest.dbt_executable` points the
dbt resource at it. On other systems it is plain dbt.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent() -> bool:
    """SIGKILL this process when its parent dies; exit now if the parent is already gone. True when set."""
    if not sys.platform.startswith("linux"):
        return False
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return False
    if os.getppid() != parent or parent == 1:  # the parent died before the request took effect
        os._exit(1)
    return True


def main() -> None:
    die_with_parent()
    from dbt.cli.main import cli

    sys.exit(cli())


if __name__ == "__main__":
    main()
