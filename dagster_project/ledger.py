"""Closing a payout period (SPEC §8): freeze its lines exactly as published and exported.

The closed lines go to ``ledger.payout_lines_closed`` and the period to ``ledger.payout_periods``
in the working warehouse (tables dbt creates empty and reads as the ``ledger`` source). Later
refreshes never recompute a closed period; differences become adjustment lines in an open one.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from dagster_project.exports.payouts import (
    PeriodExport,
    export_all_periods,
    final_files_intact,
    load_lines,
    period_label,
    write_period,
)
from dagster_project.settings import Settings
from dagster_project.warehouse import connect, records

LEDGER_COLUMNS = (
    "payout_line_id",
    "payout_period",
    "partner_id",
    "partner_tier",
    "incentive_type",
    "source_type",
    "source_id",
    "account_id",
    "earned_on",
    "basis_usd",
    "rate",
    "amount_usd",
    "plan_version",
    "description",
    "adjusts_payout_line_id",
    "adjusts_period",
)


class LedgerError(RuntimeError):
    """A close that cannot be done, with the reason and what to do."""


@dataclass(frozen=True)
class CloseResult:
    period: dt.date
    already_closed: bool
    closed_at: dt.datetime
    lines: int
    total_usd: Decimal
    export_directory: str


def parse_period(value: str) -> dt.date:
    try:
        year, month = (int(part) for part in value.strip().split("-"))
        return dt.date(year, month, 1)
    except ValueError as exc:
        raise LedgerError(f"'{value}' is not a payout period; use YYYY-MM, e.g. 2026-10") from exc


def period_end(period: dt.date) -> dt.date:
    return period.replace(day=calendar.monthrange(period.year, period.month)[1])


def _closed_at(con: duckdb.DuckDBPyConnection, period: dt.date) -> dt.datetime | None:
    try:
        row = con.execute(
            "select closed_at from ledger.payout_periods where payout_period = ? and status = 'closed'", [period]
        ).fetchone()
    except duckdb.CatalogException as exc:
        raise LedgerError("the warehouse has no payout ledger yet; run `partnerpulse refresh` first") from exc
    return row[0] if row else None


def _frozen_lines(con: duckdb.DuckDBPyConnection, period: dt.date) -> list[dict]:
    """A closed period's frozen lines, in the order of the finance files."""
    cursor = con.execute(
        f"select {', '.join(LEDGER_COLUMNS)}, 'closed' as period_status from ledger.payout_lines_closed "
        "where payout_period = ? order by partner_id, incentive_type, payout_line_id",
        [period],
    )
    return records(cursor)


def _rewrite_final_files(settings: Settings, period: dt.date, frozen: list[dict]) -> PeriodExport:
    """Final files of a closed period from its frozen lines; partner names and the as-of date come
    from the current published file (the period's end when nothing is published)."""
    names: dict[str, str] = {}
    as_of_date = period_end(period)
    if settings.published_duckdb.exists():
        with duckdb.connect(str(settings.published_duckdb), read_only=True) as published:
            as_of_date = published.execute("select as_of_date from publish_info").fetchone()[0]
            names = dict(published.execute("select partner_id, partner_name from dim_partners").fetchall())
    lines = [{**line, "partner_name": names.get(line["partner_id"])} for line in frozen]
    return write_period(settings.exports_dir / "payouts", period, lines, as_of_date, final=True, force=True)


def close_period(
    settings: Settings,
    period: dt.date,
    today: dt.date | None = None,
    log: Callable[[str], None] = print,
) -> CloseResult:
    """Freeze ``period``. Idempotent: closing a closed period changes nothing."""
    label = period_label(period)
    last_day = period_end(period)
    today = today or dt.datetime.now(dt.UTC).date()
    if today <= last_day:
        first_day_after = last_day + dt.timedelta(days=1)
        raise LedgerError(f"{label} has not ended yet (it ends on {last_day}); it can be closed from {first_day_after}")
    exports_root = settings.exports_dir / "payouts"
    with connect(settings) as con:
        closed_at = _closed_at(con, period)
        if closed_at is not None:
            count, frozen_total = con.execute(
                "select count(*), coalesce(sum(amount_usd), 0) from ledger.payout_lines_closed where payout_period = ?",
                [period],
            ).fetchone()
            if final_files_intact(exports_root / label):
                log(f"{label} was already closed on {closed_at:%Y-%m-%d %H:%M} UTC; nothing changed.")
            else:  # the close froze the ledger, but its final files never got written, or went missing since
                frozen = _frozen_lines(con, period)
                export = _rewrite_final_files(settings, period, frozen)
                log(
                    f"{label} was already closed on {closed_at:%Y-%m-%d %H:%M} UTC; its final files were missing "
                    f"or altered and were written again from the {len(frozen)} frozen lines in {export.directory} "
                    f"(total {export.total_usd} USD)."
                )
            return CloseResult(period, True, closed_at, int(count), Decimal(frozen_total), str(exports_root / label))

    if not settings.published_duckdb.exists():
        raise LedgerError("nothing has been published yet; run `partnerpulse refresh` first")
    with duckdb.connect(str(settings.published_duckdb), read_only=True) as published:
        as_of_date = published.execute("select as_of_date from publish_info").fetchone()[0]
        if as_of_date < last_day:
            week = last_day - dt.timedelta(days=last_day.weekday())
            raise LedgerError(
                f"the published refresh is as of {as_of_date}, before the end of {label} ({last_day}); "
                f"refresh a week ending on or after it first, e.g. `partnerpulse refresh --week {week}` "
                "(or a later week)"
            )
        lines = load_lines(published, [period])

    closed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    total = sum((Decimal(line["amount_usd"]) for line in lines), Decimal(0))
    with connect(settings) as con:
        con.execute("begin transaction")
        try:
            if _closed_at(con, period) is None:
                if lines:  # a month without lines closes with none (executemany refuses an empty list)
                    placeholders = ", ".join("?" for _ in range(len(LEDGER_COLUMNS) + 1))
                    con.executemany(
                        f"insert into ledger.payout_lines_closed ({', '.join(LEDGER_COLUMNS)}, closed_at) "
                        f"values ({placeholders})",
                        [[line[c] for c in LEDGER_COLUMNS] + [closed_at] for line in lines],
                    )
                con.execute(
                    "insert into ledger.payout_periods values (?, 'closed', ?, ?, ?)",
                    [period, closed_at, len(lines), total],
                )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    final_lines = [{**line, "period_status": "closed"} for line in lines]
    export = write_period(exports_root, period, final_lines, as_of_date, final=True)
    log(
        f"Closed {label}: {len(lines)} lines, total {export.total_usd} USD frozen (the sum of the lines "
        f"rounded to cents, as paid; exact {total}); final files in {export.directory}. "
        "The next refresh publishes the period as closed."
    )
    return CloseResult(period, False, closed_at, len(lines), total, str(export.directory))


def export_payouts(settings: Settings, log: Callable[[str], None] = print) -> list:
    """Finance files for every period of the published ledger (used by the refresh)."""
    exports = export_all_periods(settings.published_duckdb, settings.exports_dir / "payouts")
    written = [e for e in exports if e.written]
    log(
        f"finance files: {len(written)} period(s) written, {len(exports) - len(written)} final period(s) kept, "
        f"in {settings.exports_dir / 'payouts'}"
    )
    return exports
