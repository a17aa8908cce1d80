"""Row count change vs the previous week, within configured bounds (SPEC §10).

Counts are exact (SQL), per table and refresh week. Weekly marts (suites with ``week_column``)
compare the rows of the refreshed week with the rows of the week before, both read from the table
itself. Every other table compares its count with the one recorded by the refresh of the previous
week in ``quality.row_counts`` (one row per table and week, replaced when a week is re-run). With
no count for the previous week there is nothing to compare, and the check passes saying so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from dagster_project.lib.warehouse import transaction

HISTORY_TABLE = "quality.row_counts"


@dataclass(frozen=True)
class RowCountBounds:
    min_ratio: float
    max_ratio: float
    min_change: int
    severity: str  # critical | warning


@dataclass(frozen=True)
class RowCountChange:
    table: str
    week: dt.date
    rows: int
    previous_week: dt.date
    previous_rows: int | None
    bounds: RowCountBounds

    @property
    def ratio(self) -> float | None:
        if self.previous_rows is None or self.previous_rows == 0:
            return None
        return self.rows / self.previous_rows

    @property
    def passed(self) -> bool:
        if self.previous_rows is None:
            return True
        if abs(self.rows - self.previous_rows) <= self.bounds.min_change:
            return True
        if self.previous_rows == 0:
            return True  # a table starting to receive rows is not a drop or a spike worth stopping for
        ratio = self.rows / self.previous_rows
        return self.bounds.min_ratio <= ratio <= self.bounds.max_ratio

    def describe(self) -> str:
        if self.previous_rows is None:
            return f"{self.table}: {self.rows:,} rows in week {self.week}; no count recorded for {self.previous_week}"
        ratio = f" (× {self.ratio:.2f})" if self.ratio is not None else ""
        verdict = (
            "within bounds"
            if self.passed
            else f"outside the allowed × {self.bounds.min_ratio:g} … × {self.bounds.max_ratio:g} "
            f"(changes of up to {self.bounds.min_change} rows are ignored)"
        )
        return (
            f"{self.table}: {self.rows:,} rows in week {self.week} vs {self.previous_rows:,} in {self.previous_week}"
            f"{ratio}, {verdict}"
        )


def ensure_history(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists quality")
    con.execute(
        f"create table if not exists {HISTORY_TABLE} ("
        "table_key varchar not null, refresh_week date not null, row_count bigint not null, "
        "run_id varchar, recorded_at timestamp)"
    )


def recorded_count(con: duckdb.DuckDBPyConnection, table_key: str, week: dt.date) -> int | None:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'quality' and table_name = 'row_counts'"
    ).fetchone()[0]
    if not exists:
        return None
    row = con.execute(
        f"select row_count from {HISTORY_TABLE} where table_key = ? and refresh_week = ? "
        "order by recorded_at desc limit 1",
        [table_key, week],
    ).fetchone()
    return None if row is None else int(row[0])


def record_counts(con: duckdb.DuckDBPyConnection, week: dt.date, counts: dict[str, int], run_id: str) -> None:
    """Replace the counts of ``week`` for these tables (re-running a week overwrites its counts)."""
    if not counts:
        return
    ensure_history(con)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with transaction(con):
        con.executemany(
            f"delete from {HISTORY_TABLE} where table_key = ? and refresh_week = ?",
            [[key, week] for key in counts],
        )
        con.executemany(
            f"insert into {HISTORY_TABLE} values (?, ?, ?, ?, ?)",
            [[key, week, rows, run_id, now] for key, rows in counts.items()],
        )
