"""The publish gate, backfills and status on generated data, through the real CLI, Dagster and dbt.

Two warehouses are built from the same landing data: one by two single-week refreshes (the first builds
the weekly history from 2024-01-01, the second adds its own week), one by a single two-week backfill from an
empty warehouse, which builds everything in one dbt call: the two must publish the same rows, which is also
issue 13's "weekly-then-weekly equals a full rebuild". The second refresh runs with a suite that fails a
*warning*; after the two weeks, a refresh with a suite that fails an *error* must publish nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.definitions import build_definitions
from dagster_project.defs.operations.alerts import recent_alerts
from dagster_project.defs.operations.instance import get_instance
from dagster_project.defs.operations.jobs import REFRESH_JOB
from dagster_project.defs.quality.suites import dump_suite
from dagster_project.lib.parquet_append import row_group_count
from dagster_project.settings import EXPECTATIONS_DIR, Settings
from tests.helpers import isolated_env, query

DEMO_END = dt.date(2024, 6, 30)
FIRST_WEEK = dt.date(2024, 1, 1)  # 23 weeks of history before the first refreshed week: months and a quarter end
WEEKS = [dt.date(2024, 6, 10), dt.date(2024, 6, 17)]
# Differ between two refreshes by nature: when and by which run something was written.
VOLATILE_COLUMNS = {"refreshed_at", "published_at", "run_id"}
# Refresh logs: one entry per refresh. Two refreshes log two weeks; one backfill logs its last week.
REFRESH_LOGS = {"dq_refresh_log", "dq_quarantine"}


@dataclass
class Built:
    root: Path
    settings: Settings
    outputs: dict[str, tuple[int, str, str]]  # label → (exit code, stdout, stderr)


def environment(
    root: Path, landing: Path, expectations: Path | None = None
) -> contextlib.AbstractContextManager[Settings]:
    """This module's environment: ``isolated_env`` with the shared landing and optional suites."""
    extra = {"PARTNERPULSE_EXPECTATIONS_DIR": str(expectations)} if expectations is not None else {}
    return isolated_env(root, FIRST_WEEK, landing, **extra)


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def suites_with(root: Path, name: str, extra: list[dict]) -> Path:
    """A copy of expectations/ in which suite ``name`` has ``extra`` expectations."""
    folder = root / f"expectations-{name}"
    shutil.copytree(EXPECTATIONS_DIR, folder)
    path = folder / f"{name}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["expectations"] += extra
    path.write_text(dump_suite(document), encoding="utf-8")
    return folder


def digests(settings: Settings) -> dict[str, str]:
    files = [settings.published_duckdb, *sorted(settings.published_parquet_dir.glob("*.parquet"))]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    with environment(root, root / "landing"):
        code, _, err = cli("demo-data", "--accounts", "60", "--seed", "7", "--end", DEMO_END.isoformat())
        assert code == 0, err
    return root / "landing"


@pytest.fixture(scope="module")
def sequential(tmp_path_factory: pytest.TempPathFactory, landing: Path) -> Built:
    root = tmp_path_factory.mktemp("sequential")
    warn_suites = suites_with(
        root,
        "marts.dim_partners",
        [
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "region", "value_set": ["NA"]},
                "severity": "warning",
            }
        ],
    )
    outputs = {}
    for week in WEEKS:
        with environment(root, landing, warn_suites if week == WEEKS[1] else None) as settings:
            outputs[week.isoformat()] = cli("refresh", "--week", week.isoformat())
            if week == WEEKS[1]:
                outputs["published_after_warning"] = (
                    0,
                    str(query(settings.published_duckdb, "select week_start from publish_info")[0][0]),
                    "",
                )
    return Built(root=root, settings=settings, outputs=outputs)


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory, landing: Path) -> Built:
    root = tmp_path_factory.mktemp("backfill")
    with environment(root, landing) as settings:
        output = cli("backfill", "--from", WEEKS[0].isoformat(), "--to", WEEKS[-1].isoformat())
    return Built(root=root, settings=settings, outputs={"backfill": output})


