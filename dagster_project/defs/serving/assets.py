"""The PostgreSQL serving asset: every published mart and the partner feeds, published atomically."""

import dagster as dg
from dagster import AssetExecutionContext

from dagster_project.defs.operations.resources import PartnerPulseConfig, WarehouseLock
from dagster_project.defs.publish.assets import PUBLISH_KEY
from dagster_project.defs.serving.postgres import ServingError, serve
from dagster_project.defs.warehouse.project import get_dbt_project
from dagster_project.settings import SERVE_POSTGRES_ENV, ConfigError, serve_postgres_enabled

POSTGRES_KEY = dg.AssetKey(["published", "postgres"])


def build_postgres_asset(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=POSTGRES_KEY,
        deps=[PUBLISH_KEY],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="serving",
        kinds={"postgres"},
        description=(
            "PostgreSQL (libpq PG* variables), when PARTNERPULSE_SERVE_POSTGRES=1: schema marts (every "
            "published table: the weeks and tables that changed since the last serve rewritten in one "
            "transaction, or everything COPY-loaded into a new schema and swapped in) and "
            "schema partner_feeds (the five feeds under row-level security per granted role). A failed "
            "load leaves both schemas as they were."
        ),
    )
    def postgres_marts(
        context: AssetExecutionContext, partnerpulse: PartnerPulseConfig, warehouse_lock: WarehouseLock
    ):  # warehouse_lock: one serve at a time (it reads and records what was served)
        try:
            enabled = serve_postgres_enabled()
        except ConfigError as exc:
            raise dg.Failure(description=str(exc)) from None
        if not enabled:
            context.log.info(f"{SERVE_POSTGRES_ENV} is off: nothing served to PostgreSQL")
            return dg.MaterializeResult(metadata={"skipped": True})
        settings = partnerpulse.settings()
        try:
            result = serve(settings.published_duckdb, get_dbt_project().manifest_path, log=context.log.info)
        except ServingError as exc:
            raise dg.Failure(description=f"Not served to PostgreSQL: {exc}") from None
        for schema in result.pending_drops:
            context.log.warning(f"PostgreSQL: {schema} is still read by a session; dropped at the next refresh")
        return dg.MaterializeResult(
            metadata={
                "server": dg.MetadataValue.text(result.server),
                "mode": dg.MetadataValue.text(result.mode),
                "load_seconds": dg.MetadataValue.float(round(result.load_seconds, 3)),
                "swap_seconds": dg.MetadataValue.float(round(result.swap_seconds, 4)),
                "tables": dg.MetadataValue.int(len(result.rows)),
                "rows_written": dg.MetadataValue.int(result.rows_written),
                "rows": dg.MetadataValue.json(result.rows),
                "feed_rows": dg.MetadataValue.json(result.feed_rows),
            }
        )

    return postgres_marts
