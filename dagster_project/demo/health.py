"""Latent account health: a weekly mean-reverting random walk with shocks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calendar import Window
from .entities import DIRECT_QUALITY, Accounts, Partners
from .rng import Streams

RHO = 0.94
SIGMA = 0.12
SEGMENT_EFFECT = np.array([-0.10, 0.0, 0.15])
# shock kinds
CHAMPION_LEFT, REORGANIZATION, COMPETITOR, IT_MODERNIZATION, NEW_CHAMPION = range(5)


def normalise(h: np.ndarray) -> np.ndarray:
    """Latent health → (0, 1) (0.5 = average)."""
    return 1.0 / (1.0 + np.exp(-1.6 * np.asarray(h, dtype=np.float64)))


@dataclass
class Health:
    """Latent health per (account, week from sim_start) and the shocks that hit it."""

    h: np.ndarray  # (n_accounts, n_weeks) float32
    shock_account: np.ndarray
    shock_week: np.ndarray
    shock_kind: np.ndarray

    def norm(self, acc: np.ndarray, week: np.ndarray) -> np.ndarray:
        """Normalised health (0–1) of accounts at week indices."""
        return normalise(self.h[acc, np.clip(week, 0, self.h.shape[1] - 1)])

    def norm_mean(self, acc: np.ndarray, week: np.ndarray, span: int) -> np.ndarray:
        """Mean normalised health over the `span` weeks ending at `week`."""
        total = np.zeros(len(acc))
        for k in range(span):
            total += self.norm(acc, week - k)
        return total / span


def partner_quality(accounts: Accounts, partners: Partners, acc: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Quality of the partner of record (DIRECT_QUALITY for direct accounts)."""
    p = accounts.partner_at(acc, day)
    return np.where(p >= 0, partners.quality[np.maximum(p, 0)], DIRECT_QUALITY)


def simulate_health(accounts: Accounts, partners: Partners, win: Window, streams: Streams) -> Health:
    """Weekly latent health for every account from sim_start to end."""
    rng = streams.get("health")
    n, n_weeks = accounts.n, win.n_weeks
    acc = np.arange(n)
    out = np.empty((n, n_weeks), dtype=np.float32)
    base_static = 0.1 + SEGMENT_EFFECT[accounts.segment] + accounts.effect
    day0 = np.full(n, win.sim_start, dtype=np.int64)
    b = base_static + 0.45 * partner_quality(accounts, partners, acc, day0)
    h = b + rng.normal(0.0, SIGMA / np.sqrt(1 - RHO**2), n)
    s_acc: list[np.ndarray] = []
    s_week: list[np.ndarray] = []
    s_kind: list[np.ndarray] = []
    for w in range(n_weeks):
        day = np.full(n, win.sim_start + 7 * w + 3, dtype=np.int64)
        b = base_static + 0.45 * partner_quality(accounts, partners, acc, day)
        h = b + RHO * (h - b) + rng.normal(0.0, SIGMA, n)
        hn = normalise(h)
        u = rng.random(n)
        neg = u < 0.008 * (1.3 - hn)
        pos = (u > 0.5) & (u < 0.5 + 0.004)
        kind_u = rng.random(n)
        kind = np.where(
            neg,
            np.where(kind_u < 0.4, CHAMPION_LEFT, np.where(kind_u < 0.7, REORGANIZATION, COMPETITOR)),
            np.where(kind_u < 0.4, IT_MODERNIZATION, NEW_CHAMPION),
        )
        mag = rng.uniform(0.4, 1.0, n)
        h = h - neg * (mag + 0.6) + pos * mag
        hit = np.flatnonzero(neg | pos)
        s_acc.append(hit)
        s_week.append(np.full(len(hit), w, dtype=np.int64))
        s_kind.append(kind[hit])
        out[:, w] = h
    return Health(out, np.concatenate(s_acc), np.concatenate(s_week), np.concatenate(s_kind))
