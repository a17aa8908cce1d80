"""Ingest assets: landing files → ``raw.<table>`` in the working warehouse (group ``landing``)."""

import dagster as dg
from dagster import AssetExecutionContext

from dagster_project.defs.landing.contract import landing_tables
from dagster_project.defs.landing.engine_sync import copy_raw_to_engine
from dagster_project.defs.landing.files import IngestError
from dagster_project.defs.landing.isolated import load_warehouse_raw
from dagster_project.defs.landing.loader import MALFORMED_TABLE, REPORT_TABLE
from dagster_project.defs.operations.resources import PartnerPulseConfig, WarehouseLock

LANDING_GROUP = "landing"


def landing_asset_key(table_name: str) -> dg.AssetKey:
    """The asset key of a raw landing table; dbt sources map to the same keys."""
    return dg.AssetKey([LANDING_GROUP, table_name])


def build_ingest_assets(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    tables = landing_tables()
    specs = [
        dg.AssetSpec(
            key=landing_asset_key(spec.name),
            group_name=LANDING_GROUP,
            description=f"Landing table {spec.name} loaded as text into raw.{spec.name}"
            + (" (optional: empty when absent)" if spec.optional else ""),
            kinds={"duckdb"},
            metadata={"contract_columns": ", ".join(spec.column_names)},
        )
        for spec in tables
    ] + [
        dg.AssetSpec(
            key=landing_asset_key(name),
            group_name=LANDING_GROUP,
            description=description,
            kinds={"duckdb"},
        )
        for name, description in (
            (MALFORMED_TABLE, "CSV lines that could not be split into columns (quarantined)."),
            (REPORT_TABLE, "Files, row counts and extra columns of the last ingest."),
        )
    ]

    @dg.multi_asset(
        name="ingest_landing",
        specs=specs,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        description=(
            "Checks every landing table against the contract (SPEC §2), then brings the raw schema up to "
            "date in one transaction: files already loaded and unchanged (name, size, SHA-256 in "
            "raw.ingest_files) are not read again, new files sorting after them are appended, a table with "
            "a changed or removed file is reloaded whole. A missing required table or column, or an "
            "unreadable file, stops the refresh with a message naming the file and column."
        ),
    )
    def ingest_landing(
        context: AssetExecutionContext, partnerpulse: PartnerPulseConfig, warehouse_lock: WarehouseLock
    ):  # warehouse_lock: held for the whole run (one writer at a time)
        settings = partnerpulse.settings()
        try:
            # a large landing folder loads in a process of its own (isolated.py)
            loads = load_warehouse_raw(settings, log=context.log.info)
        except IngestError as exc:
            raise dg.Failure(description=str(exc), metadata={"problems": "\n".join(exc.problems)}) from exc
        copy_raw_to_engine(settings, log=context.log.info)  # postgres: the engine's raw schema (engine_sync.py)

        for load in loads:
            for warning in load.warnings:
                context.log.warning(warning)
            yield dg.MaterializeResult(
                asset_key=landing_asset_key(load.table),
                metadata={
                    "rows": dg.MetadataValue.int(load.rows_read),
                    "malformed_rows": dg.MetadataValue.int(load.rows_malformed),
                    "files": dg.MetadataValue.text("\n".join(load.files) or "(none)"),
                    "ingest": dg.MetadataValue.text(f"{load.mode}: {load.reason}"),
                    "files_read": dg.MetadataValue.int(load.files_loaded),
                    "extra_columns": dg.MetadataValue.text(", ".join(load.extra_columns) or "(none)"),
                    "warnings": dg.MetadataValue.text("\n".join(load.warnings) or "(none)"),
                },
            )
        yield dg.MaterializeResult(
            asset_key=landing_asset_key(MALFORMED_TABLE),
            metadata={"rows": dg.MetadataValue.int(sum(load.rows_malformed for load in loads))},
        )
        yield dg.MaterializeResult(
            asset_key=landing_asset_key(REPORT_TABLE),
            metadata={"tables": dg.MetadataValue.int(len(loads))},
        )

    return ingest_landing
