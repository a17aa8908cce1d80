"""Day arithmetic on integer day numbers (days since 1970-01-01) and the history window."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

EPOCH = dt.date(1970, 1, 1)
HISTORY_WEEKS = 104
PRE_WINDOW_WEEKS = 156  # ~3 years of commercial history before the usage window


def to_day(d: dt.date) -> int:
    """Day number of a date."""
    return (d - EPOCH).days


def from_day(n: int) -> dt.date:
    """Date of a day number."""
    return EPOCH + dt.timedelta(days=int(n))


def weekday(days: np.ndarray) -> np.ndarray:
    """ISO weekday index, Monday = 0 … Sunday = 6."""
    return (np.asarray(days) + 3) % 7


def default_end(today: dt.date | None = None) -> dt.date:
    """The most recent Sunday strictly before `today`."""
    today = today or dt.date.today()
    return today - dt.timedelta(days=today.weekday() + 1)


def resolve_end(end: dt.date | None) -> dt.date:
    """Validate `end` (must be a Sunday) or compute the default."""
    if end is None:
        return default_end()
    if isinstance(end, dt.datetime) or not isinstance(end, dt.date):
        raise ValueError(f"end must be a datetime.date, got {type(end).__name__}")
    if end.weekday() != 6:
        raise ValueError(
            f"end must be a Sunday (the last day of an ISO week); {end.isoformat()} is a {end.strftime('%A')}"
        )
    return end


def _as_dt64(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]")


def add_months(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Same day-of-month `months` later, clipped to the month's last day."""
    d = _as_dt64(days)
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    target = m + np.asarray(months, dtype=np.int64)
    last = ((target + 1).astype("datetime64[D]") - 1).astype(np.int64)
    first = target.astype("datetime64[D]").astype(np.int64)
    return np.minimum(first + dom, last)


def add_years(days: np.ndarray, years: np.ndarray | int) -> np.ndarray:
    """Anniversary `years` later (29 Feb → 28 Feb)."""
    return add_months(days, np.asarray(years, dtype=np.int64) * 12)


def month_number(days: np.ndarray) -> np.ndarray:
    """Months since 1970-01."""
    return _as_dt64(days).astype("datetime64[M]").astype(np.int64)


def month_start(month_numbers: np.ndarray) -> np.ndarray:
    """Day number of the first day of each month number."""
    return np.asarray(month_numbers, dtype=np.int64).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


@dataclass(frozen=True)
class Window:
    """The simulated time span: commercial history from `sim_start`, usage from `first_week` to `end`."""

    end: int
    first_week: int
    sim_start: int

    @classmethod
    def from_end(cls, end: dt.date) -> Window:
        e = to_day(end)
        fw = e - HISTORY_WEEKS * 7 + 1
        return cls(end=e, first_week=fw, sim_start=fw - PRE_WINDOW_WEEKS * 7)

    @property
    def n_weeks(self) -> int:
        """Weeks simulated from sim_start through end."""
        return (self.end - self.sim_start + 1) // 7

    @property
    def window_week0(self) -> int:
        """Index (from sim_start) of the first week of the usage window."""
        return (self.first_week - self.sim_start) // 7

    @property
    def month0(self) -> int:
        """Month number of sim_start (row 0 of monthly matrices)."""
        return int(month_number(np.array([self.sim_start]))[0])

    @property
    def n_months(self) -> int:
        return int(month_number(np.array([self.end]))[0]) - self.month0 + 1

    def week_of(self, days: np.ndarray) -> np.ndarray:
        """Week index (from sim_start) of day numbers."""
        return (np.asarray(days, dtype=np.int64) - self.sim_start) // 7

    def month_of(self, days: np.ndarray) -> np.ndarray:
        """Row in monthly matrices of day numbers."""
        return month_number(days) - self.month0
