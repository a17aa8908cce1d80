"""Dagster definitions: assembled from small modules by area.

    ingest    assets/ingest.py    landing files → raw.<table>
    dbt       assets/dbt.py       staging → intermediate → marts, dbt tests as asset checks
    publish   assets/publish.py   published/marts.duckdb + Parquet, after the blocking checks
    exports   assets/exports.py   finance payout files and partner feeds from the published marts
    ledger    jobs.py             close-period job
    schedule  schedules.py        weekly job and schedule (Mondays 06:00 UTC)
    quality   quality/checks.py   GX suites, freshness, quarantine share, row counts as asset checks
    sensors   sensors.py          alert on every failed run
    lock      locking.py          one run writing the warehouse at a time

`build_definitions()` reads PARTNERPULSE_* at call time, so the CLI, `dagster dev` and the tests
each get definitions for their own folders; `defs` is what `dagster dev` loads (lazily, so
importing this module has no side effects).
"""

from __future__ import annotations

import warnings

import dagster as dg
from dagster_dbt import DbtCliResource, get_asset_key_for_model

from dagster_project.assets.dbt import build_dbt_assets, get_dbt_project, mart_model_names
from dagster_project.assets.exports import (
    build_docs_asset,
    build_executive_page_asset,
    build_finance_exports_asset,
    build_partner_feeds_asset,
)
from dagster_project.assets.ingest import build_ingest_assets
from dagster_project.assets.publish import build_publish_asset
from dagster_project.jobs import close_payout_period_job
from dagster_project.locking import WarehouseLock
from dagster_project.partitions import weekly_partitions
from dagster_project.quality.checks import build_freshness_checks, build_quality_checks
from dagster_project.quality.config import expectations_dir
from dagster_project.resources import PartnerPulseConfig
from dagster_project.schedules import build_refresh_job, build_schedule
from dagster_project.sensors import build_failure_sensor
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
    suites_dir = expectations_dir()
    quality_checks = [build_quality_checks(mart_tables, mart_keys, suites_dir)]
    freshness_checks = build_freshness_checks(suites_dir)
    if freshness_checks is not None:
        quality_checks.append(freshness_checks)
    finance_exports = build_finance_exports_asset(partitions)
    partner_feeds = build_partner_feeds_asset(partitions)
    executive_page = build_executive_page_asset(partitions)
    docs_site = build_docs_asset(partitions)

    refresh_job = build_refresh_job(partitions)
    return dg.Definitions(
        assets=[ingest_assets, dbt_assets, publish_asset, finance_exports, partner_feeds, executive_page, docs_site],
        jobs=[refresh_job, close_payout_period_job],
        asset_checks=quality_checks,
        schedules=[build_schedule(refresh_job)],
        sensors=[build_failure_sensor(settings.warehouse_dir)],
        resources={
            "partnerpulse": PartnerPulseConfig.from_settings(settings),
            "warehouse_lock": WarehouseLock(warehouse_dir=str(settings.warehouse_dir)),
            "dbt": DbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE),
        },
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
