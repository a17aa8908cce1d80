"""The executive page asset: reports/executive-<week>.html, from the published marts."""

import dagster as dg
from dagster import AssetExecutionContext

from dagster_project.defs.operations.resources import PartnerPulseConfig, WarehouseLock
from dagster_project.defs.publish.assets import PUBLISH_KEY
from dagster_project.defs.reports.executive import write_executive_page

EXECUTIVE_PAGE_KEY = dg.AssetKey(["reports", "executive_page"])


def build_executive_page_asset(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=EXECUTIVE_PAGE_KEY,
        deps=[PUBLISH_KEY],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="exports",
        kinds={"html"},
        description=(
            "reports/executive-<week>.html: the weekly executive page (SPEC §7.4), one self-contained "
            "file with inline SVG charts, from the published marts."
        ),
    )
    def executive_page(
        context: AssetExecutionContext, partnerpulse: PartnerPulseConfig, warehouse_lock: WarehouseLock
    ):  # warehouse_lock: one writer of the reports at a time
        settings = partnerpulse.settings()
        page = write_executive_page(settings.published_duckdb, settings.reports_dir)
        context.log.info(f"executive page {page.path} written in {page.seconds:.2f}s")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(page.path)),
                "week_start": dg.MetadataValue.text(page.week_start.isoformat()),
                "seconds": dg.MetadataValue.float(round(page.seconds, 3)),
            }
        )

    return executive_page
