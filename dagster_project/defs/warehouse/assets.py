"""The dbt assets through dagster-dbt: every model and seed of the project, dbt tests as asset checks,
built by one ``dbt build`` per run for the run's weeks (the refresh window, refresh_window.py).

Dagster records a materialization of every asset for the run's partitions. A build also writes the
weeks a weekly table did not hold yet (a first refresh writes the whole history): those weeks are
reported as materializations of that table's partitions too, so the UI shows the weeks the warehouse
holds rather than "1 materialized · 103 missing"."""

import dataclasses
import datetime as dt
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import dagster as dg
import duckdb
from dagster import AssetExecutionContext, DagsterLogManager
from dagster_dbt import DbtCliResource, dbt_assets, get_asset_key_for_model

from dagster_project.defs.landing.manifest import landed_rows
from dagster_project.defs.operations.resources import PartnerPulseConfig, WarehouseLock
from dagster_project.defs.operations.retention import dbt_runs_to_keep
from dagster_project.defs.partitions import window_from_context
from dagster_project.defs.quality.gx_suites import PRELOAD_MAX_LANDED_ROWS
from dagster_project.defs.quality.gx_suites import import_in_background as import_gx_in_background
from dagster_project.defs.warehouse.models_state import (
    ModelsState,
    forget_models,
    models_written,
    plan_models,
    record_models_built,
)
from dagster_project.defs.warehouse.parse_state import start_parse_state
from dagster_project.defs.warehouse.project import get_dbt_project, mart_model_names, project_fingerprint
from dagster_project.defs.warehouse.refresh_window import (
    BUILT_TABLE,
    RefreshPlan,
    dbt_environment,
    ensure_tables,
    plan_weeks,
    record_built,
    weekly_models,
    write_window,
)
from dagster_project.defs.warehouse.seeds_state import EXCLUDE_SEEDS, SeedsState, record_seeds_loaded, seeds_state
from dagster_project.defs.warehouse.spark_sync import (
    clear_spark_scratch,
    hand_over_to_spark,
    spark_keeps_seeds,
    take_back_from_spark,
)
from dagster_project.defs.warehouse.staging_rebuild import models_rebuilt_on_project_change, rebuilt_in_build
from dagster_project.defs.warehouse.threads import THREADS_ENV, build_threads
from dagster_project.defs.warehouse.translator import LayeredTranslator
from dagster_project.lib.child_process import stop
from dagster_project.lib.dbt_manifest import read_manifest
from dagster_project.lib.engine import connect_engine
from dagster_project.lib.warehouse import connect
from dagster_project.settings import Settings


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
        settings = partnerpulse.settings()
        models = weekly_models(project.manifest_path)
        fingerprint = project_fingerprint(project.manifest_path)
        manifest = read_manifest(project.manifest_path)
        every_asset = context.selected_asset_keys == set(context.assets_def.keys)
        with connect_engine(settings) as con:
            ensure_tables(con)
            plan = plan_weeks(con, settings.first_week, window, models)
            write_window(con, plan)
            seeds = seeds_state(con, project.manifest_path, fingerprint)
            built_models = plan_models(
                con, settings, manifest, fingerprint, seeds, window.as_of_date, leave_out=every_asset
            )
            forget_models(con, models_written(manifest, built_models))
        if settings.target == "spark" and not spark_keeps_seeds(settings, seeds.relations):
            seeds = dataclasses.replace(seeds, loaded_in_run=None)
        seed_keys = selected_model_keys(context, [relation.name for relation in seeds.relations])
        history = f" and {len(plan.history_weeks)} week(s) of history not built yet" if plan.history_weeks else ""
        context.log.info(
            f"dbt build for week(s) {window.first} … {window.last} (as-of date {window.as_of_date}){history}"
        )
        runs_dir = settings.warehouse_dir / "dbt_runs"
        target_path = runs_dir / f"{context.run_id[:8]}-{context.op_execution_context.retry_number}"
        prune_run_artifacts(runs_dir, keep=dbt_runs_to_keep() - 1)  # this run's folder makes it N
        if seeds.current and seed_keys:
            context.log.info(
                f"{len(seed_keys)} seed(s) (program settings) unchanged since run {seeds.loaded_in_run} loaded and "
                "tested them: not reloaded, their tests not run again (seeds_state.py)"
            )
        if built_models.unchanged:
            runs = sorted(set(built_models.unchanged.values()))
            context.log.info(
                f"{len(built_models.unchanged)} model(s) not rebuilt, nor the tests on them alone: their landing "
                f"files, settings and code are unchanged since run(s) {', '.join(run[:8] for run in runs)} built "
                f"them (models_state.py): {', '.join(sorted(built_models.unchanged))}"
            )
        if settings.target == "spark":  # the window and the ledger, as Parquet for Spark (decision 111)
            clear_spark_scratch(settings, context.log.info)
            hand_over_to_spark(settings, context.log.info)
        with connect(settings, read_only=True) as working:  # the ingest manifest is in the working file
            landed = landed_rows(working)
        # for the checks after the build: 4 s of imports while dbt runs in its process (not on big data)
        import_gx_in_background(landed)
        if landed > PRELOAD_MAX_LANDED_ROWS:
            context.log.info(
                f"{landed:,} landed rows: Great Expectations is imported by the checks, not during the dbt build "
                "(its memory would add to dbt's at the peak)"
            )
        threads = build_threads(settings.target, landed)
        if threads is not None:
            context.log.info(
                f"{landed:,} landed rows: dbt builds one model at a time, each query with DuckDB's whole memory "
                f"limit ({THREADS_ENV} to choose; threads.py)"
            )
        # the seeds are reloaded when the project changed (or a seed table): the incremental base tables this
        # build builds are built whole (macros/staging_rebuild.sql reads the variable when they run)
        candidates = models_rebuilt_on_project_change(manifest)
        built = set(selected_model_keys(context, candidates)) - set(built_models.unchanged)
        made_whole = rebuilt_in_build(candidates, settings.target, not seeds.current, built)
        if made_whole:
            context.log.info(
                f"{', '.join(made_whole)}: built whole, the seeds are reloaded (the project or a seed table "
                "changed since they were loaded; PARTNERPULSE_REBUILD_STAGING=1, staging_rebuild.py)"
            )
        with dbt_environment(window, rebuild_staging=not seeds.current):
            start_parse_state(project, runs_dir, target_path, context.log.info)  # dbt's profile sees this env
            invocation = dbt.cli(
                # dbt unit tests check SQL logic, not data: they run in the test suite
                # (tests/test_revenue.py::test_dbt_unit_tests_pass), not in every weekly refresh.
                [
                    "build",
                    "--exclude-resource-type",
                    "unit_test",
                    *(EXCLUDE_SEEDS if seeds.current else []),
                    *built_models.exclude_args(),
                    *(["--threads", str(threads)] if threads is not None else []),
                ],
                context=context,
                target_path=target_path,
            )
        try:
            yield from invocation.stream()  # raises when the build failed
        except BaseException:  # also an interrupted build
            # dbt still running (an error while following its events, not an interrupt, which dagster-dbt
            # forwards): stopped, not left writing the warehouse after this run ends (decision 153)
            stop(invocation.process, context.log.warning)
            if built_models.unchanged:
                forget_left_out(settings, built_models, context.log)
            raise
        if invocation.is_successful() and settings.target == "spark":
            take_back_from_spark(settings, context.log.info)
        if invocation.is_successful():
            # only the weekly tables this run built (the UI can materialize a selection)
            keys = selected_model_keys(context, models)
            with connect_engine(settings) as con:
                record_built(con, plan, list(keys), context.run_id)
                history = history_built(con, context.run_id, plan, list(keys))
                if seed_keys and not seeds.current and len(seed_keys) == len(seeds.relations):
                    record_seeds_loaded(con, seeds, context.run_id)
                rebuilt = set(built_models.keys) - set(built_models.unchanged)
                record_models_built(con, built_models, selected_model_keys(context, sorted(rebuilt)), context.run_id)
            yield from history_materializations(context, keys, history, plan)
            if seeds.current:
                yield from seeds_unchanged(seed_keys, seeds)
            yield from models_unchanged(context, built_models)

    return partnerpulse_dbt


