"""Run-failure alerts: always a line in the alert log, and a webhook call when one is configured.

Formats: generic JSON, WeCom (企业微信) group robot and DingTalk (钉钉) robot markdown messages. With
STOCKFLOW_ALERT_FORMAT=auto (the default) the format follows the webhook's host. Pure helpers: the
Dagster run-failure sensor and `stockflow run` both call `raise_alert`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

FORMATS = ("json", "wecom", "dingtalk")
# what happened to the run: failed (a step failed), partial (the warehouse build failed in part, the rest
# was built), died (its process ended without recording an end: killed, out of memory, machine restart)
KINDS = {"failed": "failed", "partial": "failed in part", "died": "died"}


@dataclass(frozen=True)
class Alert:
    job_name: str
    run_id: str
    reason: str
    source: str  # "dagster" (daemon, UI) or "cli"
    at: str = ""
    kind: str = "failed"  # a key of KINDS

    def headline(self) -> str:
        return f"Stockflow run {KINDS[self.kind]}: {self.job_name} ({self.run_id[:8]})"


def resolve_format(webhook: str, fmt: str = "auto") -> str:
    if fmt != "auto":
        if fmt not in FORMATS:
            raise ValueError(f"STOCKFLOW_ALERT_FORMAT={fmt!r}: expected auto, {', '.join(FORMATS)}")
        return fmt
    host = urlparse(webhook).hostname or ""
    if host.endswith("qyapi.weixin.qq.com"):
        return "wecom"
    if host.endswith("dingtalk.com"):
        return "dingtalk"
    return "json"


def payload(alert: Alert, fmt: str) -> dict:
    text = f"**{alert.headline()}**\n\n> {alert.reason}\n\nsource: {alert.source}, at {alert.at}"
    if fmt == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": text}}
    if fmt == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": alert.headline(), "text": text}}
    return {"event": f"stockflow.run_{alert.kind}", **asdict(alert)}


def log_line(alert: Alert) -> str:
    return f"{alert.at}\tRUN_{alert.kind.upper()}\t{alert.job_name}\t{alert.run_id}\t{alert.source}\t{alert.reason}"


def raise_alert(
    alert: Alert, log_path: Path, webhook: str | None, fmt: str = "auto", timeout_seconds: float = 10.0
) -> str | None:
    """Append the alert to the log; post it to the webhook if set. Returns a delivery error, or None."""
    alert = (
        alert
        if alert.at
        else Alert(**{**asdict(alert), "at": datetime.now(UTC).isoformat(timespec="seconds")})
    )
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a", encoding="utf-8") as fh:
        fh.write(log_line(alert).replace("\n", " ") + "\n")
    if not webhook:
        return None
    body = json.dumps(payload(alert, resolve_format(webhook, fmt)), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        webhook, data=body, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_seconds) as response:
            response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        error = f"webhook delivery failed: {exc}"
        with log_path.open("a", encoding="utf-8") as fh:
            fh.write(f"{alert.at}\tALERT_DELIVERY_FAILED\t{alert.run_id}\t{error}\n")
        return error
    return None
