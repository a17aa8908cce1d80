"""`make bench` measures a next week of each kind: a month-end week, which holds a month's last day (the
revenue chain is built again), and one that does not (bench/weeks.py, decision 154). Dates checked by hand
on a calendar, and every Monday of seven years against the project's own rule."""

from __future__ import annotations

import datetime as dt

import pytest

from dagster_project.defs.warehouse.models_state import last_month_end
from tests.bench_modules import load_bench_module

weeks = load_bench_module("weeks")
D = dt.date


@pytest.mark.parametrize(
    ("monday", "month_end_week"),
    [
        (D(2026, 11, 30), True),  # Monday 30 November 2026: the week's first day is the month's last
        (D(2026, 11, 23), False),  # 23–29 November
        (D(2026, 10, 26), True),  # Saturday 31 October 2026
        (D(2026, 5, 25), True),  # Sunday 31 May 2026: the week's last day, its as-of date
        (D(2026, 6, 1), False),  # Monday 1 June 2026: May ended the day before, in the week before
        (D(2025, 12, 29), True),  # Wednesday 31 December 2025: another year
        (D(2027, 2, 22), True),  # Sunday 28 February 2027
    ],
)
def test_a_month_end_week_holds_a_month_s_last_day(monday: dt.date, month_end_week: bool):
    assert monday.weekday() == 0
    assert weeks.is_month_end_week(monday) is month_end_week
    assert weeks.kind_of_week(monday) == (weeks.MONTH_END if month_end_week else weeks.MID_MONTH)


def test_every_monday_of_seven_years_follows_the_project_s_month_end_rule():
    """The kind of a week is exactly whether the refresh's last month end (models_state.last_month_end, the
    macro refresh_last_month_end) moves from the week before; the two next weeks are one of each kind."""
    monday = D(2024, 1, 1)
    while monday < D(2031, 1, 1):
        moves = last_month_end(monday + dt.timedelta(days=6)) != last_month_end(monday - dt.timedelta(days=1))
        assert weeks.is_month_end_week(monday) is moves, monday
        chosen = weeks.bench_weeks(monday)
        first, second = chosen.next_weeks
        assert second == first + weeks.WEEK and chosen.full == first - weeks.WEEK and second <= monday, monday
        assert {weeks.kind_of_week(first), weeks.kind_of_week(second)} == {weeks.MID_MONTH, weeks.MONTH_END}
        later = first + weeks.WEEK  # the latest such pair: every later pair within the data is all mid-month
        while later + weeks.WEEK <= monday:
            assert not weeks.is_month_end_week(later) and not weeks.is_month_end_week(later + weeks.WEEK), monday
            later += weeks.WEEK
        monday += weeks.WEEK


def test_data_ending_in_a_month_end_week_measures_the_week_before_it_then_that_week():
    chosen = weeks.bench_weeks(D(2026, 11, 30))
    assert chosen.full == D(2026, 11, 16)
    assert chosen.next_weeks == (D(2026, 11, 23), D(2026, 11, 30)) and chosen.last == D(2026, 11, 30)
    assert [weeks.kind_of_week(w) for w in chosen.next_weeks] == [weeks.MID_MONTH, weeks.MONTH_END]


def test_data_ending_mid_month_measures_the_latest_month_end_week_then_the_week_after_it():
    # October 2026 ended on Saturday the 31st, in the week of 26 October; 2–29 November are mid-month weeks
    chosen = weeks.bench_weeks(D(2026, 11, 23))
    assert chosen.full == D(2026, 10, 19)
    assert chosen.next_weeks == (D(2026, 10, 26), D(2026, 11, 2))
    assert [weeks.kind_of_week(w) for w in chosen.next_weeks] == [weeks.MONTH_END, weeks.MID_MONTH]
    # May 2026 ended on a Sunday: the week of Monday 1 June is mid-month, the week before it a month-end week
    assert weeks.bench_weeks(D(2026, 6, 1)).next_weeks == (D(2026, 5, 25), D(2026, 6, 1))


def test_the_last_week_must_be_a_monday():
    with pytest.raises(ValueError, match="must start on a Monday, not on Sunday 2026-12-06"):
        weeks.bench_weeks(D(2026, 12, 6))
