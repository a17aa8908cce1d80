"""The Dagster instance shared by the CLI, the schedule and `make ui` (runs, checks, logs)."""

from __future__ import annotations

import dagster as dg

from dagster_project.settings import Settings

DAGSTER_YAML = """\
# Written by PartnerPulse on first use; edit freely.
telemetry:
  enabled: false
"""


def ensure_dagster_home(settings: Settings) -> None:
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")


def get_instance(settings: Settings) -> dg.DagsterInstance:
    settings.export_env()
    ensure_dagster_home(settings)
    return dg.DagsterInstance.get()
