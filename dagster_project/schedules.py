"""The weekly refresh job and its schedule (Mondays 06:00 UTC, for the week that just ended)."""

from __future__ import annotations

import dagster as dg

REFRESH_JOB = "partnerpulse_weekly_refresh"


def build_refresh_job(partitions_def: dg.PartitionsDefinition) -> dg.UnresolvedAssetJobDefinition:
    """Every asset and check for one weekly partition, steps in one process (one DuckDB writer)."""
    return dg.define_asset_job(
        name=REFRESH_JOB,
        selection=dg.AssetSelection.all(),
        partitions_def=partitions_def,
        executor_def=dg.in_process_executor,
        description="Ingest → dbt build (staging, intermediate, marts, tests) → publish, for one week.",
    )


def build_schedule(job: dg.UnresolvedAssetJobDefinition):
    return dg.build_schedule_from_partitioned_job(
        job,
        name="weekly_refresh_schedule",
        description="Mondays 06:00 UTC: refresh and publish the ISO week that ended on Sunday.",
        hour_of_day=6,
        minute_of_hour=0,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
