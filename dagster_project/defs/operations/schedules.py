"""The weekly refresh's schedule: Mondays 06:00 UTC, for the week that just ended."""

from __future__ import annotations

import dagster as dg


def build_schedule(job: dg.UnresolvedAssetJobDefinition):
    return dg.build_schedule_from_partitioned_job(
        job,
        name="weekly_refresh_schedule",
        description="Mondays 06:00 UTC: refresh and publish the ISO week that ended on Sunday.",
        hour_of_day=6,
        minute_of_hour=0,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
