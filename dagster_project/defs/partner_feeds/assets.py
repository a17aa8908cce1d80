"""The partner feeds asset: exports/partners/<folder>/ for every partner, from the published marts."""

import dagster as dg
from dagster import AssetExecutionContext

from dagster_project.defs.operations.resources import PartnerPulseConfig, WarehouseLock
from dagster_project.defs.partner_feeds.feeds import FeedError, write_partner_feeds
from dagster_project.defs.publish.assets import PUBLISH_KEY

PARTNER_FEEDS_KEY = dg.AssetKey(["exports", "partner_feeds"])


def build_partner_feeds_asset(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=PARTNER_FEEDS_KEY,
        deps=[PUBLISH_KEY],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="exports",
        kinds={"csv", "parquet"},
        description=(
            "exports/partners/<folder>/: usage, expansion alerts, renewal timelines, health and "
            "competitive alerts of the partner's own accounts only (SPEC §7.6), CSV + Parquet. The folder "
            "is a safe name encoded from the partner id (a slug plus a hash, never the id itself); "
            "exports/partners/index.csv (and index.parquet) maps every partner id to its folder."
        ),
    )
    def partner_data_feeds(
        context: AssetExecutionContext, partnerpulse: PartnerPulseConfig, warehouse_lock: WarehouseLock
    ):  # warehouse_lock: one writer of the exports at a time
        settings = partnerpulse.settings()
        try:
            result = write_partner_feeds(
                settings.published_duckdb, settings.exports_dir / "partners", log=context.log.info
            )
        except FeedError as exc:
            raise dg.Failure(description=str(exc)) from exc
        return dg.MaterializeResult(
            metadata={
                "partners": dg.MetadataValue.int(result.partners),
                "rows": dg.MetadataValue.json(result.rows),
                "path": dg.MetadataValue.path(str(result.directory)),
            }
        )

    return partner_data_feeds
