"""Weekly partitions, shared by every area: ISO weeks named by their Monday; the as-of date D is that
Sunday. Also how a step reads the weeks of its run (lib/weeks.py ``WeekWindow``)."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from dagster_project.lib.weeks import WeekWindow


def weekly_partitions(first_week: dt.date) -> dg.WeeklyPartitionsDefinition:
    """Monday-to-Sunday weeks from ``first_week``; the latest partition is the last complete week."""
    return dg.WeeklyPartitionsDefinition(
        start_date=first_week.isoformat(), day_offset=1, timezone="UTC", fmt="%Y-%m-%d"
    )


def window_from_context(context: dg.AssetExecutionContext) -> WeekWindow:
    """The partition window of a run. Its end is exclusive (the Monday after the last week)."""
    window = context.partition_time_window
    first = window.start.date()
    last = window.end.date() - dt.timedelta(days=7)
    return WeekWindow(first=first, last=last)


def run_window(context: dg.AssetCheckExecutionContext) -> WeekWindow:
    """The weeks of the run from its partition tags (one week, or a single-run backfill's range)."""
    tags = context.run.tags
    start = tags.get("dagster/partition") or tags.get("dagster/asset_partition_range_start")
    end = tags.get("dagster/partition") or tags.get("dagster/asset_partition_range_end")
    if not start or not end:
        raise dg.Failure(
            description="The quality checks run for a weekly partition: launch them with the refresh job "
            "for a week (partnerpulse refresh --week …), not on their own."
        )
    return WeekWindow(first=dt.date.fromisoformat(start), last=dt.date.fromisoformat(end))
