"""``dq_check_results``: every check of a refresh, published beside ``dq_refresh_log`` (SPEC §9: the refresh
log's check results; decision 157).

The checks (dbt tests, Great Expectations suites, freshness, quarantine shares, row counts) run after the
dbt build that writes ``dq_refresh_log``, so their results cannot be in that dbt mart without publishing
rows no test validated. The publish step, after the gate, writes them here instead: one row per check of
the refresh, keyed like the refresh log by the refreshed week (a backfill's checks under its last week, as
its refresh log), so ``dq_refresh_log`` joins them on ``refresh_week`` and ``table_name``. Re-running a week
replaces that week's rows, as it replaces its refresh log.

The table lives in the working file's ``marts`` schema beside the marts, on every engine (the published
marts are all in the working file when the publish step runs), and is published like them: the serving
file, Parquet and PostgreSQL serving.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from dagster_project.lib.warehouse import transaction

CHECK_RESULTS_TABLE = "dq_check_results"

COLUMNS = (
    ("refresh_week", "date"),
    ("asset_key", "varchar"),
    ("table_name", "varchar"),
    ("check_name", "varchar"),
    ("severity", "varchar"),
    ("passed", "boolean"),
    ("failure", "varchar"),
    ("run_id", "varchar"),
)


@dataclass(frozen=True)
class CheckResult:
    asset_key: str  # e.g. "landing/accounts", "marts/fct_arr_monthly"
    check_name: str
    severity: str  # a failure's: "error" (blocks publishing) or "warn"; a passed result's is not published
    passed: bool
    description: str  # what the check said; published only when it failed (a passed one may name a run)

    @property
    def table_name(self) -> str:
        return self.asset_key.rsplit("/", 1)[-1]


def record_check_results(
    con: duckdb.DuckDBPyConnection, week: dt.date, run_id: str, results: Iterable[CheckResult]
) -> int:
    """Replace ``week``'s rows of ``marts.dq_check_results`` in the working file with ``results``; the
    number of rows written. One transaction: a reader of the working file never sees the week half-written."""
    rows = sorted(
        (
            week,
            r.asset_key,
            r.table_name,
            r.check_name,
            None if r.passed else r.severity,
            r.passed,
            None if r.passed else r.description,
            run_id,
        )
        for r in results
    )
    columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
    with transaction(con):
        con.execute("create schema if not exists marts")
        con.execute(f"create table if not exists marts.{CHECK_RESULTS_TABLE} ({columns})")
        con.execute(f"delete from marts.{CHECK_RESULTS_TABLE} where refresh_week = ?", [week])
        if rows:
            con.executemany(f"insert into marts.{CHECK_RESULTS_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)
