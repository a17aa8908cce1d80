"""The publish assets: the serving copy BI tools read, written only after every blocking check passed,
and the dbt docs site for BI users."""

import os
import shutil

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource

from dagster_project.defs.operations.resources import PartnerPulseConfig, WarehouseLock
from dagster_project.defs.partitions import window_from_context
from dagster_project.defs.publish.check_results import CHECK_RESULTS_TABLE, record_check_results
from dagster_project.defs.publish.gate import publish_blockers
from dagster_project.defs.publish.publisher import (
    copy_marts_from_engine,
    docs_are_current,
    publish_docs,
    publish_marts,
)
from dagster_project.defs.publish.staging import clear_staging, publish_step_write
from dagster_project.defs.warehouse.parse_state import start_parse_state
from dagster_project.defs.warehouse.project import get_dbt_project, project_fingerprint
from dagster_project.defs.warehouse.refresh_window import dbt_environment
from dagster_project.lib.warehouse import connect

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
        errors, warnings, results = publish_blockers(context.instance, context.run_id)
        for warning in warnings:
            context.log.warning(f"check warning (does not block): {warning}")
        if errors:
            clear_staging(partnerpulse.settings())  # the Parquet written while the checks ran is not published
            raise dg.Failure(
                description=(
                    f"Not published: {len(errors)} blocking problem(s) (error-severity checks):\n"
                    + "\n".join(f"  - {e}" for e in errors)
                    + "\nThe previously published files are unchanged."
                ),
            )
        settings = partnerpulse.settings()
        window = window_from_context(context)
        copy_marts_from_engine(settings, mart_tables, log=context.log.info)  # postgres: the engine's marts
        # this refresh's checks, published beside dq_refresh_log; the checks step's chunks of the marts still serve
        with publish_step_write(settings, context.run_id), connect(settings) as con:
            recorded = record_check_results(con, window.last, context.run_id, results)
        context.log.info(f"{CHECK_RESULTS_TABLE}: {recorded} check result(s) of week {window.last}")
        tables = sorted([*mart_tables, CHECK_RESULTS_TABLE])
        result = publish_marts(settings, tables, window.last, context.run_id, log=context.log.info)
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


DOCS_KEY = dg.AssetKey(["published", "docs"])


def build_docs_asset(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=DOCS_KEY,
        deps=[PUBLISH_KEY],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="publish",
        kinds={"dbt", "html"},
        description=(
            "published/docs/index.html: dbt docs for BI users (every model, column, test, lineage and "
            "the exposures), one static file with the manifest and catalog inlined; regenerated only when "
            "the dbt project changed."
        ),
    )
    def dbt_docs_site(
        context: AssetExecutionContext,
        dbt: DbtCliResource,
        partnerpulse: PartnerPulseConfig,
        warehouse_lock: WarehouseLock,  # dbt docs generate reads the working warehouse's catalog
    ):
        settings = partnerpulse.settings()
        if os.environ.get("PARTNERPULSE_PUBLISH_DOCS", "1").strip().lower() in {"0", "false", "no"}:
            context.log.info("PARTNERPULSE_PUBLISH_DOCS is off: dbt docs not regenerated")
            return dg.MaterializeResult(metadata={"skipped": True})
        window = window_from_context(context)
        destination = settings.published_dir / "docs"
        manifest = get_dbt_project().manifest_path
        fingerprint = project_fingerprint(manifest)
        if docs_are_current(destination, fingerprint):
            context.log.info("dbt docs: the project is unchanged since they were generated; kept as they are")
            return dg.MaterializeResult(
                metadata={"path": dg.MetadataValue.path(str(destination / "index.html")), "regenerated": False}
            )
        target = settings.warehouse_dir / "dbt_runs" / f"docs-{context.run_id[:8]}"
        target.mkdir(parents=True, exist_ok=True)
        # --no-compile: the docs show each model's SQL as written (compiling all of them again costs ~20 s a
        # refresh and would only add this week's date); dbt then reads the manifest from the target folder
        shutil.copyfile(manifest, target / "manifest.json")
        with dbt_environment(window):
            start_parse_state(get_dbt_project(), target.parent, target, context.log.info)
            invocation = dbt.cli(["docs", "generate", "--static", "--no-compile"], target_path=target)
        invocation.wait()
        site = publish_docs(target, destination, fingerprint)
        shutil.rmtree(target, ignore_errors=True)
        return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(site)), "regenerated": True})

    return dbt_docs_site
