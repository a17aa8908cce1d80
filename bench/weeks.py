"""The weeks `make bench` refreshes (bench/run.py): a full refresh, then two next weeks, one of each kind.

A refresh builds the revenue chain (monthly ARR, the bridge, retention) up to the last month end on or
before the week's as-of date D, the Sunday that ends the week (decision 119: ``refresh_last_month_end``,
``models_state.last_month_end``). In most weeks that month end stays where it was, and the chain is not
built again. In a week that holds a month's last day — a *month-end week* — the month end moves and the
chain is built again over every month (decision 151). So what a "next week" costs depends on the calendar,
and a bench that measured only the last week of its data measured one kind or the other depending on the
day the data was generated (decision 154).

The bench therefore refreshes, after the full refresh, the latest two consecutive weeks of the data of
which one is a month-end week and the other is not: each is measured as a next week, in order. Two weeks
in a row are never both month-end weeks (a month is at least 28 days).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dagster_project.defs.warehouse.models_state import last_month_end

WEEK = dt.timedelta(weeks=1)
MID_MONTH, MONTH_END = "mid-month", "a month-end week"


def is_month_end_week(week: dt.date) -> bool:
    """The week that starts on Monday ``week`` holds a month's last day: the last month end on or before its
    as-of date (its Sunday) is not the one of the week before (the rule the refresh's input keys apply,
    models_state.last_month_end)."""
    return last_month_end(week + dt.timedelta(days=6)) != last_month_end(week - dt.timedelta(days=1))


def kind_of_week(week: dt.date) -> str:
    return MONTH_END if is_month_end_week(week) else MID_MONTH


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
    month_end = last_week
    while not is_month_end_week(month_end):
        month_end -= WEEK  # at most four steps back
    first = last_week - WEEK if month_end == last_week else month_end
    return BenchWeeks(full=first - WEEK, next_weeks=(first, first + WEEK))
