"""Landing freshness: how far a table's newest date lags the partition's as-of date D.

Read from ``raw.<table>`` right after ingest (before dbt), so a stale export is reported even when
the build fails later. Only dates on or before D count (a backfill of an old week must not look
fresh because of later rows); the first ten characters of the value are read as a date, so
timestamps work too and unparseable values are ignored (the staging models quarantine them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from dagster_project.defs.landing.contract import RAW_SCHEMA
from dagster_project.lib.warehouse import quote_ident


@dataclass(frozen=True)
class Freshness:
    table: str
    column: str
    as_of: dt.date
    max_lag_days: int
    rows: int
    newest: dt.date | None  # newest date on or before as_of

    @property
    def lag_days(self) -> int | None:
        return None if self.newest is None else (self.as_of - self.newest).days

    @property
    def passed(self) -> bool:
        if self.rows == 0:
            return True  # legitimately empty (e.g. an optional table): nothing to be stale
        return self.lag_days is not None and self.lag_days <= self.max_lag_days

    def describe(self) -> str:
        if self.rows == 0:
            return f"{self.table} is empty: nothing to check"
        if self.newest is None:
            return f"{self.table}: no row has a {self.column} on or before {self.as_of} (as-of date)"
        verdict = "within" if self.passed else "more than"
        return (
            f"{self.table}: newest {self.column} is {self.newest}, {self.lag_days} day(s) before the as-of date "
            f"{self.as_of} ({verdict} the allowed {self.max_lag_days})"
        )


def measure_freshness(
    con: duckdb.DuckDBPyConnection, table: str, column: str, as_of: dt.date, max_lag_days: int
) -> Freshness:
    value = f"try_cast(left(trim({quote_ident(column)}), 10) as date)"
    rows, newest = con.execute(
        f"select count(*), max({value}) filter (where {value} <= ?) from {RAW_SCHEMA}.{quote_ident(table)}",
        [as_of],
    ).fetchone()
    return Freshness(table=table, column=column, as_of=as_of, max_lag_days=max_lag_days, rows=int(rows), newest=newest)
