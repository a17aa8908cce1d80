"""The dbt assets through dagster-dbt: every model and seed of the project, dbt tests as asset checks,
built by one ``dbt build`` per run for the run's weeks."""

import json
import shutil
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets, get_asset_key_for_model

from dagster_project.defs.operations.resources import PartnerPulseConfig, WarehouseLock
from dagster_project.defs.partitions import window_from_context
from dagster_project.defs.warehouse.project import get_dbt_project, mart_model_names
from dagster_project.defs.warehouse.translator import LayeredTranslator

KEEP_DBT_RUN_ARTIFACTS = 10


def build_dbt_assets(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    project = get_dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        partitions_def=partitions_def,
        dagster_dbt_translator=LayeredTranslator(),
        backfill_policy=dg.BackfillPolicy.single_run(),
        name="partnerpulse_dbt",
    )
    def partnerpulse_dbt(
        context: AssetExecutionContext,
        dbt: DbtCliResource,
        partnerpulse: PartnerPulseConfig,
        warehouse_lock: WarehouseLock,  # held for the whole run (one writer at a time)
    ):
        window = window_from_context(context)
        context.log.info(f"dbt build for week(s) {window.first} … {window.last} (as-of date {window.as_of_date})")
        settings = partnerpulse.settings()
        runs_dir = settings.warehouse_dir / "dbt_runs"
        target_path = runs_dir / f"{context.run_id[:8]}-{context.op_execution_context.retry_number}"
        prune_run_artifacts(runs_dir, keep=KEEP_DBT_RUN_ARTIFACTS - 1)
        yield from dbt.cli(
            [
                "build",
                # dbt unit tests check SQL logic, not data: they run in the test suite
                # (tests/test_revenue.py::test_dbt_unit_tests_pass), not in every weekly refresh.
                "--exclude-resource-type",
                "unit_test",
                "--vars",
                json.dumps({**window.dbt_vars(), "first_week": settings.first_week.isoformat()}),
            ],
            context=context,
            target_path=target_path,
        ).stream()

    return partnerpulse_dbt


def mart_assets(dbt_assets_def: dg.AssetsDefinition) -> tuple[list[str], list[dg.AssetKey]]:
    """The published marts (models in the ``marts`` schema), sorted, and their asset keys."""
    tables = mart_model_names(get_dbt_project().manifest_path)
    return tables, [get_asset_key_for_model([dbt_assets_def], name) for name in tables]


def prune_run_artifacts(runs_dir: Path, keep: int) -> None:
    """dbt writes manifest, run results and compiled SQL per run; keep only the newest ``keep``."""
    if not runs_dir.is_dir():
        return
    runs = sorted((p for p in runs_dir.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in runs[keep:]:
        shutil.rmtree(old, ignore_errors=True)
