"""The command line as a person meets it: a mistake is answered at once, before any Dagster run; an error
inside a run prints its message, its stack trace stays in the run's event log; a killed refresh does not
stay "running" for ever; the alert webhook's secret path appears nowhere."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.cli import main
from dagster_project.defs.operations.alerts import alerts_path, recent_alerts, record_alert
from dagster_project.defs.operations.instance import get_instance
from dagster_project.defs.operations.jobs import REFRESH_JOB
from dagster_project.settings import Settings
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
    started = time.monotonic()
    done = _cli_process(*command)
    took = time.monotonic() - started
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert done.stderr.startswith(f"partnerpulse {command[0]}: ") and expected in done.stderr
    if command[0] != "close-period":
        assert "did not start" in done.stderr and "nothing was published" in done.stderr
    assert "Stack Trace" not in output and "Traceback" not in output
    assert "dagster not imported" in done.stdout  # answered before Dagster (seconds) is even loaded
    assert _no_runs(pp_env)
    assert took < 20, took  # 25-50 s before: a Dagster run was started to find the mistake


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
        assert "the stack trace is in the run's event log" in console.err

        # ... where the run's event log has the whole error, stack trace included
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


@pytest.mark.slow
def test_a_killed_refresh_is_marked_failed_by_the_next_one(pp_env: Settings, capsys):
    write_minimal_landing(pp_env.landing_dir)
    killed = subprocess.Popen(
        [str(BIN / "partnerpulse"), "refresh", "--week", WEEK],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: kill -9 reaches dbt too, if it got that far
    )
    try:
        run = _started_refresh(pp_env)
    finally:
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait(timeout=60)
    instance = get_instance(pp_env)
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED  # as the kill left it

    assert main(["status"]) == 0
    status = capsys.readouterr().out
    assert f"its process (pid {killed.pid} on {socket.gethostname()}) has ended — killed or crashed" in status
    assert "Running now" not in status  # the operating system released its lock

    started = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    assert main(["refresh", "--week", WEEK]) == 0
    console = capsys.readouterr()
    reason = (
        f"The process (pid {killed.pid} on {socket.gethostname()}) ended without finishing the run — killed or "
        f"crashed; marked failed by partnerpulse refresh of week {WEEK} (run "
    )
    assert f"run {run.run_id} ({REFRESH_JOB}) was still STARTED: {reason}" in console.err  # said on the console

    old = instance.get_run_by_id(run.run_id)
    assert old.status == dg.DagsterRunStatus.FAILURE  # what the UI and the run list show
    (failure,) = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    assert failure.dagster_event.message.startswith(reason)
    marked_at = dt.datetime.strptime(failure.dagster_event.message.rsplit(" at ", 1)[1], "%Y-%m-%d %H:%M:%S UTC.")
    assert started <= marked_at <= dt.datetime.now(dt.UTC).replace(tzinfo=None)
    (alert,) = [a for a in recent_alerts(pp_env.warehouse_dir) if a["run_id"] == run.run_id]
    assert alert["source"] == "abandoned-run check" and alert["status"] == "FAILURE"
    assert alert["failures"] == [f"run failed: {failure.dagster_event.message}"]

    assert main(["status"]) == 0
    status = capsys.readouterr().out
    assert f"week {WEEK}  FAILURE" in status and f"run {run.run_id[:8]}" in status
    assert f"week {WEEK}  SUCCESS" in status and "has ended — killed or crashed" not in status
    assert f"      run failed: {reason}" in status
    from dagster_project.defs.operations.instance import fail_abandoned_runs

    # the next one finds nothing left to mark
    assert fail_abandoned_runs(instance, None, by="test", warehouse_dir=pp_env.warehouse_dir, log=print) == []
