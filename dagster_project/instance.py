"""The Dagster instance shared by the CLI, the schedule and `make ui` (runs, checks, logs)."""

from __future__ import annotations

import dagster as dg

from dagster_project.settings import Settings

DAGSTER_YAML = """\
# Written by PartnerPulse on first use; edit freely.
telemetry:
  enabled: false
# One run writing the warehouse at a time: runs launched by the daemon (schedule, UI, backfills)
# wait in the run queue; in-process CLI runs are kept apart by the warehouse lock (locking.py).
concurrency:
  runs:
    max_concurrent_runs: 1
"""
# Earlier defaults, upgraded in place when found unchanged.
_OLD_DAGSTER_YAMLS = (
    "# Written by PartnerPulse on first use; edit freely.\ntelemetry:\n  enabled: false\n",
)


def ensure_dagster_home(settings: Settings) -> None:
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text(encoding="utf-8") in _OLD_DAGSTER_YAMLS:
        config.write_text(DAGSTER_YAML, encoding="utf-8")


def get_instance(settings: Settings) -> dg.DagsterInstance:
    settings.export_env()
    ensure_dagster_home(settings)
    return dg.DagsterInstance.get()
