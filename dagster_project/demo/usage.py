"""usage_daily and feature_usage_weekly, generated per chunk of accounts (never the whole table at once)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import catalog as cat
from .behaviour import automation_calls, engagement, seat_demand
from .calendar import Window, weekday
from .columns import expand
from .commercial_tables import Books, Ids
from .entities import Accounts
from .health import Health, normalise
from .rng import Streams

USAGE_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("product_id", pa.string()),
        ("usage_date", pa.date32()),
        ("active_users", pa.int64()),
        ("weekly_active_users", pa.int64()),
        ("monthly_active_users", pa.int64()),
        ("api_calls", pa.int64()),
        ("storage_gb", pa.float64()),
        ("active_departments", pa.int64()),
    ]
)
FEATURE_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("feature_id", pa.string()),
        ("week_start", pa.date32()),
        ("active_users", pa.int64()),
        ("events", pa.int64()),
    ]
)
STORAGE_FACTOR = np.array([1.0, 0.15, 0.1, 0.4, 0.0])  # per product line
BUILDER_SHARE = 0.05  # Automation Module users = builders, a small share of engaged potential users


def chunk_size(n_accounts: int) -> int:
    """Accounts per Parquet part (fixed for a given account count, so output is deterministic)."""
    return int(min(2500, max(50, -(-n_accounts // 8))))


@dataclass
class UsageChunk:
    index: int
    usage: pa.Table
    features: pa.Table


class UsageGenerator:
    """Turns holdings (items clipped to subscription coverage) into daily usage and weekly feature rows."""

    def __init__(
        self, accounts: Accounts, health: Health, books: Books, ids: Ids, win: Window, streams: Streams
    ) -> None:
        self.a, self.h, self.b, self.ids, self.win, self.streams = accounts, health, books, ids, win, streams
        self.size = chunk_size(accounts.n)
        self.n_chunks = -(-accounts.n // self.size)
        self.n_win_weeks = (win.end - win.first_week + 1) // 7

    def chunks(self) -> Iterator[UsageChunk]:
        for c in range(self.n_chunks):
            yield self.chunk(c)

    def chunk(self, c: int) -> UsageChunk:
        a0, a1 = c * self.size, min(self.a.n, (c + 1) * self.size)
        lo, hi = np.searchsorted(self.b.item_acc, [a0, a1])
        win = self.win
        acc = self.b.item_acc[lo:hi]
        prod = self.b.item_prod[lo:hi]
        qty = self.b.item_qty[lo:hi]
        fr = np.maximum(self.b.item_from[lo:hi], win.first_week)
        to = np.minimum(self.b.item_to[lo:hi], win.end + 1)
        ok = to > fr
        acc, prod, qty, fr, to = acc[ok], prod[ok], qty[ok], fr[ok], to[ok]
        # storage growth index per (account, window week): slow growth, faster when healthy
        w0 = win.window_week0
        hn_weeks = normalise(self.h.h[a0:a1, w0 : w0 + self.n_win_weeks])
        growth = np.cumsum(0.0015 + 0.007 * hn_weeks, axis=1)
        rng = self.streams.get(f"usage/{c}")
        usage = self._daily(rng, acc, prod, qty, fr, to, a0, growth)
        features = self._features(rng, acc, prod, qty, fr, to)
        return UsageChunk(c, usage, features)

    def _daily(
        self,
        rng: np.random.Generator,
        acc: np.ndarray,
        prod: np.ndarray,
        qty: np.ndarray,
        fr: np.ndarray,
        to: np.ndarray,
        a0: int,
        growth: np.ndarray,
    ) -> pa.Table:
        a, win = self.a, self.win
        d = cat.PROD_MODEL[prod] != 2
        owner, day = expand(fr[d], to[d] - fr[d])
        ac = acc[d][owner]
        wk = win.week_of(day)
        hn = normalise(self.h.h[ac, wk])
        wd = weekday(day)
        u = self.streams.uniform("usage-day", ac, day)
        keep = np.where(wd < 5, u < a.keep_weekday[ac] * (0.75 + 0.25 * hn), u < a.keep_weekend[ac] * hn)
        owner, day, ac, wk, hn, wd = owner[keep], day[keep], ac[keep], wk[keep], hn[keep], wd[keep]
        pr = prod[d][owner]
        q = qty[d][owner].astype(np.float64)
        line = cat.PROD_LINE[pr]
        n = len(day)
        pot = a.potential(ac, win.month_of(day), day)
        eng = engagement(hn, day - a.first_start[ac])
        is_auto = line == cat.AUTOMATION
        demand = seat_demand(pot, a.share[ac, line], eng) * (1.0 + 0.02 * rng.standard_normal(n))
        builders = np.maximum(1.0, np.round(pot * eng * BUILDER_SHARE))
        mau = np.where(is_auto, builders, np.clip(np.floor(np.minimum(q, demand)), 1, q)).astype(np.int64)
        wau = np.clip(np.round(mau * (0.45 + 0.4 * hn + 0.04 * rng.standard_normal(n))), 1, mau).astype(np.int64)
        weekend = np.where(wd >= 5, 0.25, 1.0)
        dau = np.clip(np.round(wau * (0.35 + 0.35 * hn) * weekend * (1.0 + 0.1 * rng.standard_normal(n))), 1, wau)
        dau = dau.astype(np.int64)
        integrated = hn > a.tau_api[ac]
        u_api = self.streams.uniform("api-day", ac, day)
        p_api = np.where(is_auto, np.where(hn > 0.3, 0.97, 0.6), np.where(integrated, 0.97, 0.06))
        api_on = u_api < p_api
        per_user = np.where(line == cat.CORE, a.api_per_user[ac], np.where(line == cat.ANALYTICS, 0.5, 0.0))
        calls = np.where(is_auto, automation_calls(pot, eng, a.auto_k[ac]), dau * per_user)
        calls = calls * rng.lognormal(0.0, 0.3, n)
        api = np.where(api_on & (calls > 0), np.maximum(1, np.round(calls)), 0).astype(np.int64)
        base = a.gb_per_user[ac] * STORAGE_FACTOR[line] * np.maximum(pot, 5.0)
        storage = base * np.exp(growth[ac - a0, wk - win.window_week0]) * (1.0 + 0.003 * rng.standard_normal(n))
        depts = np.clip(np.ceil(mau / a.users_per_dept[ac]), 1, 10).astype(np.int64)
        return pa.table(
            {
                "account_id": self.ids.account.take(pa.array(ac)),
                "product_id": self.ids.product.take(pa.array(pr)),
                "usage_date": pa.array(day.astype(np.int32)).view(pa.date32()),
                "active_users": pa.array(dau),
                "weekly_active_users": pa.array(wau),
                "monthly_active_users": pa.array(mau),
                "api_calls": pa.array(api),
                "storage_gb": pa.array(np.round(storage, 2)),
                "active_departments": pa.array(depts),
            },
            schema=USAGE_SCHEMA,
        )

    def _features(
        self,
        rng: np.random.Generator,
        acc: np.ndarray,
        prod: np.ndarray,
        qty: np.ndarray,
        fr: np.ndarray,
        to: np.ndarray,
    ) -> pa.Table:
        a, win = self.a, self.win
        n_w = self.n_win_weeks
        ws = (fr - win.first_week) // 7
        we = (to - 1 - win.first_week) // 7
        owner, wk = expand(ws, we - ws + 1)
        n_p = len(cat.PRODUCTS)
        key = (acc[owner] * n_p + prod[owner]) * n_w + wk
        _, first = np.unique(key, return_index=True)
        owner, wk = owner[first], wk[first]
        ac, pr, q = acc[owner], prod[owner], qty[owner].astype(np.float64)
        week_day = win.first_week + 7 * wk
        w_abs = win.window_week0 + wk
        hn = normalise(self.h.h[ac, w_abs])
        pot = a.potential(ac, win.month_of(week_day + 3), week_day + 3)
        eng = engagement(hn, week_day + 3 - a.first_start[ac])
        line = cat.PROD_LINE[pr]
        mau = np.where(
            line == cat.AUTOMATION,
            pot * eng * BUILDER_SHARE,
            np.where(
                line == cat.SUPPORT,
                np.minimum(15.0, pot * 0.02),
                np.minimum(q, seat_demand(pot, a.share[ac, line], eng)),
            ),
        )
        wau = np.maximum(1.0, mau * (0.45 + 0.4 * hn))
        # expand to the product's features
        f_owner, f_off = expand(np.zeros(len(pr), dtype=np.int64), cat.FEATURE_COUNT[pr])
        feat = cat.FEATURE_START[pr[f_owner]] + f_off
        fa = ac[f_owner]
        tier = cat.FEATURE_TIER[feat]
        u_adopt = self.streams.uniform("feature-adopt", fa, feat)
        tau = np.where(tier == 0, 0.05 + 0.5 * u_adopt, 0.35 + 0.6 * u_adopt)
        tau = np.where(line[f_owner] == cat.SUPPORT, tau + 0.1, tau)
        f_hn = hn[f_owner]
        used = rng.random(len(feat)) < np.where(f_hn > tau, 0.85, 0.03)
        f_owner, feat, fa, tier = f_owner[used], feat[used], fa[used], tier[used]
        reach = self.streams.uniform("feature-reach", fa, feat)
        frac = np.where(tier == 0, 0.2 + 0.6 * reach, 0.05 + 0.35 * reach)
        f_wau = wau[f_owner]
        users = np.clip(np.round(f_wau * frac), 1, np.maximum(1.0, np.round(f_wau))).astype(np.int64)
        events = np.maximum(1, np.round(users * rng.lognormal(np.log(6.0), 0.6, len(users)))).astype(np.int64)
        order = np.lexsort((feat, wk[f_owner], fa))
        return pa.table(
            {
                "account_id": self.ids.account.take(pa.array(fa[order])),
                "feature_id": self.ids.feature.take(pa.array(feat[order])),
                "week_start": pa.array(week_day[f_owner][order].astype(np.int32)).view(pa.date32()),
                "active_users": pa.array(users[order]),
                "events": pa.array(events[order]),
            },
            schema=FEATURE_SCHEMA,
        )