def mart_assets(dbt_assets_def: dg.AssetsDefinition) -> tuple[list[str], list[dg.AssetKey]]:
    """The published marts (models in the ``marts`` schema), sorted, and their asset keys."""
    tables = mart_model_names(get_dbt_project().manifest_path)
    return tables, [get_asset_key_for_model([dbt_assets_def], name) for name in tables]


def selected_model_keys(context: AssetExecutionContext, models: Sequence[str]) -> dict[str, dg.AssetKey]:
    """The asset keys of ``models`` that this run materializes, by model name."""
    keys = {model: get_asset_key_for_model([context.assets_def], model) for model in models}
    return {model: key for model, key in keys.items() if key in context.selected_asset_keys}


def history_built(
    con: duckdb.DuckDBPyConnection, run_id: str, plan: RefreshPlan, models: Sequence[str]
) -> dict[str, list[dt.date]]:
    """The weeks outside the run's partition window that this run wrote, per weekly table, as
    ``ops.weeks_built`` records them (Dagster records the partition window itself)."""
    if not models:
        return {}
    rows = con.execute(
        f"select model_name, week_start from {BUILT_TABLE} "
        "where run_id = ? and model_name in (select unnest(?)) order by model_name, week_start",
        [run_id, list(models)],
    ).fetchall()
    partition = set(plan.partition)
    history: dict[str, list[dt.date]] = {}
    for model, week in rows:
        if week not in partition:
            history.setdefault(model, []).append(week)
    return history


