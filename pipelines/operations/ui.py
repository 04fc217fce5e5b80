"""Helpers for `stockflow ui`: no Dagster import, just its GraphQL endpoint."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

# A fresh DAGSTER_HOME shows a "join the community" dialog over every page until this mutation runs once.
NUX_MUTATION = "mutation { setNuxSeen }"


def dismiss_first_visit_dialog(url: str, timeout: float = 180.0, poll_seconds: float = 2.0) -> bool:
    """Wait until the Dagster webserver at ``url`` answers GraphQL, then mark the first-visit dialog seen.

    Returns True once the server accepted the mutation, False when it did not answer within ``timeout``
    (the UI then simply shows the dialog once)."""
    deadline = time.monotonic() + timeout
    body = json.dumps({"query": NUX_MUTATION, "variables": {}}).encode()
    while time.monotonic() < deadline:
        request = urllib.request.Request(
            f"{url.rstrip('/')}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                answer = json.loads(response.read())
            if not answer.get("errors"):
                return True
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            pass  # not up yet
        time.sleep(poll_seconds)
    return False
