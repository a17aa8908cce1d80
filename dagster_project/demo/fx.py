"""Exchange rates: business-day random walks (mean-reverting in log) for EUR, GBP, AUD."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .calendar import Window, weekday
from .columns import dates, floats, lookup
from .rng import Streams
from .schema import CURRENCIES

CENTRES = np.array([1.0, 1.10, 1.27, 0.67])  # USD, EUR, GBP, AUD in USD per unit


@dataclass
class Fx:
    """Daily USD-per-unit matrix (weekends carry Friday's rate); row 0 is USD = 1."""

    start: int
    daily: np.ndarray  # (4, n_days)

    def rate(self, currency: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Rate in force on `day` (latest published rate_date ≤ day)."""
        idx = np.clip(np.asarray(day, dtype=np.int64) - self.start, 0, self.daily.shape[1] - 1)
        return self.daily[np.asarray(currency, dtype=np.int64), idx]

    def to_local(self, usd: np.ndarray, currency: np.ndarray, day: np.ndarray) -> np.ndarray:
        """USD amount → contract currency at the day's rate, rounded to cents."""
        return np.round(np.asarray(usd) / self.rate(currency, day), 2)

    def table(self) -> pa.Table:
        """fx_rates rows: EUR, GBP, AUD on business days (USD omitted: it is 1 by rule)."""
        days = self.start + np.arange(self.daily.shape[1])
        business = np.flatnonzero(weekday(days) < 5)
        cur = np.repeat(np.arange(1, 4), len(business))
        idx = np.tile(business, 3)
        return pa.table(
            {
                "currency": lookup(CURRENCIES, cur),
                "rate_date": dates(days[idx]),
                "usd_per_unit": floats(self.daily[cur, idx], 6),
            }
        )


def build_fx(win: Window, streams: Streams) -> Fx:
    """Rates from two weeks before the first possible subscription start through `end`."""
    rng = streams.get("fx")
    start = win.sim_start - 14
    start -= weekday(np.array([start]))[0]  # a Monday, so the first day has a published rate
    n_days = win.end - start + 1
    days = start + np.arange(n_days)
    business = weekday(days) < 5
    log_c = np.log(CENTRES[1:])
    x = log_c + rng.normal(0.0, 0.05, 3)
    steps = rng.normal(0.0, 0.0055, (3, n_days))
    path = np.empty((3, n_days))
    for t in range(n_days):  # loop over days (not rows): ~1,900 iterations of 3-vectors
        if business[t]:
            x = x + 0.002 * (log_c - x) + steps[:, t]
        path[:, t] = x
    daily = np.ones((4, n_days))
    daily[1:] = np.round(np.exp(path), 6)
    return Fx(start, daily)
