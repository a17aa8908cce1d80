"""Closing a payout period (SPEC §8): freeze its lines exactly as published and exported.

The closed lines go to ``ledger.payout_lines_closed`` and the period to ``ledger.payout_periods``
in the working warehouse (tables dbt creates empty and reads as the ``ledger`` source). A line's
columns are declared once, in the contract of ``fct_incentive_payouts`` (see contract.py). Later
refreshes never recompute a closed period; differences become adjustment lines in an open one.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from dagster_project.defs.payouts.contract import payout_line_columns
from dagster_project.defs.payouts.finance_files import (
    PeriodExport,
    export_all_periods,
    final_files_intact,
    load_lines,
    period_label,
    write_period,
)
from dagster_project.lib.csvsafe import to_cents
from dagster_project.lib.engine import MISSING_RELATION_ERRORS, connect_engine
from dagster_project.lib.warehouse import records
from dagster_project.settings import Settings


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


@dataclass(frozen=True)
class ClosePlan:
    """What closing an open period would freeze: its lines in the published file, as finance got them."""

    period: dt.date
    as_of_date: dt.date
    lines: list[dict]

    @property
    def exact_total(self) -> Decimal:
        return sum((Decimal(line["amount_usd"]) for line in self.lines), Decimal(0))

    @property
    def paid_total(self) -> Decimal:
        """The sum of the lines rounded to cents: what the final files say and what is paid."""
        return sum((to_cents(line["amount_usd"]) for line in self.lines), Decimal("0.00"))

    @property
    def digest(self) -> str:
        """Identifies exactly these lines (to notice a refresh that published between a summary and the close)."""
        columns = payout_line_columns()
        rows = [self.as_of_date] + [tuple(line[c] for c in columns) for line in self.lines]
        return hashlib.sha256(repr(rows).encode("utf-8")).hexdigest()

    def summary(self) -> list[str]:
        """Count and total (as paid) per partner and incentive type, then the grand totals."""
        label = period_label(self.period)
        groups: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
        for line in self.lines:
            groups[(line["partner_id"], line["incentive_type"])].append(to_cents(line["amount_usd"]))
        lines = [
            f"{label}: {len(self.lines)} payout line(s) from the published refresh as of {self.as_of_date}"
            + (":" if groups else "; the period closes with none.")
        ]
        if groups:
            width = max(len("partner"), *(len(partner) for partner, _ in groups))
            lines.append(f"  {'partner':<{width}}  {'incentive type':<26} {'lines':>6} {'total USD':>14}")
            for (partner, incentive_type), amounts in sorted(groups.items()):
                total = sum(amounts, Decimal("0.00"))
                lines.append(f"  {partner:<{width}}  {incentive_type:<26} {len(amounts):>6} {total:>14}")
        lines.append(
            f"  total {self.paid_total} USD as paid (the sum of the lines rounded to cents); "
            f"exact sum {self.exact_total} USD"
        )
        return lines


@dataclass(frozen=True)
class ClosedPeriod:
    """A period already in the ledger: when it was closed, its frozen lines and its final files."""

    period: dt.date
    closed_at: dt.datetime
    lines: int
    paid_total: Decimal
    exact_total: Decimal
    files_intact: bool

    def summary(self) -> str:
        label = period_label(self.period)
        files = (
            "its final files are intact; closing it again changes nothing"
            if self.files_intact
            else "its final files are missing or altered; closing it again writes them again from the frozen lines"
        )
        return (
            f"{label} is already closed (on {self.closed_at:%Y-%m-%d %H:%M} UTC): {self.lines} frozen line(s), "
            f"total {self.paid_total} USD as paid (exact sum {self.exact_total} USD); {files}."
        )


_PERIOD = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
_LOOSE_PERIOD = re.compile(r"\s*([0-9]{4})\s*-\s*([0-9]{1,2})\s*")


def parse_period(value: str) -> dt.date:
    """``YYYY-MM`` exactly: a four-digit year, a two-digit month 01–12, nothing around it.

    A close is irreversible, so nothing is guessed: ``2026-1`` is refused (with a hint), not read
    as January.
    """
    match = _PERIOD.fullmatch(value)
    if match is None or int(match[1]) == 0:
        loose = _LOOSE_PERIOD.fullmatch(value)
        hint = ""
        if loose and int(loose[1]) > 0 and 1 <= int(loose[2]) <= 12:
            hint = f" (did you mean {int(loose[1]):04d}-{int(loose[2]):02d}?)"
        raise LedgerError(
            f"'{value}' is not a payout period: use YYYY-MM, a four-digit year and a two-digit month "
            f"01-12, e.g. 2026-10{hint}"
        )
    return dt.date(int(match[1]), int(match[2]), 1)


def period_end(period: dt.date) -> dt.date:
    return period.replace(day=calendar.monthrange(period.year, period.month)[1])


def _published_facts(settings: Settings) -> tuple[dt.date, dt.date | None] | None:
    """(as-of date, earliest payout period) of the published file; None when nothing is published."""
    if not settings.published_duckdb.exists():
        return None
    with duckdb.connect(str(settings.published_duckdb), read_only=True) as published:
        as_of_date = published.execute("select as_of_date from publish_info").fetchone()[0]
        earliest = published.execute("select min(payout_period) from fct_incentive_payouts").fetchone()[0]
    return as_of_date, earliest


def earliest_closable_period(first_week: dt.date, earliest_payout_period: dt.date | None) -> dt.date:
    """The month of the first weekly partition, or the earliest payout period when that is earlier
    (lines of deals closed before the weekly history began)."""
    first_month = first_week.replace(day=1)
    return min(first_month, earliest_payout_period) if earliest_payout_period else first_month


def check_period(settings: Settings, period: dt.date, today: dt.date | None = None) -> None:
    """What needs neither the ledger nor a run: the month has ended and is not before the data."""
    label = period_label(period)
    last_day = period_end(period)
    today = today or dt.datetime.now(dt.UTC).date()
    if today <= last_day:
        first_day_after = last_day + dt.timedelta(days=1)
        raise LedgerError(f"{label} has not ended yet (it ends on {last_day}); it can be closed from {first_day_after}")
    facts = _published_facts(settings)
    earliest_payout = facts[1] if facts else None
    earliest = earliest_closable_period(settings.first_week, earliest_payout)
    if period < earliest:
        ledger = (
            f"the earliest payout period in the published ledger is {period_label(earliest_payout)}"
            if earliest_payout
            else "the published ledger holds no payout line"
            if facts
            else "nothing has been published yet"
        )
        raise LedgerError(
            f"{label} is before the data: the weekly history starts with the week of {settings.first_week} "
            f"(PARTNERPULSE_FIRST_WEEK) and {ledger}; the earliest month that can be closed is "
            f"{period_label(earliest)}"
        )


def plan_close(settings: Settings, period: dt.date) -> ClosePlan:
    """The published lines closing ``period`` would freeze; refuses when the published refresh does
    not cover the whole month."""
    label = period_label(period)
    last_day = period_end(period)
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
    return ClosePlan(period=period, as_of_date=as_of_date, lines=lines)


def _closed_at(con: duckdb.DuckDBPyConnection, period: dt.date) -> dt.datetime | None:
    try:
        row = con.execute(
            "select closed_at from ledger.payout_periods where payout_period = ? and status = 'closed'", [period]
        ).fetchone()
    except MISSING_RELATION_ERRORS as exc:
        raise LedgerError("the warehouse has no payout ledger yet; run `partnerpulse refresh` first") from exc
    return row[0] if row else None


def _frozen_lines(con: duckdb.DuckDBPyConnection, period: dt.date) -> list[dict]:
    """A closed period's frozen lines, in the order of the finance files."""
    cursor = con.execute(
        f"select {', '.join(payout_line_columns())}, 'closed' as period_status from ledger.payout_lines_closed "
        "where payout_period = ? order by partner_id, incentive_type, payout_line_id",
        [period],
    )
    return records(cursor)


