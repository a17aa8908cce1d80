"""`make bench` measures a next week of each kind: one that holds a month's first day (the revenue chain is
built again) and one that does not (bench/weeks.py, decision 154). Dates checked by hand on a calendar."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.bench_modules import load_bench_module

weeks = load_bench_module("weeks")
D = dt.date


@pytest.mark.parametrize(
    ("monday", "holds"),
    [
        (D(2026, 11, 30), True),  # Tuesday 1 December 2026
        (D(2026, 11, 23), False),  # 23–29 November
        (D(2026, 10, 26), True),  # Sunday 1 November 2026: the week's last day
        (D(2026, 6, 1), True),  # Monday 1 June 2026: the week's first day
        (D(2026, 5, 25), False),  # 25–31 May: ends on the month's last day
        (D(2025, 12, 29), True),  # Thursday 1 January 2026: another year
    ],
)
def test_a_week_holds_a_month_s_first_day(monday: dt.date, holds: bool):
    assert monday.weekday() == 0
    assert weeks.holds_a_months_first_day(monday) is holds
    assert weeks.kind_of_week(monday) == (weeks.NEW_MONTH if holds else weeks.MID_MONTH)


def test_data_ending_in_a_month_s_first_week_measures_the_week_before_it_then_that_week():
    chosen = weeks.bench_weeks(D(2026, 11, 30))
    assert chosen.full == D(2026, 11, 16)
    assert chosen.next_weeks == (D(2026, 11, 23), D(2026, 11, 30)) and chosen.last == D(2026, 11, 30)
    assert [weeks.kind_of_week(w) for w in chosen.next_weeks] == [weeks.MID_MONTH, weeks.NEW_MONTH]


def test_data_ending_mid_month_measures_the_latest_month_s_first_week_then_the_week_after_it():
    # November 2026 began on Sunday the 1st, in the week of 26 October; 2–29 November are mid-month weeks
    chosen = weeks.bench_weeks(D(2026, 11, 23))
    assert chosen.full == D(2026, 10, 19)
    assert chosen.next_weeks == (D(2026, 10, 26), D(2026, 11, 2))
    assert [weeks.kind_of_week(w) for w in chosen.next_weeks] == [weeks.NEW_MONTH, weeks.MID_MONTH]
    # the week after a month's first week: that week and this one
    assert weeks.bench_weeks(D(2026, 12, 7)).next_weeks == (D(2026, 11, 30), D(2026, 12, 7))


def test_the_last_week_must_be_a_monday():
    with pytest.raises(ValueError, match="must start on a Monday, not on Sunday 2026-12-06"):
        weeks.bench_weeks(D(2026, 12, 6))
