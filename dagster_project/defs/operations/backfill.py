"""Backfills: a range of weekly partitions refreshed in ONE run of the refresh job.

Every asset has ``BackfillPolicy.single_run()``, so Dagster hands the whole window to each step:
ingest loads the landing files once, dbt builds all weeks of the window in one call
(its refresh window, ``ops.refresh_window``: defs/warehouse/refresh_window.py), the checks validate the window, and the
published file holds the window's last week. The same happens when a backfill is launched from the
UI (Materialize → partition range): the daemon creates one run with the same range tags.
Re-running or backfilling weeks gives the same rows as refreshing them one by one (tested).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dagster_project.lib.weeks import WeekWindow
from dagster_project.settings import ConfigError, Settings, last_complete_week, parse_monday

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def backfill_window(start: str, end: str, settings: Settings, today: dt.date | None = None) -> WeekWindow:
    """The window ``--from`` … ``--to`` (both Mondays, inclusive), checked against the partitions."""
    first = parse_monday(start, "--from")
    last = parse_monday(end, "--to")
    if last < first:
        raise ConfigError(f"--to {last} is before --from {first}; give the earlier week first")
    if first < settings.first_week:
        raise ConfigError(
            f"--from {first} is before the first weekly partition {settings.first_week} "
            f"(PARTNERPULSE_FIRST_WEEK, from {settings.first_week_source})"
        )
    latest = last_complete_week(today)
    if last > latest:
        raise ConfigError(f"--to {last} has not ended yet; the latest complete week is {latest}")
    return WeekWindow(first=first, last=last)


def partition_run_args(window: WeekWindow) -> dict[str, Any]:
    """``execute_in_process`` arguments for the window: a partition key, or range tags for several weeks."""
    if window.first == window.last:
        return {"partition_key": window.first.isoformat()}
    return {"tags": {RANGE_START_TAG: window.first.isoformat(), RANGE_END_TAG: window.last.isoformat()}}