def closed_period(settings: Settings, period: dt.date) -> ClosedPeriod | None:
    """The period as closed in the ledger; None while it is open (or nothing was refreshed yet).

    Reads the working warehouse: call it holding the warehouse lock (a reader there would make a
    running refresh fail to open the file for writing).
    """
    if settings.target in ("duckdb", "spark") and not settings.duckdb_path.exists():
        return None
    with connect_engine(settings, read_only=True) as con:
        try:
            closed_at = _closed_at(con, period)
        except LedgerError:
            return None
        if closed_at is None:
            return None
        frozen = _frozen_lines(con, period)
    return ClosedPeriod(
        period=period,
        closed_at=closed_at,
        lines=len(frozen),
        paid_total=sum((to_cents(line["amount_usd"]) for line in frozen), Decimal("0.00")),
        exact_total=sum((Decimal(line["amount_usd"]) for line in frozen), Decimal(0)),
        files_intact=final_files_intact(settings.exports_dir / "payouts" / period_label(period)),
    )


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
    check_period(settings, period, today)
    exports_root = settings.exports_dir / "payouts"
    with connect_engine(settings) as con:
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

    plan = plan_close(settings, period)
    lines, total = plan.lines, plan.exact_total
    closed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    with connect_engine(settings) as con:
        con.execute("begin transaction")
        try:
            if _closed_at(con, period) is None:
                if lines:  # a month without lines closes with none (executemany refuses an empty list)
                    columns = payout_line_columns()
                    placeholders = ", ".join("?" for _ in range(len(columns) + 1))
                    con.executemany(
                        f"insert into ledger.payout_lines_closed ({', '.join(columns)}, closed_at) "
                        f"values ({placeholders})",
                        [[line[c] for c in columns] + [closed_at] for line in lines],
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
    export = write_period(exports_root, period, final_lines, plan.as_of_date, final=True)
    log(
        f"Closed {label}: {len(lines)} lines, total {export.total_usd} USD frozen (the sum of the lines "
        f"rounded to cents, as paid; exact {total}); final files in {export.directory}. "
        "The next refresh publishes the period as closed."
    )
    return CloseResult(period, False, closed_at, len(lines), total, str(export.directory))


def export_payouts(settings: Settings, log: Callable[[str], None] = print) -> list:
    """Finance files for every period of the published ledger (used by the refresh)."""
    exported = export_all_periods(settings.published_duckdb, settings.exports_dir / "payouts")
    exports = exported.periods
    written = [e for e in exports if e.written]
    log(
        f"finance files: {len(written)} period(s) written, {len(exports) - len(written)} final period(s) kept, "
        f"in {settings.exports_dir / 'payouts'}"
        + (
            f"; removed the open period folder(s) {', '.join(exported.removed)}: no line of theirs in the "
            "published ledger any more"
            if exported.removed
            else ""
        )
    )
    return exports
