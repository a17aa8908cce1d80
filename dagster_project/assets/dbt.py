"""dbt assets through dagster-dbt: one cached DbtProject, assets grouped by layer, tests as checks."""

import fcntl
import json
import shutil
import subprocess
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from dagster_project.assets.ingest import landing_asset_key
from dagster_project.locking import WarehouseLock
from dagster_project.partitions import window_from_context
from dagster_project.resources import PartnerPulseConfig
from dagster_project.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, MODELS_DIR, REPO_ROOT

LAYERS = ("staging", "intermediate", "marts")
KEEP_DBT_RUN_ARTIFACTS = 10
_PROJECT_INPUTS = (MODELS_DIR, REPO_ROOT / "seeds", DBT_PROJECT_DIR / "macros", DBT_PROJECT_DIR / "tests")


def _newest_input_mtime() -> float:
    newest = (DBT_PROJECT_DIR / "dbt_project.yml").stat().st_mtime
    for folder in _PROJECT_INPUTS:
        if folder.is_dir():
            for path in folder.rglob("*"):
                if path.suffix in {".sql", ".yml", ".yaml", ".csv", ".md"}:
                    newest = max(newest, path.stat().st_mtime)
    return newest


def prepare_manifest(project: DbtProject, force: bool = False) -> Path:
    """Run ``dbt parse`` when the manifest is missing or older than any model, macro or seed.

    This replaces dagster-dbt's ``prepare_if_dev`` (which only acts under ``dagster dev`` and looks
    for ``dbt`` on PATH): the CLI, the tests, ``dagster dev`` and the schedule's code server all
    come through here, with the venv's dbt, so a changed model is never run with a stale manifest.
    """
    manifest = project.manifest_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    # one parse at a time (parallel test workers, a CLI next to `dagster dev`)
    with (manifest.parent / ".prepare.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if force or not manifest.exists() or manifest.stat().st_mtime < _newest_input_mtime():
            result = subprocess.run(
                [DBT_EXECUTABLE, "parse", "--quiet", "--profiles-dir", str(project.profiles_dir)],
                cwd=project.project_dir,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise RuntimeError(f"dbt parse failed:\n{result.stdout}\n{result.stderr}")
    return manifest


@cache
def get_dbt_project() -> DbtProject:
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    prepare_manifest(project)
    return project


class LayeredTranslator(DagsterDbtTranslator):
    """Groups dbt assets by layer (staging / intermediate / marts; seeds in config) and maps dbt
    sources onto the ingest assets' keys (``landing/<table>``); the payout ledger's control tables
    (written by ``close-period``) are ``ledger/<table>``."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            if dbt_resource_props["source_name"] == "ledger":
                return dg.AssetKey(["ledger", dbt_resource_props["name"]])
            return landing_asset_key(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "config"
        fqn = dbt_resource_props.get("fqn") or []
        if len(fqn) > 1 and fqn[1] in LAYERS:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)


def mart_model_names(manifest_path: Path) -> list[str]:
    """Models published to BI: those built in the ``marts`` schema."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") == "marts"
    )


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
                # (tests/test_dbt_unit_tests.py), not in every weekly refresh.
                "--exclude-resource-type",
                "unit_test",
                "--vars",
                json.dumps({**window.dbt_vars(), "first_week": settings.first_week.isoformat()}),
            ],
            context=context,
            target_path=target_path,
        ).stream()

    return partnerpulse_dbt


def prune_run_artifacts(runs_dir: Path, keep: int) -> None:
    """dbt writes manifest, run results and compiled SQL per run; keep only the newest ``keep``."""
    if not runs_dir.is_dir():
        return
    runs = sorted((p for p in runs_dir.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in runs[keep:]:
        shutil.rmtree(old, ignore_errors=True)
