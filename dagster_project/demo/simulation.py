"""Commercial history: a weekly loop (vectorised over accounts) of lands, renewals/churn, cancellations
and expansion deals, producing subscriptions, subscription items and opportunities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import catalog as cat
from .behaviour import automation_calls, engagement, seat_demand, sigmoid
from .calendar import Window, add_years
from .entities import Accounts, Partners
from .fx import Fx
from .health import COMPETITOR, Health, partner_quality
from .rng import Streams

# opportunity type codes (schema.OPPORTUNITY_TYPES order)
NEW_BUSINESS, RENEWAL, UPSELL, CROSS_SELL, LICENSE_EXPANSION = range(5)
# stage codes (schema.STAGES order)
CLOSED_WON, CLOSED_LOST = 5, 6  # 0–4 are the open stages Qualification … Negotiation
# trigger codes (schema.TRIGGER_TYPES order)
T_USAGE, T_EVENT, T_ORG, T_RENEWAL, T_INBOUND, T_OTHER = range(6)
FAR = np.iinfo(np.int64).max // 4

_SUB_FIELDS = ("acc", "start", "end", "term", "auto_renew", "cancelled", "renewed_from")
_ITEM_FIELDS = ("sub", "acc", "line", "prod", "qty", "price", "disc", "eff_from", "eff_to")
_OPP_FIELDS = (
    "acc",
    "otype",
    "prod",
    "stage",
    "amount",
    "created",
    "close",
    "renewal_sub",
    "trigger",
    "validation_day",
)


class _Log:
    """Column-wise append-only record store; indices are assigned in insertion order."""

    def __init__(self, fields: tuple[str, ...]) -> None:
        self.parts: dict[str, list[np.ndarray]] = {f: [] for f in fields}
        self.n = 0
        self.updates: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {f: [] for f in fields}

    def add(self, **cols: np.ndarray) -> np.ndarray:
        k = len(next(iter(cols.values())))
        for f, parts in self.parts.items():
            parts.append(np.broadcast_to(np.asarray(cols[f]), (k,)).copy())
        idx = np.arange(self.n, self.n + k, dtype=np.int64)
        self.n += k
        return idx

    def set(self, field: str, idx: np.ndarray, values: np.ndarray) -> None:
        """Deferred assignment field[idx] = values (applied in call order by `finish`)."""
        self.updates[field].append((np.asarray(idx, dtype=np.int64), np.broadcast_to(values, (len(idx),)).copy()))

    def finish(self) -> dict[str, np.ndarray]:
        out = {f: (np.concatenate(p) if p else np.zeros(0)) for f, p in self.parts.items()}
        for f, ups in self.updates.items():
            for idx, val in ups:
                out[f][idx] = val
        return out


@dataclass
class Commercial:
    """Internal (unsorted) commercial records; cross references are row indices."""

    subs: dict[str, np.ndarray]
    items: dict[str, np.ndarray]
    opps: dict[str, np.ndarray]


def _item_arr(qty: np.ndarray, price: np.ndarray, disc: np.ndarray) -> np.ndarray:
    return qty * price * (1.0 - disc / 100.0)


class _Sim:
    def __init__(
        self, accounts: Accounts, partners: Partners, health: Health, fx: Fx, win: Window, streams: Streams
    ) -> None:
        self.a, self.p, self.h, self.fx, self.win = accounts, partners, health, fx, win
        self.rng = streams.get("commercial")
        n = accounts.n
        self.subs, self.items, self.opps = _Log(_SUB_FIELDS), _Log(_ITEM_FIELDS), _Log(_OPP_FIELDS)
        self.slot_prod = np.full((n, cat.N_LINES), -1, dtype=np.int64)
        self.slot_qty = np.zeros((n, cat.N_LINES), dtype=np.int64)
        self.slot_price = np.zeros((n, cat.N_LINES))
        self.slot_disc = np.zeros((n, cat.N_LINES))
        self.slot_item = np.full((n, cat.N_LINES), -1, dtype=np.int64)
        self.cur_sub = np.full(n, -1, dtype=np.int64)
        self.s_start = np.full(n, FAR, dtype=np.int64)
        self.s_end = np.full(n, FAR, dtype=np.int64)
        self.s_auto = np.zeros(n, dtype=bool)
        self.alive = np.zeros(n, dtype=bool)
        self.pend = np.zeros(n, dtype=bool)
        self.pend_opp = np.full(n, -1, dtype=np.int64)
        self.pend_close = np.full(n, FAR, dtype=np.int64)
        self.pend_created = np.zeros(n, dtype=np.int64)
        self.pend_sub = np.full(n, -1, dtype=np.int64)
        self.pend_kind = np.zeros(n, dtype=np.int64)
        self.pend_line = np.zeros(n, dtype=np.int64)
        self.pend_prod = np.zeros(n, dtype=np.int64)
        self.pend_qty = np.zeros(n, dtype=np.int64)
        self.pend_price = np.zeros(n)
        self.pend_disc = np.zeros(n)
        self.pend_won = np.zeros(n, dtype=bool)
        self.last_comp = np.full(n, -1000, dtype=np.int64)
        comp = health.shock_kind == COMPETITOR
        self.comp_week, self.comp_acc = health.shock_week[comp], health.shock_account[comp]
        self.month_row = win.month_of(win.sim_start + 7 * np.arange(win.n_weeks) + 3)

    # ---- helpers -------------------------------------------------------------------------------
    def _demand(self, acc: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
        """(potential users, engagement) of accounts at week w."""
        day = self.win.sim_start + 7 * w + 3
        pot = self.a.potential(acc, np.full(len(acc), self.month_row[w]), np.full(len(acc), day))
        eng = engagement(self.h.norm(acc, np.full(len(acc), w)), day - self.a.first_start[acc])
        return pot, eng

    def _line_util(self, acc: np.ndarray, w: int, line: int) -> tuple[np.ndarray, np.ndarray]:
        """(utilisation, monthly active users) of a per-seat line (or calls ÷ capacity for Automation)."""
        pot, eng = self._demand(acc, w)
        qty = np.maximum(self.slot_qty[acc, line], 1).astype(np.float64)
        if line == cat.AUTOMATION:
            calls = automation_calls(pot, eng, self.a.auto_k[acc])
            return calls / (qty * cat.AUTOMATION_UNIT_CALLS), calls
        mau = np.minimum(qty, seat_demand(pot, self.a.share[acc, line], eng))
        return mau / qty, mau

    def _discount(self, seg: np.ndarray) -> np.ndarray:
        k = len(seg)
        has = self.rng.random(k) < np.array([0.55, 0.65, 0.8])[seg]
        top = np.array([20.0, 25.0, 30.0])[seg]
        return np.where(has, np.round(self.rng.uniform(3.0, top), 1), 0.0)

    def _arr(self, acc: np.ndarray) -> np.ndarray:
        held = self.slot_prod[acc] >= 0
        return (_item_arr(self.slot_qty[acc], self.slot_price[acc], self.slot_disc[acc]) * held).sum(axis=1)

    def _term(self, seg: np.ndarray, hn: np.ndarray) -> np.ndarray:
        u = self.rng.random(len(seg))
        p3 = 0.02 + 0.06 * hn + np.array([0.0, 0.02, 0.08])[seg]
        p2 = 0.08 + 0.10 * hn + np.array([0.0, 0.04, 0.08])[seg]
        return np.where(u < p3, 3, np.where(u < p3 + p2, 2, 1))

    def _new_subs(self, acc: np.ndarray, start: np.ndarray, term: np.ndarray, renewed_from: np.ndarray) -> None:
        seg = self.a.segment[acc]
        auto = self.rng.random(len(acc)) < np.array([0.7, 0.6, 0.45])[seg]
        end = add_years(start, term) - 1
        sub = self.subs.add(
            acc=acc,
            start=start,
            end=end,
            term=term,
            auto_renew=auto,
            cancelled=np.int64(-1),
            renewed_from=renewed_from,
        )
        self.cur_sub[acc], self.s_start[acc], self.s_end[acc], self.s_auto[acc] = sub, start, end, auto
        self.alive[acc] = True
        self.slot_item[acc] = -1  # items of the previous subscription are never modified again
        rows, lines = np.nonzero(self.slot_prod[acc] >= 0)
        ra = acc[rows]
        self.slot_item[ra, lines] = self.items.add(
            sub=sub[rows],
            acc=ra,
            line=lines,
            prod=self.slot_prod[ra, lines],
            qty=self.slot_qty[ra, lines],
            price=self.slot_price[ra, lines],
            disc=self.slot_disc[ra, lines],
            eff_from=start[rows],
            eff_to=np.int64(-1),
        )

    def _change_item(self, acc: np.ndarray, line: np.ndarray, day: np.ndarray) -> None:
        """Close the current item rows of (acc, line) at `day` and open replacements from the slots."""
        old = self.slot_item[acc, line]
        had = old >= 0
        self.items.set("eff_to", old[had], day[had])
        self.slot_item[acc, line] = self.items.add(
            sub=self.cur_sub[acc],
            acc=acc,
            line=line,
            prod=self.slot_prod[acc, line],
            qty=self.slot_qty[acc, line],
            price=self.slot_price[acc, line],
            disc=self.slot_disc[acc, line],
            eff_from=day,
            eff_to=np.int64(-1),
        )

    # ---- weekly steps --------------------------------------------------------------------------
    def land(self, acc: np.ndarray, w: int) -> None:
        rng, a = self.rng, self.a
        k = len(acc)
        start = a.first_start[acc]
        seg = a.segment[acc]
        pot, _ = self._demand(acc, w)
        hn = self.h.norm(acc, np.full(k, w))
        eng_full = engagement(hn, np.full(k, 365))
        ed_u = rng.random(k)
        p1 = np.array([0.70, 0.40, 0.15])[seg]
        p2 = np.array([0.25, 0.45, 0.45])[seg]
        core = np.where(ed_u < p1, 0, np.where(ed_u < p1 + p2, 1, 2))
        seats = np.maximum(5, np.round(pot * rng.uniform(0.75, 1.0, k))).astype(np.int64)
        self.slot_prod[acc] = -1
        self._set_slot(acc, np.full(k, cat.CORE), core, seats, start)
        for line, probs, adv in (
            (cat.SECURITY, (0.08, 0.20, 0.35), 0.2),
            (cat.ANALYTICS, (0.10, 0.20, 0.30), 0.25),
            (cat.AUTOMATION, (0.05, 0.15, 0.25), 0.0),
            (cat.SUPPORT, (0.02, 0.15, 0.45), 0.0),
        ):
            take = rng.random(k) < np.array(probs)[seg]
            t = acc[take]
            prod = cat.LINE_ENTRY[line] + (rng.random(len(t)) < adv)
            qty = self._initial_qty(t, line, seats[take], pot[take], eng_full[take])
            self._set_slot(t, np.full(len(t), line), prod, qty, start[take])
        self._new_subs(acc, start, self._term(seg, hn), np.full(k, -1, dtype=np.int64))
        created = a.nb_created[acc]
        close = np.maximum(created, start - rng.integers(0, 6, k))
        trig = np.where(
            rng.random(k) < 0.3, -1, rng.choice([T_INBOUND, T_EVENT, T_OTHER, T_USAGE], k, p=[0.5, 0.25, 0.2, 0.05])
        )
        self.opps.add(
            acc=acc,
            otype=np.int64(NEW_BUSINESS),
            prod=np.int64(-1),
            stage=np.int64(CLOSED_WON),
            amount=np.round(self._arr(acc), 2),
            created=created,
            close=close,
            renewal_sub=np.int64(-1),
            trigger=trig,
            validation_day=np.int64(-1),
        )

    def _initial_qty(
        self, acc: np.ndarray, line: int, core_seats: np.ndarray, pot: np.ndarray, eng: np.ndarray
    ) -> np.ndarray:
        k = len(acc)
        if line == cat.SUPPORT:
            return np.ones(k, dtype=np.int64)
        if line == cat.AUTOMATION:
            calls = automation_calls(pot, eng, self.a.auto_k[acc]) * self.rng.uniform(1.1, 1.4, k)
            return np.maximum(1, np.ceil(calls / cat.AUTOMATION_UNIT_CALLS)).astype(np.int64)
        want = np.round(pot * self.a.share[acc, line] * self.rng.uniform(0.75, 1.0, k))
        return np.clip(want, 3, np.maximum(core_seats, 3)).astype(np.int64)

    def _set_slot(self, acc: np.ndarray, line: np.ndarray, prod: np.ndarray, qty: np.ndarray, day: np.ndarray) -> None:
        self.slot_prod[acc, line] = prod
        self.slot_qty[acc, line] = qty
        self.slot_price[acc, line] = self.fx.to_local(cat.PROD_PRICE[prod], self.a.currency[acc], day)
        self.slot_disc[acc, line] = self._discount(self.a.segment[acc])

    def renew(self, acc: np.ndarray, w: int) -> None:
        rng, a, win = self.rng, self.a, self.win
        k = len(acc)
        end = self.s_end[acc]
        hn8 = self.h.norm_mean(acc, np.full(k, w), 8)
        q = partner_quality(a, self.p, acc, end)
        direct = a.partner_at(acc, end) < 0
        util, mau = self._line_util(acc, w, cat.CORE)
        p = 0.065 + 0.47 * (1.0 - hn8) ** 3
        p *= np.where(direct, 1.25, 1.0 - 0.2 * q)
        p *= np.where(w - self.last_comp[acc] <= 20, 1.6, 1.0)
        p *= np.where(self.s_auto[acc], 0.85, 1.0) * (0.75 + np.clip(0.8 - util, 0.0, 0.6))
        churn = rng.random(k) < np.clip(p, 0.01, 0.85)
        old_sub = self.cur_sub[acc]

        # churn: Closed Lost renewal opportunity, account leaves
        c = np.flatnonzero(churn)
        close = end[c] - rng.integers(0, 46, len(c))
        self.opps.add(
            acc=acc[c],
            otype=np.int64(RENEWAL),
            prod=np.int64(-1),
            stage=np.int64(CLOSED_LOST),
            amount=np.round(self._arr(acc[c]), 2),
            created=np.maximum(self.s_start[acc[c]], close - rng.integers(30, 120, len(c))),
            close=close,
            renewal_sub=old_sub[c],
            trigger=np.int64(T_RENEWAL),
            validation_day=np.int64(-1),
        )
        self.alive[acc[c]] = False
        self.s_end[acc[c]] = FAR

        # renew: contraction / line drops / price uplift, then the next subscription
        r = np.flatnonzero(~churn)
        ra = acc[r]
        self._renewal_adjust(ra, w, hn8[r], util[r], mau[r])
        u = rng.random(len(r))
        gap = np.where(u < 0.82, 0, np.where(u < 0.965, rng.integers(1, 26, len(r)), rng.integers(31, 76, len(r))))
        start = end[r] + 1 + gap
        early = np.where(hn8[r] > 0.6, 0.4, 0.15)
        u2 = rng.random(len(r))
        before = np.where(
            u2 < early,
            rng.integers(90, 151, len(r)),
            np.where(u2 < early + 0.55, rng.integers(20, 90, len(r)), rng.integers(0, 20, len(r))),
        )
        close = np.where(gap > 0, start - rng.integers(0, 4, len(r)), end[r] - before)
        created = np.maximum(self.s_start[ra], np.minimum(close, end[r]) - rng.integers(15, 91, len(r)))
        is_open = close > win.end
        self.opps.add(
            acc=ra,
            otype=np.int64(RENEWAL),
            prod=np.int64(-1),
            stage=np.where(is_open, 4, CLOSED_WON),
            amount=np.round(self._arr(ra), 2),
            created=created,
            close=np.where(is_open, -1, close),
            renewal_sub=old_sub[r],
            trigger=np.int64(T_RENEWAL),
            validation_day=np.int64(-1),
        )
        now = start <= win.end
        self._new_subs(ra[now], start[now], self._term(a.segment[ra[now]], hn8[r][now]), old_sub[r][now])
        self.alive[ra[~now]] = False  # renewal signed; the next subscription starts after `end`
        self.s_end[ra[~now]] = FAR

    def _renewal_adjust(self, acc: np.ndarray, w: int, hn: np.ndarray, util: np.ndarray, mau: np.ndarray) -> None:
        rng = self.rng
        k = len(acc)
        shrink = (util < 0.6) & (rng.random(k) < 0.7)
        new_core = np.maximum(
            5,
            np.maximum(
                np.ceil(mau / rng.uniform(0.75, 0.9, k)),
                np.ceil(self.slot_qty[acc, cat.CORE] * rng.uniform(0.6, 0.85, k)),
            ),
        )
        new_core = new_core.astype(np.int64)
        self.slot_qty[acc, cat.CORE] = np.where(
            shrink, np.minimum(new_core, self.slot_qty[acc, cat.CORE]), self.slot_qty[acc, cat.CORE]
        )
        for line in (cat.SECURITY, cat.ANALYTICS, cat.AUTOMATION, cat.SUPPORT):
            held = self.slot_prod[acc, line] >= 0
            if line == cat.SUPPORT:
                lu, lm = np.ones(k), np.ones(k)
            else:
                lu, lm = self._line_util(acc, w, line)
            drop = held & (rng.random(k) < 0.25 * (1 - hn) ** 2 + 0.3 * (lu < 0.4))
            self.slot_prod[acc[drop], line] = -1
            if line in (cat.SECURITY, cat.ANALYTICS):
                cut = held & ~drop & (lu < 0.6) & (rng.random(k) < 0.6)
                target = np.maximum(
                    3,
                    np.maximum(
                        np.ceil(lm / rng.uniform(0.75, 0.9, k)),
                        np.ceil(self.slot_qty[acc, line] * rng.uniform(0.6, 0.85, k)),
                    ),
                ).astype(np.int64)
                self.slot_qty[acc[cut], line] = np.minimum(target[cut], self.slot_qty[acc[cut], line])
            if line == cat.AUTOMATION:
                cut = held & ~drop & (lu < 0.5)
                target = np.maximum(1, np.ceil(lm / 0.8 / cat.AUTOMATION_UNIT_CALLS)).astype(np.int64)
                self.slot_qty[acc[cut], line] = np.minimum(target[cut], self.slot_qty[acc[cut], line])
        uplift = rng.random(k) < 0.5
        factor = np.where(uplift, 1.0 + rng.uniform(0.01, 0.05, k), 1.0)
        self.slot_price[acc] = np.round(self.slot_price[acc] * factor[:, None], 2)

    def apply_pending(self, acc: np.ndarray) -> None:
        day = self.pend_close[acc]
        valid = self.alive[acc] & (self.cur_sub[acc] == self.pend_sub[acc]) & (day < self.s_end[acc])
        lost = self.pend_won[acc] & ~valid
        self.opps.set("stage", self.pend_opp[acc[lost]], np.int64(CLOSED_LOST))
        do = self.pend_won[acc] & valid
        t = acc[do]
        line = self.pend_line[t]
        self.slot_prod[t, line] = self.pend_prod[t]
        self.slot_qty[t, line] = self.pend_qty[t]
        self.slot_price[t, line] = self.pend_price[t]
        self.slot_disc[t, line] = self.pend_disc[t]
        self._change_item(t, line, day[do])
        self.pend[acc] = False

    def cancel(self, w: int) -> None:
        d0 = self.win.sim_start + 7 * w
        acc = np.flatnonzero(self.alive & (self.s_start <= d0) & (self.s_end > d0 + 67))
        hn = self.h.norm(acc, np.full(len(acc), w))
        p = 0.006 * np.clip((0.18 - hn) / 0.18, 0.0, 1.0)
        hit = acc[self.rng.random(len(acc)) < p]
        day = d0 + self.rng.integers(0, 7, len(hit))
        self.subs.set("cancelled", self.cur_sub[hit], day)
        self.alive[hit] = False
        self.s_end[hit] = FAR
        pend = hit[self.pend[hit]]
        self.opps.set("stage", self.pend_opp[pend], np.int64(CLOSED_LOST))
        self.opps.set("close", self.pend_opp[pend], np.maximum(self.pend_created[pend], day[self.pend[hit]]))
        self.pend[pend] = False

    def expand(self, w: int) -> None:
        rng, a = self.rng, self.a
        d0 = self.win.sim_start + 7 * w
        acc = np.flatnonzero(self.alive & ~self.pend & (self.s_start + 60 <= d0))
        k = len(acc)
        if k == 0:
            return
        hn = self.h.norm(acc, np.full(k, w))
        q = partner_quality(a, self.p, acc, np.full(k, d0))
        util, mau = self._line_util(acc, w, cat.CORE)
        has_auto = self.slot_prod[acc, cat.AUTOMATION] >= 0
        auto_util, auto_calls = self._line_util(acc, w, cat.AUTOMATION)
        missing = self.slot_prod[acc] < 0
        upgradable = (self.slot_prod[acc] >= 0) & (cat.NEXT_EDITION[np.maximum(self.slot_prod[acc], 0)] >= 0)
        p_le = 0.035 * sigmoid((util - 0.86) * 30) * (0.3 + hn)
        p_xs = 0.014 * hn**2 * missing.any(axis=1) * (1 + 0.3 * q)
        p_up = 0.005 * hn**2 * upgradable.any(axis=1)
        p_cap = 0.03 * sigmoid((auto_util - 0.9) * 30) * has_auto
        p_spec = np.full(k, 0.0015)
        cum = np.cumsum(np.stack([p_le, p_xs, p_up, p_cap, p_spec]), axis=0)
        u = rng.random(k)
        kind = (u[None, :] >= cum).sum(axis=0)  # 0..4 chosen, 5 = nothing
        spec = kind == 4
        kind = np.where(spec, rng.choice([0, 1, 2], k, p=[0.4, 0.4, 0.2]), kind)
        kind = np.where((kind == 2) & ~upgradable.any(axis=1), 1, kind)
        kind = np.where((kind == 1) & ~missing.any(axis=1), 0, kind)
        sel = kind < 5
        acc, kind, hn, q, util, mau = acc[sel], kind[sel], hn[sel], q[sel], util[sel], mau[sel]
        auto_calls, upgradable, missing = auto_calls[sel], upgradable[sel], missing[sel]
        k = len(acc)
        if k == 0:
            return
        created = d0 + rng.integers(0, 7, k)
        cycle = np.clip(10 + rng.gamma(2.0, 20.0, k), 10, 150).astype(np.int64)
        close = created + cycle
        ok = close < self.s_end[acc] - 30
        acc, kind, hn, q, util, mau, created, cycle, close = (
            x[ok] for x in (acc, kind, hn, q, util, mau, created, cycle, close)
        )
        auto_calls, upgradable, missing = auto_calls[ok], upgradable[ok], missing[ok]
        k = len(acc)
        if k == 0:
            return
        line = np.full(k, cat.CORE, dtype=np.int64)
        # cross-sell: a missing line (weights Security, Automation, Analytics, Support)
        lw = missing[:, 1:] * np.array([0.3, 0.25, 0.3, 0.15]) + 1e-12
        cw = np.cumsum(lw, axis=1)
        xs_line = 1 + (rng.random(k)[:, None] * cw[:, -1:] >= cw).sum(axis=1).clip(0, 3)
        # upsell: an upgradable line (first upgradable; Core preferred)
        up_line = np.argmax(upgradable, axis=1)
        line = np.where(kind == 1, xs_line, np.where(kind == 2, up_line, np.where(kind == 3, cat.AUTOMATION, line)))
        cur_prod = self.slot_prod[acc, line]
        cur_qty = self.slot_qty[acc, line]
        cur_price = self.slot_price[acc, line]
        cur_disc = self.slot_disc[acc, line]
        seg = a.segment[acc]
        # new quantities / products / prices
        pot, eng = self._demand(acc, w)
        wanted = np.minimum(seat_demand(pot, a.share[acc, cat.CORE], eng), 1.6 * cur_qty)  # users asking for seats
        le_qty = np.maximum(
            cur_qty + np.maximum(1, np.ceil(0.05 * cur_qty)),
            np.ceil(np.maximum(mau, wanted) / rng.uniform(0.78, 0.86, k)),
        ).astype(np.int64)
        cap_qty = np.ceil(
            np.maximum(cur_qty * rng.uniform(1.3, 1.8, k), auto_calls / 0.75 / cat.AUTOMATION_UNIT_CALLS)
        ).astype(np.int64)
        core_qty = self.slot_qty[acc, cat.CORE].astype(np.float64)
        xs_prod = cat.LINE_ENTRY[xs_line] + ((xs_line == cat.SECURITY) | (xs_line == cat.ANALYTICS)) * (
            rng.random(k) < 0.2
        )
        xs_qty = np.where(
            xs_line == cat.SUPPORT,
            1,
            np.where(
                xs_line == cat.AUTOMATION,
                np.maximum(1, np.ceil(automation_calls(pot, eng, a.auto_k[acc]) * 1.2 / cat.AUTOMATION_UNIT_CALLS)),
                np.clip(np.round(core_qty * rng.uniform(0.3, 1.0, k)), 3, np.maximum(core_qty, 3)),
            ),
        ).astype(np.int64)
        up_prod = cat.NEXT_EDITION[np.maximum(cur_prod, 0)]
        new_prod = np.where(kind == 1, xs_prod, np.where(kind == 2, up_prod, cur_prod))
        new_qty = np.where(kind == 0, le_qty, np.where(kind == 1, xs_qty, np.where(kind == 3, cap_qty, cur_qty)))
        list_local = self.fx.to_local(cat.PROD_PRICE[np.maximum(new_prod, 0)], a.currency[acc], created)
        new_price = np.where(
            kind == 1, list_local, np.where(kind == 2, np.maximum(list_local, np.round(cur_price * 1.2, 2)), cur_price)
        )
        new_disc = np.where(kind == 1, self._discount(seg), cur_disc)
        old_arr = np.where(kind == 1, 0.0, _item_arr(cur_qty, cur_price, cur_disc))
        amount = np.round(np.maximum(_item_arr(new_qty, new_price, new_disc) - old_arr, 0.0), 2)
        # validation step, win probability, trigger
        validated = rng.random(k) < 0.2 + 0.35 * hn + 0.1 * q
        val_day = np.where(validated, created + np.floor(cycle * rng.uniform(0.2, 0.8, k)).astype(np.int64), -1)
        won = rng.random(k) < np.clip(0.2 + 0.55 * hn + 0.18 * validated + 0.04 * q, 0.05, 0.93)
        trig_other = rng.choice(
            [T_EVENT, T_ORG, T_USAGE, T_INBOUND, T_OTHER, -1], k, p=[0.25, 0.1, 0.2, 0.2, 0.15, 0.1]
        )
        trigger = np.where((kind == 0) | (kind == 3), np.where(rng.random(k) < 0.8, T_USAGE, trig_other), trig_other)
        otype = np.array([LICENSE_EXPANSION, CROSS_SELL, UPSELL, UPSELL])[kind]
        opp = self.opps.add(
            acc=acc,
            otype=otype,
            prod=new_prod,
            stage=np.where(won, CLOSED_WON, CLOSED_LOST),
            amount=amount,
            created=created,
            close=close,
            renewal_sub=np.int64(-1),
            trigger=trigger,
            validation_day=val_day,
        )
        self.pend[acc] = True
        self.pend_opp[acc], self.pend_close[acc], self.pend_created[acc] = opp, close, created
        self.pend_sub[acc], self.pend_kind[acc], self.pend_line[acc] = self.cur_sub[acc], kind, line
        self.pend_prod[acc], self.pend_qty[acc] = new_prod, new_qty
        self.pend_price[acc], self.pend_disc[acc], self.pend_won[acc] = new_price, new_disc, won

    def week(self, w: int) -> None:
        d0 = self.win.sim_start + 7 * w
        d1 = d0 + 7
        a = self.a
        hit = self.comp_week == w
        self.last_comp[self.comp_acc[hit]] = w
        self.land(np.flatnonzero((a.first_start >= d0) & (a.first_start < d1)), w)
        self.apply_pending(np.flatnonzero(self.pend & (self.pend_close < d1)))
        self.renew(np.flatnonzero(self.alive & (self.s_end >= d0) & (self.s_end < d1)), w)
        self.cancel(w)
        self.expand(w)

    def finish(self) -> Commercial:
        """Open stages for deals still in flight at `end`; renewal deals for subscriptions ending soon after."""
        rng, win = self.rng, self.win
        w_last = win.n_weeks - 1
        # expansion deals closing after `end` are open
        acc = np.flatnonzero(self.pend & (self.pend_close > win.end))
        frac = (win.end - self.pend_created[acc]) / np.maximum(self.pend_close[acc] - self.pend_created[acc], 1)
        self.opps.set("stage", self.pend_opp[acc], np.minimum(4, np.floor(frac * 5)).astype(np.int64))
        self.opps.set("close", self.pend_opp[acc], np.int64(-1))
        # subscriptions ending within ~200 days after `end`
        acc = np.flatnonzero(self.alive & (self.s_end > win.end) & (self.s_end <= win.end + 200))
        k = len(acc)
        end = self.s_end[acc]
        hn = self.h.norm_mean(acc, np.full(k, w_last), 8)
        churn = rng.random(k) < 0.04 + 0.48 * (1 - hn) ** 3
        before = rng.integers(0, 151, k)
        close = end - before
        created = np.maximum(self.s_start[acc], close - rng.integers(15, 91, k))
        keep = created <= win.end
        closed = close <= win.end
        frac = (win.end - created) / np.maximum(close - created, 1)
        stage = np.where(closed, np.where(churn, CLOSED_LOST, CLOSED_WON), np.minimum(4, np.floor(frac * 5)))
        self.opps.add(
            acc=acc[keep],
            otype=np.int64(RENEWAL),
            prod=np.int64(-1),
            stage=stage[keep].astype(np.int64),
            amount=np.round(self._arr(acc[keep]), 2),
            created=created[keep],
            close=np.where(closed, close, -1)[keep],
            renewal_sub=self.cur_sub[acc[keep]],
            trigger=np.int64(T_RENEWAL),
            validation_day=np.int64(-1),
        )
        self._prospects()
        return Commercial(self.subs.finish(), self.items.finish(), self.opps.finish())

    def _prospects(self) -> None:
        """Lost New Business deals: 1–3 attempts per prospect (the last may still be open), and the first
        attempt of customers that signed only later."""
        rng, a, win = self.rng, self.a, self.win
        pros = np.flatnonzero(a.prospect)
        tries = 1 + rng.binomial(3, 0.45, len(pros))
        p_acc = np.repeat(pros, tries)
        attempt = np.arange(len(p_acc)) - np.repeat(np.cumsum(tries) - tries, tries)
        cum = np.cumsum(np.where(attempt > 0, rng.integers(150, 400, len(p_acc)), 0))
        p_created = a.created[p_acc] + cum - np.repeat(cum[np.cumsum(tries) - tries], tries)
        lost = np.flatnonzero(a.lost_close >= 0)
        acc = np.concatenate([p_acc, lost])
        created = np.concatenate([p_created, a.created[lost]])
        keep = created <= win.end
        acc, created = acc[keep], created[keep]
        k = len(acc)
        close = np.where(a.lost_close[acc] >= 0, a.lost_close[acc], created + rng.integers(20, 150, k))
        closed = close <= win.end
        frac = (win.end - created) / np.maximum(close - created, 1)
        seg = a.segment[acc]
        pot = a.potential(acc, np.clip(win.month_of(created), 0, a.employees.shape[1] - 1), created)
        usd = np.maximum(5, np.round(pot)) * cat.PROD_PRICE[np.array([0, 1, 2])[seg]]
        self.opps.add(
            acc=acc,
            otype=np.int64(NEW_BUSINESS),
            prod=np.int64(-1),
            stage=np.where(closed, CLOSED_LOST, np.minimum(4, np.floor(frac * 5))).astype(np.int64),
            amount=self.fx.to_local(usd, a.currency[acc], created),
            created=created,
            close=np.where(closed, close, -1),
            renewal_sub=np.int64(-1),
            trigger=rng.choice([T_INBOUND, T_EVENT, T_OTHER], k, p=[0.6, 0.2, 0.2]),
            validation_day=np.int64(-1),
        )


def simulate_commercial(
    accounts: Accounts, partners: Partners, health: Health, fx: Fx, win: Window, streams: Streams
) -> Commercial:
    """Run the weekly commercial loop from sim_start through end."""
    sim = _Sim(accounts, partners, health, fx, win, streams)
    for w in range(win.n_weeks):
        sim.week(w)
    return sim.finish()
