"""Sensors: an alert for every failed run of this code location (alerts.py)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from dagster_project.defs.operations.alerts import failure_alert, record_alert

FAILURE_SENSOR = "refresh_failure_alert"


def build_failure_sensor(warehouse_dir: Path) -> dg.SensorDefinition:
    @dg.run_failure_sensor(
        name=FAILURE_SENSOR,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Records an alert for every failed run (refresh, backfill, UI materialization): a line in "
            "<warehouse>/alerts/alerts.jsonl, the log, and a POST to PARTNERPULSE_ALERT_WEBHOOK_URL when set."
        ),
    )
    def refresh_failure_alert(context: dg.RunFailureSensorContext) -> None:
        alert = failure_alert(context.instance, context.dagster_run, source="sensor")
        recorded = record_alert(alert, warehouse_dir, log=context.log.warning)
        if recorded is None:
            context.log.info(f"run {context.dagster_run.run_id} was already alerted")

    return refresh_failure_alert
