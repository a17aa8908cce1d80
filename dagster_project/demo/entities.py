"""Partners, accounts (with latent traits and partner-of-record history), contacts, employee paths."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import catalog as cat
from .calendar import Window
from .columns import join_words, lookup, pick, quota
from .rng import Streams

NO_DAY = np.iinfo(np.int64).max // 4  # "never" for change days
TIER_QUALITY = np.array([0.7, 0.35, 0.0, -0.35])  # Platinum, Gold, Silver, Registered
TIER_ACCOUNT_WEIGHT = np.array([3.0, 2.0, 1.0, 0.6])
DIRECT_QUALITY = -0.35


@dataclass
class Partners:
    """Partner master data plus latent quality."""

    n: int
    ptype: np.ndarray
    tier: np.ndarray
    region: np.ndarray
    quality: np.ndarray
    onboarded: np.ndarray
    name: pa.Array


@dataclass
class Accounts:
    """Account master data, latent traits and the partner-of-record history (≤ one change each)."""

    n: int
    segment: np.ndarray
    region: np.ndarray
    country: np.ndarray
    currency: np.ndarray
    industry: np.ndarray
    created: np.ndarray
    prospect: np.ndarray
    nb_created: np.ndarray  # created_date of the won New Business deal (= created unless lost_first)
    lost_close: np.ndarray  # close of an earlier lost New Business attempt (-1 if none)
    first_start: np.ndarray
    partner_first: np.ndarray
    partner_second: np.ndarray
    change_day: np.ndarray
    effect: np.ndarray
    growth: np.ndarray
    pen: np.ndarray
    spread0: np.ndarray
    spread_rate: np.ndarray
    share: np.ndarray
    auto_k: np.ndarray
    api_per_user: np.ndarray
    tau_api: np.ndarray
    users_per_dept: np.ndarray
    keep_weekday: np.ndarray
    keep_weekend: np.ndarray
    gb_per_user: np.ndarray
    employees: np.ndarray  # (n, n_months) float32
    name: pa.Array

    def partner_at(self, acc: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Partner of record (index, -1 = direct) of accounts `acc` on days `day`."""
        return np.where(day >= self.change_day[acc], self.partner_second[acc], self.partner_first[acc])

    def potential(self, acc: np.ndarray, month_row: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Potential Core Platform users: employees × penetration × adoption spread (grows after landing)."""
        years = np.maximum(np.asarray(day) - self.first_start[acc], 0) / 365.0
        spread = np.minimum(
            1.0, self.spread0[acc] + self.spread_rate[acc] * np.where(self.first_start[acc] >= 0, years, 0.0)
        )
        return self.employees[acc, month_row].astype(np.float64) * self.pen[acc] * spread


@dataclass
class Contacts:
    """Contacts; those of account a are rows first[a] … first[a] + count[a] - 1 (row first[a] is the oldest)."""

    account: np.ndarray
    is_exec: np.ndarray
    created: np.ndarray
    title: pa.Array
    first: np.ndarray
    count: np.ndarray
    exec_of: np.ndarray  # one executive contact per account (-1 if none)

    def pick(self, acc: np.ndarray, day: np.ndarray, u: np.ndarray, exec_only: np.ndarray | None = None) -> np.ndarray:
        """A contact of each account existing on `day` (executive where requested and available)."""
        c = self.first[acc] + np.floor(u * self.count[acc]).astype(np.int64)
        if exec_only is not None:
            ex = self.exec_of[acc]
            c = np.where(exec_only & (ex >= 0), ex, c)
        return np.where(self.created[c] <= day, c, self.first[acc])


def build_partners(n_accounts: int, win: Window, streams: Streams) -> Partners:
    """Partners ≈ accounts/40 (min 12); every type, tier and region present."""
    rng = streams.get("partners")
    n = max(12, round(n_accounts / 40))
    ptype = quota(rng, n, (0.25, 0.25, 0.08, 0.08, 0.17, 0.09, 0.08))
    tier = quota(rng, n, (0.10, 0.25, 0.35, 0.30))
    region = quota(rng, n, (0.40, 0.30, 0.18, 0.12))
    quality = TIER_QUALITY[tier] + rng.normal(0.0, 0.4, n)
    late = rng.random(n) < 0.15
    late[0] = False
    onboarded = np.where(
        late,
        win.sim_start + rng.integers(0, win.first_week - win.sim_start + 180, n),
        win.sim_start - rng.integers(30, 6 * 365, n),
    )
    # the earliest partner of each region is onboarded before any account exists
    for r in range(4):
        members = np.flatnonzero(region == r)
        onboarded[members[0]] = min(onboarded[members[0]], win.sim_start - 30)
        late[members[0]] = False
    name = join_words(
        lookup(cat.PARTNER_WORDS, rng.integers(0, len(cat.PARTNER_WORDS), n)),
        lookup(cat.PARTNER_SUFFIX, rng.integers(0, len(cat.PARTNER_SUFFIX), n)),
    )
    return Partners(n, ptype, tier, region, quality, onboarded.astype(np.int64), name)


def _sample_partner(
    rng: np.random.Generator, partners: Partners, region: np.ndarray, day: np.ndarray, exclude: np.ndarray
) -> np.ndarray:
    """Weighted partner draw (same region 85%), onboarded on or before `day`, different from `exclude`."""
    n = len(region)
    out = np.full(n, -1, dtype=np.int64)
    weight = TIER_ACCOUNT_WEIGHT[partners.tier]
    for _ in range(12):
        todo = np.flatnonzero(out < 0)
        if len(todo) == 0:
            break
        u = rng.random(len(todo))
        same = rng.random(len(todo)) < 0.85
        cand = np.empty(len(todo), dtype=np.int64)
        for r in range(-1, 4):
            members = np.arange(partners.n) if r < 0 else np.flatnonzero(partners.region == r)
            sel = ~same if r < 0 else same & (region[todo] == r)
            cw = np.cumsum(weight[members])
            cand[sel] = members[np.searchsorted(cw, u[sel] * cw[-1], side="right").clip(0, len(members) - 1)]
        ok = (partners.onboarded[cand] <= day[todo]) & (cand != exclude[todo])
        out[todo[ok]] = cand[ok]
    todo = np.flatnonzero(out < 0)
    if len(todo):  # fallback: earliest-onboarded partners (never equal to exclude: pick the first that differs)
        order = np.argsort(partners.onboarded, kind="stable")
        out[todo] = np.where(exclude[todo] == order[0], order[1], order[0])
    return out


def build_accounts(n: int, win: Window, partners: Partners, streams: Streams) -> Accounts:
    """Accounts with segment/region/currency, creation spread, partner attachment and latent traits."""
    rng = streams.get("accounts")
    segment = quota(rng, n, (0.50, 0.35, 0.15))
    region = pick(rng, n, cat.REGION_WEIGHTS)
    country = np.empty(n, dtype=np.int64)
    for r in range(4):
        members = np.flatnonzero(r == cat.COUNTRY_REGION)
        sel = region == r
        country[sel] = members[pick(rng, int(sel.sum()), cat.COUNTRY_WEIGHT[members])]
    currency = cat.COUNTRY_CURRENCY[country]
    industry = rng.integers(0, len(cat.INDUSTRIES), n)
    span = win.end - 30 - win.sim_start
    created = win.sim_start + np.floor(span * rng.random(n) ** 0.9).astype(np.int64)
    prospect = quota(rng, n, (0.80, 0.20)) == 1
    delay = np.minimum(28, np.round(rng.gamma(2.0, 6.0, n))).astype(np.int64)
    first_start = np.where(prospect, -1, created + delay)
    # ~30% of customers lost a first New Business attempt before the one they signed
    nb_created = created.copy()
    lost_first = ~prospect & (rng.random(n) < 0.3)
    lost_cycle = rng.integers(20, 91, n)
    created = np.where(lost_first, created - rng.integers(30, 181, n) - lost_cycle, created)
    lost_close = np.where(lost_first, created + lost_cycle, -1)

    attached = quota(rng, n, (0.75, 0.25)) == 0
    none = np.full(n, -1, dtype=np.int64)
    p_first = np.where(attached, _sample_partner(rng, partners, region, created, none), -1)
    # partner-of-record changes (~5% of attached) and direct accounts gaining a partner (~3%)
    change_day = np.full(n, NO_DAY, dtype=np.int64)
    p_second = p_first.copy()
    eligible = ~prospect & (created <= win.end - 120)
    for group, share in ((attached & eligible, 0.05), (~attached & eligible, 0.03)):
        members = np.flatnonzero(group)
        k = min(len(members), max(1, round(share * int(group.sum()))))
        chosen = np.sort(rng.choice(members, size=k, replace=False)) if k else members[:0]
        lo = np.maximum(created[chosen] + 90, win.first_week)
        day = lo + np.floor(rng.random(k) * np.maximum(win.end - 14 - lo, 1)).astype(np.int64)
        change_day[chosen] = day
        p_second[chosen] = _sample_partner(rng, partners, region[chosen], day, p_first[chosen])

    effect = rng.normal(0.0, 0.55, n)
    growth = np.clip(rng.normal(0.07, 0.13, n), -0.25, 0.6)
    pen_lo = np.array([0.6, 0.3, 0.1])[segment]
    pen_hi = np.array([1.0, 0.6, 0.3])[segment]
    pen = pen_lo + (pen_hi - pen_lo) * rng.random(n)
    share = np.ones((n, cat.N_LINES))
    share[:, cat.SECURITY] = rng.uniform(0.4, 1.0, n)
    share[:, cat.ANALYTICS] = rng.uniform(0.15, 0.6, n)
    upd_lo = np.array([4.0, 15.0, 60.0])[segment]
    upd_hi = np.array([12.0, 50.0, 250.0])[segment]
    keep_wd = np.array([0.72, 0.88, 0.95])[segment] + rng.random(n) * np.array([0.25, 0.11, 0.05])[segment]
    keep_we = rng.random(n) * np.array([0.05, 0.12, 0.4])[segment]

    employees = _employee_paths(rng, win, segment, growth, created)
    name = join_words(
        lookup(cat.NAME_A, rng.integers(0, len(cat.NAME_A), n)),
        lookup(cat.NAME_B, rng.integers(0, len(cat.NAME_B), n)),
        lookup(cat.NAME_SUFFIX, rng.integers(0, len(cat.NAME_SUFFIX), n)),
    )
    return Accounts(
        n=n,
        segment=segment,
        region=region,
        country=country,
        currency=currency,
        industry=industry,
        created=created,
        prospect=prospect,
        nb_created=nb_created,
        lost_close=lost_close,
        first_start=first_start,
        partner_first=p_first,
        partner_second=p_second,
        change_day=change_day,
        effect=effect,
        growth=growth,
        pen=pen,
        spread0=rng.uniform(0.35, 0.75, n),
        spread_rate=rng.uniform(0.02, 0.15, n),
        share=share,
        auto_k=rng.uniform(15.0, 60.0, n),
        api_per_user=rng.lognormal(np.log(12.0), 0.6, n),
        tau_api=rng.uniform(0.15, 0.75, n),
        users_per_dept=upd_lo + (upd_hi - upd_lo) * rng.random(n),
        keep_weekday=keep_wd,
        keep_weekend=keep_we,
        gb_per_user=rng.lognormal(np.log(0.8), 0.5, n),
        employees=employees,
        name=name,
    )


def _employee_paths(
    rng: np.random.Generator, win: Window, segment: np.ndarray, growth: np.ndarray, created: np.ndarray
) -> np.ndarray:
    """Monthly employee counts: drift by the account's growth rate plus noise, anchored at creation."""
    n, m = len(segment), win.n_months
    median = np.array([60.0, 600.0, 6000.0])[segment]
    lo = np.array([8.0, 200.0, 2000.0])[segment]
    hi = np.array([250.0, 2500.0, 80000.0])[segment]
    at_created = np.clip(rng.lognormal(np.log(median), 0.55), lo, hi)
    drift = growth[:, None] / 12.0 + rng.normal(0.0, 0.012, (n, m))
    logpath = np.cumsum(drift, axis=1)
    c_row = np.clip(win.month_of(created), 0, m - 1)
    logpath -= logpath[np.arange(n), c_row][:, None]
    return (at_created[:, None] * np.exp(logpath)).astype(np.float32)


def build_contacts(accounts: Accounts, win: Window, streams: Streams) -> Contacts:
    """3–20 contacts per account by segment (1–3 for prospects), ~15% executives."""
    rng = streams.get("contacts")
    n = accounts.n
    lo = np.array([3, 5, 10])[accounts.segment]
    hi = np.array([7, 12, 20])[accounts.segment]
    count = np.where(accounts.prospect, rng.integers(1, 4, n), lo + np.floor(rng.random(n) * (hi - lo + 1)))
    count = count.astype(np.int64)
    first = np.cumsum(count) - count
    acc = np.repeat(np.arange(n, dtype=np.int64), count)
    k = np.arange(len(acc)) - first[acc]
    is_exec = np.where(k == 0, rng.random(len(acc)) < 0.6, rng.random(len(acc)) < 0.11)
    acreated = accounts.created[acc]
    later = rng.random(len(acc)) < 0.35
    created = np.where(
        k == 0,
        acreated,
        np.where(
            later,
            acreated + np.floor(rng.random(len(acc)) * (win.end - acreated) * 0.8).astype(np.int64),
            acreated + rng.integers(0, 46, len(acc)),
        ),
    )
    created = np.minimum(created, win.end)
    title = lookup(
        pa.array(list(cat.EXEC_TITLES) + list(cat.STAFF_TITLES)),
        np.where(
            is_exec,
            rng.integers(0, len(cat.EXEC_TITLES), len(acc)),
            len(cat.EXEC_TITLES) + rng.integers(0, len(cat.STAFF_TITLES), len(acc)),
        ),
    )
    exec_of = np.full(n, -1, dtype=np.int64)
    ex = np.flatnonzero(is_exec)
    owners, first_ex = np.unique(acc[ex], return_index=True)
    exec_of[owners] = ex[first_ex]
    return Contacts(acc, is_exec, created.astype(np.int64), title, first, count, exec_of)
