"""Every bad-row kind of SPEC §10 is quarantined with its reason, and landed = staged + quarantined."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from dagster_project.cli import main
from tests.conftest import FIRST_WEEK
from tests.helpers import isolated_env, query, refresh
from tests.landing import MINIMAL, write_minimal_landing, write_table

WEEK = dt.date(2024, 3, 4)
ID_200 = "E" + "x" * 199  # the longest id allowed: staged
ID_201 = "E" * 201
CONTROL = tuple(range(0x20)) + tuple(range(0x7F, 0xA0))  # C0, DEL and C1: never in a reason

BAD = {
    "partners": MINIMAL["partners"]
    + [
        ("P3", "Shiny", "MSP", "Diamond", "NA", "2023-01-02"),  # unknown_enum
        MINIMAL["partners"][0],  # duplicate_key (exact copy, later row)
    ],
    "accounts": MINIMAL["accounts"]
    + [
        ("", "No Key", "P1", "SMB", "x", "NA", "US", "2023-01-01"),  # missing_key
        ("A8", "Spaces", "P1", " smb ", "x", " na ", "US", "2023-01-01"),  # valid: enums trimmed, any case
        ("A9", "Lost Partner", "P99", "SMB", "x", "NA", "US", "2023-01-01"),  # orphan_foreign_key
        ("A10", "Bad Date", "P1", "SMB", "x", "NA", "US", "2023-02-30"),  # unparseable_value
    ],
    "contacts": MINIMAL["contacts"] + [("C9", "A1", "CTO", "maybe", "2023-06-01")],  # unparseable bool
    "opportunities": MINIMAL["opportunities"]
    + [
        ("O9", "A1", "P1", "sourced", "Upsell", None, "Proposal", "-100", "USD", None, "2024-01-01", None, None),
        ("O10", "A1", None, None, "Upsell", None, "Won-ish", "100", "USD", None, "2024-01-01", None, None),
        ("O11", "A1", None, None, "Upsell", None, "Closed Won", "100", "USD", None, "2024-01-01", None, None),
        ("O12", "A1", None, None, "Upsell", None, "Closed Lost", "100", "USD", None, "2024-01-10", "2024-01-09", None),
        (
            "O13",
            "A1",
            "P1",
            "SOURCED",
            "cross-sell",
            None,
            "closed won",
            "100",
            "usd",
            "Inbound",
            "2024-01-01",
            "2024-01-09",
            None,
        ),  # valid after normalization
        ("O14", "A1", "P1", None, "Upsell", None, "Proposal", "100", "USD", None, "2024-01-01", None, None),
    ],
    "subscriptions": MINIMAL["subscriptions"]
    + [
        ("S9", "A1", "USD", "2024-06-01", "2024-05-31", "true", "active", None, "S1"),  # end_before_start
        ("S10", "A1", "EURO", "2024-06-01", "2025-05-31", "true", "active", None, None),  # unknown currency
    ],
    "subscription_items": MINIMAL["subscription_items"]
    + [
        ("I9", "S1", "PR-CORE-1", "5", "600", "120", "2023-06-01", None),  # out_of_range
        ("I10", "S1", "PR-CORE-1", "5", "12,5x", "0", "2023-06-01", None),  # unparseable_value
        ("I11", "S1", "PR-CORE-1", "5", "600", "0", "2023-07-01", "2023-07-01"),  # end_before_start
        ("I12", "S1", "PR-NOPE", "5", "600", "0", "2023-06-01", None),  # orphan_foreign_key
    ],
    "renewal_plans": MINIMAL["renewal_plans"] + [("RP9", "S9", "complete", "2024-02-01")],  # orphan (S9 out)
    "usage_daily": MINIMAL["usage_daily"]
    + [
        MINIMAL["usage_daily"][0],  # duplicate_key
        ("A1", "PR-CORE-1", "2024-02-02", "8", "12", "15", "-4", "2.5", "2"),  # out_of_range api_calls
    ],
    "support_tickets": MINIMAL["support_tickets"]
    + [
        ("T9", "A1", "2024-01-05T09:00:00Z", "2024-01-04T09:00:00Z", "low", None),  # end_before_start
        ("T10", "A1", "2024-01-05T09:00:00Z", None, "urgent", "7"),  # out_of_range
        # ISO 8601 fractions beyond microseconds (.NET's 7 digits, Java's 9): staged, cut to microseconds
        ("T11", "A1", "2024-01-03T09:00:00.1234567Z", None, "low", None),
        ("T12", "A1", "2024-01-03T09:00:00.123456789+01:00", "2024-01-03T09:30:00.9999999Z", "low", None),
    ],
    "nps_responses": MINIMAL["nps_responses"] + [("N9", "A1", None, "2024-01-10", "11")],
    "fx_rates": MINIMAL["fx_rates"] + [("GBP", "2024-01-01", "0")],
    "feature_usage_weekly": MINIMAL["feature_usage_weekly"]
    + [
        ("A1", "F1", "2024-01-30", "1", "1"),
        ("A1", "F9", "2024-01-29", "1", "1"),  # orphan_foreign_key: F9 is quarantined (invalid_id)
    ],
    # ids (SPEC §2): at most 200 characters, no control characters (C0, DEL, C1), in keys and references
    "business_events": MINIMAL["business_events"]
    + [
        (ID_200, "A1", "funding_round", "2024-01-20", "edge: 200 characters"),  # staged
        (ID_201, "A1", "funding_round", "2024-01-20", "201 characters"),  # invalid_id
        ("E\t9", "A1", "funding_round", "2024-01-20", "tab in the key"),  # invalid_id (C0)
    ],
    "milestones": MINIMAL["milestones"] + [("M9", "A1\x7f", "onboarding", "Kickoff", "2023-07-01", None)],  # DEL
    "training_enrollments": MINIMAL["training_enrollments"]
    + [("TE9", "A1", "COURSE\x85101", "2024-01-05", None)],  # C1 in a nullable reference
    "features": MINIMAL["features"] + [("F9", "PR-CORE-1\x1b", "Escape", "basic")],  # ESC in a reference
}

# contacts.csv carries two columns outside the contract (SPEC §2: ignored; §9, §11: names and emails
# never reach the marts), on well-formed lines and on a malformed one (8 fields for a 7-column header)
CONTACT_COLUMNS = ["contact_id", "account_id", "title", "is_executive", "created_date", "full_name", "email"]
PEOPLE = {
    "C1": ("Ada Lovelace", "ada.lovelace@example.com"),
    "C2": ("Grace Hopper", "grace.hopper@example.com"),
    "C3": ("Alan Turing", "alan.turing@example.com"),
    "C9": ("Edsger Dijkstra", "edsger.dijkstra@example.com"),
}
MALFORMED_CONTACT = "C10,A1,CTO,true,2023-06-01,Mallory Quinn,mallory.quinn@example.com,+1 555 0100"
PERSONAL = [value for person in PEOPLE.values() for value in person] + [
    "Mallory Quinn",
    "mallory.quinn@example.com",
    "555 0100",
]

EXPECTED = {
    ("partners", "unknown_enum"): 1,
    ("partners", "duplicate_key"): 1,
    ("accounts", "missing_key"): 1,
    ("accounts", "orphan_foreign_key"): 1,
    ("accounts", "unparseable_value"): 1,
    ("contacts", "unparseable_value"): 1,
    ("contacts", "malformed_row"): 1,
    ("opportunities", "negative_amount"): 1,
    ("opportunities", "unknown_enum"): 1,
    ("opportunities", "missing_required_value"): 2,
    ("opportunities", "end_before_start"): 1,
    ("subscriptions", "end_before_start"): 1,
    ("subscriptions", "unknown_enum"): 1,
    ("subscription_items", "out_of_range"): 1,
    ("subscription_items", "unparseable_value"): 1,
    ("subscription_items", "end_before_start"): 1,
    ("subscription_items", "orphan_foreign_key"): 1,
    ("renewal_plans", "orphan_foreign_key"): 1,
    ("usage_daily", "duplicate_key"): 1,
    ("usage_daily", "out_of_range"): 1,
    ("support_tickets", "end_before_start"): 1,
    ("support_tickets", "out_of_range"): 1,
    ("nps_responses", "out_of_range"): 1,
    ("fx_rates", "out_of_range"): 1,
    ("feature_usage_weekly", "out_of_range"): 1,
    ("feature_usage_weekly", "orphan_foreign_key"): 1,
    ("business_events", "invalid_id"): 2,
    ("milestones", "invalid_id"): 1,
    ("training_enrollments", "invalid_id"): 1,
    ("features", "invalid_id"): 1,
}


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("quarantine")
    with isolated_env(root, FIRST_WEEK, PARTNERPULSE_QUARANTINE_ERROR_SHARE="1") as settings:
        # most rows of these tiny tables are bad on purpose: quarantine shares are warnings here, not errors
        landing = write_minimal_landing(root / "landing", overrides=BAD)
        write_table(landing, "contacts", [(*row, *PEOPLE[row[0]]) for row in BAD["contacts"]], CONTACT_COLUMNS)
        contacts = landing / "contacts.csv"
        contacts.write_text(contacts.read_text() + MALFORMED_CONTACT + "\n")
        assert refresh(WEEK)[0] == 0
        yield settings


def test_each_bad_row_kind_is_quarantined_with_its_reason(refreshed):
    rows = query(
        refreshed.duckdb_path,
        "select table_name, reason_code, count(*) from marts.dq_quarantine where refresh_week = ? group by all",
        [WEEK],
    )
    assert {(t, c): n for t, c, n in rows} == EXPECTED


def test_reasons_name_the_column_and_value(refreshed):
    rows = dict(
        (key, (reason, source_file, source_row))
        for key, reason, source_file, source_row in query(
            refreshed.duckdb_path,
            "select table_name || ':' || record_key, reason, source_file, source_row from marts.dq_quarantine "
            "where reason_code <> 'malformed_row'",
        )
    )
    assert rows["accounts:A10"] == (
        "unparseable value: created_date='2023-02-30' is not a valid date",
        "accounts.csv",
        7,
    )
    assert rows["accounts:A9"] == (
        "orphan foreign key: partner_id='P99' not found in stg_crm__partners",
        "accounts.csv",
        6,
    )
    assert rows["partners:P3"][0] == (
        "unknown value: partner_tier='Diamond' (expected one of Platinum, Gold, Silver, Registered)"
    )
    assert rows["partners:P1"] == (
        "duplicate key: partner_id=P1 was already staged from an earlier row; the first row is kept",
        "partners.csv",
        4,
    )
    assert rows["opportunities:O9"][0] == "negative amount: amount_arr=-100.00 (must be at least 0)"
    assert rows["opportunities:O11"][0] == (
        "missing required value: close_date is empty for a closed opportunity (stage Closed Won)"
    )
    assert rows["opportunities:O14"][0] == "missing required value: partner_role is empty although partner_id is set"
    assert rows["subscriptions:S9"][0] == "end before start: end_date=2024-05-31 is before start_date=2024-06-01"
    assert rows["subscriptions:S10"][0] == "unknown value: currency='EURO' (expected a three-letter ISO 4217 code)"
    assert rows["subscription_items:I9"][0] == "out of range: discount_pct=120.0000 (must be at most 100)"
    assert (
        rows["renewal_plans:RP9"][0]
        == "orphan foreign key: subscription_id='S9' not found in stg_billing__subscriptions"
    )
    assert rows["accounts:"][0] == "missing key: account_id is empty"
    assert rows["feature_usage_weekly:A1|F1|2024-01-30"][0] == "out of range: week_start=2024-01-30 is not a Monday"


def test_invalid_ids_are_quarantined_with_a_readable_reason(refreshed):
    rows = dict(
        (key, (code, reason, source_row))
        for key, code, reason, source_row in query(
            refreshed.duckdb_path,
            "select table_name || ':' || record_key, reason_code, reason, source_row from marts.dq_quarantine "
            "where refresh_week = ?",
            [WEEK],
        )
    )
    assert rows[f"business_events:{ID_201}"] == (
        "invalid_id",
        f"invalid id: event_id is 201 characters long, more than 200 ('{'E' * 40}...')",
        3,
    )
    assert rows["business_events:E\t9"] == (
        "invalid_id",
        "invalid id: event_id='E?9' contains control character U+0009 (shown as ?)",
        4,
    )
    assert rows["milestones:M9"][:2] == (
        "invalid_id",
        "invalid id: account_id='A1?' contains control character U+007F (shown as ?)",
    )
    assert rows["training_enrollments:TE9"][:2] == (
        "invalid_id",
        "invalid id: course_id='COURSE?101' contains control character U+0085 (shown as ?)",
    )
    assert rows["features:F9"][:2] == (
        "invalid_id",
        "invalid id: product_id='PR-CORE-1?' contains control character U+001B (shown as ?)",
    )
    # a row referencing a row quarantined for its id is an orphan, as for any other quarantined parent
    assert rows["feature_usage_weekly:A1|F9|2024-01-29"][:2] == (
        "orphan_foreign_key",
        "orphan foreign key: feature_id='F9' not found in stg_usage__features",
    )
    assert not [reason for _, reason, _ in rows.values() if any(ord(ch) in CONTROL for ch in reason)]
    assert query(refreshed.duckdb_path, "select event_id from staging.stg_crm__business_events order by event_id") == [
        ("E1",),
        (ID_200,),
    ]


def test_raw_record_is_the_row_as_landed_in_the_contracts_columns(refreshed):
    (raw,) = query(
        refreshed.duckdb_path,
        "select raw_record from marts.dq_quarantine where table_name = 'subscription_items' and record_key = 'I10'",
    )[0]
    assert json.loads(raw) == {
        "item_id": "I10",
        "subscription_id": "S1",
        "product_id": "PR-CORE-1",
        "quantity": "5",
        "unit_price_annual": "12,5x",
        "discount_pct": "0",
        "effective_from": "2023-06-01",
        "effective_to": None,
    }
    # a well-formed rejected row of a file with extra columns: the contract's columns only
    (raw,) = query(
        refreshed.duckdb_path,
        "select raw_record from marts.dq_quarantine where table_name = 'contacts' and record_key = 'C9'",
    )[0]
    assert json.loads(raw) == {
        "contact_id": "C9",
        "account_id": "A1",
        "title": "CTO",
        "is_executive": "maybe",
        "created_date": "2023-06-01",
    }
    # a malformed line cannot be matched to columns: no landed values, only where it is and why
    malformed = query(
        refreshed.duckdb_path,
        "select record_key, reason, source_file, source_row, raw_record from marts.dq_quarantine "
        "where reason_code = 'malformed_row'",
    )
    assert malformed == [("", "malformed CSV row: expected 7 fields, found 8", "contacts.csv", 5, None)]
    assert query(refreshed.duckdb_path, "select * exclude (table_name) from raw.ingest_malformed_rows") == [
        ("contacts.csv", 5, 7, 8, "malformed CSV row: expected 7 fields, found 8")
    ]


def _text_values(path: Path, schemas: tuple[str, ...] | None = None) -> list[tuple[str, str, str]]:
    """Every non-null value of every text column of every table (in ``schemas``), as (table, column, value)."""
    found: list[tuple[str, str, str]] = []
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' order by all"
        ).fetchall()
        for schema, table, column in columns:
            if schemas is not None and schema not in schemas:
                continue
            relation = f'"{schema}"."{table}"'
            values = con.execute(f'select distinct "{column}" from {relation} where "{column}" is not null').fetchall()
            found.extend((f"{schema}.{table}", column, value) for (value,) in values)
    return found


def test_names_and_emails_of_extra_columns_reach_no_table(refreshed):
    published = _text_values(Path(refreshed.published_duckdb))
    raw = _text_values(refreshed.duckdb_path, ("raw",))
    assert {table for table, _, _ in published} >= {"main.dq_quarantine", "main.dim_accounts"}
    assert {table for table, _, _ in raw} >= {"raw.contacts", "raw.ingest_malformed_rows"}
    leaks = [(t, c, v) for t, c, v in published + raw if any(secret in v for secret in PERSONAL)]
    assert leaks == []
    # the extra columns are reported by name (sorted), never by value, in the refresh log
    assert query(
        refreshed.duckdb_path,
        "select extra_columns from marts.dq_refresh_log where table_name = 'contacts' and refresh_week = ?",
        [WEEK],
    ) == [('["email", "full_name"]',)]


def test_landed_equals_staged_plus_quarantined(refreshed):
    rows = query(
        refreshed.duckdb_path,
        "select table_name, rows_landed, rows_staged, rows_quarantined from marts.dq_refresh_log "
        "where refresh_week = ? order by table_name",
        [WEEK],
    )
    assert len(rows) == 21
    assert all(landed == staged + quarantined for _, landed, staged, quarantined in rows)
    by_table = {t: (landed, staged, q) for t, landed, staged, q in rows}
    assert by_table["accounts"] == (7, 4, 3)
    assert by_table["contacts"] == (5, 3, 2)
    assert by_table["opportunities"] == (8, 3, 5)
    assert by_table["partner_assignments"] == (2, 2, 0)
    assert by_table["business_events"] == (4, 2, 2)
    assert by_table["features"] == (3, 2, 1)


def test_fractions_of_a_second_beyond_microseconds_are_cut_not_rounded(refreshed):
    """SPEC §2: timestamps ISO 8601, which puts no limit on the fraction's digits; staging keeps microseconds
    and drops the rest (decision 156): .1234567 -> .123456, .123456789 -> .123456 (rounding would give
    .123457), .9999999 -> .999999 (rounding would carry into the next second); offsets to UTC (SPEC §3)."""
    rows = query(
        refreshed.duckdb_path,
        "select ticket_id, opened_at, closed_at from staging.stg_support__support_tickets "
        "where ticket_id in ('T11', 'T12') order by 1",
    )
    assert rows == [
        ("T11", dt.datetime(2024, 1, 3, 9, 0, 0, 123456), None),
        ("T12", dt.datetime(2024, 1, 3, 8, 0, 0, 123456), dt.datetime(2024, 1, 3, 9, 30, 0, 999999)),
    ]


def test_enums_are_normalized_in_staging(refreshed):
    rows = query(
        refreshed.duckdb_path,
        "select opportunity_id, partner_role, opportunity_type, stage, currency, trigger_type "
        "from staging.stg_crm__opportunities where opportunity_id = 'O13'",
    )
    assert rows == [("O13", "sourced", "Cross-sell", "Closed Won", "USD", "inbound")]
    assert query(
        refreshed.duckdb_path, "select segment, region from staging.stg_crm__accounts where account_id = 'A8'"
    ) == [("SMB", "NA")]


def test_rerunning_a_week_replaces_its_quarantine_rows(refreshed, capsys):
    before = query(refreshed.duckdb_path, "select count(*) from marts.dq_quarantine")[0][0]
    assert refresh(WEEK, force=True)[0] == 0  # the same week again (nothing changed: forced): rows replaced, not added
    counts = query(
        refreshed.duckdb_path,
        "select refresh_week, count(*) from marts.dq_quarantine group by 1 order by 1",
    )
    assert before > 0 and counts == [(WEEK, before)]
    published = query(Path(refreshed.published_duckdb), "select count(*) from dq_quarantine")[0][0]
    assert published == before


def test_quarantine_shares_are_warnings_below_and_errors_above_the_configured_share(refreshed, capsys, monkeypatch):
    capsys.readouterr()
    assert main(["status", "--limit", "1"]) == 0
    status = capsys.readouterr().out
    assert "warning: landing/accounts: quarantine_share — accounts: 3 of 7 landed rows quarantined (42.86%)" in status
    assert "accounts                      3 of            7 (42.86%, warning)" in status

    monkeypatch.setenv("PARTNERPULSE_QUARANTINE_ERROR_SHARE", "0.4")
    before = Path(refreshed.published_duckdb).read_bytes()
    code, err = refresh(WEEK, capsys)
    assert code == 1 and "nothing was published" in err
    assert (
        "check failed (error): landing/accounts: quarantine_share — accounts: 3 of 7 landed rows quarantined "
        "(42.86%), above the allowed 40.00%"
    ) in err
    assert "opportunities: 5 of 8 landed rows quarantined (62.50%), above" in err
    assert "check failed (error): landing/contacts" not in err  # 2 of 5 = 40% is not above 40%
    assert "step published__marts_duckdb failed: Not published: " in err  # the gate refused, after the checks
    assert Path(refreshed.published_duckdb).read_bytes() == before
