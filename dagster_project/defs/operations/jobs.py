"""The weekly refresh job: every asset and check for one weekly partition (the close-period job is in
defs/payouts/jobs.py)."""

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
