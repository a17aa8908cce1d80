"""The weekly health scorecard end to end (SPEC §5), on a dataset whose eight metrics are worked
out by hand, with facts dated after D that would change the result if they leaked; then the
weekly history: the first refresh builds every week, later ones add a week, re-runs and
backfills give the same rows.

Refreshed week 2024-06-03: D = 2024-06-09. PARTNERPULSE_FIRST_WEEK = 2024-05-13.

H1 (P1, USD) — subscription S1 2023-07-01..2024-06-30 with Core 20 seats, Security 20 seats and
Premium Support (3 product lines):
  utilization   latest rows of D's week: Core MAU 16 (Jun 7; the Jun 5 row says 10), Security MAU 14
                -> 30 / 40 seats = 75% exactly -> Moderate, 1 pt (a Jun 10 row with MAU 40 is after D)
  features      held products have 6 features; used with events in the 4 weeks May 13..Jun 3: F1, F2
                (advanced), F4 -> 1 advanced, breadth 3/6 = 50% -> Moderate, 1 pt (F3 before, F3 after
                D and F5 with 0 events do not count)
  API           14 distinct days with api_calls > 0 between May 13 and Jun 9 (May 20 on both
                products counts once; May 12 is outside) -> Active, 2 pts
  executive     C1 (executive) activities on 2023-12-15 and 2024-05-01 (2023-12-12 is outside the
                180 days, Jun 10 is after D; C2 is not an executive) -> 2 -> Active, 2 pts
  training      enrolled within 365 days: E1 (done), E2 (done Jun 12: after D), E4, E5 (done) -> 2/4 =
                50% exactly -> Moderate, 1 pt (E3 enrolled 2023-06-10 is outside; E6 after D)
  support       opened Mar 12..Jun 9: 3; Dec 14..Mar 11: 6; change needed max(2, 0.2*6) = 2;
                3 <= 6 - 2 -> Decreasing, 2 pts (3 tickets opened Jun 10-12 are after D)
  lines         3 -> 2 pts
  renewal plan  S1 ends in 21 days; latest update on or before D is in_progress (the complete one
                is dated Jun 15) -> 1 pt
  total 12 -> Healthy / Maintain; score (20 + 15 + 2*10 + 2*15 + 10 + 2*10 + 2*10 + 10) / 2 = 72.5
H2 (direct, USD) — only Automation (usage-priced, 2 capacity units = 2,000 api calls a day),
subscription 2024-01-01..2025-12-31:
  utilization   28,000 api calls over the 4 weeks ending D / (28 days * 2,000) = 50% -> 1 pt
  API 10 days -> 1; features none -> 0; executive 0 -> 0; training none -> 0%, 0; support 5 vs 2,
  change needed 2, 5 >= 4 -> Increasing, 0; 1 line -> 0; plan missing but the end is 570 days away
  -> not yet due, 1 pt. Total 3 -> At Risk; score (20 + 10 + 10) / 2 = 20.
H3 — its only subscription ended 2024-03-31: not scored.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.helpers import isolated_env, query, refresh
from tests.landing import write_minimal_landing, write_table

FIRST = dt.date(2024, 5, 13)
WEEK = dt.date(2024, 6, 3)


def _usage_rows() -> list[tuple]:
    rows: list[tuple] = []
    # H1 Core: API on 13 weekdays May 13 .. May 31, plus the rows of D's week
    api_days = [dt.date(2024, 5, 13) + dt.timedelta(days=i) for i in range(19)]
    api_days = [d for d in api_days if d.weekday() < 5][:13]  # 13 weekdays, May 13..May 29
    for day in api_days:
        rows.append(("H1", "PR-CORE", day.isoformat(), 5, 9, 12, 100, 1.0, 2))
    rows.append(("H1", "PR-SEC", "2024-05-20", 3, 5, 8, 50, 0.5, 1))  # same day as a Core API day
    rows.append(("H1", "PR-SEC", "2024-06-04", 3, 5, 8, 20, 0.5, 1))  # 14th API day
    rows.append(("H1", "PR-CORE", "2024-05-12", 5, 9, 12, 100, 1.0, 2))  # before the 28 days
    rows.append(("H1", "PR-CORE", "2024-06-05", 4, 8, 10, 0, 1.0, 2))
    rows.append(("H1", "PR-CORE", "2024-06-07", 6, 12, 16, 0, 1.0, 2))  # latest Core row of D's week
    rows.append(("H1", "PR-SEC", "2024-06-06", 4, 9, 14, 0, 0.5, 1))  # latest Security row
    rows.append(("H1", "PR-CORE", "2024-06-10", 30, 40, 40, 500, 1.0, 3))  # after D
    # H2 Automation: 10 API days in the 4 weeks, 28,000 calls in total
    h2_days = [dt.date(2024, 5, 14) + dt.timedelta(days=2 * i) for i in range(10)]
    for day in h2_days:
        rows.append(("H2", "PR-AUTO", day.isoformat(), 1, 2, 3, 2800, 2.0, 1))
    rows.append(("H2", "PR-AUTO", "2024-06-11", 1, 2, 3, 99999, 2.0, 1))  # after D
    return rows


DATA = {
    "partners": [("P1", "Northwind MSP", "MSP", "Gold", "NA", "2023-01-02")],
    "accounts": [
        ("H1", "Helix", "P1", "Mid-Market", "Software", "NA", "US", "2023-06-01"),
        ("H2", "Hydra", None, "SMB", "Retail", "NA", "US", "2023-12-01"),
        ("H3", "Hermes", None, "SMB", "Retail", "NA", "US", "2023-01-01"),
    ],
    "partner_assignments": [("H1", "P1", "2023-06-01", None)],
    "contacts": [
        ("C1", "H1", "CEO", "true", "2023-06-01"),
        ("C2", "H1", "Engineer", "false", "2023-06-01"),
    ],
    "activities": [
        ("A1", "H1", "P1", "C1", "executive_meeting", "2023-12-12"),
        ("A2", "H1", "P1", "C1", "executive_meeting", "2023-12-15"),
        ("A3", "H1", "P1", "C1", "qbr", "2024-05-01"),
        ("A4", "H1", "P1", "C2", "training_session", "2024-06-01"),
        ("A5", "H1", "P1", "C1", "executive_meeting", "2024-06-10"),
    ],
    "products": [
        ("PR-CORE", "Core", "Core Platform", "1", "per_seat", "1000"),
        ("PR-SEC", "Security", "Security Module", "1", "per_seat", "100"),
        ("PR-SUP", "Support", "Premium Support", "1", "flat", "5000"),
        ("PR-AUTO", "Automation", "Automation Module", "1", "usage", "3000"),
    ],
    "features": [
        ("F1", "PR-CORE", "Dashboards", "basic"),
        ("F2", "PR-CORE", "Workflows", "advanced"),
        ("F3", "PR-CORE", "Scripting", "advanced"),
        ("F4", "PR-SEC", "Policies", "basic"),
        ("F5", "PR-SEC", "Threat hunting", "advanced"),
        ("F6", "PR-SUP", "Named engineer", "basic"),
    ],
    "feature_usage_weekly": [
        ("H1", "F1", "2024-05-13", "5", "40"),
        ("H1", "F2", "2024-05-27", "2", "7"),
        ("H1", "F4", "2024-06-03", "3", "9"),
        ("H1", "F3", "2024-05-06", "2", "5"),  # before the 28 days
        ("H1", "F3", "2024-06-10", "2", "5"),  # after D
        ("H1", "F5", "2024-05-20", "0", "0"),  # no events
    ],
    "training_enrollments": [
        ("E1", "H1", "CRS-1", "2024-01-10", "2024-01-20"),
        ("E2", "H1", "CRS-2", "2024-02-01", "2024-06-12"),
        ("E3", "H1", "CRS-3", "2023-06-10", "2023-06-20"),
        ("E4", "H1", "CRS-4", "2024-03-01", None),
        ("E5", "H1", "CRS-5", "2024-04-01", "2024-04-10"),
        ("E6", "H1", "CRS-6", "2024-06-10", "2024-06-11"),
    ],
    "support_tickets": [
        *[(f"T{i}", "H1", f"2024-01-{10 + i:02d}T10:00:00Z", None, "low", None) for i in range(6)],
        ("T10", "H1", "2024-03-12T00:00:00Z", None, "low", None),
        ("T11", "H1", "2024-04-20T12:00:00Z", None, "medium", None),
        ("T12", "H1", "2024-06-09T23:59:00Z", None, "high", None),
        *[(f"T2{i}", "H1", f"2024-06-{10 + i:02d}T08:00:00Z", None, "urgent", None) for i in range(3)],
        *[(f"U{i}", "H2", f"2024-0{4 + i % 2}-{10 + i:02d}T08:00:00Z", None, "high", None) for i in range(5)],
        *[(f"V{i}", "H2", f"2024-02-{10 + i:02d}T08:00:00Z", None, "low", None) for i in range(2)],
    ],
    "renewal_plans": [
        ("RP1", "S1", "in_progress", "2024-05-01"),
        ("RP2", "S1", "complete", "2024-06-15"),
    ],
    "subscriptions": [
        ("S1", "H1", "USD", "2023-07-01", "2024-06-30", "true", "active", None, None),
        ("S2", "H2", "USD", "2024-01-01", "2025-12-31", "true", "active", None, None),
        ("S3", "H3", "USD", "2023-04-01", "2024-03-31", "false", "expired", None, None),
    ],
    "subscription_items": [
        ("I1", "S1", "PR-CORE", "20", "1000", "0", "2023-07-01", None),
        ("I2", "S1", "PR-SEC", "20", "100", "0", "2023-07-01", None),
        ("I3", "S1", "PR-SUP", "1", "5000", "0", "2023-07-01", None),
        ("I4", "S2", "PR-AUTO", "2", "3000", "0", "2024-01-01", None),
        ("I5", "S3", "PR-CORE", "5", "1000", "0", "2023-04-01", None),
    ],
    "usage_daily": _usage_rows(),
}
EMPTY = ["milestones", "firmographics", "nps_responses", "invoices", "opportunities", "fx_rates"]
# one bad row (quarantined) that touches no health metric; removed before the backfill of WEEK
BAD_EVENT = ("E1", "H1", "not_an_event", "2024-01-10", None)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("health")
    # the one bad row is the whole table (100% quarantined): allowed here, this module is about health
    with isolated_env(root, FIRST, PARTNERPULSE_QUARANTINE_ERROR_SHARE="1") as settings:
        write_minimal_landing(
            root / "landing", overrides={**DATA, **{t: [] for t in EMPTY}, "business_events": [BAD_EVENT]}
        )
        assert refresh(WEEK)[0] == 0
        yield settings


def _week_rows(settings, week: dt.date) -> list[tuple]:
    return query(
        settings.duckdb_path,
        "select * from marts.fct_account_health_weekly where week_start = ? order by account_id",
        [week],
    )


def test_eight_metrics_by_hand(env):
    rows = query(
        env.duckdb_path,
        "select account_id, license_utilization_value, license_utilization_points, feature_adoption_value, "
        "feature_adoption_level, feature_adoption_points, api_usage_value, api_usage_points, "
        "executive_sponsorship_value, executive_sponsorship_points, training_completion_value, "
        "training_completion_points, tickets_recent_90d, tickets_prior_90d, support_trend_level, "
        "support_trend_points, product_diversification_value, product_diversification_points, "
        "renewal_plan_status, renewal_plan_level, renewal_plan_points, health_points, health_score, "
        "health_category, utilization_basis "
        "from marts.fct_account_health_weekly where week_start = ? order by account_id",
        [WEEK],
    )
    d = Decimal
    assert rows == [
        (
            "H1",
            d("0.75"),
            1,
            d("0.5"),
            "Moderate",
            1,
            d(14),
            2,
            d(2),
            2,
            d("0.5"),
            1,
            3,
            6,
            "Decreasing",
            2,
            d(3),
            2,
            "in_progress",
            "In progress",
            1,
            12,
            d("72.5"),
            "Healthy / Maintain",
            "seats",
        ),
        (
            "H2",
            d("0.5"),
            1,
            d(0),
            "Basic",
            0,
            d(10),
            1,
            d(0),
            0,
            d(0),
            0,
            5,
            2,
            "Increasing",
            0,
            d(1),
            0,
            "missing",
            "Not yet due",
            1,
            3,
            d("20"),
            "At Risk",
            "capacity",
        ),
    ]


def test_reasons_read_as_sentences(env):
    (reasons,) = query(
        env.duckdb_path,
        "select reasons from marts.fct_account_health_weekly where week_start = ? and account_id = 'H1'",
        [WEEK],
    )[0]
    parts = reasons.split("; ")
    assert parts[0] == "license utilization 75.0% (50–75%) → 1 pt"
    assert parts[2] == "API used on 14 of the last 28 days (≥ 14 days) → 2 pts"
    assert parts[5] == "3 tickets in the last 90 days vs 6 before: Decreasing → 2 pts"
    assert parts[7] == "renewal plan in progress for the subscription ending 2024-06-30 → 1 pt"
    assert len(parts) == 8


def test_first_refresh_builds_every_week_from_the_first(env):
    weeks = query(
        env.duckdb_path,
        "select week_start, count(*) from marts.fct_account_health_weekly group by 1 order by 1",
    )
    assert weeks == [(FIRST + dt.timedelta(weeks=i), 2) for i in range(4)]
    # H1's lifecycle and the published dimension
    assert query(
        env.published_duckdb,
        "select account_id, lifecycle_phase, latest_health_category, is_active_customer from dim_accounts order by 1",
    ) == [
        ("H1", "Renewal & Expansion", "Healthy / Maintain", True),
        ("H2", "Adoption", "At Risk", True),
        ("H3", None, None, False),
    ]


def test_next_week_is_added_and_earlier_weeks_are_kept(env):
    before = {w: _week_rows(env, w) for w in (FIRST, WEEK)}
    next_week = WEEK + dt.timedelta(weeks=1)
    assert refresh(next_week)[0] == 0
    weeks = [
        w
        for (w,) in query(env.duckdb_path, "select distinct week_start from marts.fct_account_health_weekly order by 1")
    ]
    assert weeks == [FIRST + dt.timedelta(weeks=i) for i in range(5)]
    assert {w: _week_rows(env, w) for w in (FIRST, WEEK)} == before
    # the rows after the old D now count: H1's Jun 10 usage makes utilization 60 / 40 seats
    assert query(
        env.duckdb_path,
        "select license_utilization_value from marts.fct_account_health_weekly "
        "where week_start = ? and account_id = 'H1'",
        [next_week],
    ) == [(Decimal("1.0"),)]
    # the previous category is last week's
    assert query(
        env.duckdb_path,
        "select previous_category from marts.fct_account_health_weekly where week_start = ? and account_id = 'H1'",
        [next_week],
    ) == [("Healthy / Maintain",)]


def test_a_backfill_of_an_earlier_week_gives_the_same_rows(env):
    """Re-running an earlier week after a later one recomputes it identically and leaves the others alone.

    (Re-running the latest week is covered by tests/test_quarantine.py; a multi-week backfill against
    week-by-week refreshes, table by table, by tests/test_gate_and_backfill.py.)
    """
    snapshot = query(env.duckdb_path, "select * from marts.fct_account_health_weekly order by week_start, account_id")
    quarantined = "select refresh_week, count(*) from marts.dq_quarantine group by 1 order by 1"
    next_week = WEEK + dt.timedelta(weeks=1)
    assert query(env.duckdb_path, quarantined) == [(WEEK, 1), (next_week, 1)]
    write_table(env.landing_dir, "business_events", [])  # the bad row is fixed before the re-run
    assert refresh(WEEK)[0] == 0  # a backfill of an earlier week
    assert query(env.duckdb_path, "select * from marts.fct_account_health_weekly order by week_start, account_id") == (
        snapshot
    )
    # a re-run replaces its week whole (replace_weeks, decision 17): a week whose quarantine is now
    # empty is emptied; the next week's refresh log keeps its row
    assert query(env.duckdb_path, quarantined) == [(next_week, 1)]
