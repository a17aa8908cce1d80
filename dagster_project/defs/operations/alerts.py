"""Alerts for failed refreshes: a JSON line in ``<warehouse>/alerts/alerts.jsonl``, a log line, and
a POST of the same JSON to ``PARTNERPULSE_ALERT_WEBHOOK_URL`` when set (its ``text`` field makes it
readable in a Slack or Teams incoming webhook as is). A webhook that is down is logged, never raised:
alerting must not turn one failure into two. The webhook URL is a secret (Slack and Teams put the
token in its path): logs, alerts.jsonl and status show it as scheme and host only.

Recorded by the run-failure sensor (sensors.py) for runs launched by Dagster (schedule, UI,
backfills) and by the CLI (runner.py) for its own in-process runs, which the daemon's sensor does not see.
An alert is recorded once per run.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import math
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_project.defs.publish.gate import check_summary

PUBLISHED_KEY = dg.AssetKey(["published", "marts_duckdb"])
ALERTS_DIR = "alerts"
ALERTS_FILE = "alerts.jsonl"
WEBHOOK_ENV = "PARTNERPULSE_ALERT_WEBHOOK_URL"
WEBHOOK_TIMEOUT_ENV = "PARTNERPULSE_ALERT_WEBHOOK_TIMEOUT"
MAX_WEBHOOK_TIMEOUT = 3600.0
_log = logging.getLogger("partnerpulse.alerts")


def alerts_path(warehouse_dir: Path) -> Path:
    return warehouse_dir / ALERTS_DIR / ALERTS_FILE


def run_weeks(run: dg.DagsterRun) -> str:
    tags = run.tags
    if tags.get("dagster/partition"):
        return tags["dagster/partition"]
    start, end = tags.get("dagster/asset_partition_range_start"), tags.get("dagster/asset_partition_range_end")
    if start and end:
        return start if start == end else f"{start} … {end}"
    return "(no partition)"


def _first_line(text: str | None, limit: int = 300) -> str:
    line = " ".join((text or "").strip().split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def root_message(error) -> str | None:
    """The innermost cause of a serialized error: the message a person can act on."""
    while error is not None and getattr(error, "cause", None) is not None:
        error = error.cause
    message = getattr(error, "message", None)
    return _without_module(message) if message else None


def _without_module(message: str) -> str:
    """``dagster_project.defs.operations.locking.WarehouseBusy: …`` → ``WarehouseBusy: …``."""
    return re.sub(r"^[\w.]+\.(\w+): ", r"\1: ", message.strip())


def failure_lines(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """What failed in a run: failed steps with their message, then failed error-severity checks."""
    lines: list[str] = []
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        event = entry.dagster_event
        data = event.step_failure_data
        message = data.user_failure_data.description if data and data.user_failure_data else None
        if not message and data and data.error:
            message = _without_module(data.error.message)
        lines.append(f"step {event.step_key} failed: {_first_line(message)}")
    if not lines:  # failed before any step: resources (e.g. the writer lock) or the run itself
        for entry in instance.all_logs(
            run_id, of_type={dg.DagsterEventType.RESOURCE_INIT_FAILURE, dg.DagsterEventType.RUN_FAILURE}
        ):
            error = getattr(entry.dagster_event.event_specific_data, "error", None)
            lines.append(f"run failed: {_first_line(root_message(error) or entry.dagster_event.message)}")
            if error is not None:
                break
    summary = check_summary(instance, run_id)
    lines.extend(f"check failed (error): {line}" for line in summary.errors)
    return lines


def _published_in(instance: dg.DagsterInstance, run_id: str) -> bool:
    records = instance.get_records_for_run(
        run_id=run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=100_000
    ).records
    return any(
        record.event_log_entry.dagster_event.asset_key == PUBLISHED_KEY
        for record in records
        if record.event_log_entry.dagster_event is not None
    )


def failure_alert(instance: dg.DagsterInstance, run: dg.DagsterRun, source: str) -> dict[str, Any]:
    lines = failure_lines(instance, run.run_id)
    weeks = run_weeks(run)
    what = f"for week {weeks} " if weeks != "(no partition)" else ""
    outcome = (
        "it failed after publishing (later outputs were not written)"
        if _published_in(instance, run.run_id)
        else "nothing was published"
    )
    text = (
        f"PartnerPulse: {run.job_name} {what}failed (run {run.run_id[:8]}); {outcome}. "
        + ("; ".join(lines[:3]) if lines else "No step reported an error.")
        + " Details: `partnerpulse status` or the run in the Dagster UI."
    )
    return {
        "type": "run_failure",
        "recorded_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "run_id": run.run_id,
        "job": run.job_name,
        "weeks": weeks,
        "status": run.status.value,
        "failures": lines,
        "source": source,
        "text": text,
    }


def recorded_run_ids(warehouse_dir: Path, tail: int = 500) -> set[str]:
    return {alert.get("run_id", "") for alert in recent_alerts(warehouse_dir, limit=tail)}


def recent_alerts(warehouse_dir: Path, limit: int = 5) -> list[dict[str, Any]]:
    """The newest ``limit`` alerts, oldest first."""
    path = alerts_path(warehouse_dir)
    if not path.exists():
        return []
    alerts = []
    for line in path.read_text(encoding="utf-8").splitlines()[-limit:]:
        try:
            alerts.append(json.loads(line))
        except ValueError:
            continue
    return alerts


def redact_url(url: str) -> str:
    """A webhook URL as it may be shown: scheme and host only (``https://hooks.slack.com/…``)."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        scheme, host = parts.scheme, parts.hostname
    except ValueError:  # e.g. an invalid port or IPv6 address
        scheme = host = None
    if not scheme or not host:
        return "(the configured webhook URL)"
    return f"{scheme}://{host}/…"


_URL = re.compile(r"\b([a-z][a-z0-9+.-]*://)([^/\s@'\"]+@)?([^/\s:'\"]+)(:[0-9]+)?[^\s'\"]*", re.IGNORECASE)


def redact(text: str, url: str | None = None) -> str:
    """``text`` without the webhook URL or its secret parts, and with any URL cut to scheme and host."""
    if url:
        url = url.strip()
        secrets = [url]
        try:
            parts = urllib.parse.urlsplit(url)
            secrets += [parts.path + (f"?{parts.query}" if parts.query else ""), parts.path, parts.query]
            secrets += [parts.username or "", parts.password or ""]
        except ValueError:
            pass
        for secret in sorted({s for s in secrets if len(s) > 1}, key=len, reverse=True):
            text = text.replace(secret, redact_url(url) if secret == url else "…")
    return _URL.sub(lambda m: f"{m[1]}{m[3]}/…", text)


def post_webhook(url: str, payload: dict[str, Any], timeout: float) -> str:
    """POST the alert; returns a short outcome ("delivered (HTTP 200)" or why not), never the URL."""
    return redact(_post(url, payload, timeout), url)


def _post(url: str, payload: dict[str, Any], timeout: float) -> str:
    try:  # a malformed URL (no scheme) raises here already: never let alerting itself fail
        request = urllib.request.Request(
            url,
            data=json.dumps(payload).encode("utf-8"),
            headers={"Content-Type": "application/json", "User-Agent": "partnerpulse-alerts"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:  # the URL comes from configuration
            return f"delivered (HTTP {response.status})"
    except urllib.error.HTTPError as exc:
        return f"failed: HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, OSError, ValueError, OverflowError) as exc:
        return f"failed: {getattr(exc, 'reason', exc)}"


def record_alert(
    alert: dict[str, Any], warehouse_dir: Path, log: Callable[[str], None] | None = None
) -> dict[str, Any] | None:
    """Log, POST (when configured) and append the alert; None when this run was already alerted."""
    log = log or _log.warning
    if alert.get("run_id") and alert["run_id"] in recorded_run_ids(warehouse_dir):
        return None
    log(f"ALERT {alert['text']}")
    url = os.environ.get(WEBHOOK_ENV, "").strip()
    if url:
        raw_timeout = os.environ.get(WEBHOOK_TIMEOUT_ENV, "").strip() or "10"
        try:
            timeout = float(raw_timeout)
            if not math.isfinite(timeout) or not 0 < timeout <= MAX_WEBHOOK_TIMEOUT:
                raise ValueError
        except ValueError:  # an alert must still go out: say so, use the default
            log(f"{WEBHOOK_TIMEOUT_ENV}: '{raw_timeout}' is not a number of seconds in (0, 3600]; using 10")
            timeout = 10.0
        outcome = post_webhook(url, alert, timeout)
        if not outcome.startswith("delivered"):
            log(
                f"alert webhook {redact_url(url)}: {outcome} "
                f"(the alert is still recorded in {alerts_path(warehouse_dir)})"
            )
        alert = {**alert, "webhook": outcome}
    else:
        alert = {**alert, "webhook": "not configured"}
    path = alerts_path(warehouse_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(alert, sort_keys=True) + "\n")
    return alert
