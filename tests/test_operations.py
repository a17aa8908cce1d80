"""Operations without a dbt build: the failure sensor and its webhook, the writer lock, the order of the
checks in the job, the run queue, the backfill command's arguments, the refresh summary's headline numbers
and what the warehouse folder keeps of earlier runs."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import re
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator

import dagster as dg
import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.definitions import build_definitions
from dagster_project.defs.operations.alerts import alerts_path, failure_lines, post_webhook, recent_alerts, record_alert
from dagster_project.defs.operations.instance import get_instance
from dagster_project.defs.operations.jobs import REFRESH_JOB
from dagster_project.defs.operations.progress import STEP_LABELS
from dagster_project.defs.operations.retention import KEEP_RUN_LOGS, prune_run_logs
from dagster_project.defs.operations.sensors import FAILURE_SENSOR
from dagster_project.defs.operations.summary import read_headline
from dagster_project.defs.partner_feeds.assets import PARTNER_FEEDS_KEY
from dagster_project.defs.payouts.assets import FINANCE_EXPORTS_KEY
from dagster_project.defs.publish.assets import DOCS_KEY
from dagster_project.defs.quality.checks import FRESHNESS_STEP, QUALITY_STEP
from dagster_project.defs.reports.assets import EXECUTIVE_PAGE_KEY
from dagster_project.defs.serving.assets import POSTGRES_KEY
from dagster_project.settings import Settings
from tests.landing import write_minimal_landing

WEEK = "2024-03-04"


class _Hook(http.server.BaseHTTPRequestHandler):
    received: list[dict] = []  # noqa: RUF012 - shared with the test on purpose
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"content_type": self.headers["Content-Type"], "json": json.loads(body)})
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, type[_Hook]]]:
    _Hook.received = []
    _Hook.status = 200
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/alerts", _Hook
    finally:
        server.shutdown()
        server.server_close()


def _failed_refresh(settings: Settings):
    """A real run of the refresh job that fails fast: the landing folder is empty."""
    defs = build_definitions(settings)
    instance = get_instance(settings)
    result = defs.resolve_job_def(REFRESH_JOB).execute_in_process(
        partition_key=WEEK, instance=instance, raise_on_error=False
    )
    assert not result.success
    return defs, instance, result


def test_failure_sensor_records_the_alert_and_posts_it_to_the_webhook(
    pp_env: Settings, webhook, monkeypatch: pytest.MonkeyPatch
):
    url, hook = webhook
    monkeypatch.setenv("PARTNERPULSE_ALERT_WEBHOOK_URL", url)
    defs, instance, result = _failed_refresh(pp_env)
    sensor = defs.resolve_sensor_def(FAILURE_SENSOR)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING

    context = dg.build_run_status_sensor_context(
        sensor_name=FAILURE_SENSOR,
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    ).for_run_failure()
    sensor(context)

    (alert,) = recent_alerts(pp_env.warehouse_dir)
    assert alert["run_id"] == result.run_id and alert["weeks"] == WEEK and alert["source"] == "sensor"
    assert alert["webhook"] == "delivered (HTTP 200)"
    assert any(
        "step ingest_landing failed" in line and "required landing table is missing" in line
        for line in alert["failures"]
    )
    assert "nothing was published" in alert["text"]
    (posted,) = hook.received
    assert posted["content_type"] == "application/json"
    assert posted["json"]["run_id"] == result.run_id and posted["json"]["text"] == alert["text"]

    sensor(context)  # evaluated again (e.g. after a daemon restart): still one alert
    assert len(recent_alerts(pp_env.warehouse_dir)) == 1 and len(hook.received) == 1


def test_an_unreachable_webhook_is_logged_and_the_alert_still_recorded(
    pp_env: Settings, webhook, monkeypatch: pytest.MonkeyPatch
):
    url, hook = webhook
    hook.status = 500
    monkeypatch.setenv("PARTNERPULSE_ALERT_WEBHOOK_URL", url)
    defs, instance, result = _failed_refresh(pp_env)
    context = dg.build_run_status_sensor_context(
        sensor_name=FAILURE_SENSOR,
        dagster_event=result.get_run_failure_event(),
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    ).for_run_failure()
    defs.resolve_sensor_def(FAILURE_SENSOR)(context)  # does not raise
    assert recent_alerts(pp_env.warehouse_dir)[-1]["webhook"].startswith("failed: HTTP 500")

    # the CLI alerts its own failed runs (tests/test_cli.py); a mistake it answers before starting a run
    # (here: the empty landing folder) is no failed run and no alert
    monkeypatch.setenv("PARTNERPULSE_ALERT_WEBHOOK_URL", "http://127.0.0.1:9/nothing-listens-here")
    assert main(["refresh", "--week", WEEK]) == 1
    assert len(instance.get_runs()) == 1
    assert alerts_path(pp_env.warehouse_dir).read_text(encoding="utf-8").count("\n") == 1


def test_a_malformed_webhook_url_is_an_outcome_not_an_exception():
    assert post_webhook("hooks.example.com/no-scheme", {"text": "x"}, timeout=1).startswith("failed: ")


@pytest.mark.parametrize("timeout", ["nan", "inf", "-1", "soon"])
def test_a_bad_webhook_timeout_is_logged_and_the_alert_still_goes_out(
    tmp_path, webhook, monkeypatch: pytest.MonkeyPatch, timeout: str
):
    url, hook = webhook
    monkeypatch.setenv("PARTNERPULSE_ALERT_WEBHOOK_URL", url)
    monkeypatch.setenv("PARTNERPULSE_ALERT_WEBHOOK_TIMEOUT", timeout)
    said: list[str] = []
    alert = record_alert({"run_id": "r1", "text": "run r1 failed"}, tmp_path, log=said.append)
    assert alert is not None and alert["webhook"] == "delivered (HTTP 200)" and len(hook.received) == 1
    assert f"PARTNERPULSE_ALERT_WEBHOOK_TIMEOUT: '{timeout}' is not a number of seconds in (0, 3600]; using 10" in said


def test_checks_run_between_the_build_and_publishing(pp_env: Settings):
    defs = build_definitions(pp_env)
    job = defs.resolve_job_def(REFRESH_JOB)
    graph = defs.resolve_asset_graph()
    names = {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys}
    assert {
        ("landing/usage_daily", "freshness"),
        ("landing/usage_daily", "gx_suite"),
        ("landing/accounts", "quarantine_share"),
        ("landing/accounts", "row_count_change"),
        ("marts/fct_account_health_weekly", "gx_suite"),
        ("marts/dim_accounts", "row_count_change"),
    } <= names
    upstream: dict[str, set[str]] = {}
    for node in job.graph.nodes:
        deps = job.graph.dependency_structure.input_to_upstream_outputs_for_node(node.name)
        upstream[node.name] = {output.node.name for outputs in deps.values() for output in outputs}
    assert "ingest_landing" in upstream[FRESHNESS_STEP]
    assert FRESHNESS_STEP in upstream["partnerpulse_dbt"]  # a stale table configured as an error stops the build
    assert "partnerpulse_dbt" in upstream[QUALITY_STEP]
    assert QUALITY_STEP in upstream["published__marts_duckdb"]  # publishing waits for every suite


def test_daemon_runs_are_queued_one_at_a_time(pp_env: Settings):
    instance = get_instance(pp_env)
    assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1


def test_a_second_writer_fails_fast_with_a_clear_message(pp_env: Settings, capsys):
    write_minimal_landing(pp_env.landing_dir)  # the landing checks before the lock pass
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from pathlib import Path
                from dagster_project.defs.operations.locking import warehouse_lock
                with warehouse_lock(Path({str(pp_env.warehouse_dir)!r}), holder="partnerpulse backfill of weeks X … Y"):
                    print("held", flush=True)
                    sys.stdin.read()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        started = dt.datetime.now()
        assert main(["refresh", "--week", WEEK]) == 1
        err = capsys.readouterr().err
        assert "Another run is writing the warehouse" in err
        assert f"partnerpulse backfill of weeks X … Y, pid {holder.pid}" in err
        assert (dt.datetime.now() - started).total_seconds() < 30

        # a run launched another way (UI, schedule) is stopped by the lock resource of the run itself
        defs = build_definitions(pp_env)
        result = defs.resolve_job_def(REFRESH_JOB).execute_in_process(
            partition_key=WEEK, instance=get_instance(pp_env), raise_on_error=False
        )
        assert not result.success
        (line,) = failure_lines(get_instance(pp_env), result.run_id)  # what the alert says
        assert line.startswith("run failed: WarehouseBusy: Another run is writing the warehouse")

        # so is a run of one step after publishing, e.g. the finance files materialised alone from the UI while
        # a close-period writes a period's final files
        asset_job = defs.resolve_implicit_global_asset_job_def()
        for key in (FINANCE_EXPORTS_KEY, PARTNER_FEEDS_KEY, EXECUTIVE_PAGE_KEY, DOCS_KEY, POSTGRES_KEY):
            result = asset_job.execute_in_process(
                partition_key=WEEK, asset_selection=[key], instance=get_instance(pp_env), raise_on_error=False
            )
            assert not result.success, key
            (line,) = failure_lines(get_instance(pp_env), result.run_id)
            assert line.startswith("run failed: WarehouseBusy: Another run is writing the warehouse"), (key, line)
        assert not (pp_env.exports_dir / "payouts").exists()
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert main(["status"]) == 0
    assert "Running now" not in capsys.readouterr().out  # released when the holder ended


def test_backfill_arguments_are_checked(pp_env: Settings, capsys):
    assert main(["backfill", "--from", "2024-03-11", "--to", "2024-03-04"]) == 2
    assert "--to 2024-03-04 is before --from 2024-03-11" in capsys.readouterr().err
    assert main(["backfill", "--from", "2024-03-05", "--to", "2024-03-11"]) == 2
    assert "--from: 2024-03-05 is a Tuesday" in capsys.readouterr().err
    assert main(["backfill", "--from", "2023-12-25", "--to", "2024-01-08"]) == 2
    assert "before the first weekly partition 2024-01-01" in capsys.readouterr().err
    assert main(["backfill", "--from", "2024-01-01", "--to", "2998-12-31"]) == 2
    assert "has not ended yet" in capsys.readouterr().err


def test_status_labels_quarantine_with_each_tables_own_threshold(
    pp_env: Settings, tmp_path, monkeypatch: pytest.MonkeyPatch, capsys
):
    # accounts' suite allows 20% quarantined; contacts falls back to PARTNERPULSE_QUARANTINE_ERROR_SHARE (5%)
    suites = tmp_path / "expectations"
    suites.mkdir()
    override = {"name": "landing.accounts", "meta": {"partnerpulse": {"quarantine_error_share": 0.2}}}
    override["expectations"] = []
    (suites / "landing.accounts.json").write_text(json.dumps(override), encoding="utf-8")
    monkeypatch.setenv("PARTNERPULSE_EXPECTATIONS_DIR", str(suites))
    monkeypatch.setenv("PARTNERPULSE_QUARANTINE_ERROR_SHARE", "0.05")
    pp_env.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(pp_env.duckdb_path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.dq_refresh_log as select * from (values "
            "(date '2024-03-04', 'accounts', 100, 90, 10, 0.10), (date '2024-03-04', 'contacts', 100, 90, 10, 0.10)) "
            "t(refresh_week, table_name, rows_landed, rows_staged, rows_quarantined, quarantine_share)"
        )
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "Quarantine, refresh week 2024-03-04 (working warehouse): 20 of 200 landed rows" in out
    assert re.search(r"accounts +10 of +100 \(10\.00%, warning\)", out)
    assert re.search(r"contacts +10 of +100 \(10\.00%, error\)", out)


def test_every_step_of_the_refresh_job_has_a_progress_line_label(pp_env: Settings):
    job = build_definitions(pp_env).resolve_job_def(REFRESH_JOB)
    assert {node.name for node in job.graph.nodes} <= set(STEP_LABELS)


def test_a_bad_dbt_runs_setting_is_answered_before_any_run(pp_env: Settings, monkeypatch, capsys):
    write_minimal_landing(pp_env.landing_dir)
    for value in ("0", "-2", "three"):
        monkeypatch.setenv("PARTNERPULSE_KEEP_DBT_RUNS", value)
        assert main(["refresh", "--week", WEEK]) == 2
        assert f"PARTNERPULSE_KEEP_DBT_RUNS: '{value}' is not a whole number of runs of at least 1" in (
            capsys.readouterr().err
        )
    assert not (pp_env.dagster_home / "dagster.yaml").exists()  # no run, not even an instance


def test_the_headline_numbers_come_from_the_published_marts(tmp_path):
    published = tmp_path / "marts.duckdb"
    with duckdb.connect(str(published)) as con:
        con.execute(
            "create table publish_info as select date '2024-01-22' as week_start, date '2024-01-28' as as_of_date"
        )
        # this week: 3 accounts scored, 2 At Risk; last week's rows do not count
        con.execute(
            "create table fct_account_health_weekly as select * from (values "
            "(date '2024-01-22', 'A1', 'At Risk'), (date '2024-01-22', 'A2', 'At Risk'), "
            "(date '2024-01-22', 'A3', 'Healthy / Maintain'), (date '2024-01-15', 'A4', 'At Risk')) "
            "t(week_start, account_id, health_category)"
        )
        # NRR over the twelve months to January 2024: the cohort is A1 (100) and A2 (200) at the end of
        # January 2023; in January 2024 A1 has 120 and A2 nothing: 120 / 300 = 40.0%
        con.execute(
            "create table fct_arr_monthly as select * from (values "
            "(date '2023-01-01', date '2023-01-31', 'A1', 'USD', 100.0, 100.0, 1.0), "
            "(date '2023-01-01', date '2023-01-31', 'A2', 'USD', 200.0, 200.0, 1.0), "
            "(date '2024-01-01', date '2024-01-31', 'A1', 'USD', 120.0, 120.0, 1.0)) "
            "t(month_start, month_end, account_id, currency, arr_local, arr_usd, usd_per_unit)"
        )
        # due: the open periods' lines, each rounded to cents as in the finance files:
        # 10.01 - 3.34 + 100.00 = 106.67; the closed November is paid already
        con.execute(
            "create table fct_incentive_payouts as select payout_period, cast(amount_usd as decimal(38, 6)) "
            "as amount_usd, period_status from (values "
            "(date '2024-01-01', 10.005, 'open'), (date '2024-01-01', -3.335, 'open'), "
            "(date '2023-12-01', 100.0, 'open'), (date '2023-11-01', 500.0, 'closed')) "
            "t(payout_period, amount_usd, period_status)"
        )
    assert read_headline(published).lines() == [
        "This week (week of 2024-01-22, data as of 2024-01-28), from the published marts:",
        "  Accounts scored: 3; At Risk: 2 (66.7%)",
        "  NRR: 40.0%, trailing 12 months Feb 2023 – Jan 2024",
        "  Payouts due: 106.67 USD in 2 open payout period(s) (2023-12 … 2024-01)",
    ]


def test_the_logs_folder_keeps_only_the_newest_run_logs(tmp_path):
    for index in range(KEEP_RUN_LOGS + 5):
        path = tmp_path / f"refresh-{index:02d}.log"
        path.write_text("log\n")
        os.utime(path, (1_700_000_000 + index, 1_700_000_000 + index))
    (tmp_path / "notes.txt").write_text("not a run log\n")
    removed = prune_run_logs(tmp_path)
    assert sorted(p.name for p in removed) == [f"refresh-{index:02d}.log" for index in range(5)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"refresh-{index:02d}.log" for index in range(5, KEEP_RUN_LOGS + 5)] + ["notes.txt"]
    )
