"""A refresh that would rebuild exactly what is published is not run (defs/operations/up_to_date.py): the
receipt of the last refresh matches only while the week, the landing files, the code, the settings and the
warehouse with its outputs are all as that refresh left them. The CLI's side: tests/test_cli.py."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from dagster_project.defs.operations.up_to_date import forget, input_fingerprints, receipt_path, record, up_to_date
from dagster_project.lib.weeks import WeekWindow
from dagster_project.settings import Settings

WEEK = dt.date(2024, 3, 4)
WINDOW = WeekWindow(first=WEEK, last=WEEK)


def _bump(path: Path, text: str | None = None) -> None:
    """Rewrite ``path`` (with ``text``, or the same bytes) one second later than it was written."""
    stat = path.stat()
    if text is not None:
        path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


@pytest.fixture
def refreshed(pp_env: Settings) -> Settings:
    """A landing folder and a warehouse with its outputs, as a successful refresh of WEEK leaves them."""
    (pp_env.landing_dir / "accounts.csv").write_text("account_id\nA1\n", encoding="utf-8")
    (pp_env.landing_dir / "usage_daily").mkdir()
    (pp_env.landing_dir / "usage_daily" / "2024-03-04.csv").write_text("account_id\nA1\n", encoding="utf-8")
    pp_env.warehouse_dir.mkdir(parents=True)
    pp_env.duckdb_path.write_bytes(b"warehouse")
    pp_env.published_parquet_dir.mkdir(parents=True)
    pp_env.published_duckdb.write_bytes(b"marts")
    (pp_env.published_parquet_dir / "dim_accounts.parquet").write_bytes(b"parquet")
    (pp_env.exports_dir / "payouts").mkdir(parents=True)
    (pp_env.exports_dir / "payouts" / "2024-02.csv").write_text("partner_id\n", encoding="utf-8")
    pp_env.reports_dir.mkdir()
    (pp_env.reports_dir / "executive-2024-03-04.html").write_text("<html></html>", encoding="utf-8")
    log = pp_env.warehouse_dir / "logs" / "refresh-2024-03-04-1234abcd.log"
    record(
        pp_env, input_fingerprints(pp_env, WINDOW), "1234abcd-run", "week 2024-03-04", log, ["check warning: a warning"]
    )
    return pp_env


def test_nothing_changed_is_up_to_date_with_the_runs_log_and_warnings(refreshed: Settings):
    verdict = up_to_date(refreshed, WINDOW)
    assert verdict.receipt is not None, verdict.reason
    assert verdict.receipt.run_id == "1234abcd-run" and verdict.receipt.what == "week 2024-03-04"
    assert verdict.receipt.log_path.endswith("refresh-2024-03-04-1234abcd.log")
    assert verdict.receipt.warnings == ("check warning: a warning",)
    # what the refresh itself writes next to them is no output: logs, Dagster's history, dbt's runs
    for folder in ("logs", "dagster_home", "dbt_runs", "duckdb_tmp"):
        (refreshed.warehouse_dir / folder).mkdir(exist_ok=True)
        (refreshed.warehouse_dir / folder / "new.txt").write_text("x", encoding="utf-8")
    assert up_to_date(refreshed, WINDOW).receipt is not None


def _landing_rewritten(s: Settings, env: pytest.MonkeyPatch) -> None:
    _bump(s.landing_dir / "accounts.csv", "account_id\nA2\n")


def _landing_touched(s: Settings, env: pytest.MonkeyPatch) -> None:
    _bump(s.landing_dir / "accounts.csv")  # the same bytes, written again: counted as changed


def _landing_file_added(s: Settings, env: pytest.MonkeyPatch) -> None:
    (s.landing_dir / "usage_daily" / "2024-03-11.csv").write_text("account_id\nA1\n", encoding="utf-8")


def _landing_file_removed(s: Settings, env: pytest.MonkeyPatch) -> None:
    (s.landing_dir / "usage_daily" / "2024-03-04.csv").unlink()


def _setting_changed(s: Settings, env: pytest.MonkeyPatch) -> None:
    env.setenv("PARTNERPULSE_DUCKDB_MEMORY_LIMIT", "3GB")


def _setting_added(s: Settings, env: pytest.MonkeyPatch) -> None:
    env.setenv("PARTNERPULSE_QUARANTINE_ERROR_SHARE", "0.5")


def _warehouse_written(s: Settings, env: pytest.MonkeyPatch) -> None:
    _bump(s.duckdb_path, "closed a period")


def _warehouse_wal_left(s: Settings, env: pytest.MonkeyPatch) -> None:
    s.duckdb_path.with_name(s.duckdb_path.name + ".wal").write_bytes(b"a killed run's log")


def _published_replaced(s: Settings, env: pytest.MonkeyPatch) -> None:
    _bump(s.published_duckdb)


def _parquet_removed(s: Settings, env: pytest.MonkeyPatch) -> None:
    (s.published_parquet_dir / "dim_accounts.parquet").unlink()


def _finance_file_edited(s: Settings, env: pytest.MonkeyPatch) -> None:
    _bump(s.exports_dir / "payouts" / "2024-02.csv", "partner_id\nP1\n")


def _partner_feed_added(s: Settings, env: pytest.MonkeyPatch) -> None:
    (s.exports_dir / "partners").mkdir()
    (s.exports_dir / "partners" / "feed.csv").write_text("x\n", encoding="utf-8")


def _executive_page_removed(s: Settings, env: pytest.MonkeyPatch) -> None:
    (s.reports_dir / "executive-2024-03-04.html").unlink()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_landing_rewritten, "the landing files changed since the last refresh, run 1234abcd"),
        (_landing_touched, "the landing files changed"),
        (_landing_file_added, "the landing files changed"),
        (_landing_file_removed, "the landing files changed"),
        (_setting_changed, "the settings changed"),
        (_setting_added, "the settings changed"),
        (_warehouse_written, "the warehouse and outputs changed"),
        (_warehouse_wal_left, "the warehouse and outputs changed"),
        (_published_replaced, "the warehouse and outputs changed"),
        (_parquet_removed, "the warehouse and outputs changed"),
        (_finance_file_edited, "the warehouse and outputs changed"),
        (_partner_feed_added, "the warehouse and outputs changed"),
        (_executive_page_removed, "the warehouse and outputs changed"),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else "",
)
def test_any_change_means_a_refresh(
    refreshed: Settings, change: Callable[[Settings, pytest.MonkeyPatch], None], reason: str, monkeypatch
):
    change(refreshed, monkeypatch)
    verdict = up_to_date(refreshed, WINDOW)
    assert verdict.receipt is None and verdict.compared
    assert verdict.reason.startswith(reason), verdict.reason


def test_a_changed_expectation_means_a_refresh(refreshed: Settings, tmp_path: Path, monkeypatch):
    suites = tmp_path / "expectations"
    suites.mkdir()
    (suites / "landing.accounts.json").write_text("{}", encoding="utf-8")
    monkeypatch.setenv("PARTNERPULSE_EXPECTATIONS_DIR", str(suites))
    record(refreshed, input_fingerprints(refreshed, WINDOW), "5678efgh-run", "week 2024-03-04", Path("log"), [])
    assert up_to_date(refreshed, WINDOW).receipt is not None
    _bump(suites / "landing.accounts.json", '{"expectations": []}')
    assert up_to_date(refreshed, WINDOW).reason == "the code and project changed since the last refresh, run 5678efgh"


def test_another_week_or_as_of_date_means_a_refresh(refreshed: Settings):
    next_week = WEEK + dt.timedelta(weeks=1)
    verdict = up_to_date(refreshed, WeekWindow(first=next_week, last=next_week))
    assert verdict.receipt is None
    assert verdict.reason == "the last refresh, run 1234abcd, was of 2024-03-04 … 2024-03-04, as of 2024-03-10"


def test_serving_to_postgresql_always_refreshes(refreshed: Settings, monkeypatch):
    monkeypatch.setenv("PARTNERPULSE_SERVE_POSTGRES", "1")
    record(refreshed, input_fingerprints(refreshed, WINDOW), "1234abcd-run", "week 2024-03-04", Path("log"), [])
    verdict = up_to_date(refreshed, WINDOW)
    assert verdict.receipt is None and verdict.reason.startswith("serving to PostgreSQL is on")
    assert not verdict.compared  # not worth a line on the console


@pytest.mark.parametrize("receipt", [None, "not json", '{"version": 0}', '{"version": 1, "fingerprints": {}}'])
def test_no_receipt_or_an_unreadable_one_means_a_refresh(refreshed: Settings, receipt: str | None):
    if receipt is None:
        forget(refreshed)
        assert not receipt_path(refreshed).exists()
    else:
        receipt_path(refreshed).write_text(receipt, encoding="utf-8")
    verdict = up_to_date(refreshed, WINDOW)
    assert verdict.receipt is None and verdict.reason == "no earlier refresh of this warehouse is on record"
    assert not verdict.compared  # a first refresh says nothing about it


def test_a_file_that_lands_during_the_run_is_not_recorded_as_read(pp_env: Settings):
    """The inputs are fingerprinted before the run: what arrives while it runs makes the next refresh run."""
    (pp_env.landing_dir / "accounts.csv").write_text("account_id\nA1\n", encoding="utf-8")
    pp_env.warehouse_dir.mkdir(parents=True)
    before = input_fingerprints(pp_env, WINDOW)
    (pp_env.landing_dir / "usage_daily.csv").write_text("account_id\nA1\n", encoding="utf-8")  # during the run
    record(pp_env, before, "1234abcd-run", "week 2024-03-04", Path("log"), [])
    assert up_to_date(pp_env, WINDOW).reason == "the landing files changed since the last refresh, run 1234abcd"


def test_a_linked_landing_folder_is_looked_into(pp_env: Settings, tmp_path: Path):
    exports = tmp_path / "exports" / "usage"
    exports.mkdir(parents=True)
    (exports / "2024-03-04.csv").write_text("account_id\nA1\n", encoding="utf-8")
    (pp_env.landing_dir / "usage_daily").symlink_to(exports, target_is_directory=True)
    (exports / "loop").symlink_to(exports, target_is_directory=True)  # a loop ends
    pp_env.warehouse_dir.mkdir(parents=True)
    record(pp_env, input_fingerprints(pp_env, WINDOW), "1234abcd-run", "week 2024-03-04", Path("log"), [])
    assert up_to_date(pp_env, WINDOW).receipt is not None
    (exports / "2024-03-11.csv").write_text("account_id\nA1\n", encoding="utf-8")  # lands behind the link
    assert up_to_date(pp_env, WINDOW).reason.startswith("the landing files changed")


def test_a_copy_that_keeps_the_modification_time_is_a_change(refreshed: Settings):
    path = refreshed.landing_dir / "accounts.csv"
    stat = path.stat()
    copy = path.with_name("accounts.tmp")
    copy.write_text("account_id\nA9\n", encoding="utf-8")  # the same size, other bytes
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as cp -p or rsync -a leave it
    os.replace(copy, path)
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    assert up_to_date(refreshed, WINDOW).reason.startswith("the landing files changed")


def test_a_receipt_that_cannot_be_written_is_a_warning_and_none(refreshed: Settings):
    receipt_path(refreshed).unlink()
    receipt_path(refreshed).mkdir()  # the .partial file can be written, replacing a folder with it cannot
    problem = record(refreshed, input_fingerprints(refreshed, WINDOW), "9abc-run", "week 2024-03-04", Path("l"), [])
    assert problem is not None and problem.endswith("the next refresh of this week runs in full")
    assert not receipt_path(refreshed).with_name("last_refresh.json.partial").exists()
