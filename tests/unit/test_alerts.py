"""Run-failure alerts against a local HTTP server: log line always, webhook in three formats."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import pytest

from pipelines.operations.alerts import Alert, payload, raise_alert, resolve_format


@pytest.fixture
def webhook():
    """A webhook receiver on 127.0.0.1 (a free port); yields (url, list of received JSON bodies)."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body.decode("utf-8")))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"errcode": 0}')

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


ALERT = Alert(
    "daily_refresh_job", "0123456789abcdef", "step erp__items failed: disk full", "cli", "2026-11-26T06:00:00"
)


def test_format_follows_the_webhook_host():
    assert resolve_format("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x") == "wecom"
    assert resolve_format("https://oapi.dingtalk.com/robot/send?access_token=x") == "dingtalk"
    assert resolve_format("https://hooks.example.org/stockflow") == "json"
    assert resolve_format("https://oapi.dingtalk.com/robot/send", "json") == "json"
    with pytest.raises(ValueError, match="STOCKFLOW_ALERT_FORMAT"):
        resolve_format("https://x", "slack")


def test_payload_shapes():
    wecom = payload(ALERT, "wecom")
    assert wecom["msgtype"] == "markdown" and "disk full" in wecom["markdown"]["content"]
    ding = payload(ALERT, "dingtalk")
    assert ding["markdown"]["title"] == "Stockflow run failed: daily_refresh_job (01234567)"
    assert "disk full" in ding["markdown"]["text"]
    generic = payload(ALERT, "json")
    assert generic["event"] == "stockflow.run_failed" and generic["run_id"] == ALERT.run_id


@pytest.mark.parametrize("fmt", ["json", "wecom", "dingtalk"])
def test_alert_reaches_the_webhook_and_the_log(tmp_path, webhook, fmt):
    url, received = webhook
    log = tmp_path / "alerts.log"
    assert raise_alert(ALERT, log, url, fmt) is None
    assert received == [payload(ALERT, fmt)]
    assert log.read_text(encoding="utf-8").split("\t")[:4] == [
        "2026-11-26T06:00:00",
        "RUN_FAILED",
        "daily_refresh_job",
        ALERT.run_id,
    ]


def test_unreachable_webhook_is_logged_not_raised(tmp_path):
    log = tmp_path / "alerts.log"
    error = raise_alert(ALERT, log, "http://127.0.0.1:9/nowhere", timeout_seconds=2)
    assert error and "webhook delivery failed" in error
    lines = log.read_text(encoding="utf-8").splitlines()
    assert [line.split("\t")[1] for line in lines] == ["RUN_FAILED", "ALERT_DELIVERY_FAILED"]


def test_failed_cli_run_reaches_the_webhook(settings, webhook, monkeypatch):
    from pipelines.operations.runner import run_refresh
    from pipelines.operations.settings import Settings

    url, received = webhook
    settings.warehouse_path.mkdir(
        parents=True
    )  # a folder where the warehouse file should be: every step fails
    monkeypatch.setenv("STOCKFLOW_ALERT_WEBHOOK", url)
    outcome = run_refresh(Settings.from_env())
    assert not outcome.success
    assert [r["run_id"] for r in received] == [outcome.run_id]
    assert received[0]["source"] == "cli" and received[0]["reason"].startswith("step erp__")
    assert outcome.run_id in (settings.home / "alerts.log").read_text(encoding="utf-8")
    status = (settings.exports / "plans" / "STATUS.md").read_text(encoding="utf-8")
    assert (
        status.startswith("# Plan NOT updated") and outcome.reason in status and "no earlier plan" in status
    )


def test_run_failure_sensor_alerts(settings, webhook):
    from pipelines.defs.automation import run_failure_alert_sensor
    from pipelines.defs.resources import StockflowResource
    from pipelines.operations.settings import Settings

    url, received = webhook

    @dg.op
    def broken():
        raise RuntimeError("ERP export folder unreachable")

    @dg.job
    def failing_job():
        broken()

    instance = dg.DagsterInstance.ephemeral()
    result = failing_job.execute_in_process(instance=instance, raise_on_error=False)
    failure = next(
        e
        for e in result.all_events
        if e.event_type_value == "PIPELINE_FAILURE" or e.event_type_value == "RUN_FAILURE"
    )
    resource = StockflowResource.from_settings(
        Settings(**{**settings.__dict__, "alert_webhook": url, "alert_format": "dingtalk"})
    )
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert_sensor",
        dagster_event=failure,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        resources={"stockflow": resource},
    ).for_run_failure()
    run_failure_alert_sensor(context)
    assert len(received) == 1 and received[0]["msgtype"] == "markdown"
    assert "failing_job" in received[0]["markdown"]["title"]
    assert "failing_job" in (settings.home / "alerts.log").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("kind", "headline", "event", "field"),
    [
        ("partial", "Stockflow run failed in part", "stockflow.run_partial", "RUN_PARTIAL"),
        ("died", "Stockflow run died", "stockflow.run_died", "RUN_DIED"),
    ],
)
def test_partial_and_dead_runs_say_what_happened(tmp_path, kind, headline, event, field):
    alert = Alert(**{**ALERT.__dict__, "kind": kind})
    assert payload(alert, "dingtalk")["markdown"]["title"].startswith(headline)
    assert payload(alert, "json")["event"] == event
    log = tmp_path / "alerts.log"
    raise_alert(alert, log, None)
    assert log.read_text(encoding="utf-8").split("\t")[1] == field
