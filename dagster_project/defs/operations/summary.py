"""The closing summary of a refresh on the command line: this week's headline numbers, read from the
published marts, and every output with its path.

Plain module (no Dagster). NRR is the executive page's headline figure (``trailing_retention`` of
defs/reports/executive.py: the twelve months to the latest month end), so the page and the command
line always show the same number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

from dagster_project.defs.reports.executive import TRAILING_MONTHS, trailing_retention
from dagster_project.lib.csvsafe import to_cents
from dagster_project.settings import Settings


@dataclass(frozen=True)
class Headline:
    """This week's numbers that matter, from the published marts."""

    week_start: dt.date
    as_of_date: dt.date
    accounts_scored: int
    at_risk: int
    nrr: Decimal | None  # None: fewer than 13 months of ARR history
    nrr_months: tuple[dt.date, dt.date] | None  # first and last month of the trailing twelve
    payouts_due_usd: Decimal  # open periods, the sum of the lines rounded to cents (as the finance files)
    open_periods: tuple[dt.date, ...]

    def lines(self) -> list[str]:
        share = f" ({self.at_risk / self.accounts_scored:.1%})" if self.accounts_scored else ""
        if self.nrr is None or self.nrr_months is None:
            nrr = "– (needs 13 months of ARR history)"
        else:
            first, last = self.nrr_months
            nrr = f"{self.nrr:.1%}, trailing 12 months {first:%b %Y} – {last:%b %Y}"
        if self.open_periods:
            first, last = self.open_periods[0], self.open_periods[-1]
            span = f"{first:%Y-%m}" if first == last else f"{first:%Y-%m} … {last:%Y-%m}"
            due = f"{self.payouts_due_usd:,.2f} USD in {len(self.open_periods)} open payout period(s) ({span})"
        else:
            due = "0.00 USD (no open payout period)"
        return [
            f"This week (week of {self.week_start}, data as of {self.as_of_date}), from the published marts:",
            f"  Accounts scored: {self.accounts_scored:,}; At Risk: {self.at_risk:,}{share}",
            f"  NRR: {nrr}",
            f"  Payouts due: {due}",
        ]


def _months_before(month_start: dt.date, months: int) -> dt.date:
    index = month_start.year * 12 + month_start.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def read_headline(published_duckdb: Path) -> Headline:
    """The headline numbers of the week in the published file (raises duckdb.Error when unreadable)."""
    with duckdb.connect(str(published_duckdb), read_only=True) as con:
        week_start, as_of_date = con.execute("select week_start, as_of_date from publish_info").fetchone()
        scored, at_risk = con.execute(
            "select count(*), count(*) filter (where health_category = 'At Risk') "
            "from fct_account_health_weekly where week_start = ?",
            [week_start],
        ).fetchone()
        latest = trailing_retention(con, chart_months=1)
        open_lines = con.execute(
            "select payout_period, amount_usd from fct_incentive_payouts where period_status = 'open'"
        ).fetchall()
    nrr, months = None, None
    if latest:
        nrr = latest[-1].nrr
        months = (_months_before(latest[-1].month_start, TRAILING_MONTHS - 1), latest[-1].month_start)
    due = sum((to_cents(amount) or Decimal(0) for _, amount in open_lines), Decimal("0.00"))
    return Headline(
        week_start=week_start,
        as_of_date=as_of_date,
        accounts_scored=int(scored),
        at_risk=int(at_risk),
        nrr=nrr,
        nrr_months=months,
        payouts_due_usd=due,
        open_periods=tuple(sorted({period for period, _ in open_lines})),
    )


def output_lines(settings: Settings, week_start: dt.date | None, log_path: Path | None = None) -> list[str]:
    """Every output of a refresh with its path (and the run's log file); one that is not there says so."""
    page = settings.reports_dir / (f"executive-{week_start}.html" if week_start else "executive-<week>.html")
    outputs = [
        ("BI serving file (open read-only)", settings.published_duckdb, ""),
        ("Parquet, one file per table", settings.published_parquet_dir, "/"),
        ("Executive page", page, ""),
        ("Finance files (payouts)", settings.exports_dir / "payouts", "/"),
        ("Partner feeds", settings.exports_dir / "partners", "/"),
        ("Docs site", settings.published_dir / "docs" / "index.html", ""),
        ("Working warehouse (not for BI)", settings.duckdb_path, ""),
    ]
    if log_path is not None:
        outputs.append(("Full log of this run", log_path, ""))
    width = max(len(label) for label, _, _ in outputs) + 1  # the BI label: "BI serving file (…): <path>"
    lines = ["Outputs:"]
    for label, path, suffix in outputs:
        missing = "" if path.exists() else "  (not written)"
        lines.append(f"  {label + ':':<{width}} {path}{suffix}{missing}")
    return lines
