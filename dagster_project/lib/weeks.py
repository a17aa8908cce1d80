"""The weeks one run covers: ISO weeks named by their Monday; the as-of date D is that Sunday."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class WeekWindow:
    """The weeks one run covers: a single week, or several for a single-run backfill."""

    first: dt.date  # Monday of the first week in the window
    last: dt.date  # Monday of the last week in the window

    @property
    def as_of_date(self) -> dt.date:
        """D of the last week: the Sunday."""
        return self.last + dt.timedelta(days=6)

    @property
    def weeks(self) -> list[dt.date]:
        return [self.first + dt.timedelta(weeks=i) for i in range((self.last - self.first).days // 7 + 1)]
