"""The refresh window: which weeks one dbt build writes into the weekly tables (decision 17).

The orchestrator decides it before dbt runs and hands it over as data, in two small tables of the
working warehouse that the dbt project reads as the source ``ops``:

``ops.refresh_window``  every week from the first weekly partition to the run's last week:
                        ``is_target`` — the weekly tables write this week in this run (the run's
                        partition window, plus every week that some weekly table has not built yet);
                        ``is_partition`` — the week belongs to the run's partition window.
``ops.weeks_built``     which weekly table holds which week, recorded after every successful build.

So a first refresh builds the whole history, a later one adds its week, a backfill rewrites its
weeks, and a weekly table added later gets its history on its next run — without dbt reading a
model's own rows to decide what to build. The weekly tables are the models configured with the
``replace_weeks`` incremental strategy (``dbt_project/macros/weeks.sql``) on ``week_start``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.lib.dbt_manifest import read_manifest
from dagster_project.lib.warehouse import transaction
from dagster_project.lib.weeks import WeekWindow

SCHEMA = "ops"
WINDOW_TABLE = f"{SCHEMA}.refresh_window"
BUILT_TABLE = f"{SCHEMA}.weeks_built"
STRATEGY = "replace_weeks"
WEEK_ENV = "PARTNERPULSE_WEEK_START"  # the run's week for dbt (dbt_project/macros/time.sql)
KEEP_OPEN_ENV = "PARTNERPULSE_DUCKDB_KEEP_OPEN"  # dbt_project/profiles.yml
REBUILD_STAGING_ENV = "PARTNERPULSE_REBUILD_STAGING"  # the incremental base models (macros/staging_rebuild.sql)
DBT_FILE_LOG_ENV = "DBT_LOG_LEVEL_FILE"  # dbt's own log file, dbt_runs/<run>/dbt.log (decision 104)


@dataclass(frozen=True)
class RefreshPlan:
    """The weeks of one dbt build."""

    weeks: tuple[dt.date, ...]  # first weekly partition … the run's last week
    targets: tuple[dt.date, ...]  # the weeks the weekly tables write
    partition: tuple[dt.date, ...]  # the run's partition window

    @property
    def history_weeks(self) -> tuple[dt.date, ...]:
        """Target weeks outside the partition window (a first refresh, a weekly table added later)."""
        return tuple(week for week in self.targets if week not in self.partition)


def weekly_models(manifest_path: Path) -> list[str]:
    """The weekly tables: models written with the replace_weeks strategy, keyed on week_start."""
    manifest = read_manifest(manifest_path)
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["config"].get("incremental_strategy") == STRATEGY
        and node["config"].get("unique_key") == "week_start"
    )


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(
        f"create table if not exists {WINDOW_TABLE} "
        "(week_start date not null, as_of_date date not null, is_target boolean not null, "
        "is_partition boolean not null)"
    )
    con.execute(
        f"create table if not exists {BUILT_TABLE} "
        "(model_name varchar not null, week_start date not null, run_id varchar, built_at timestamp)"
    )


def plan_weeks(
    con: duckdb.DuckDBPyConnection, first_week: dt.date, window: WeekWindow, models: list[str]
) -> RefreshPlan:
    """The weeks to write: the partition window, plus every week up to its end that a weekly table lacks."""
    first = min(first_week, window.first)
    weeks = tuple(first + dt.timedelta(weeks=i) for i in range((window.last - first).days // 7 + 1))
    held: set[dt.date] | None = None
    for model in models:
        rows = con.execute(f"select distinct week_start from {BUILT_TABLE} where model_name = ?", [model]).fetchall()
        model_weeks = {row[0] for row in rows}
        held = model_weeks if held is None else held & model_weeks
    held = held or set()
    partition = tuple(window.weeks)
    targets = tuple(week for week in weeks if week in partition or week not in held)
    return RefreshPlan(weeks=weeks, targets=targets, partition=partition)


def write_window(con: duckdb.DuckDBPyConnection, plan: RefreshPlan) -> None:
    """Replace ``ops.refresh_window`` with this run's weeks (one transaction)."""
    targets, partition = set(plan.targets), set(plan.partition)
    with transaction(con):
        con.execute(f"delete from {WINDOW_TABLE}")
        con.executemany(
            f"insert into {WINDOW_TABLE} values (?, ?, ?, ?)",
            [[week, week + dt.timedelta(days=6), week in targets, week in partition] for week in plan.weeks],
        )


def record_built(con: duckdb.DuckDBPyConnection, plan: RefreshPlan, models: list[str], run_id: str) -> None:
    """After a successful build: every weekly table now holds the target weeks."""
    built_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    with transaction(con):
        for model in models:
            con.execute(
                f"delete from {BUILT_TABLE} where model_name = ? and week_start in (select unnest(?))",
                [
                    model,
                    list(plan.targets),
                ],
            )
            con.executemany(
                f"insert into {BUILT_TABLE} values (?, ?, ?, ?)",
                [[model, week, run_id, built_at] for week in plan.targets],
            )


@contextmanager
def dbt_environment(window: WeekWindow, rebuild_staging: bool = False) -> Iterator[dict[str, str]]:
    """The environment of the dbt processes a refresh starts (they copy it when they start), restored
    afterwards:

    - the run's week in ``PARTNERPULSE_WEEK_START``: an environment variable rather than ``--vars``,
      because a changed var makes dbt parse the whole project again, every week;
    - ``PARTNERPULSE_DUCKDB_KEEP_OPEN=1``: the refresh holds the warehouse lock for the whole run and
      nothing else opens the file while dbt runs, so dbt keeps one DuckDB database open for the whole
      invocation instead of closing it (a checkpoint) and opening it again each time its threads are
      idle — a fifth of a small refresh's dbt time (decision 94). dbt by hand keeps the profile's
      default (closed between nodes), so it never holds the file longer than a node;
    - ``PARTNERPULSE_REBUILD_STAGING``: ``1`` builds the incremental base tables of the usage landing
      tables whole (``rebuild_staging``: the dbt project changed, decision 103), ``0`` adds what landed.
      dbt reads it only when a model runs (macros/staging_rebuild.sql), never while it parses, so a new
      value never makes it parse anything again (decision 128);
    - ``DBT_LOG_LEVEL_FILE=none`` unless set: dbt writes no ``dbt.log`` of its own. Its lines (every
      node, every error) are in the refresh's log already; the debug file added the SQL of every
      statement at a sixth of a small build's CPU time (decision 104). ``DBT_LOG_LEVEL_FILE=debug``
      brings it back."""
    values = {
        WEEK_ENV: window.last.isoformat(),
        KEEP_OPEN_ENV: "1",
        REBUILD_STAGING_ENV: "1" if rebuild_staging else "0",
        DBT_FILE_LOG_ENV: os.environ.get(DBT_FILE_LOG_ENV) or "none",
    }
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield values
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