def history_materializations(
    context: AssetExecutionContext,
    keys: dict[str, dg.AssetKey],
    history: dict[str, list[dt.date]],
    plan: RefreshPlan,
) -> Iterator[dg.AssetMaterialization]:
    """One materialization per weekly table and history week, for that week's partition.

    Only the weekly tables: each event is a write to Dagster's event log (tens of ms with SQLite), and
    the tables rebuilt whole would add over 13,000 of them to a first refresh of two years.
    """
    window = f"{plan.partition[0]} … {plan.partition[-1]}"
    for model, weeks in history.items():
        for week in weeks:
            yield dg.AssetMaterialization(
                asset_key=keys[model],
                partition=week.isoformat(),
                description=f"Week {week} written by the dbt build of week(s) {window} (not held before).",
            )
    if history:
        weeks_count = len({week for weeks in history.values() for week in weeks})
        context.log.info(
            f"{weeks_count} week(s) of history written to {len(history)} weekly table(s): "
            "recorded as materialized partitions"
        )


def seeds_unchanged(seed_keys: dict[str, dg.AssetKey], seeds: SeedsState) -> Iterator[dg.AssetObservation]:
    """An observation per seed the build left out: unchanged since the run that loaded and tested it."""
    for key in seed_keys.values():
        yield dg.AssetObservation(
            asset_key=key,
            description=f"Unchanged since run {seeds.loaded_in_run}, which loaded and tested it: not reloaded.",
            metadata={"unchanged_since_run": dg.MetadataValue.text(str(seeds.loaded_in_run))},
        )


def models_unchanged(context: AssetExecutionContext, state: ModelsState) -> Iterator[dg.AssetObservation]:
    """An observation per model the build left out: its inputs are those of the run that built it."""
    for model, key in selected_model_keys(context, sorted(state.unchanged)).items():
        yield dg.AssetObservation(
            asset_key=key,
            description=(
                f"Not rebuilt: its landing files, settings and code are those run {state.unchanged[model]} "
                "built it from (models_state.py)."
            ),
            metadata={
                "unchanged_since_run": dg.MetadataValue.text(state.unchanged[model]),
                "input_key": dg.MetadataValue.text(state.keys[model]),
            },
        )


def forget_left_out(settings: Settings, state: ModelsState, log: DagsterLogManager) -> None:
    """A failed build forgets the records of the models it left out as well (decision 117): had one of them
    gone missing (dropped by hand), every later build would fail the same way; the next one builds all."""
    try:
        with connect_engine(settings) as con:
            forget_models(con, state.unchanged)
    except Exception as exc:  # never hide the build's own error behind this one
        log.warning(f"the records of the {len(state.unchanged)} model(s) left out could not be removed: {exc}")
    else:
        log.info(f"the build failed: the {len(state.unchanged)} model(s) it left out will be built next time")


def prune_run_artifacts(runs_dir: Path, keep: int) -> None:
    """dbt writes manifest, run results and compiled SQL per run; keep only the newest ``keep``."""
    if not runs_dir.is_dir():
        return
    runs = sorted((p for p in runs_dir.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in runs[keep:]:
        shutil.rmtree(old, ignore_errors=True)
