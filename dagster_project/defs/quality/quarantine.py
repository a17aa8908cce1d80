"""Quarantined share per landing table (SPEC §10): above the configured share an error, any
quarantined row below it a warning. Read from ``marts.dq_refresh_log`` for the refreshed week."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from dagster_project.defs.quality.suites import Suite


@dataclass(frozen=True)
class QuarantineShare:
    table: str
    landed: int
    quarantined: int
    error_share: float

    @property
    def share(self) -> float:
        return self.quarantined / self.landed if self.landed else 0.0

    @property
    def is_error(self) -> bool:
        return self.share > self.error_share

    @property
    def passed(self) -> bool:
        return self.quarantined == 0

    def describe(self, week: dt.date) -> str:
        if self.passed:
            return f"{self.table}: no rows quarantined of {self.landed:,}"
        verdict = "above" if self.is_error else "within"
        return (
            f"{self.table}: {self.quarantined:,} of {self.landed:,} landed rows quarantined ({self.share:.2%}), "
            f"{verdict} the allowed {self.error_share:.2%}; see select * from marts.dq_quarantine "
            f"where refresh_week = '{week}' and table_name = '{self.table}'"
        )


def error_share_for(table: str, suites: dict[str, Suite], default: float) -> float:
    """The quarantine share above which ``table`` is an error: its suite's override, else the default."""
    suite = suites.get(f"landing.{table}")
    if suite is not None and suite.quarantine_error_share is not None:
        return suite.quarantine_error_share
    return default


def refresh_log_counts(con: duckdb.DuckDBPyConnection, week: dt.date) -> dict[str, tuple[int, int]]:
    """(landed, quarantined) per landing table of the refresh of ``week``."""
    rows = con.execute(
        "select table_name, rows_landed, rows_quarantined from marts.dq_refresh_log where refresh_week = ?",
        [week],
    ).fetchall()
    return {table: (int(landed or 0), int(quarantined or 0)) for table, landed, quarantined in rows}
