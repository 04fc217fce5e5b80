"""`stockflow ui` marks Dagster's first-visit dialog seen once the webserver answers GraphQL."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from pipelines.operations.ui import NUX_MUTATION, dismiss_first_visit_dialog


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_waits_for_the_server_then_sends_the_mutation():
    port = _free_port()
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            received.append(
                {"path": self.path, "body": json.loads(self.rfile.read(int(self.headers["Content-Length"])))}
            )
            answer = json.dumps({"data": {"setNuxSeen": True}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    def start_late():  # the webserver takes a while to come up, as dagster dev does
        time.sleep(0.6)
        server = HTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=server.handle_request, daemon=True).start()

    threading.Thread(target=start_late, daemon=True).start()
    assert dismiss_first_visit_dialog(f"http://127.0.0.1:{port}", timeout=10, poll_seconds=0.2)
    assert received == [{"path": "/graphql", "body": {"query": NUX_MUTATION, "variables": {}}}]


def test_gives_up_when_nothing_answers():
    started = time.monotonic()
    assert not dismiss_first_visit_dialog(f"http://127.0.0.1:{_free_port()}", timeout=0.5, poll_seconds=0.1)
    assert time.monotonic() - started < 5
