"""Known bad rows (SPEC §10) appended to the landing files when faults=True.

Each fault row is an added row with exactly one defect, a brand-new key (except duplicates, exact copies of a
valid row placed after it) and otherwise valid fields; nothing references it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from .schema import PRIMARY_KEYS

TextTable = Mapping[str, pa.Array]
Row = dict[str, str | None]

MISSING_KEY = "missing_key"
DUPLICATE_KEY = "duplicate_key"
UNKNOWN_ENUM = "unknown_enum"
UNPARSEABLE = "unparseable_value"
NEGATIVE = "negative_amount"
OUT_OF_RANGE = "out_of_range"
ORPHAN = "orphan_foreign_key"
END_BEFORE_START = "end_before_start"


@dataclass
class FaultSet:
    """Rows to append per CSV table, rows to append to the last Parquet part, and the manifest entries."""

    csv: dict[str, list[Row]] = field(default_factory=dict)
    parquet: dict[str, list[Row]] = field(default_factory=dict)
    entries: list[dict[str, str]] = field(default_factory=list)

    def add(self, table: str, reason: str, row: Row, file: str, parquet: bool = False) -> None:
        """Register one fault row of `table` written to `file`."""
        (self.parquet if parquet else self.csv).setdefault(table, []).append(row)
        key = "|".join(row.get(c) or "" for c in PRIMARY_KEYS[table])
        self.entries.append({"table": table, "reason_code": reason, "record_key": key, "file": file})

    def manifest(self) -> dict[str, object]:
        by_table: dict[str, dict[str, int]] = {}
        for e in self.entries:
            counts = by_table.setdefault(e["table"], {})
            counts[e["reason_code"]] = counts.get(e["reason_code"], 0) + 1
        return {
            "total": len(self.entries),
            "by_table": {t: dict(sorted(c.items())) for t, c in sorted(by_table.items())},
            "rows": self.entries,
        }


def _row(text: TextTable, i: int) -> Row:
    return {c: arr[i].as_py() for c, arr in text.items()}


def _first(text: TextTable, cond: Callable[[TextTable], pa.Array]) -> int:
    """Index of the first row matching `cond` (0 if none)."""
    idx = pc.indices_nonzero(pc.fill_null(cond(text), False))
    return int(idx[0].as_py()) if len(idx) else 0


def _eq(col: str, value: str) -> Callable[[TextTable], pa.Array]:
    return lambda t: pc.equal(pc.utf8_lower(pc.utf8_trim_whitespace(t[col])), value.lower())


def _not_null(col: str) -> Callable[[TextTable], pa.Array]:
    return lambda t: pc.is_valid(t[col])


def _shift(day: str | None, days: int) -> str:
    return (dt.date.fromisoformat(day or "2024-01-01") + dt.timedelta(days=days)).isoformat()


Builder = Callable[[TextTable], list[tuple[str, Row]]]


def _mid(t: TextTable) -> int:
    return len(next(iter(t.values()))) // 2


def _with(t: TextTable, i: int, reason: str, **changes: str | None) -> tuple[str, Row]:
    row = _row(t, i)
    row.update(changes)
    return reason, row


def _accounts(t: TextTable) -> list[tuple[str, Row]]:
    m = _mid(t)
    return [
        _with(t, m, MISSING_KEY, account_id=None),
        _with(t, m + 1, DUPLICATE_KEY),
        _with(t, 1, UNKNOWN_ENUM, account_id="ACC-F00001", segment="Gigantic"),
        _with(t, 2, UNPARSEABLE, account_id="ACC-F00002", created_date="2024-13-45"),
    ]


def _partners(t: TextTable) -> list[tuple[str, Row]]:
    return [
        _with(t, 0, UNKNOWN_ENUM, partner_id="PTR-F0001", partner_tier="Diamond"),
        _with(t, 1, MISSING_KEY, partner_id=None),
        _with(t, 2, UNPARSEABLE, partner_id="PTR-F0002", onboarded_date="yesterday"),
    ]


def _contacts(t: TextTable) -> list[tuple[str, Row]]:
    return [
        _with(t, 0, ORPHAN, contact_id="CON-F000001", account_id="ACC-MISSING-001"),
        _with(t, 1, UNPARSEABLE, contact_id="CON-F000002", is_executive="maybe"),
        _with(t, 2, MISSING_KEY, contact_id=None),
    ]


def _assignments(t: TextTable) -> list[tuple[str, Row]]:
    i = _first(t, lambda x: pc.is_null(x["valid_to"]))
    vf = t["valid_from"][i].as_py()
    return [  # keys account_id|valid_from are new: valid_from a day / two days after an open assignment's
        _with(t, i, END_BEFORE_START, valid_from=_shift(vf, 1), valid_to=_shift(vf, 1)),
        _with(t, i, ORPHAN, partner_id="PTR-MISSING-001", valid_from=_shift(vf, 2)),
    ]


def _opportunities(t: TextTable) -> list[tuple[str, Row]]:
    i = _first(t, _eq("stage", "Closed Lost"))
    created = t["created_date"][i].as_py()
    return [
        _with(t, i, UNKNOWN_ENUM, opportunity_id="OPP-F000001", stage="Won-ish"),
        _with(t, i, NEGATIVE, opportunity_id="OPP-F000002", amount_arr="-5000.00"),
        _with(t, i, END_BEFORE_START, opportunity_id="OPP-F000003", close_date=_shift(created, -5)),
        _with(
            t, i, ORPHAN, opportunity_id="OPP-F000004", account_id="ACC-MISSING-002", partner_id=None, partner_role=None
        ),
        _with(t, i, MISSING_KEY, opportunity_id=None),
    ]


def _subscriptions(t: TextTable) -> list[tuple[str, Row]]:
    i = _first(t, lambda x: pc.is_null(x["renewed_from_subscription_id"]))
    start = t["start_date"][i].as_py()
    return [
        _with(t, i, END_BEFORE_START, subscription_id="SUB-F000001", end_date=_shift(start, -1)),
        _with(t, i, UNPARSEABLE, subscription_id="SUB-F000002", auto_renew="maybe"),
        _with(t, i, UNKNOWN_ENUM, subscription_id="SUB-F000003", status="paused"),
        _with(t, _mid(t), DUPLICATE_KEY),
    ]


def _items(t: TextTable) -> list[tuple[str, Row]]:
    i = _mid(t)
    return [
        _with(t, i, OUT_OF_RANGE, item_id="ITM-F0000001", discount_pct="120"),
        _with(t, i, NEGATIVE, item_id="ITM-F0000002", unit_price_annual="-300.00"),
        _with(t, i, ORPHAN, item_id="ITM-F0000003", product_id="PRD-UNKNOWN"),
        _with(t, i, END_BEFORE_START, item_id="ITM-F0000004", effective_to=t["effective_from"][i].as_py()),
        _with(t, i + 1, DUPLICATE_KEY),
    ]


def _invoices(t: TextTable) -> list[tuple[str, Row]]:
    i = _mid(t)
    return [
        _with(t, i, NEGATIVE, invoice_id="INV-F000001", amount="-1200.00"),
        _with(t, i, UNPARSEABLE, invoice_id="INV-F000002", amount="12,5x"),
        _with(t, i + 1, DUPLICATE_KEY),
    ]


def _tickets(t: TextTable) -> list[tuple[str, Row]]:
    i = _first(t, _not_null("closed_at"))
    opened = dt.datetime.fromisoformat((t["opened_at"][i].as_py() or "").replace("Z", "+00:00"))
    early = (opened - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [
        _with(t, i, OUT_OF_RANGE, ticket_id="TKT-F0000001", csat_score="7"),
        _with(t, i, END_BEFORE_START, ticket_id="TKT-F0000002", closed_at=early),
        _with(t, i, UNKNOWN_ENUM, ticket_id="TKT-F0000003", priority="critical-ish"),
        _with(t, i, MISSING_KEY, ticket_id=None),
    ]


def _nps(t: TextTable) -> list[tuple[str, Row]]:
    return [
        _with(t, 0, OUT_OF_RANGE, response_id="NPS-F000001", score="11"),
        _with(t, 1, UNPARSEABLE, response_id="NPS-F000002", score="ten"),
        _with(t, 2, ORPHAN, response_id="NPS-F000003", contact_id="CON-MISSING-001"),
    ]


def _training(t: TextTable) -> list[tuple[str, Row]]:
    i = _first(t, _not_null("completed_date"))
    enrolled = t["enrolled_date"][i].as_py()
    return [
        _with(t, i, END_BEFORE_START, enrollment_id="ENR-F000001", completed_date=_shift(enrolled, -3)),
        _with(t, i, UNPARSEABLE, enrollment_id="ENR-F000002", enrolled_date="yesterday"),
    ]


def _activities(t: TextTable) -> list[tuple[str, Row]]:
    i = _mid(t)
    return [
        _with(t, i, UNKNOWN_ENUM, activity_id="ACT-F0000001", activity_type="lunch"),
        _with(t, i, UNPARSEABLE, activity_id="ACT-F0000002", activity_date="2024-02-30"),
        _with(t, i + 1, DUPLICATE_KEY),
        _with(t, i, ORPHAN, activity_id="ACT-F0000003", contact_id="CON-MISSING-002"),
    ]


def _firmographics(t: TextTable) -> list[tuple[str, Row]]:
    i = _mid(t)  # snapshots are on the 1st of a month, so the 2nd gives a new key
    return [
        _with(t, i, UNPARSEABLE, snapshot_date=_shift(t["snapshot_date"][i].as_py(), 1), employee_count="abc"),
        _with(t, i + 1, DUPLICATE_KEY),
    ]


def _events(t: TextTable) -> list[tuple[str, Row]]:
    return [
        _with(t, 0, UNKNOWN_ENUM, event_id="EVT-F000001", event_type="ipo_rumour"),
        _with(t, 1, MISSING_KEY, event_id=None),
    ]


def _milestones(t: TextTable) -> list[tuple[str, Row]]:
    return [
        _with(t, 0, UNKNOWN_ENUM, milestone_id="MS-F000001", milestone_type="kickoff"),
        _with(t, 1, UNPARSEABLE, milestone_id="MS-F000002", due_date="2024-13-45"),
    ]


def _plans(t: TextTable) -> list[tuple[str, Row]]:
    return [
        _with(t, 0, ORPHAN, renewal_plan_id="RP-F000001", subscription_id="SUB-MISSING-001"),
        _with(t, 1, UNKNOWN_ENUM, renewal_plan_id="RP-F000002", status="almost"),
    ]


def _fx(t: TextTable) -> list[tuple[str, Row]]:
    i = _first(t, lambda x: pc.equal(pc.day_of_week(pc.strptime(x["rate_date"], "%Y-%m-%d", "s")), 4))
    return [  # the Saturday after a Friday rate has no published rate: a new key
        _with(t, i, UNPARSEABLE, rate_date=_shift(t["rate_date"][i].as_py(), 1), usd_per_unit="abc"),
        _with(t, i + 1, DUPLICATE_KEY),
    ]


CSV_FAULTS: dict[str, Builder] = {
    "accounts": _accounts,
    "partners": _partners,
    "contacts": _contacts,
    "partner_assignments": _assignments,
    "opportunities": _opportunities,
    "subscriptions": _subscriptions,
    "subscription_items": _items,
    "invoices": _invoices,
    "support_tickets": _tickets,
    "nps_responses": _nps,
    "training_enrollments": _training,
    "activities": _activities,
    "firmographics": _firmographics,
    "business_events": _events,
    "milestones": _milestones,
    "renewal_plans": _plans,
    "fx_rates": _fx,
}


def usage_faults(original: Row, free_slot: Row) -> list[tuple[str, Row]]:
    """usage_daily: a duplicate of `original`, plus rows at a (account, product, date) with no usage row."""
    return [
        (DUPLICATE_KEY, dict(original)),
        (MISSING_KEY, {**free_slot, "account_id": None}),
        (OUT_OF_RANGE, {**free_slot, "api_calls": "-5"}),
        (ORPHAN, {**free_slot, "account_id": "ACC-MISSING-101"}),
    ]


def feature_faults(original: Row) -> list[tuple[str, Row]]:
    """feature_usage_weekly: a duplicate, a row without account, a row with an unknown feature."""
    return [
        (DUPLICATE_KEY, dict(original)),
        (MISSING_KEY, {**original, "account_id": None}),
        (ORPHAN, {**original, "feature_id": "FTR-MISSING-01"}),
    ]
