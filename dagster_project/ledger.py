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

from dagster_project.exports.payouts import export_all_periods, load_lines, period_label, read_manifest, write_period
from dagster_project.settings import Settings
from dagster_project.warehouse import connect

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
    """A closed period's frozen lines as the finance files need them (with the partner's name)."""
    columns = ", ".join(f"lines.{c}" for c in LEDGER_COLUMNS)
    cursor = con.execute(
        f"select {columns}, partners.partner_name, 'closed' as period_status "
        "from ledger.payout_lines_closed as lines "
        "left join marts.dim_partners as partners on lines.partner_id = partners.partner_id "
        "where lines.payout_period = ? order by lines.partner_id, lines.incentive_type, lines.payout_line_id",
        [period],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _published_as_of(settings: Settings) -> dt.date | None:
    if not settings.published_duckdb.exists():
        return None
    with duckdb.connect(str(settings.published_duckdb), read_only=True) as published:
        return published.execute("select as_of_date from publish_info").fetchone()[0]


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
            frozen = _frozen_lines(con, period)
            total = sum((Decimal(line["amount_usd"]) for line in frozen), Decimal(0))
            manifest = read_manifest(exports_root / label)
            if manifest is not None and manifest.get("status") == "final":
                log(f"{label} was already closed on {closed_at:%Y-%m-%d %H:%M} UTC; nothing changed.")
            else:  # the close froze the ledger but its final files were never written (or were removed)
                as_of_date = _published_as_of(settings) or last_day
                write_period(exports_root, period, frozen, as_of_date, final=True)
                log(
                    f"{label} was already closed on {closed_at:%Y-%m-%d %H:%M} UTC; its final files were missing "
                    f"and were written again from the frozen lines in {exports_root / label}."
                )
            return CloseResult(period, True, closed_at, len(frozen), total, str(exports_root / label))

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
