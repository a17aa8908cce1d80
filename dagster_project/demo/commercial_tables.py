"""Master-data and commercial tables (sorted, with final ids) from the simulated records."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import catalog as cat
from .calendar import Window, add_years
from .columns import NULL, bools, dates, floats, id_width, lookup, make_ids, ranks, with_variants
from .entities import NO_DAY, Accounts, Contacts, Partners
from .health import Health
from .rng import Streams
from .schema import (
    CURRENCIES,
    FEATURE_TIERS,
    INVOICE_STATUSES,
    OPPORTUNITY_TYPES,
    PARTNER_ROLES,
    PARTNER_TIERS,
    PARTNER_TYPES,
    PRICING_MODELS,
    PRODUCT_LINES,
    REGIONS,
    SEGMENTS,
    STAGES,
    SUBSCRIPTION_STATUSES,
    TRIGGER_TYPES,
)
from .simulation import Commercial

FAR_DAY = np.iinfo(np.int64).max // 4


@dataclass
class Ids:
    """Final string ids indexed by internal row index."""

    partner: pa.Array
    account: pa.Array
    contact: pa.Array
    product: pa.Array
    feature: pa.Array
    sub: pa.Array | None = None


@dataclass
class Books:
    """Commercial tables plus the sorted internal arrays later stages need."""

    subscriptions: pa.Table
    subscription_items: pa.Table
    opportunities: pa.Table
    invoices: pa.Table
    sub_acc: np.ndarray  # internal subscription arrays (index = internal sub index)
    sub_start: np.ndarray
    sub_end: np.ndarray
    sub_stop: np.ndarray  # first day without coverage: min(end + 1, cancelled)
    item_acc: np.ndarray  # holdings: one row per item, clipped to the subscription's coverage
    item_prod: np.ndarray
    item_qty: np.ndarray
    item_from: np.ndarray
    item_to: np.ndarray
    opp_acc: np.ndarray
    opp_type: np.ndarray
    opp_created: np.ndarray
    opp_close: np.ndarray
    opp_validation: np.ndarray


def make_ids_registry(partners: Partners, accounts: Accounts, contacts: Contacts) -> Ids:
    return Ids(
        partner=make_ids("PTR-", np.arange(1, partners.n + 1), id_width(partners.n, 5)),
        account=make_ids("ACC-", np.arange(1, accounts.n + 1), id_width(accounts.n, 6)),
        contact=make_ids("CON-", np.arange(1, len(contacts.account) + 1), id_width(len(contacts.account), 7)),
        product=pa.array(list(cat.PRODUCT_IDS)),
        feature=pa.array(list(cat.FEATURE_IDS)),
    )


def master_tables(
    partners: Partners, accounts: Accounts, contacts: Contacts, ids: Ids, win: Window, streams: Streams
) -> dict[str, pa.Table]:
    """partners, accounts, partner_assignments, contacts, products, features."""
    rng = streams.get("tables/master")
    a = accounts
    current = a.partner_at(np.arange(a.n), np.full(a.n, win.end))
    out = {
        "partners": pa.table(
            {
                "partner_id": ids.partner,
                "partner_name": partners.name,
                "partner_type": with_variants(PARTNER_TYPES, partners.ptype, rng, 0.06),
                "partner_tier": lookup(PARTNER_TIERS, partners.tier),
                "region": lookup(REGIONS, partners.region),
                "onboarded_date": dates(partners.onboarded),
            }
        ),
        "accounts": pa.table(
            {
                "account_id": ids.account,
                "account_name": a.name,
                "partner_id": lookup(ids.partner, current),
                "segment": with_variants(SEGMENTS, a.segment, rng, 0.03),
                "industry": lookup(cat.INDUSTRIES, a.industry),
                "region": lookup(REGIONS, a.region),
                "country": lookup(cat.COUNTRY_CODES, a.country),
                "created_date": dates(a.created),
            }
        ),
    }
    # partner of record history: first assignment from creation, second from the change day
    first = np.flatnonzero(a.partner_first >= 0)
    second = np.flatnonzero(a.change_day < NO_DAY)
    pa_acc = np.concatenate([first, second])
    pa_partner = np.concatenate([a.partner_first[first], a.partner_second[second]])
    pa_from = np.concatenate([a.created[first], a.change_day[second]])
    pa_to = np.concatenate(
        [np.where(a.change_day[first] < NO_DAY, a.change_day[first], NULL), np.full(len(second), NULL)]
    )
    order = np.lexsort((pa_from, pa_acc))
    out["partner_assignments"] = pa.table(
        {
            "account_id": lookup(ids.account, pa_acc[order]),
            "partner_id": lookup(ids.partner, pa_partner[order]),
            "valid_from": dates(pa_from[order]),
            "valid_to": dates(pa_to[order]),
        }
    )
    out["contacts"] = pa.table(
        {
            "contact_id": ids.contact,
            "account_id": lookup(ids.account, contacts.account),
            "title": contacts.title,
            "is_executive": bools(contacts.is_exec),
            "created_date": dates(contacts.created),
        }
    )
    out["products"] = pa.table(
        {
            "product_id": ids.product,
            "product_name": pa.array([p[1] for p in cat.PRODUCTS]),
            "product_line": lookup(PRODUCT_LINES, cat.PROD_LINE),
            "edition_rank": pa.array(cat.PROD_RANK),
            "pricing_model": lookup(PRICING_MODELS, cat.PROD_MODEL),
            "list_price_annual": pa.array(cat.PROD_PRICE),
        }
    )
    out["features"] = pa.table(
        {
            "feature_id": ids.feature,
            "product_id": lookup(ids.product, cat.FEATURE_PRODUCT),
            "feature_name": pa.array(list(cat.FEATURE_NAME)),
            "feature_tier": lookup(FEATURE_TIERS, cat.FEATURE_TIER),
        }
    )
    return out


def commercial_tables(
    com: Commercial,
    accounts: Accounts,
    partners: Partners,
    health: Health,
    ids: Ids,
    win: Window,
    streams: Streams,
) -> Books:
    """subscriptions, subscription_items, opportunities, invoices; also fills ids.sub."""
    rng = streams.get("tables/commercial")
    s, it, op = com.subs, com.items, com.opps
    # subscriptions -------------------------------------------------------------------------------
    s_order = np.lexsort((s["start"], s["acc"]))
    s_rank = ranks(s_order)
    n_sub = len(s_order)
    ids.sub = make_ids("SUB-", s_rank + 1, id_width(n_sub, 7))
    cancelled = s["cancelled"].astype(np.int64)
    status = np.where(cancelled >= 0, 1, np.where(s["end"] < win.end, 2, 0))
    renewed = s["renewed_from"].astype(np.int64)
    acc_cur = accounts.currency[s["acc"]]
    subscriptions = pa.table(
        {
            "subscription_id": ids.sub.take(s_order),
            "account_id": lookup(ids.account, s["acc"][s_order]),
            "currency": lookup(CURRENCIES, acc_cur[s_order]),
            "start_date": dates(s["start"][s_order]),
            "end_date": dates(s["end"][s_order]),
            "auto_renew": bools(s["auto_renew"][s_order]),
            "status": lookup(SUBSCRIPTION_STATUSES, status[s_order]),
            "cancelled_date": dates(cancelled[s_order]),
            "renewed_from_subscription_id": lookup(ids.sub, renewed[s_order]),
        }
    )
    stop = np.where(cancelled >= 0, np.minimum(cancelled, s["end"] + 1), s["end"] + 1)

    # items ---------------------------------------------------------------------------------------
    isub = it["sub"].astype(np.int64)
    i_order = np.lexsort((it["line"], it["eff_from"], s_rank[isub]))
    n_it = len(i_order)
    eff_to = it["eff_to"].astype(np.int64)
    items = pa.table(
        {
            "item_id": make_ids("ITM-", np.arange(1, n_it + 1), id_width(n_it, 8)),
            "subscription_id": ids.sub.take(isub[i_order]),
            "product_id": lookup(ids.product, it["prod"][i_order]),
            "quantity": pa.array(it["qty"][i_order].astype(np.int64)),
            "unit_price_annual": floats(it["price"][i_order], 2),
            "discount_pct": floats(it["disc"][i_order], 1),
            "effective_from": dates(it["eff_from"][i_order]),
            "effective_to": dates(eff_to[i_order]),
        }
    )
    # holdings: item coverage clipped to its subscription (cancellation included)
    h_to = np.minimum(np.where(eff_to >= 0, eff_to, FAR_DAY), stop[isub])
    h_from = np.maximum(it["eff_from"].astype(np.int64), s["start"][isub])

    # opportunities -------------------------------------------------------------------------------
    oacc = op["acc"].astype(np.int64)
    created = op["created"].astype(np.int64)
    close = op["close"].astype(np.int64)
    o_order = np.lexsort((op["otype"], created, oacc))
    n_op = len(o_order)
    partner = accounts.partner_at(oacc, created)
    role = np.where(partner >= 0, (rng.random(n_op) >= 0.6).astype(np.int64), -1)
    stage_rng = streams.get("tables/stage-variants")
    o = o_order
    opportunities = pa.table(
        {
            "opportunity_id": make_ids("OPP-", np.arange(1, n_op + 1), id_width(n_op, 7)),
            "account_id": lookup(ids.account, oacc[o]),
            "partner_id": lookup(ids.partner, partner[o]),
            "partner_role": lookup(PARTNER_ROLES, role[o]),
            "opportunity_type": lookup(OPPORTUNITY_TYPES, op["otype"][o].astype(np.int64)),
            "product_id": lookup(ids.product, op["prod"][o].astype(np.int64)),
            "stage": with_variants(STAGES, op["stage"][o].astype(np.int64), stage_rng, 0.03),
            "amount_arr": floats(op["amount"][o], 2),
            "currency": lookup(CURRENCIES, accounts.currency[oacc[o]]),
            "trigger_type": lookup(TRIGGER_TYPES, op["trigger"][o].astype(np.int64)),
            "created_date": dates(created[o]),
            "close_date": dates(close[o]),
            "renewal_subscription_id": lookup(ids.sub, op["renewal_sub"][o].astype(np.int64)),
        }
    )

    invoices = _invoices(s, s_rank, stop, it, accounts, health, ids, win, rng)
    h_keep = h_to > h_from
    hold = np.flatnonzero(h_keep)
    hold = hold[np.lexsort((h_from[hold], it["prod"][hold], it["acc"][hold]))]
    return Books(
        subscriptions=subscriptions,
        subscription_items=items,
        opportunities=opportunities,
        invoices=invoices,
        sub_acc=s["acc"].astype(np.int64),
        sub_start=s["start"].astype(np.int64),
        sub_end=s["end"].astype(np.int64),
        sub_stop=stop.astype(np.int64),
        item_acc=it["acc"][hold].astype(np.int64),
        item_prod=it["prod"][hold].astype(np.int64),
        item_qty=it["qty"][hold].astype(np.int64),
        item_from=h_from[hold],
        item_to=h_to[hold],
        opp_acc=oacc,
        opp_type=op["otype"].astype(np.int64),
        opp_created=created,
        opp_close=close,
        opp_validation=op["validation_day"].astype(np.int64),
    )


def _invoices(
    s: dict[str, np.ndarray],
    s_rank: np.ndarray,
    stop: np.ndarray,
    it: dict[str, np.ndarray],
    accounts: Accounts,
    health: Health,
    ids: Ids,
    win: Window,
    rng: np.random.Generator,
) -> pa.Table:
    """Annual-in-advance invoices per subscription year; amount = ARR in force on the invoice date."""
    term = s["term"].astype(np.int64)
    sub = np.repeat(np.arange(len(term)), term)
    year = np.arange(len(sub)) - np.repeat(np.cumsum(term) - term, term)
    inv_date = add_years(s["start"][sub], year)
    keep = (inv_date <= win.end) & (inv_date < stop[sub])
    sub, inv_date = sub[keep], inv_date[keep]
    # ARR on the invoice date: items of the subscription in force that day
    isub = it["sub"].astype(np.int64)
    i_order = np.argsort(isub, kind="stable")
    lo = np.searchsorted(isub[i_order], sub, side="left")
    hi = np.searchsorted(isub[i_order], sub, side="right")
    owner = np.repeat(np.arange(len(sub)), hi - lo)
    pos = i_order[np.arange(len(owner)) - np.repeat(np.cumsum(hi - lo) - (hi - lo), hi - lo) + lo[owner]]
    eff_to = it["eff_to"].astype(np.int64)
    d = inv_date[owner]
    live = (it["eff_from"][pos] <= d) & ((eff_to[pos] < 0) | (d < eff_to[pos]))
    arr = it["qty"][pos] * it["price"][pos] * (1 - it["disc"][pos] / 100.0) * live
    amount = np.round(np.bincount(owner, weights=arr, minlength=len(sub)), 2)
    acc = s["acc"][sub].astype(np.int64)
    hn = health.norm(acc, win.week_of(inv_date))
    n = len(sub)
    due = inv_date + 30
    delay = np.round(rng.lognormal(np.log(12.0), 0.5, n) * (1.0 + 1.0 * (1.0 - hn))).astype(np.int64)
    paid = inv_date + delay
    u = rng.random(n)
    void = u < 0.01
    bad = (~void) & (u < 0.01 + 0.004 + 0.06 * (1.0 - hn) ** 3) & (inv_date + 120 <= win.end)
    settled = (~void) & (~bad) & (paid <= win.end)
    status = np.where(void, 2, np.where(bad, 3, np.where(settled, 1, 0)))
    order = np.lexsort((inv_date, s_rank[sub]))
    n_inv = len(order)
    return pa.table(
        {
            "invoice_id": make_ids("INV-", np.arange(1, n_inv + 1), id_width(n_inv, 7)),
            "subscription_id": ids.sub.take(sub[order]),
            "account_id": lookup(ids.account, acc[order]),
            "invoice_date": dates(inv_date[order]),
            "due_date": dates(due[order]),
            "amount": floats(amount[order], 2),
            "currency": lookup(CURRENCIES, accounts.currency[acc[order]]),
            "paid_date": dates(np.where(settled, paid, NULL)[order]),
            "status": lookup(INVOICE_STATUSES, status[order]),
        }
    )
