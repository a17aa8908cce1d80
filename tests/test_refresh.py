"""End to end through Dagster: generated data → published file; atomic replacement; failures keep the old file."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.defs.landing import isolated
from dagster_project.defs.operations.instance import get_instance
from dagster_project.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, Settings
from tests.helpers import isolated_env, newest_refresh_log, query, refresh
from tests.landing import write_minimal_landing, write_table

DEMO_END = dt.date(2024, 6, 30)  # a Sunday
WEEK = dt.date(2024, 6, 17)
NEXT_WEEK = WEEK + dt.timedelta(weeks=1)
FIRST_WEEK = dt.date(2024, 1, 1)
USAGE_STAGED = "staging.base_usage__usage_daily"
MARKER = "marker: not rewritten"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Scenario:
    """One warehouse, three refreshes: publish, replace under an open reader, fail on a broken file."""

    settings: Settings
    first_code: int
    first_out: str
    first_snapshot: Path  # a copy of the published file right after the first refresh
    first_parquet: set[str]
    leftovers_after_first: list[Path]
    reader_saw: dict[str, tuple]  # what a reader opened before the second refresh saw, before and after it
    second_code: int
    second_out: str  # what the second refresh printed
    third_code: int
    third_err: str
    digests_before_third: dict[str, str]
    digests_after_third: dict[str, str]
    seeds_loaded: list[tuple]  # ops.seeds_loaded after the second refresh (and the third, which failed)
    models_built: dict[str, str]  # ops.models_built then: model -> the run that built it
    fourth_code: int
    fourth_log: str  # the fourth refresh's log
    second_log: str  # the second refresh's log
    marked_before_fourth: int  # staged usage rows given a marker before the fourth refresh
    marked_after_fourth: int  # those still carrying it after


def _digests(settings: Settings) -> dict[str, str]:
    files = [settings.published_duckdb, *sorted(settings.published_parquet_dir.iterdir())]
    return {p.name: _digest(p) for p in files}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    root = tmp_path_factory.mktemp("refresh")
    capture = io.StringIO()
    with isolated_env(root, FIRST_WEEK) as settings:
        assert main(["demo-data", "--accounts", "60", "--seed", "7", "--end", DEMO_END.isoformat()]) == 0

        # 1. the first refresh publishes
        with contextlib.redirect_stdout(capture):
            first_code = refresh(WEEK)[0]
        snapshot = root / "first-marts.duckdb"
        shutil.copyfile(settings.published_duckdb, snapshot)
        first_parquet = {p.stem for p in settings.published_parquet_dir.glob("*.parquet")}
        leftovers = list(settings.published_dir.glob(".*tmp"))

        # 2. the next week replaces the file while a reader holds the old one open
        reader = duckdb.connect(str(settings.published_duckdb), read_only=True)
        second_capture = io.StringIO()
        try:
            saw = {"before": reader.execute("select week_start from publish_info").fetchone()}
            with contextlib.redirect_stdout(second_capture):
                second_code = refresh(NEXT_WEEK)[0]
            saw["after"] = reader.execute("select week_start from publish_info").fetchone()
            saw["refresh_log_rows_after"] = reader.execute("select count(*) from dq_refresh_log").fetchone()
        finally:
            reader.close()
        second_log = newest_refresh_log(settings.warehouse_dir).read_text(encoding="utf-8")

        # 3. a landing file loses a required column: the refresh stops, nothing is published
        before = _digests(settings)
        subscriptions = settings.landing_dir / "subscriptions.csv"
        intact = subscriptions.read_text(encoding="utf-8")
        header, *rows = intact.splitlines()
        drop = header.split(",").index("end_date")
        subscriptions.write_text(
            "\n".join(",".join(v for i, v in enumerate(line.split(",")) if i != drop) for line in [header, *rows])
            + "\n",
            encoding="utf-8",
        )
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            third_code = refresh(NEXT_WEEK)[0]
        after_third = _digests(settings)

        # 4. what a changed dbt project looks like to a refresh (its fingerprint matches neither the seeds' load
        #    nor any model's build): the refresh loads the seeds again, builds every model, and the incremental
        #    usage staging tables whole (decision 128): a marker written into their staged rows is gone
        subscriptions.write_text(intact, encoding="utf-8")
        seeds_loaded = query(settings.duckdb_path, "select run_id from ops.seeds_loaded")
        models_built = dict(query(settings.duckdb_path, "select model_name, run_id from ops.models_built"))
        with duckdb.connect(str(settings.duckdb_path)) as con:
            con.execute("delete from ops.seeds_loaded")
            con.execute("delete from ops.models_built")
            con.execute(f"update {USAGE_STAGED} set _reject_reason = ? where _reject_code is null", [MARKER])
            marked_before = con.execute(f"select count(*) from {USAGE_STAGED} where _reject_reason = ?", [MARKER])
            marked_before_fourth = marked_before.fetchone()[0]
        with contextlib.redirect_stdout(io.StringIO()):
            fourth_code = refresh(NEXT_WEEK, force=True)[0]
        fourth_log = newest_refresh_log(settings.warehouse_dir)
        marked = query(settings.duckdb_path, f"select count(*) from {USAGE_STAGED} where _reject_reason = ?", [MARKER])
        yield Scenario(
            settings=settings,
            first_code=first_code,
            first_out=capture.getvalue(),
            first_snapshot=snapshot,
            first_parquet=first_parquet,
            leftovers_after_first=leftovers,
            reader_saw=saw,
            second_code=second_code,
            second_out=second_capture.getvalue(),
            third_code=third_code,
            third_err=err.getvalue(),
            digests_before_third=before,
            digests_after_third=after_third,
            seeds_loaded=seeds_loaded,
            models_built=models_built,
            fourth_code=fourth_code,
            fourth_log=fourth_log.read_text(encoding="utf-8"),
            second_log=second_log,
            marked_before_fourth=marked_before_fourth,
            marked_after_fourth=marked[0][0],
        )


def test_refresh_of_generated_data_publishes_every_mart(scenario: Scenario):
    assert scenario.first_code == 0
    assert f"BI serving file (open read-only): {scenario.settings.published_duckdb}" in scenario.first_out

    published = scenario.first_snapshot
    tables = {name for (name,) in query(published, "select table_name from information_schema.tables")}
    assert {"dim_accounts", "dim_partners", "dim_products", "dq_quarantine", "dq_refresh_log", "publish_info"} <= tables
    assert query(published, "select week_start, as_of_date from publish_info") == [(WEEK, WEEK + dt.timedelta(days=6))]
    # the generator's accounts created after D are not in the week's dimension
    late = query(published, "select count(*) from dim_accounts where created_date > ?", [WEEK + dt.timedelta(days=6)])
    assert late == [(0,)]
    assert query(published, "select count(*) from dim_accounts")[0][0] > 0
    log = query(published, "select sum(rows_landed), sum(rows_staged), sum(rows_quarantined) from dq_refresh_log")
    landed, staged, quarantined = log[0]
    assert landed == staged + quarantined and quarantined == 0
    assert scenario.first_parquet == tables - {"publish_info"}
    assert scenario.leftovers_after_first == []  # no temp files left behind


def test_the_next_week_leaves_the_unchanged_program_settings_and_models_alone(scenario: Scenario):
    """The seeds (program settings) and the landing files did not change between the two weeks: the first
    refresh loaded and tested the seeds and built every model; the second left the seeds out of its build,
    and the models whose inputs are all unchanged (seeds_state.py, models_state.py), and says so. That
    weekly-then-weekly publishes what a full rebuild does is tested in tests/test_gate_and_backfill.py (three
    weeks one by one equal a backfill of the three weeks from an empty warehouse, every published table row
    for row)."""
    settings = scenario.settings
    instance = get_instance(settings)
    first, second, _fourth = sorted(
        instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS])),
        key=lambda run: instance.get_run_record_by_id(run.run_id).create_timestamp,
    )
    assert scenario.seeds_loaded == [(first.run_id,)]

    def asset_events(run_id: str, kind: dg.DagsterEventType) -> set[str]:
        records = instance.get_records_for_run(run_id=run_id, of_type=kind, limit=10_000).records
        return {record.event_log_entry.dagster_event.asset_key.to_user_string() for record in records}

    observed = asset_events(second.run_id, dg.DagsterEventType.ASSET_OBSERVATION)
    seeds = {key for key in observed if key.startswith("config/")}
    assert len(seeds) == 21 and "config/scorecard_bands" in seeds
    models = observed - seeds
    # the typed landing tables and their views; never what reads the run's week, never a published mart
    assert {"staging/base_crm__accounts", "staging/stg_crm__accounts", "staging/base_usage__usage_daily"} <= models
    assert "intermediate/int_weeks_spined" not in models and not {key for key in models if key.startswith("marts/")}
    assert observed <= asset_events(first.run_id, dg.DagsterEventType.ASSET_MATERIALIZATION)
    assert not observed & asset_events(second.run_id, dg.DagsterEventType.ASSET_MATERIALIZATION)
    assert "21 seeds unchanged, not reloaded" in scenario.second_out
    assert f"{len(models)} models unchanged, not rebuilt" in scenario.second_out
    # the record keeps the run that built each of them: the first
    built_by = scenario.models_built
    assert {built_by[key.split("/")[-1]] for key in models} == {first.run_id}
    assert "int_weeks_spined" not in built_by


def _suite_checks(instance: dg.DagsterInstance, run_id: str) -> dict[str, dg.AssetCheckEvaluation]:
    """The gx_suite check evaluations of a run, by asset (``landing/accounts``)."""
    records = instance.get_records_for_run(
        run_id=run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=10_000
    ).records
    evaluations = [record.event_log_entry.dagster_event.event_specific_data for record in records]
    return {e.asset_key.to_user_string(): e for e in evaluations if e.check_name == "gx_suite"}


def test_a_landing_suite_s_result_is_reused_while_its_staged_rows_are_unchanged(scenario: Scenario):
    """The landing files did not change between the first and the second refresh: the second reports the
    first's passed landing-suite results, saying so, and validates the marts (rebuilt by every run). The
    fourth refresh rebuilt every model (the scenario cleared ops.models_built) from the same files: the same
    input keys, so the same results are reused again (reuse.py, decision 141). A changed landing file is
    validated again: tests/test_engines.py."""
    instance = get_instance(scenario.settings)
    first, second, fourth = sorted(
        instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS])),
        key=lambda run: instance.get_run_record_by_id(run.run_id).create_timestamp,
    )
    before, reused, again = (_suite_checks(instance, run.run_id) for run in (first, second, fourth))
    landing = {key for key in before if key.startswith("landing/")}
    assert len(landing) == 21 and set(before) == set(reused) == set(again)
    validated_first = {key for key in landing if before[key].passed}
    assert "landing/accounts" in validated_first and "landing/usage_daily" in validated_first
    note = f" (validated by run {first.run_id[:8]}; the staged rows and the suite are unchanged since)"
    for key in validated_first:
        assert reused[key].passed and reused[key].description == before[key].description + note, key
        assert reused[key].metadata["validated_in_run"].value == first.run_id
        assert reused[key].metadata["rows_validated"] == before[key].metadata["rows_validated"]
    for key in set(before) - validated_first:  # a mart, or a landing suite that did not pass: validated
        assert "validated_in_run" not in reused[key].metadata, key
    assert {key for key, e in again.items() if "validated_in_run" in e.metadata} == validated_first
    assert all(again[key].description == reused[key].description for key in validated_first)
    kept = dict(query(scenario.settings.duckdb_path, "select check_key, run_id from quality.gx_results"))
    assert kept == {key: first.run_id for key in validated_first}


def _dbt_test(warehouse: Path, scratch: Path, select: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PARTNERPULSE_DUCKDB_PATH": str(warehouse),
        "PARTNERPULSE_DUCKDB_TEMP_DIR": str(scratch / "duckdb_tmp"),
        "DBT_LOG_PATH": str(scratch / "logs"),
    }
    project = str(DBT_PROJECT_DIR)
    target = str(scratch / "target")
    return subprocess.run(
        [
            DBT_EXECUTABLE,
            "test",
            "--select",
            select,
            "--profiles-dir",
            project,
            "--project-dir",
            project,
            "--target-path",
            target,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_weekly_table_s_tests_read_only_the_weeks_the_run_wrote(scenario: Scenario, tmp_path: Path):
    """The tests of a weekly table judge the weeks the run wrote (dbt_project/macros/weeks.sql, decision 116):
    a duplicate account-week planted in a week the last run did not write is not read again; a run that
    writes that week finds it."""
    copy = tmp_path / "partnerpulse.duckdb"  # the same file name: compiled SQL names the catalog
    shutil.copyfile(scenario.settings.duckdb_path, copy)
    with duckdb.connect(str(copy)) as con:
        assert con.execute("select week_start from ops.refresh_window where is_target").fetchall() == [(NEXT_WEEK,)]
        con.execute(
            "insert into marts.fct_account_health_weekly "
            "select * from marts.fct_account_health_weekly where week_start = ? limit 1",
            [WEEK],
        )
    test = "unique_combination_fct_account_health_weekly_week_start__account_id"
    untouched = _dbt_test(copy, tmp_path, test)
    assert untouched.returncode == 0, untouched.stdout
    assert f"PASS {test}" in untouched.stdout, untouched.stdout
    with duckdb.connect(str(copy)) as con:
        con.execute("update ops.refresh_window set is_target = (week_start = ?)", [WEEK])
    written = _dbt_test(copy, tmp_path, test)
    assert written.returncode == 1 and f"FAIL 1 {test}" in written.stdout, written.stdout
    # a test of a table that is not weekly reads all of it, as before
    compiled = list((tmp_path / "target" / "compiled").rglob("unique_combination_fct_acc*.sql"))
    assert compiled and all("refresh_window" in path.read_text(encoding="utf-8") for path in compiled)
    whole = _dbt_test(copy, tmp_path, "unique_dim_partners_partner_id")
    assert whole.returncode == 0, whole.stdout
    sql = next((tmp_path / "target" / "compiled").rglob("unique_dim_partners_partner_id.sql")).read_text()
    assert "refresh_window" not in sql and "dbt_subquery" not in sql


def test_published_file_is_replaced_while_a_reader_holds_the_old_one(scenario: Scenario):
    assert scenario.second_code == 0  # not blocked by the open reader
    # the open reader still saw its complete snapshot ...
    assert scenario.reader_saw["before"] == scenario.reader_saw["after"] == (WEEK,)
    assert scenario.reader_saw["refresh_log_rows_after"] == (21,)
    # ... and a new reader sees the new one (the failed third refresh changed nothing)
    published = scenario.settings.published_duckdb
    assert query(published, "select week_start from publish_info") == [(NEXT_WEEK,)]
    assert query(published, "select count(*) from dq_refresh_log") == [(42,)]


def test_structural_error_stops_before_publishing_and_keeps_the_old_file(scenario: Scenario):
    assert scenario.third_code == 1
    assert "nothing was published" in scenario.third_err
    assert "subscriptions.csv: required column end_date is missing" in scenario.third_err
    assert scenario.digests_after_third == scenario.digests_before_third


def test_a_changed_project_rebuilds_the_usage_staging_whole(scenario: Scenario):
    """The incremental usage staging re-checks only rows whose label can change under the same rules; when
    the project changed, dbt builds them whole (macros/staging_rebuild.sql, decision 128). The marker written
    into every staged row before it is gone."""
    assert scenario.fourth_code == 0
    assert "seed(s) (program settings) unchanged" not in scenario.fourth_log
    assert "model(s) not rebuilt" not in scenario.fourth_log
    assert (
        "base_usage__feature_usage_weekly, base_usage__usage_daily: built whole, the seeds are reloaded"
        in scenario.fourth_log
    )
    assert scenario.marked_before_fourth > 0 and scenario.marked_after_fourth == 0


# The weekly tables: the models written with the replace_weeks strategy (refresh_window.py), which
# hold one slice per week; every other dbt asset is rebuilt whole by each refresh.
WEEKLY_TABLES = [
    dg.AssetKey(["intermediate", "int_account_weeks_health_snapshotted"]),
    dg.AssetKey(["intermediate", "int_score_outcomes_counted"]),
    dg.AssetKey(["marts", "fct_account_health_weekly"]),
    dg.AssetKey(["marts", "fct_expansion_readiness_weekly"]),
    dg.AssetKey(["marts", "fct_expansion_recommendations"]),
    dg.AssetKey(["marts", "fct_expansion_signals"]),
    dg.AssetKey(["marts", "rpt_campaign_audiences"]),
]


def test_the_weeks_a_refresh_built_are_materialized_partitions_in_dagster(scenario: Scenario):
    """The first refresh (week 2024-06-17) built the weekly tables' history from 2024-01-01; the UI
    shows those weeks as materialized, not "2 materialized · 24 missing"."""
    settings = scenario.settings
    instance = get_instance(settings)
    history = [FIRST_WEEK + dt.timedelta(weeks=i) for i in range(24)]  # 2024-01-01 … 2024-06-10
    assert history[-1] == WEEK - dt.timedelta(weeks=1)
    held = {week.isoformat() for week in [*history, WEEK, NEXT_WEEK]}  # 26 weeks
    for key in WEEKLY_TABLES:
        assert instance.get_materialized_partitions(key) == held, key.to_user_string()
        (record,) = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=["2024-01-01"]), limit=5
        ).records
        assert record.asset_materialization.description == (
            "Week 2024-01-01 written by the dbt build of week(s) 2024-06-17 … 2024-06-17 (not held before)."
        )
    # what the warehouse records as built is what Dagster shows
    built = query(
        settings.duckdb_path,
        "select model_name, count(distinct week_start), min(week_start) from ops.weeks_built group by 1 order by 1",
    )
    assert built == sorted((key.path[-1], 26, FIRST_WEEK) for key in WEEKLY_TABLES)
    # a table rebuilt whole holds no weekly slices: its partitions are the weeks refreshed
    assert instance.get_materialized_partitions(dg.AssetKey(["marts", "dim_accounts"])) == {
        WEEK.isoformat(),
        NEXT_WEEK.isoformat(),
    }


@pytest.mark.slow
def test_a_new_user_with_hand_written_csvs_and_empty_optional_tables(tmp_path: Path):
    """The real `partnerpulse` executable, every location pointing elsewhere, data not from the generator."""
    landing = tmp_path / "exports"
    write_minimal_landing(
        landing, overrides={"business_events": [], "nps_responses": [], "milestones": []}, skip=["partner_assignments"]
    )
    write_table(landing, "training_enrollments", [])
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PARTNERPULSE_", "DAGSTER_"))},
        "PARTNERPULSE_LANDING_DIR": str(landing),
        "PARTNERPULSE_WAREHOUSE_DIR": str(tmp_path / "wh"),
        "PARTNERPULSE_FIRST_WEEK": "2024-01-01",
        "PARTNERPULSE_DUCKDB_MEMORY_LIMIT": "2GB",
        "PARTNERPULSE_PUBLISH_DOCS": "0",  # the docs site (7 s of dbt docs generate) is tests/test_exports.py's
    }
    exe = Path(sys.executable).with_name("partnerpulse")
    result = subprocess.run(
        [str(exe), "refresh", "--week", "2024-02-05"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    published = tmp_path / "wh" / "published" / "marts.duckdb"
    assert query(published, "select account_id, partner_id from dim_accounts order by 1") == [
        ("A1", "P1"),
        ("A2", "P2"),
        ("A3", None),
    ]
    log = dict(query(published, "select table_name, rows_staged from dq_refresh_log"))
    assert log["partner_assignments"] == 0 and log["business_events"] == 0 and log["accounts"] == 3

    status = subprocess.run([str(exe), "status"], env=env, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert status.returncode == 0, status.stderr
    assert "week 2024-02-05  SUCCESS" in status.stdout
    assert f"Published file: {published}" in status.stdout
    assert "no rows quarantined" in status.stdout


@pytest.mark.slow
def test_generated_faults_are_quarantined_exactly(pp_env: Settings, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PARTNERPULSE_QUARANTINE_ERROR_SHARE", "0.25")  # 60 accounts: a few faults are a big share
    # the landing loads in a process of its own, as a large folder does (decision 145): the faults arrive alike
    monkeypatch.setattr(isolated, "SUBPROCESS_MIN_BYTES", 0)
    assert main(["demo-data", "--accounts", "60", "--seed", "3", "--end", DEMO_END.isoformat(), "--faults"]) == 0
    faults = json.loads((pp_env.landing_dir / "_faults.json").read_text(encoding="utf-8"))
    assert refresh(WEEK)[0] == 0
    assert "loading in a process of its own" in newest_refresh_log(pp_env.warehouse_dir).read_text(encoding="utf-8")
    quarantined = query(
        pp_env.duckdb_path,
        "select table_name, reason_code, record_key, source_file from marts.dq_quarantine where refresh_week = ?",
        [WEEK],
    )
    expected = [(r["table"], r["reason_code"], r["record_key"], r["file"]) for r in faults["rows"]]
    assert sorted(quarantined) == sorted(expected)
    assert len(quarantined) == faults["total"]
    assert {r[1] for r in quarantined} >= {
        "missing_key",
        "duplicate_key",
        "unknown_enum",
        "unparseable_value",
        "negative_amount",
        "orphan_foreign_key",
        "end_before_start",
    }
    log = query(
        pp_env.duckdb_path,
        "select sum(rows_landed), sum(rows_staged), sum(rows_quarantined) "
        "from marts.dq_refresh_log where refresh_week = ?",
        [WEEK],
    )
    assert log[0][0] == log[0][1] + log[0][2] and log[0][2] == faults["total"]


def test_the_next_publish_hashes_no_table_that_the_checks_or_the_last_publish_hashed(scenario: Scenario):
    """Decision 132: the marts' chunks come from the checks step (the working file was written since only by
    its row counts), the published file's from the record the first publish kept."""
    assert "the marts' chunks as the checks step computed them" in scenario.second_log
    assert "compared with the last published file's chunks as its publish recorded them" in scenario.second_log
