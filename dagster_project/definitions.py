"""Dagster definitions: assembled from small modules by area.

    ingest    assets/ingest.py    landing files → raw.<table>
    dbt       assets/dbt.py       staging → intermediate → marts, dbt tests as asset checks
    publish   assets/publish.py   published/marts.duckdb + Parquet, after the blocking checks
    schedule  schedules.py        weekly job and schedule (Mondays 06:00 UTC)

`build_definitions()` reads PARTNERPULSE_* at call time, so the CLI, `dagster dev` and the tests
each get definitions for their own folders; `defs` is what `dagster dev` loads (lazily, so
importing this module has no side effects).
"""

from __future__ import annotations

import warnings

import dagster as dg
from dagster_dbt import DbtCliResource, get_asset_key_for_model

from dagster_project.assets.dbt import build_dbt_assets, get_dbt_project, mart_model_names
from dagster_project.assets.ingest import build_ingest_assets
from dagster_project.assets.publish import build_publish_asset
from dagster_project.partitions import weekly_partitions
from dagster_project.resources import PartnerPulseConfig
from dagster_project.schedules import build_refresh_job, build_schedule
from dagster_project.settings import DBT_EXECUTABLE, Settings, load_settings

# Single-run backfill policies are "beta" in Dagster; we rely on them deliberately (README).
warnings.filterwarnings("ignore", category=dg.BetaWarning)


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or load_settings()
    settings.export_env()
    partitions = weekly_partitions(settings.first_week)
    project = get_dbt_project()

    ingest_assets = build_ingest_assets(partitions)
    dbt_assets = build_dbt_assets(partitions)
    mart_tables = mart_model_names(project.manifest_path)
    mart_keys = [get_asset_key_for_model([dbt_assets], name) for name in mart_tables]
    publish_asset = build_publish_asset(partitions, mart_keys, mart_tables)

    refresh_job = build_refresh_job(partitions)
    return dg.Definitions(
        assets=[ingest_assets, dbt_assets, publish_asset],
        jobs=[refresh_job],
        schedules=[build_schedule(refresh_job)],
        resources={
            "partnerpulse": PartnerPulseConfig.from_settings(settings),
            "dbt": DbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE),
        },
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