def _published_rows(path: Path, table: str, week_filter: str = "") -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        columns = [
            c
            for (c,) in con.execute(
                "select column_name from information_schema.columns where table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
            if c not in VOLATILE_COLUMNS
        ]
        select = ", ".join(f'"{c}"' for c in columns)
        return sorted(con.execute(f'select {select} from "{table}" {week_filter}').fetchall(), key=repr)


def _parquet_rows(path: Path, week_filter: str = "") -> list[tuple]:
    with duckdb.connect() as con:
        columns = [c for (c, *_) in con.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()]
        select = ", ".join(f'"{c}"' for c in columns if c not in VOLATILE_COLUMNS)
        return sorted(
            con.execute(f"select {select} from read_parquet(?) {week_filter}", [str(path)]).fetchall(), key=repr
        )


def test_every_refresh_and_the_backfill_succeed(sequential: Built, backfilled: Built):
    for label, (code, out, err) in {**sequential.outputs, **backfilled.outputs}.items():
        assert code == 0, f"{label}: {out[-2000:]}\n{err[-3000:]}"
    assert (
        "Backfilling weeks 2024-06-10 … 2024-06-17 (2 weeks, one run, one dbt build)"
        in backfilled.outputs["backfill"][1]
    )


def test_a_two_week_backfill_equals_two_single_week_refreshes(sequential: Built, backfilled: Built):
    one_by_one, at_once = sequential.settings.published_duckdb, backfilled.settings.published_duckdb
    tables = [t for (t,) in query(one_by_one, "select table_name from information_schema.tables order by 1")]
    assert tables == [t for (t,) in query(at_once, "select table_name from information_schema.tables order by 1")]
    # the record of each run's checks, not data: a second refresh tests only the models it rebuilt, the backfill all
    tables.remove("dq_check_results")
    assert {"fct_account_health_weekly", "dim_accounts", "rpt_retention", "fct_incentive_payouts"} <= set(tables)
    last_week = f"where refresh_week = '{WEEKS[-1]}'"
    for table in tables:
        week_filter = last_week if table in REFRESH_LOGS else ""
        expected = _published_rows(one_by_one, table, week_filter)
        assert _published_rows(at_once, table, week_filter) == expected, f"{table} differs"
        assert expected or table == "dq_quarantine", f"{table} is empty: nothing compared"
    # the Parquet files too: the second single-week refresh appended its week to the first one's files (the
    # weekly marts changed no earlier week; decision 142), the backfill wrote them whole
    appended = {}
    for parquet in sorted(sequential.settings.published_parquet_dir.glob("*.parquet")):
        table = parquet.stem
        if table not in tables:
            continue
        week_filter = last_week if table in REFRESH_LOGS else ""
        assert _parquet_rows(parquet, week_filter) == _published_rows(at_once, table, week_filter), f"{parquet.name}"
        appended[table] = row_group_count(parquet)
    assert appended["fct_account_health_weekly"] == 2 and appended["fct_expansion_readiness_weekly"] == 2
    assert row_group_count(backfilled.settings.published_parquet_dir / "fct_account_health_weekly.parquet") == 1
    weekly = query(at_once, "select week_start, count(*) from fct_account_health_weekly group by 1 order by 1")
    every_week = [FIRST_WEEK + dt.timedelta(weeks=i) for i in range(25)]  # 2024-01-01 … 2024-06-17
    assert every_week[-2:] == WEEKS
    assert [w for w, _ in weekly] == every_week and all(n > 0 for _, n in weekly)

    # one run over the range, one dbt build for the whole window
    with environment(backfilled.root, backfilled.settings.landing_dir) as settings:
        (record,) = get_instance(settings).get_run_records(filters=dg.RunsFilter(job_name=REFRESH_JOB))
    tags = record.dagster_run.tags
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
        "2024-06-10",
        "2024-06-17",
    )
    assert len(list((settings.warehouse_dir / "dbt_runs").iterdir())) == 1


def test_a_failed_warning_is_shown_but_does_not_block_publishing(sequential: Built):
    code, out, _ = sequential.outputs[WEEKS[1].isoformat()]
    assert code == 0
    assert "warning: check warning: marts/dim_partners: gx_suite — marts.dim_partners: 1 of" in out
    assert "expect_column_values_to_be_in_set(region)" in out
    assert sequential.outputs["published_after_warning"][1] == WEEKS[1].isoformat()


def test_status_shows_refreshes_checks_quarantine_and_the_published_file(sequential: Built):
    with environment(sequential.root, sequential.settings.landing_dir):
        code, out, _ = cli("status", "--limit", "2")
    assert code == 0
    assert "Last 2 refresh(es):" in out
    for week in WEEKS:
        assert f"week {week}  SUCCESS" in out
    assert "0 error(s), 1 warning(s)" in out and "warning: marts/dim_partners: gx_suite" in out
    assert "Latest refresh of each week:" in out and f"  {WEEKS[0]}  SUCCESS" in out
    assert f"Quarantine, refresh week {WEEKS[-1]}" in out and "no rows quarantined" in out
    assert f"week {WEEKS[-1]} (as-of {WEEKS[-1] + dt.timedelta(days=6)})" in out
    assert "Alerts: none" in out


def test_an_error_check_blocks_publishing_and_leaves_the_published_files_byte_identical(sequential: Built):
    broken = suites_with(
        sequential.root,
        "marts.dim_accounts",
        [{"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1000}}],  # as if truncated
    )
    with environment(sequential.root, sequential.settings.landing_dir, broken) as settings:
        before = digests(settings)
        code, _, err = cli("refresh", "--week", WEEKS[-1].isoformat())
        assert code == 1
        assert f"The refresh of week {WEEKS[-1]} failed" in err and "nothing was published" in err
        assert "check failed (error): marts/dim_accounts: gx_suite — marts.dim_accounts: 1 of" in err
        assert "expect_table_row_count_to_be_between(table): observed 60" in err
        assert "step data_quality_checks failed" in err
        assert digests(settings) == before
        assert query(settings.published_duckdb, "select week_start from publish_info") == [(WEEKS[-1],)]

        alert = recent_alerts(settings.warehouse_dir)[-1]
        assert alert["source"] == "cli" and alert["weeks"] == WEEKS[-1].isoformat()
        assert any("marts/dim_accounts: gx_suite" in line for line in alert["failures"])

        code, status, _ = cli("status", "--limit", "1")
        assert code == 0
        assert f"week {WEEKS[-1]}  FAILURE" in status and "1 error(s)" in status
        assert "error: marts/dim_accounts: gx_suite" in status
        assert "Last 1 alert(s)" in status and f"run {alert['run_id'][:8]}" in status


def test_publishing_on_its_own_without_the_checks_is_refused(sequential: Built):
    """Materializing only the publish asset (as from the UI) must not bypass the gate."""
    with environment(sequential.root, sequential.settings.landing_dir) as settings:
        before = digests(settings)
        job = build_definitions(settings).resolve_job_def(REFRESH_JOB)
        result = job.execute_in_process(
            partition_key=WEEKS[-1].isoformat(),
            asset_selection=[dg.AssetKey(["published", "marts_duckdb"])],
            instance=get_instance(settings),
            raise_on_error=False,
        )
        assert not result.success
        failures = [e.step_failure_data.user_failure_data for e in result.all_events if e.is_step_failure]
        assert any(f is not None and "no data-quality check ran in this run" in f.description for f in failures)
        assert digests(settings) == before
