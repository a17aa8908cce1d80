"""The weeks `make bench` refreshes (bench/run.py): a full refresh, then two next weeks, one of each kind.

A refresh builds the revenue chain (monthly ARR, the bridge, retention) up to the last month end before
the week's as-of date D, the Sunday that ends the week (decision 119). Most weeks leave that month end
where it was, and the chain is not built again. A week that holds a month's first day has its D in a new
month: the month end moves and the chain is built again over every month (decision 151). So what a
"next week" costs depends on the calendar, and a bench that measured only the last week of its data
measured one kind or the other depending on the day the data was generated (decision 154).

The bench therefore refreshes, after the full refresh, the latest two consecutive weeks of the data of
which one holds a month's first day and the other does not: each is measured as a next week, in order.
Two weeks in a row never both hold a month's first day (a month is at least 28 days).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WEEK = dt.timedelta(weeks=1)
MID_MONTH, NEW_MONTH = "mid-month", "a month's first week"


def holds_a_months_first_day(week: dt.date) -> bool:
    """The week that starts on Monday ``week`` holds the 1st of a month: its Sunday is in another month than
    the Sunday before it (the previous week's as-of date)."""
    return (week + dt.timedelta(days=6)).month != (week - dt.timedelta(days=1)).month


def kind_of_week(week: dt.date) -> str:
    return NEW_MONTH if holds_a_months_first_day(week) else MID_MONTH


@dataclass(frozen=True)
class BenchWeeks:
    full: dt.date  # the full refresh's week
    next_weeks: tuple[dt.date, dt.date]  # refreshed after it, in this order: the weeks right after it

    @property
    def last(self) -> dt.date:
        return self.next_weeks[-1]


def bench_weeks(last_week: dt.date) -> BenchWeeks:
    """The full refresh's week and the two next weeks for data whose last complete week starts on
    ``last_week`` (a Monday)."""
    if last_week.weekday() != 0:
        raise ValueError(f"the data's last week must start on a Monday, not on {last_week:%A} {last_week}")
    new_month = last_week
    while not holds_a_months_first_day(new_month):
        new_month -= WEEK  # at most four steps back
    first = last_week - WEEK if new_month == last_week else new_month
    return BenchWeeks(full=first - WEEK, next_weeks=(first, first + WEEK))
