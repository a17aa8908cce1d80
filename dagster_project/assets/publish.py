"""The publish asset: the serving copy BI tools read, written only after every blocking check passed."""

import dagster as dg
from dagster import AssetExecutionContext

from dagster_project.gate import publish_blockers
from dagster_project.locking import WarehouseLock
from dagster_project.partitions import window_from_context
from dagster_project.publish import publish_marts
from dagster_project.resources import PartnerPulseConfig

PUBLISH_KEY = dg.AssetKey(["published", "marts_duckdb"])


def build_publish_asset(
    partitions_def: dg.PartitionsDefinition, mart_keys: list[dg.AssetKey], mart_tables: list[str]
) -> dg.AssetsDefinition:
    @dg.asset(
        key=PUBLISH_KEY,
        deps=mart_keys,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="publish",
        kinds={"duckdb", "parquet"},
        description=(
            "published/marts.duckdb and published/parquet/<table>.parquet: every mart, replaced "
            "atomically (new file, then rename). Refuses to publish when an error-severity check "
            "failed in this run; the previous files then stay untouched."
        ),
    )
    def published_marts(
        context: AssetExecutionContext, partnerpulse: PartnerPulseConfig, warehouse_lock: WarehouseLock
    ):  # warehouse_lock: held for the whole run (one writer at a time)
        errors, warnings = publish_blockers(context.instance, context.run_id)
        for warning in warnings:
            context.log.warning(f"check warning (does not block): {warning}")
        if errors:
            raise dg.Failure(
                description=(
                    f"Not published: {len(errors)} blocking problem(s) (error-severity checks):\n"
                    + "\n".join(f"  - {e}" for e in errors)
                    + "\nThe previously published files are unchanged."
                ),
            )
        settings = partnerpulse.settings()
        window = window_from_context(context)
        result = publish_marts(settings, mart_tables, window.last, context.run_id, log=context.log.info)
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(result.duckdb_path)),
                "parquet_dir": dg.MetadataValue.path(str(result.parquet_dir)),
                "week_start": dg.MetadataValue.text(result.week_start.isoformat()),
                "tables": dg.MetadataValue.int(len(result.row_counts)),
                "rows": dg.MetadataValue.json(result.row_counts),
                "check_warnings": dg.MetadataValue.int(len(warnings)),
            }
        )

    return published_marts
