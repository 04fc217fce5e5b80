"""A real Dagster UI over a small demo company, and headless Chromium (Debian's, at /usr/bin/chromium).

`dagster_ui` (one per session) generates a small demo into a temporary STOCKFLOW_HOME, starts
`stockflow ui` (= `dagster dev`, what `make ui` runs) on a free port, waits for its GraphQL endpoint, dismisses
the first-visit dialog, launches `daily_refresh_job` through the GraphQL API and waits for it to succeed.
The dashboard test reads the files that run wrote, so the suite pays for one full run. The server's whole
process group is stopped at teardown. Screenshots go to tests/artifacts/ (ignored by git, kept by CI).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from pipelines.demo.generator import DemoConfig, generate_demo
from pipelines.operations.settings import Settings
from pipelines.operations.ui import dismiss_first_visit_dialog

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
REPO = Path(__file__).resolve().parents[2]
SERVER_START_SECONDS = 240
RUN_SECONDS = 900


@dataclass(frozen=True)
class DagsterUI:
    url: str
    settings: Settings
    run_id: str
    location: str
    log: Path

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        return graphql(self.url, query, variables)


def graphql(url: str, query: str, variables: dict | None = None, timeout: float = 30) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = json.loads(response.read())
    if body.get("errors"):
        raise AssertionError(f"GraphQL errors: {body['errors']}")
    return body["data"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium chromium-driver)")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidStepError { invalidStepKey }
    ... on InvalidOutputError { invalidOutputName }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on UnauthorizedError { message }
  }
}
"""


@pytest.fixture(scope="session")
def dagster_ui() -> DagsterUI:
    # not under pytest's basetemp: a concurrent pytest session prunes old basetemps, which would delete the
    # running server's DAGSTER_HOME under it
    root = Path(tempfile.mkdtemp(prefix="stockflow-ui-"))
    home = root / "stockflow"
    env = {k: v for k, v in os.environ.items() if not (k.startswith("STOCKFLOW_") or k == "DAGSTER_HOME")} | {
        "STOCKFLOW_HOME": str(home),
        "STOCKFLOW_EXPORT_LANG": "en",  # the screenshots are read where CJK fonts may be missing
        # the test launches the run itself: keep the inbox sensor and the schedule from starting another
        "STOCKFLOW_INBOX_SETTLE_SECONDS": "86400",
        "STOCKFLOW_SCHEDULE_CRON": "0 3 1 1 *",
        "OMP_WAIT_POLICY": "PASSIVE",
        "PYTHONUNBUFFERED": "1",
    }
    settings = Settings.from_env(env)
    settings.ensure_dirs()
    config = DemoConfig(skus=30, warehouses=2, days=150, seed=7, lang="en", end_date=date(2025, 6, 30))
    generate_demo(settings.inbox, config, progress=False)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = home / "dagster-dev.log"
    with log.open("wb") as out:
        # `env --default-signal=INT`: dagster dev started from a script otherwise ignores the stop signal
        server = subprocess.Popen(
            [
                "env",
                "--default-signal=INT",
                str(Path(sys.executable).parent / "stockflow"),
                "ui",
                "--port",
                str(port),
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        location = None
        while location is None:
            if server.poll() is not None:
                pytest.fail(f"dagster dev exited with {server.returncode}:\n{log.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"dagster dev did not answer within {SERVER_START_SECONDS} s:\n{log.read_text()[-4000:]}"
                )
            try:
                data = graphql(
                    url,
                    "{ repositoriesOrError { __typename ... on RepositoryConnection "
                    "{ nodes { name location { name } } } } }",
                    timeout=5,
                )
                nodes = data["repositoriesOrError"].get("nodes") or []
                location = nodes[0]["location"]["name"] if nodes else None
            except (OSError, AssertionError):
                pass
            if location is None:
                time.sleep(2)
        # the first-visit "join the community" dialog would cover the pages
        assert dismiss_first_visit_dialog(url, timeout=60)  # what `stockflow ui` does
        launched = graphql(
            url,
            LAUNCH,
            {
                "params": {
                    "selector": {
                        "repositoryLocationName": location,
                        "repositoryName": "__repository__",
                        "jobName": "daily_refresh_job",
                    },
                    "runConfigData": {},
                }
            },
        )["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]
        deadline = time.monotonic() + RUN_SECONDS
        status = "QUEUED"
        while status not in ("SUCCESS", "FAILURE", "CANCELED"):
            assert time.monotonic() < deadline, f"run {run_id} still {status} after {RUN_SECONDS} s"
            time.sleep(5)
            status = graphql(
                url, "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }", {"id": run_id}
            )["runOrError"]["status"]
        assert status == "SUCCESS", f"run {run_id} ended {status}; see {log}"
        yield DagsterUI(url, settings, run_id, location, log)
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        _wait_for_group_exit(server.pid)
        shutil.rmtree(root, ignore_errors=True)


def _wait_for_group_exit(pgid: int, seconds: float = 60) -> None:
    """dagster dev's webserver, daemon and code server outlive their parent by a few seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
