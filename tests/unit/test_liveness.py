"""Run liveness (a killed run's process is found gone), the dbt child that dies with its parent, failpoints."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.operations import failpoints, liveness


def test_a_live_process_is_alive_and_a_dead_one_is_not():
    assert liveness.is_alive(liveness.identity_tags()) is True
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    tags = liveness.identity_tags(child.pid)
    assert liveness.is_alive(tags) is True
    child.kill()
    child.wait()
    assert liveness.is_alive(tags) is False


def test_a_recycled_pid_is_not_the_same_process():
    tags = {**liveness.identity_tags(), liveness.STARTED_TAG: "1"}  # this pid, started at another time
    assert liveness.is_alive(tags) is False


def test_another_host_or_no_identity_is_unknown():
    assert liveness.is_alive({**liveness.identity_tags(), liveness.HOST_TAG: "elsewhere"}) is None
    assert liveness.is_alive({}) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux's")
def test_the_guarded_child_dies_with_its_parent(tmp_path):
    """A parent starts a grandchild through die_with_parent (as stockflow-dbt does), then is killed -9."""
    pid_file = tmp_path / "grandchild.pid"
    parent_code = (
        "import subprocess, sys, time\n"
        "code = 'from pipelines.warehouse.dbt_guarded import die_with_parent\\n"
        "die_with_parent()\\nimport time\\ntime.sleep(120)'\n"
        f"p = subprocess.Popen([sys.executable, '-c', code])\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code])
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the grandchild did not start"
        time.sleep(0.1)
    grandchild = int(pid_file.read_text())
    time.sleep(1.0)  # let it call prctl
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            return
        if liveness._start_ticks(grandchild) == "":
            return
        state = Path(f"/proc/{grandchild}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "Z":  # dead, waiting for init to reap it
            return
        time.sleep(0.1)
    os.kill(grandchild, signal.SIGKILL)
    pytest.fail("the guarded child outlived its killed parent")


def test_failpoints_are_checked():
    assert failpoints.validate({}) == set()
    assert failpoints.validate({failpoints.ENV: "kill:plan, dbt_fail:fct_daily_stock"}) == {
        "kill:plan",
        "dbt_fail:fct_daily_stock",
    }
    with pytest.raises(ValueError, match="kill:<ingest"):
        failpoints.validate({failpoints.ENV: "kill:planning"})
    with pytest.raises(ValueError, match="STOCKFLOW_FAILPOINT"):
        from pipelines.operations.settings import Settings

        Settings.from_env({failpoints.ENV: "explode"})
