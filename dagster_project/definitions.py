"""Dagster definitions: the business areas' definitions merged (defs/<area>/definitions.py).

    landing        ingest: landing files → raw.<table>
    warehouse      dbt: staging → intermediate → marts, dbt tests as asset checks; the dbt resource
    quality        GX suites, landing freshness, quarantine shares, row counts as asset checks
    publish        published/marts.duckdb + Parquet after the blocking checks; the dbt docs site
    payouts        finance payout files; the close-period job
    partner_feeds  per-partner data feeds
    serving        the marts and partner feeds in PostgreSQL (PARTNERPULSE_SERVE_POSTGRES=1)
    reports        the weekly executive page
    operations     the weekly refresh job and schedule (Mondays 06:00 UTC), the failure sensor, the
                   resources (locations, the warehouse writer lock)

`build_definitions()` reads PARTNERPULSE_* at call time, so the CLI, `dagster dev` and the tests
each get definitions for their own folders; `defs` is what `dagster dev` loads (lazily, so
importing this module has no side effects), as the code location `partnerpulse`
(DAGSTER_HOME/workspace.yaml under `partnerpulse ui`, [tool.dagster] in pyproject.toml otherwise).
"""

from __future__ import annotations

import warnings

import dagster as dg

from dagster_project.defs.context import AreaContext
from dagster_project.defs.landing import definitions as landing
from dagster_project.defs.operations import definitions as operations
from dagster_project.defs.partitions import weekly_partitions
from dagster_project.defs.partner_feeds import definitions as partner_feeds
from dagster_project.defs.payouts import definitions as payouts
from dagster_project.defs.publish import definitions as publish
from dagster_project.defs.quality import definitions as quality
from dagster_project.defs.reports import definitions as reports
from dagster_project.defs.serving import definitions as serving
from dagster_project.defs.warehouse import definitions as warehouse
from dagster_project.defs.warehouse.assets import build_dbt_assets, mart_assets
from dagster_project.settings import Settings, load_settings

# Single-run backfill policies are "beta" in Dagster; we rely on them deliberately (README).
warnings.filterwarnings("ignore", category=dg.BetaWarning)

AREAS = (landing, warehouse, quality, publish, payouts, partner_feeds, serving, reports, operations)


def build_context(settings: Settings) -> AreaContext:
    """What every area builds on: the weekly partitions and the dbt assets (and the marts among them)."""
    partitions = weekly_partitions(settings.first_week)
    dbt_assets = build_dbt_assets(partitions)
    mart_tables, mart_keys = mart_assets(dbt_assets)
    return AreaContext(
        settings=settings, partitions=partitions, dbt_assets=dbt_assets, mart_tables=mart_tables, mart_keys=mart_keys
    )


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or load_settings()
    settings.export_env()
    ctx = build_context(settings)
    return dg.Definitions.merge(
        *(area.defs(ctx) for area in AREAS),
        dg.Definitions(executor=dg.in_process_executor),  # one process: DuckDB has one writer
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
