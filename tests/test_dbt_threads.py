"""A refresh's dbt threads (threads.py, decision 143): one model at a time for a big DuckDB build, unless the
user chose."""

from __future__ import annotations

import pytest

from dagster_project.defs.warehouse.threads import ONE_AT_A_TIME_MIN_LANDED_ROWS, THREADS_ENV, build_threads

BIG = ONE_AT_A_TIME_MIN_LANDED_ROWS + 1


@pytest.fixture(autouse=True)
def _no_user_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(THREADS_ENV, raising=False)


def test_a_big_duckdb_build_runs_one_model_at_a_time():
    assert build_threads("duckdb", BIG) == 1


def test_up_to_the_threshold_the_profile_s_threads_stay():
    assert build_threads("duckdb", ONE_AT_A_TIME_MIN_LANDED_ROWS) is None
    assert build_threads("duckdb", 0) is None


def test_postgresql_and_spark_keep_their_threads():
    assert build_threads("postgres", BIG) is None
    assert build_threads("spark", BIG) is None


def test_the_user_s_setting_wins(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(THREADS_ENV, "2")
    assert build_threads("duckdb", BIG) is None
