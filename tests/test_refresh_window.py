"""The refresh window (decision 17): which weeks a dbt build writes is decided by the orchestrator
from its own record of the weeks each weekly table holds, handed to dbt as the ``ops`` source, and
deleted-then-inserted by the ``replace_weeks`` incremental strategy. No dbt macro reads a model's
rows to decide what to build."""

from __future__ import annotations

import datetime as dt
import json
import os
import re

import duckdb

from dagster_project.defs.warehouse.project import get_dbt_project
from dagster_project.defs.warehouse.refresh_window import (
    dbt_environment,
    ensure_tables,
    plan_weeks,
    record_built,
    weekly_models,
    write_window,
)
from dagster_project.lib.weeks import WeekWindow
from dagster_project.settings import DBT_PROJECT_DIR

FIRST = dt.date(2024, 1, 1)
WEEKLY = [
    "dq_refresh_log",  # not a weekly table: keyed on refresh_week
    "fct_account_health_weekly",
    "fct_expansion_readiness_weekly",
    "fct_expansion_recommendations",
    "fct_expansion_signals",
    "int_account_weeks_health_snapshotted",
    "int_score_outcomes_counted",
    "rpt_campaign_audiences",
]


def _weeks(first: dt.date, count: int) -> tuple[dt.date, ...]:
    return tuple(first + dt.timedelta(weeks=i) for i in range(count))


def test_the_weekly_tables_are_the_replace_weeks_models_keyed_on_week_start():
    assert weekly_models(get_dbt_project().manifest_path) == [m for m in WEEKLY if m != "dq_refresh_log"]


def test_every_weekly_table_depends_on_the_refresh_window():
    """The strategy deletes int_weeks_spined's target weeks: each weekly table must depend on it."""
    manifest = json.loads(get_dbt_project().manifest_path.read_text(encoding="utf-8"))
    for name in weekly_models(get_dbt_project().manifest_path):
        node = manifest["nodes"][f"model.partnerpulse.{name}"]
        assert "model.partnerpulse.int_weeks_spined" in node["depends_on"]["nodes"], name


def test_no_macro_queries_the_warehouse_to_decide_what_to_build():
    # spark.sql is Spark's own: it declares the exchanged sources (DDL), and its replace_weeks reads the
    # window's target weeks (the orchestrator's decision, ops.refresh_window) to drop their partitions
    for path in sorted((DBT_PROJECT_DIR / "macros").rglob("*.sql")):
        text = path.read_text(encoding="utf-8")
        if path.name == "spark.sql":
            executed = re.findall(r"\b(run_query|adapter\.execute)\s*\(", text)
            assert sorted(executed) == ["adapter.execute"] * 4 + ["run_query"], executed
            assert "adapter.get_relation" not in text
            continue
        assert not re.search(r"\brun_query\s*\(|adapter\.get_relation\s*\(", text), path.name


def test_first_next_backfill_and_a_weekly_table_added_later():
    con = duckdb.connect()
    ensure_tables(con)
    models = ["fct_a", "fct_b"]
    week4 = FIRST + dt.timedelta(weeks=3)

    first = plan_weeks(con, FIRST, WeekWindow(week4, week4), models)  # nothing built yet: the whole history
    assert first.weeks == first.targets == _weeks(FIRST, 4)
    assert first.partition == (week4,) and first.history_weeks == _weeks(FIRST, 3)
    write_window(con, first)
    assert con.execute(
        "select week_start, as_of_date, is_target, is_partition from ops.refresh_window order by 1"
    ).fetchall() == [(w, w + dt.timedelta(days=6), True, w == week4) for w in _weeks(FIRST, 4)]
    record_built(con, first, models, "run-1")

    week5 = week4 + dt.timedelta(weeks=1)
    nxt = plan_weeks(con, FIRST, WeekWindow(week5, week5), models)  # the next week only
    assert nxt.weeks == _weeks(FIRST, 5) and nxt.targets == (week5,) and nxt.history_weeks == ()
    record_built(con, nxt, models, "run-2")

    backfill = plan_weeks(con, FIRST, WeekWindow(FIRST, FIRST + dt.timedelta(weeks=1)), models)
    assert backfill.targets == _weeks(FIRST, 2) and backfill.weeks == _weeks(FIRST, 2)

    again = plan_weeks(con, FIRST, WeekWindow(week5, week5), [*models, "fct_new"])  # a table added later
    assert again.targets == _weeks(FIRST, 5)
    write_window(con, again)  # replaces the previous window
    assert con.execute("select count(*), count(*) filter (where is_target) from ops.refresh_window").fetchone() == (
        5,
        5,
    )
    record_built(con, again, [*models, "fct_new"], "run-3")  # re-recording a week never duplicates it
    assert con.execute(
        "select model_name, count(*), count(distinct week_start) from ops.weeks_built group by 1 order by 1"
    ).fetchall() == [("fct_a", 5, 5), ("fct_b", 5, 5), ("fct_new", 5, 5)]


def test_the_dbt_environment_of_a_refresh_and_what_it_restores(monkeypatch):
    """dbt gets the run's week, one open database, the staging mode and no debug log file of its own
    (decision 104) unless the person running it asked for one; the caller's environment comes back after."""
    monkeypatch.delenv("DBT_LOG_LEVEL_FILE", raising=False)
    monkeypatch.setenv("PARTNERPULSE_WEEK_START", "before")
    window = WeekWindow(first=dt.date(2024, 6, 3), last=dt.date(2024, 6, 10))
    with dbt_environment(window, rebuild_staging=True) as values:
        assert values == {
            "PARTNERPULSE_WEEK_START": "2024-06-10",
            "PARTNERPULSE_DUCKDB_KEEP_OPEN": "1",
            "PARTNERPULSE_REBUILD_STAGING": "1",
            "DBT_LOG_LEVEL_FILE": "none",
        }
        assert {name: os.environ[name] for name in values} == values
    assert os.environ["PARTNERPULSE_WEEK_START"] == "before"
    assert "DBT_LOG_LEVEL_FILE" not in os.environ and "PARTNERPULSE_DUCKDB_KEEP_OPEN" not in os.environ

    monkeypatch.setenv("DBT_LOG_LEVEL_FILE", "debug")  # DBT_LOG_LEVEL_FILE=debug partnerpulse refresh
    with dbt_environment(window) as values:
        assert values["DBT_LOG_LEVEL_FILE"] == "debug" and values["PARTNERPULSE_REBUILD_STAGING"] == "0"
    assert os.environ["DBT_LOG_LEVEL_FILE"] == "debug"
