"""The command line as a person meets it: a mistake is answered at once, before any Dagster run; an error
inside a run prints its message, its stack trace is in the run's log file and event log; a refresh prints a
line per step, this week's numbers and every output, its full log goes to a file; a killed refresh does not
stay "running" for ever; the alert webhook's secret path appears nowhere."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.cli import build_parser, main
from dagster_project.defs.operations.alerts import alerts_path, recent_alerts, record_alert
from dagster_project.defs.operations.instance import get_instance
from dagster_project.defs.operations.jobs import REFRESH_JOB
from dagster_project.defs.operations.summary import read_headline
from dagster_project.defs.operations.up_to_date import Verdict, up_to_date
from dagster_project.defs.publish.gate import check_summary
from dagster_project.defs.warehouse import threads as dbt_threads
from dagster_project.lib.weeks import WeekWindow
from dagster_project.settings import Settings
from tests.helpers import isolated_env, query
from tests.landing import write_minimal_landing, write_table

WEEK = "2024-03-04"
BIN = Path(sys.executable).parent
# Exit code, then whether Dagster was imported at all: a mistake must be answered before it is.
_RUN_CLI = (
    "import sys\n"
    "from dagster_project.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('dagster imported' if 'dagster' in sys.modules else 'dagster not imported')\n"
    "sys.exit(code)\n"
)
TOKEN = "T0000000/B0000000/s3cr3tT0k3nXYZ"


def _cli_process(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", _RUN_CLI, *args], capture_output=True, text=True, env=os.environ.copy(), timeout=120
    )


def _no_runs(settings: Settings) -> bool:
    if not (settings.dagster_home / "dagster.yaml").exists():
        return True  # the CLI never even set up the Dagster instance
    return get_instance(settings).get_runs_count() == 0


def _closed_port() -> int:
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _without_column(settings: Settings) -> str:
    write_minimal_landing(settings.landing_dir)
    columns = ["product_id", "product_name", "product_line", "edition_rank", "pricing_model"]
    write_table(settings.landing_dir, "products", [("PR-CORE-1", "Core", "Core Platform", "1", "per_seat")], columns)
    return "products.csv: required column list_price_annual is missing"


def _latin1(settings: Settings) -> str:
    write_minimal_landing(settings.landing_dir)
    path = settings.landing_dir / "accounts.csv"
    path.write_bytes(path.read_bytes() + "A9,Caf\xe9 Noir,P1,SMB,Food,EMEA,FR,2023-01-01\n".encode("latin-1"))
    return "accounts.csv: unreadable, line 5 is not valid UTF-8 (byte 0xe9 at offset"


def _no_landing_folder(settings: Settings) -> str:
    settings.landing_dir.rmdir()
    return f"landing folder {settings.landing_dir} does not exist"


@pytest.mark.parametrize(
    ("command", "make_mistake"),
    [
        (["refresh", "--week", WEEK], _no_landing_folder),
        (["refresh", "--week", WEEK], _without_column),
        (["refresh", "--week", WEEK], _latin1),
        (["close-period", "2099-01"], lambda _: "2099-01 has not ended yet (it ends on 2099-01-31)"),
    ],
    ids=["missing-landing-folder", "csv-without-a-required-column", "csv-not-utf8", "month-not-ended"],
)
def test_a_mistake_is_answered_before_any_run_without_a_stack_trace(pp_env: Settings, command, make_mistake):
    expected = make_mistake(pp_env)
    done = _cli_process(*command)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert done.stderr.startswith(f"partnerpulse {command[0]}: ") and expected in done.stderr
    if command[0] != "close-period":
        assert "did not start" in done.stderr and "nothing was published" in done.stderr
    assert "Stack Trace" not in output and "Traceback" not in output
    assert "dagster not imported" in done.stdout  # answered before Dagster (seconds) is even loaded
    assert _no_runs(pp_env)  # no Dagster run was started to find the mistake


def _warehouse_is_a_file(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    write_minimal_landing(settings.landing_dir)
    settings.warehouse_dir.parent.joinpath("a-file").write_text("not a folder")
    monkeypatch.setenv("PARTNERPULSE_WAREHOUSE_DIR", str(settings.warehouse_dir.parent / "a-file"))


@pytest.mark.parametrize(
    ("command", "setting", "code", "expected"),
    [
        (["refresh", "--week", ""], {}, 2, "--week: '' is not a date in the form YYYY-MM-DD"),
        (["refresh", "--week", "20240304"], {}, 2, "--week: '20240304' is not a date in the form YYYY-MM-DD"),
        (
            ["refresh"],
            {"PARTNERPULSE_FIRST_WEEK": "2099-01-05"},
            1,
            "is before the first weekly partition 2099-01-05 (PARTNERPULSE_FIRST_WEEK",
        ),
        (
            ["refresh", "--week", WEEK],
            {"PARTNERPULSE_QUARANTINE_ERROR_SHARE": "nan"},
            2,
            "PARTNERPULSE_QUARANTINE_ERROR_SHARE: 'nan' is not a finite number",
        ),
        (
            ["refresh", "--week", WEEK],
            {"PARTNERPULSE_DBT_THREADS": "abc"},
            2,
            "PARTNERPULSE_DBT_THREADS: 'abc' is not a whole number from 1 to 64",
        ),
        (["refresh", "--week", WEEK], _warehouse_is_a_file, 1, "a-file: File exists (PARTNERPULSE_WAREHOUSE_DIR"),
        (["demo-data", "--end", "2024-3-3"], {}, 2, "--end: '2024-3-3' is not a date in the form YYYY-MM-DD"),
    ],
    ids=[
        "empty-week",
        "week-without-dashes",
        "default-week-before-first",
        "nan-share",
        "threads",
        "warehouse-file",
        "end",
    ],
)
def test_a_wrong_argument_or_setting_is_one_paragraph_and_no_run(
    pp_env: Settings, monkeypatch: pytest.MonkeyPatch, command, setting, code, expected
):
    """SPEC §1: non-zero with a one-paragraph, human-readable reason — each caught before a run starts."""
    if callable(setting):
        setting(pp_env, monkeypatch)
    else:
        for name, value in setting.items():
            monkeypatch.setenv(name, value)
    done = _cli_process(*command)
    assert done.returncode == code, done.stdout + done.stderr
    assert done.stderr.startswith(f"partnerpulse {command[0]}: ") and expected in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert _no_runs(pp_env)


def test_an_error_inside_a_run_prints_its_message_and_keeps_the_stack_trace_in_the_run_log(
    pp_env: Settings, capfd: pytest.CaptureFixture, caplog: pytest.LogCaptureFixture, monkeypatch
):
    # valid for the checks before the run (they read each CSV's first MiB); a bad byte after that is
    # only found while loading, inside the run
    write_minimal_landing(pp_env.landing_dir)
    rows = [(f"F{i:06d}", "PR-CORE-1", "Dashboards", "basic") for i in range(45_000)]
    features = write_table(pp_env.landing_dir, "features", rows)
    assert features.stat().st_size > (1 << 20)
    features.write_bytes(features.read_bytes() + b"F999999,PR-CORE-1,Caf\xe9,basic\n")
    url = f"http://127.0.0.1:{_closed_port()}/services/{TOKEN}"
    monkeypatch.setenv("PARTNERPULSE_ALERT_WEBHOOK_URL", url)
    monkeypatch.setenv("PARTNERPULSE_ALERT_WEBHOOK_TIMEOUT", "2")

    with caplog.at_level(logging.DEBUG):
        assert main(["refresh", "--week", WEEK]) == 1
        console = capfd.readouterr()
        output = console.out + console.err
        assert "Stack Trace" not in output and "Traceback" not in output
        assert "features.csv: unreadable (" in output and "invalid UTF8 data" in output
        assert "step ingest_landing failed: The landing data cannot be used" in console.err
        assert len(output.splitlines()) <= 12, output  # the step that failed, the steps not run, why

        # ... where the run's log file and event log have the whole error, stack trace included
        log = Path(re.search(r"^Full log, with the stack trace: (\S+)$", console.err, re.MULTILINE)[1])
        assert "Stack Trace:" in log.read_text(encoding="utf-8") and "features.csv: unreadable" in log.read_text()
        instance = get_instance(pp_env)
        (record,) = instance.get_run_records(filters=dg.RunsFilter(job_name=REFRESH_JOB))
        assert record.dagster_run.status == dg.DagsterRunStatus.FAILURE
        (failure,) = instance.all_logs(record.dagster_run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
        error = failure.dagster_event.step_failure_data.error
        assert "Stack Trace:" in error.to_string() and "features.csv: unreadable" in error.to_string()

        # the CLI alerted its own failed run; the webhook is down; its URL shows as scheme and host only
        (alert,) = recent_alerts(pp_env.warehouse_dir)
        assert alert["source"] == "cli" and alert["run_id"] == record.dagster_run.run_id
        assert alert["webhook"].startswith("failed: ")
        said: list[str] = []
        record_alert({"run_id": "r2", "text": "run r2 failed"}, pp_env.warehouse_dir, log=said.append)
        record_alert({"run_id": "r3", "text": "run r3 failed"}, pp_env.warehouse_dir)  # to the Python log
        assert main(["status"]) == 0
        status = capfd.readouterr().out
    assert said[-1].startswith("alert webhook http://127.0.0.1/…: failed: ")
    assert any(r.getMessage().startswith("alert webhook http://127.0.0.1/…: failed") for r in caplog.records)
    assert "webhook: failed: " in status
    for where, text in {
        "console": output,
        "log": "\n".join(said + [r.getMessage() for r in caplog.records]),
        "alerts.jsonl": alerts_path(pp_env.warehouse_dir).read_text(encoding="utf-8"),
        "status": status,
    }.items():
        assert "s3cr3tT0k3n" not in text and "/services/" not in text, where


def test_a_malformed_webhook_url_is_not_echoed(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PARTNERPULSE_ALERT_WEBHOOK_URL", f"hooks.example.com/services/{TOKEN}")
    said: list[str] = []
    alert = record_alert({"run_id": "r1", "text": "run r1 failed"}, tmp_path, log=said.append)
    assert alert is not None and alert["webhook"].startswith("failed: unknown url type")
    assert said[-1].startswith("alert webhook (the configured webhook URL): failed: ")
    assert "s3cr3tT0k3n" not in json.dumps(alert) + "\n".join(said)
    assert "s3cr3tT0k3n" not in alerts_path(tmp_path).read_text(encoding="utf-8")


def _started_refresh(settings: Settings, timeout: float = 180) -> dg.DagsterRun:
    """Wait until a refresh run is STARTED in the run storage (another process writes it)."""
    instance = get_instance(settings)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = instance.get_run_records(
            filters=dg.RunsFilter(job_name=REFRESH_JOB, statuses=[dg.DagsterRunStatus.STARTED])
        )
        if records:
            return records[0].dagster_run
        time.sleep(0.1)
    raise AssertionError("the refresh never started")


def _killed_refresh(settings: Settings) -> tuple[dg.DagsterRun, int]:
    """A refresh in a process of its own, killed (SIGKILL, its whole process group) once its run has started."""
    killed = subprocess.Popen(
        [str(BIN / "partnerpulse"), "refresh", "--week", WEEK],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: kill -9 reaches dbt too, if it got that far
    )
    try:
        run = _started_refresh(settings)
    finally:
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait(timeout=60)
    return run, killed.pid


# ---------------------------------------------------------------------------------- what a refresh prints

STEP_LINE = re.compile(r"^ +\d+:\d\d  (?P<label>[a-z ]+?) {2,}(?P<detail>.*)$")


@dataclass(frozen=True)
class Printed:
    """What the command line printed: exit code, standard output, standard error."""

    code: int
    out: str
    err: str


def _printed(*argv: str) -> Printed:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return Printed(code, out.getvalue(), err.getvalue())


@dataclass(frozen=True)
class Refreshes:
    settings: Settings
    killed_run: dg.DagsterRun  # a refresh killed (SIGKILL) once its run had started, before the first
    killed_pid: int
    killed_run_status_after_kill: dg.DagsterRunStatus
    status_after_kill: Printed
    first_started_at: dt.datetime
    first: Printed  # the next refresh: marks the killed run failed
    status: Printed
    second: Printed  # the same week again, PARTNERPULSE_KEEP_DBT_RUNS=1
    dbt_runs_after_second: list[str]
    dbt_run_files: set[str]  # what the second refresh's dbt folder holds
    dbt_threads_of_second: int | None  # the --threads its dbt build was given
    again: Printed  # the same week, nothing changed: up to date
    runs_before_again: int
    runs_after_again: int
    published_before_again: os.stat_result
    published_after_again: os.stat_result
    closed: Printed  # close-period at PARTNERPULSE_LOG_LEVEL=DEBUG
    verdict_after_close: Verdict


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Refreshes]:
    """The minimal landing: a refresh killed once started, then the same week refreshed twice (status in
    between and after the kill), then February closed."""
    root = tmp_path_factory.mktemp("cli")
    with isolated_env(root, dt.date(2024, 1, 1)) as settings, pytest.MonkeyPatch.context() as mp:
        write_minimal_landing(settings.landing_dir)
        killed_run, killed_pid = _killed_refresh(settings)
        killed_status = get_instance(settings).get_run_by_id(killed_run.run_id).status
        status_after_kill = _printed("status")
        first_started_at = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
        first = _printed("refresh", "--week", WEEK)
        status = _printed("status")
        mp.setenv("PARTNERPULSE_KEEP_DBT_RUNS", "1")
        # no PARTNERPULSE_DBT_THREADS (the profile's default is 2), and any landing counts as big
        mp.delenv(dbt_threads.THREADS_ENV, raising=False)
        mp.setattr(dbt_threads, "ONE_AT_A_TIME_MIN_LANDED_ROWS", 0)
        second = _printed("refresh", "--week", WEEK)
        runs = sorted(p.name for p in (settings.warehouse_dir / "dbt_runs").iterdir())
        run_files = {p.name for p in (settings.warehouse_dir / "dbt_runs" / runs[-1]).iterdir()}
        run_results = json.loads((settings.warehouse_dir / "dbt_runs" / runs[-1] / "run_results.json").read_text())
        instance = get_instance(settings)
        runs_before, published_before = instance.get_runs_count(), settings.published_duckdb.stat()
        again = _printed("refresh", "--week", WEEK)
        runs_after, published_after = instance.get_runs_count(), settings.published_duckdb.stat()
        mp.setenv("PARTNERPULSE_LOG_LEVEL", "DEBUG")
        closed = _printed("close-period", "2024-02", "--yes")
        mp.delenv("PARTNERPULSE_LOG_LEVEL")
        window = WeekWindow(first=dt.date.fromisoformat(WEEK), last=dt.date.fromisoformat(WEEK))
        verdict = up_to_date(settings, window)
        yield Refreshes(
            settings,
            killed_run,
            killed_pid,
            killed_status,
            status_after_kill,
            first_started_at,
            first,
            status,
            second,
            runs,
            run_files,
            run_results["args"].get("threads"),
            again,
            runs_before,
            runs_after,
            published_before,
            published_after,
            closed,
            verdict,
        )


@pytest.mark.slow
def test_a_refresh_prints_a_line_per_step_then_the_numbers_and_every_output(refreshed: Refreshes):
    settings, printed = refreshed.settings, refreshed.first
    assert printed.code == 0, printed.err
    lines = printed.out.splitlines()
    assert len(lines) <= 40, printed.out  # ~1,300 lines of Dagster and dbt logs before
    assert lines[0].startswith(f"Refreshing week {WEEK} ")  # a first refresh: nothing to compare, not said
    assert "Running with dbt" not in printed.out + printed.err and " - dagster - " not in printed.out + printed.err
    assert "Traceback" not in printed.err

    matched = [m for m in map(STEP_LINE.match, lines) if m]
    labels = [m["label"] for m in matched]
    exports = ["partner feeds", "finance files", "executive page", "docs site"]  # in an order Dagster chooses
    assert labels[:5] == ["landing", "freshness checks", "dbt build", "quality checks", "publish"], printed.out
    assert sorted(labels[5:]) == sorted(exports), printed.out  # one line each
    steps = {m["label"]: m["detail"] for m in matched}
    done, total = re.match(r"(\d+)/(\d+) nodes: ", steps["dbt build"]).groups()
    assert done == total and int(total) > 500  # every model, seed and test of the build
    assert steps["landing"].startswith("21 tables, ")

    headline = read_headline(settings.published_duckdb)
    assert headline.week_start == dt.date.fromisoformat(WEEK)
    for line in headline.lines():  # accounts scored, At Risk, NRR with its period, payouts due
        assert line in lines
    log = re.search(r"^Full log: (\S+)", printed.out, re.MULTILINE)[1]
    for path in (
        settings.published_duckdb,
        f"{settings.published_parquet_dir}/",
        settings.reports_dir / f"executive-{WEEK}.html",
        f"{settings.exports_dir / 'payouts'}/",
        f"{settings.exports_dir / 'partners'}/",
        settings.published_dir / "docs" / "index.html",  # not regenerated in the tests (PARTNERPULSE_PUBLISH_DOCS=0)
        settings.duckdb_path,
        log,
    ):
        assert re.search(rf"^  [A-Z][^:]+: +{re.escape(str(path))}( |$)", printed.out, re.MULTILINE), path


@pytest.mark.slow
def test_every_check_of_the_refresh_is_published_beside_the_refresh_log(refreshed: Refreshes):
    """SPEC §9: the refresh log's check results — dq_check_results, one row per check of the week's latest
    refresh (the same week again replaced the first refresh's rows), joined to dq_refresh_log on
    refresh_week and table_name; a failed check says why, a passed one says nothing (decision 157)."""
    settings = refreshed.settings
    instance = get_instance(settings)
    latest = max(
        instance.get_runs(filters=dg.RunsFilter(job_name=REFRESH_JOB, statuses=[dg.DagsterRunStatus.SUCCESS])),
        key=lambda run: instance.get_run_record_by_id(run.run_id).create_timestamp,
    )
    rows = query(
        settings.published_duckdb,
        "select refresh_week, run_id, asset_key, table_name, check_name, severity, passed, failure "
        "from dq_check_results order by asset_key, check_name",
    )
    assert {(row[0], row[1]) for row in rows} == {(dt.date.fromisoformat(WEEK), latest.run_id)}
    # every check the run evaluated: the dbt tests of the models it rebuilt, the suites, freshness, shares, counts
    assert len(rows) == check_summary(instance, latest.run_id).evaluated > 250
    assert len({(row[2], row[4]) for row in rows}) == len(rows)
    by_check = {(row[2], row[4]): row[5:] for row in rows}
    assert by_check[("landing/accounts", "gx_suite")] == (None, True, None)
    assert by_check[("marts/fct_arr_movements", "assert_arr_bridge_reconciles")] == (None, True, None)
    failed = {key: value for key, value in by_check.items() if not value[1]}
    assert failed and all(severity == "warn" and failure for severity, _, failure in failed.values()), failed
    unmatched = query(
        settings.published_duckdb,
        "select table_name from dq_refresh_log as log where not exists (select 1 from dq_check_results as checks "
        "where checks.refresh_week = log.refresh_week and checks.table_name = log.table_name "
        "and checks.asset_key = 'landing/' || log.table_name)",
    )
    assert unmatched == []
    parquet = settings.published_parquet_dir / "dq_check_results.parquet"
    with duckdb.connect() as con:
        assert con.execute("select count(*) from read_parquet(?)", [str(parquet)]).fetchone() == (len(rows),)


@pytest.mark.slow
def test_the_full_log_of_a_refresh_is_in_a_file(refreshed: Refreshes):
    path = Path(re.search(r"^Full log: (\S+)", refreshed.first.out, re.MULTILINE)[1])
    assert path.parent == refreshed.settings.warehouse_dir / "logs" and path.name.startswith(f"refresh-{WEEK}-")
    log = path.read_text(encoding="utf-8")
    assert "Running with dbt=" in log  # dbt's own output
    assert re.search(r"^\d+ of \d+ OK created sql table model marts\.dim_accounts ", log, re.MULTILINE)
    assert " - DEBUG - partnerpulse_weekly_refresh - " in log and " - STEP_SUCCESS - " in log  # every Dagster record
    assert "ingest_landing - accounts: 3 rows from 1 file(s)" in log


@pytest.mark.slow
def test_the_refresh_and_status_show_the_same_run_duration(refreshed: Refreshes):
    took, run_id = re.search(
        rf"^Refreshed week {WEEK} in (\d+)s \(run ([0-9a-f-]+)\)\.$", refreshed.first.out, re.M
    ).groups()
    (line,) = [line for line in refreshed.status.out.splitlines() if f"run {run_id[:8]}" in line and "took" in line]
    assert f" took {took}s " in line, line


@pytest.mark.slow
def test_dbt_runs_keeps_only_the_newest_runs(refreshed: Refreshes):
    assert refreshed.second.code == 0, refreshed.second.err
    run_id = re.search(r"\(run ([0-9a-f-]+)\)\.$", refreshed.second.out, re.M)[1]
    assert refreshed.dbt_runs_after_second == [f"{run_id[:8]}-0"]  # PARTNERPULSE_KEEP_DBT_RUNS=1
    # manifest, run results, compiled SQL; no dbt.log, dbt's debug log (DBT_LOG_LEVEL_FILE=debug, decision 104)
    assert {"compiled", "manifest.json", "run_results.json"} <= refreshed.dbt_run_files
    assert "dbt.log" not in refreshed.dbt_run_files


@pytest.mark.slow
def test_a_big_landing_is_built_one_model_at_a_time(refreshed: Refreshes):
    """Without PARTNERPULSE_DBT_THREADS, a DuckDB build of more than ONE_AT_A_TIME_MIN_LANDED_ROWS landed rows (0
    for the second refresh) runs one dbt thread, and the log says why (decision 143); the first refresh, with the
    tests' PARTNERPULSE_DBT_THREADS=1, kept the profile's threads and said nothing."""
    assert refreshed.dbt_threads_of_second == 1
    printed = (refreshed.first, refreshed.second)
    logs = [Path(re.search(r"^Full log: (\S+)", each.out, re.M)[1]) for each in printed]
    said = "landed rows: dbt builds one model at a time, each query with DuckDB's whole memory limit"
    assert said not in logs[0].read_text(encoding="utf-8")
    assert said in logs[1].read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_refresh_with_nothing_changed_starts_no_run(refreshed: Refreshes):
    first_run = re.search(rf"^Refreshed week {WEEK} in \d+s \(run ([0-9a-f-]+)\)\.$", refreshed.first.out, re.M)[1]
    second_run = re.search(rf"^Refreshed week {WEEK} in \d+s \(run ([0-9a-f-]+)\)\.$", refreshed.second.out, re.M)[1]
    # the second refresh ran: a setting changed (PARTNERPULSE_KEEP_DBT_RUNS), and it said why first
    assert refreshed.second.out.startswith(
        f"Not up to date: the settings changed since the last refresh, run {first_run[:8]}.\nRefreshing week {WEEK}"
    )

    again = refreshed.again
    assert again.code == 0, again.err
    assert again.out.startswith(f"Up to date: run {second_run} refreshed week {WEEK} (as-of 2024-03-10) "), again.out
    assert "Refreshed week" not in again.out and "dbt build" not in again.out
    assert refreshed.runs_after_again == refreshed.runs_before_again  # no Dagster run
    before, after = refreshed.published_before_again, refreshed.published_after_again
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # nothing published again
    headline = read_headline(refreshed.settings.published_duckdb)
    for line in headline.lines():  # the same numbers and outputs as after a refresh
        assert line in again.out.splitlines()
    assert re.search(rf"^  Full log of this run: +\S+refresh-{WEEK}-{second_run[:8]}\.log$", again.out, re.M)

    # closing a period wrote the warehouse and its finance files: the next refresh runs
    assert refreshed.verdict_after_close.receipt is None
    changed = f"the warehouse and outputs changed since the last refresh, run {second_run[:8]}"
    assert refreshed.verdict_after_close.reason == changed


@pytest.mark.slow
def test_a_killed_refresh_is_marked_failed_by_the_next_one(refreshed: Refreshes):
    run, pid, host = refreshed.killed_run, refreshed.killed_pid, socket.gethostname()
    assert refreshed.killed_run_status_after_kill == dg.DagsterRunStatus.STARTED  # as the kill left it
    status = refreshed.status_after_kill.out
    assert refreshed.status_after_kill.code == 0
    assert f"its process (pid {pid} on {host}) has ended — killed or crashed" in status
    assert "Running now" not in status  # the operating system released its lock

    assert refreshed.first.code == 0, refreshed.first.err
    reason = (
        f"The process (pid {pid} on {host}) ended without finishing the run — killed or "
        f"crashed; marked failed by partnerpulse refresh of week {WEEK} (run "
    )
    assert f"run {run.run_id} ({REFRESH_JOB}) was still STARTED: {reason}" in refreshed.first.err  # on the console

    instance = get_instance(refreshed.settings)
    old = instance.get_run_by_id(run.run_id)
    assert old.status == dg.DagsterRunStatus.FAILURE  # what the UI and the run list show
    (failure,) = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    assert failure.dagster_event.message.startswith(reason)
    marked_at = dt.datetime.strptime(failure.dagster_event.message.rsplit(" at ", 1)[1], "%Y-%m-%d %H:%M:%S UTC.")
    assert refreshed.first_started_at <= marked_at <= dt.datetime.now(dt.UTC).replace(tzinfo=None)
    (alert,) = [a for a in recent_alerts(refreshed.settings.warehouse_dir) if a["run_id"] == run.run_id]
    assert alert["source"] == "abandoned-run check" and alert["status"] == "FAILURE"
    assert alert["failures"] == [f"run failed: {failure.dagster_event.message}"]

    status = refreshed.status.out  # after the next refresh
    assert f"week {WEEK}  FAILURE" in status and f"run {run.run_id[:8]}" in status
    assert f"week {WEEK}  SUCCESS" in status and "has ended — killed or crashed" not in status
    assert f"      run failed: {reason}" in status
    from dagster_project.defs.operations.instance import fail_abandoned_runs

    # the next one finds nothing left to mark
    warehouse = refreshed.settings.warehouse_dir
    assert fail_abandoned_runs(instance, None, by="test", warehouse_dir=warehouse, log=print) == []


@pytest.mark.slow
def test_close_period_prints_its_success_line_once(refreshed: Refreshes):
    assert refreshed.closed.code == 0, refreshed.closed.err
    assert "Closed 2024-02: " in refreshed.closed.out
    assert (refreshed.closed.out + refreshed.closed.err).count("Closed 2024-02") == 1  # twice at DEBUG before


# ------------------------------------------------------------------------------------- arguments, help


def test_status_limit_must_be_a_positive_number(pp_env: Settings, capsys):
    for value in ("-3", "0", "many"):
        with pytest.raises(SystemExit) as exited:
            main(["status", "--limit", value])
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert f"partnerpulse status: error: argument --limit: '{value}' is not a positive whole number" in err


def test_every_command_and_option_is_described_in_help(capsys):
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    listed = {choice.dest: choice.help for choice in commands._choices_actions}
    assert set(listed) == set(commands.choices) and all(listed.values())
    for name, command in commands.choices.items():
        assert command.description and len(command.description) > len(listed[name]), name
        with pytest.raises(SystemExit) as exited:
            main([name, "--help"])
        assert exited.value.code == 0
        shown = " ".join(capsys.readouterr().out.split())
        assert " ".join(command.description.split()) in shown, name
        for action in command._actions:
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"
