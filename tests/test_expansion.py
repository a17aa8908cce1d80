"""Expansion readiness, signals, recommendations and campaign audiences (SPEC §6, §7.1-§7.3, §7.5)
on a hand-built dataset whose figures are worked out by hand below. One real refresh; exact
decimal comparisons.

Refreshed week 2024-06-03, so D = 2024-06-09. Every subscription started 2023-06-10 (365 days
before D: no account is Onboarding). EUR is 1.10 USD in June 2024. Core Standard (per seat, list
240) has five features F1-F5, F3 and F4 advanced; no other product has features. Lines: Core
Platform, Security Module, Automation Module (usage; capacity 1,000 api_calls per unit and day over
28 days), Analytics Add-On, Premium Support.

A1 SMB, P1. Core 100 + Security 100 seats (240 / 120 USD) + Premium Support 9,600 = ARR 45,600;
   ends 2025-06-09 (365 days, Adoption). MAU 90 + 90 of 200 seats (0.9), WAU 140 (0.7), 100
   employees (80 a year earlier: growth 0.25, 25 postings), F1-F4 used (breadth 0.8, 2 advanced),
   API on 20 weekdays of the last 4 weeks (10 calls each), 3 departments (2 on 2024-03-11, exactly
   90 days before D; 3 on 2024-03-04, outside that day's trailing 7 days: U6 compares with 2),
   NPS 9 and 10, CSAT 5 (one ticket; 5 tickets in the 90 days before: decreasing), 6 contacts in 90
   days, 2 executive activities, training 2/2, onboarding 2/2, ROI documented, funding round,
   geographic expansion, renewal plan complete. Health 16 (Expansion Ready).
   Readiness: usage 15+8+7 = 30; satisfaction 15+5+5 = 25; growth 5+6+6 = 17; relationship
   8+7 = 15; potential: ARR 45,600 vs SMB mean 63,600/3 = 21,200 (215%: 1) + 2 lines not held
   (3) = 4 → 91 Immediate.
   Signals: U1 0.9, U2 0.9, U3 2, U4 20, U5 (weekly calls 0,...,0,50,50,50,50: slope/mean = 9/28),
   U6 3, C1 9.5, C2 -4 (5 → 1 tickets), C3 2, C4 0 open, C5 1, B1 0.25, B6 1 → 3 categories.
   Recommendations (value_reinforcement: C5, Adoption phase; open Upsell O1 on Core Platform at
   Proposal without validation → validation_step_missing on every row):
   seat_usage on Core Platform (100/100 seats, tie → by name): ceil(180 / 0.7) - 200 = 58 seats x
   36,000 / 200 = 10,440, blocked open_opportunity (O1); product_module Automation Module (first
   line not held in cross-sell order) PR-AUTO list price 1,200 (usage-priced: x 1); geographic
   100% x 45,600; reference (NPS 9.5 >= 9 and C5) 0.
A2 SMB, P1. Core 50 seats x 240 = 12,000, ends 2024-07-31 (52 days: Renewal & Expansion, plan
   missing). MAU 40 (0.8), WAU 10 (0.2), no firmographics, no features, NPS 3, 4 new tickets (none
   before: increasing). Health 2 (At Risk).
   Readiness: 5 (adoption unknown) + 3 + 1 = 9; 2 + 3 (no CSAT) + 1 = 6; 3 + 2 + 1 = 6; 0 + 1 = 1;
   12,000 x 3 / 63,600 = 0.57 (5) + 4 lines (5) = 10 → 32 Low. Signals: U1 0.8.
   Recommendations: retention (0); seat_usage Core ceil(40 / 0.7) - 50 = 8 seats x 240 = 1,920 and
   contract 20% x 12,000 = 2,400, both blocked at_risk_retention_only (renewal_expansion).
   Campaign: power_user_program (utilization High, training Low).
A3 SMB, direct. Core 25 seats = 6,000, ends 2024-07-19 (40 days), plan complete. MAU 15 (0.6), WAU 12
   (0.48), 50 employees (one snapshot: growth unknown), 3 postings, F1 F2 (breadth 0.4: Moderate),
   API one day a week for 13 weeks (4 days in 28: Limited; flat: no U5), NPS 7, CSAT 4.0, tickets
   2 → 2 (stable), 2 expansion_outreach activities in 90 days (one with the CFO), training 1/2.
   Health 1+1+1+1+1+1+0+2 = 8 (Healthy / Maintain).
   Readiness: 5 (exactly 30%) + 5 + 4 = 14; 8 + 3 + 3 = 14; 3 + 2 + 1 = 6; 2 + 4 = 6; 0.28 (5) +
   4 lines (5) = 10 → 50 Medium-term. No signals.
   Recommendations: contract 20% x 6,000 = 1,200, blocked expansion_fatigue (renewal_expansion).
   Campaign: advanced_feature_workshop (Healthy / Maintain, Moderate).
A4 Mid-Market (alone), P2, EUR. Core 40 x 500 + Analytics 30 x 50 EUR = 22,000 + 1,650 = 23,650 USD,
   ends 2024-10-31 (144 days), plan in progress. MAU 34 + 22 of 70 seats (0.8), WAU 21 + 14 (0.5),
   1,000 employees both years, 5 postings, no features used, 3 departments at D but no usage row
   90 days earlier (unknown: no U6), a pilot with the CIO on 2024-05-10
   (validates the open Cross-sell O2 on Security Module, at Negotiation), training 1/1, merger
   2024-02-01, compliance mandate, competitor evaluation. Health 2+0+0+1+2+1+1+1 = 8.
   Readiness: 2 + 5 + 1 = 8; 2 + 3 + 3 = 8; 3 + 2 + 4 = 9; 2 + 4 = 6; 100% of its segment (3) + 3
   lines (5) = 8 → 39 Low. Signals: U1 0.8, B2, B3, CA1 → usage + business: strong, inside-out.
   Recommendations: seat_usage Core Platform (most seats) 56 / 0.7 = 80 exactly → 10 seats x 23,650
   / 70 = 3,378.571429 (renewal_expansion; O2 is another line). Campaigns: advanced_feature_workshop
   (Basic), roadmap_alignment_session (Renewal & Expansion, B2 B3).
A5 Enterprise (alone), P2. Automation 2 units x 1,200 = 2,400 (usage-based: capacity 2 x 1,000 x 28 =
   56,000 calls, used 44,800 = 0.8; flat 1,600 calls a day for 13 weeks: no U5; 3 departments every
   day, also 90 days before D: no U6), MAU 6, no seats,
   training 1/1. Health 2+0+2+0+2+1+0+1 = 8.
   Readiness: 5 + 3 (no seats) + 1 = 9; 2 + 3 + 3 = 8; 3 + 2 + 1 = 6; 0 + 1 = 1; 3 + 4 lines (5) = 8
   → 32 Low. Signals: U1 0.8, U4 28.
   Recommendations: seat_usage Automation Module ceil(2 x 0.8 / 0.7) - 2 = 1 unit x 1,200; product_module
   Core Platform PR-CORE-1 240 x 6 active users (no seats) = 1,440. Campaign: advanced_feature_workshop.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import FIRST_WEEK
from tests.helpers import isolated_env, query, refresh
from tests.landing import write_minimal_landing

WEEK = dt.date(2024, 6, 3)
D_DAY = dt.date(2024, 6, 9)


def days(first: str, last: str, step: int = 1) -> list[dt.date]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [start + dt.timedelta(days=i) for i in range(0, (end - start).days + 1, step)]


def usage(account, product, day, wau, mau, api, departments):
    return (account, product, day.isoformat(), "1", str(wau), str(mau), str(api), None, str(departments))


USAGE = (
    # A1 Core: the last 4 weeks, API calls on weekdays; 90 days before D (2024-03-11) 2 departments,
    # 97 days before (2024-03-04, the last row of the ISO week 13 weeks back, not in 03-05 .. 03-11) 3
    [usage("A1", "PR-CORE-1", d, 70, 90, 10 if d.weekday() < 5 else 0, 3) for d in days("2024-05-13", "2024-06-09")]
    + [
        usage("A1", "PR-CORE-1", dt.date(2024, 3, 4), 60, 80, 0, 3),
        usage("A1", "PR-CORE-1", dt.date(2024, 3, 11), 60, 80, 0, 2),
    ]
    + [usage("A1", "PR-SEC-1", D_DAY, 70, 90, 0, 1)]
    + [usage("A2", "PR-CORE-1", D_DAY, 10, 40, 0, 1)]
    # A3: one API day a week (Wednesdays) for 13 weeks, and D itself
    + [usage("A3", "PR-CORE-1", d, 12, 15, 10, 1) for d in days("2024-03-13", "2024-06-05", 7)]
    + [usage("A3", "PR-CORE-1", D_DAY, 12, 15, 0, 1)]
    # A4: 3 departments at D and no history; A5: 3 departments at D and 90 days before D (2024-03-11)
    + [usage("A4", "PR-CORE-1", D_DAY, 21, 34, 0, 3), usage("A4", "PR-ANA-1", D_DAY, 14, 22, 0, 1)]
    + [usage("A5", "PR-AUTO", d, 6, 6, 1600, 3) for d in days("2024-03-11", "2024-06-09")]
)

DATA = {
    "partners": [
        ("P1", "Northwind MSP", "MSP", "Gold", "NA", "2023-01-02"),
        ("P2", "Contoso Resell", "Reseller", "Silver", "EMEA", "2023-01-02"),
    ],
    "accounts": [
        ("A1", "Alpha", "P1", "SMB", "Software", "NA", "US", "2023-01-01"),
        ("A2", "Beta", "P1", "SMB", "Retail", "NA", "US", "2023-01-01"),
        ("A3", "Gamma", None, "SMB", "Finance", "NA", "US", "2023-01-01"),
        ("A4", "Delta", "P2", "Mid-Market", "Media", "EMEA", "DE", "2023-01-01"),
        ("A5", "Epsilon", "P2", "Enterprise", "Health", "EMEA", "GB", "2023-01-01"),
    ],
    "partner_assignments": [],
    "contacts": [
        ("C11", "A1", "CEO", "true", "2023-01-01"),
        *[(f"C1{i}", "A1", "Engineer", "false", "2023-01-01") for i in range(2, 7)],
        ("C31", "A3", "CFO", "true", "2023-01-01"),
        ("C32", "A3", "Analyst", "false", "2023-01-01"),
        ("C41", "A4", "CIO", "true", "2023-01-01"),
    ],
    "activities": [
        ("ACT11", "A1", "P1", "C11", "executive_meeting", "2024-04-10"),
        ("ACT12", "A1", "P1", "C11", "qbr", "2024-05-15"),
        *[(f"ACT1{i}", "A1", "P1", f"C1{i - 1}", "adoption_review", "2024-05-20") for i in range(3, 8)],
        ("ACT31", "A3", None, "C31", "expansion_outreach", "2024-04-01"),
        ("ACT32", "A3", None, "C32", "expansion_outreach", "2024-05-15"),
        ("ACT41", "A4", "P2", "C41", "pilot", "2024-05-10"),
    ],
    "opportunities": [
        (
            "O1",
            "A1",
            "P1",
            "sourced",
            "Upsell",
            "PR-CORE-2",
            "Proposal",
            "10000",
            "USD",
            "usage_threshold",
            "2024-05-01",
            None,
            None,
        ),
        (
            "O2",
            "A4",
            "P2",
            "sourced",
            "Cross-sell",
            "PR-SEC-1",
            "Negotiation",
            "5000",
            "EUR",
            "business_event",
            "2024-05-01",
            None,
            None,
        ),
        (
            "O3",
            "A5",
            "P2",
            "sourced",
            "License Expansion",
            "PR-AUTO",
            "Closed Won",
            "2400",
            "USD",
            "usage_threshold",
            "2024-01-10",
            "2024-02-01",
            None,
        ),
    ],
    "milestones": [
        ("M11", "A1", "onboarding", "Kickoff", "2023-07-01", "2023-06-30"),
        ("M12", "A1", "onboarding", "Go-live", "2023-08-01", "2023-07-25"),
        ("M13", "A1", "roi_documented", "ROI review", "2024-04-01", "2024-04-01"),
        ("M31", "A3", "onboarding", "Kickoff", "2023-07-01", None),
    ],
    "renewal_plans": [
        ("RP1", "S1", "complete", "2024-05-01"),
        ("RP3", "S3", "complete", "2024-05-01"),
        ("RP4", "S4", "in_progress", "2024-05-01"),
    ],
    "business_events": [
        ("E11", "A1", "funding_round", "2024-03-01", None),
        ("E12", "A1", "geographic_expansion", "2024-05-01", None),
        ("E41", "A4", "merger_acquisition", "2024-02-01", None),
        ("E42", "A4", "compliance_mandate", "2024-04-15", None),
        ("E43", "A4", "competitor_evaluation", "2024-05-20", None),
    ],
    "firmographics": [
        ("A1", "2023-06-09", "80", "10"),
        ("A1", "2024-06-01", "100", "25"),
        ("A3", "2024-05-01", "50", "3"),
        ("A4", "2023-06-01", "1000", "5"),
        ("A4", "2024-06-01", "1000", "5"),
    ],
    "support_tickets": [
        *[(f"T1{i}", "A1", "2024-01-15T09:00:00Z", "2024-01-16T09:00:00Z", "low", None) for i in range(1, 6)],
        ("T16", "A1", "2024-05-01T09:00:00Z", "2024-05-02T09:00:00Z", "low", "5"),
        *[(f"T2{i}", "A2", "2024-05-10T09:00:00Z", None, "high", None) for i in range(1, 5)],
        ("T31", "A3", "2024-01-20T09:00:00Z", "2024-01-21T09:00:00Z", "low", None),
        ("T32", "A3", "2024-01-20T09:00:00Z", "2024-01-21T09:00:00Z", "low", None),
        ("T33", "A3", "2024-04-20T09:00:00Z", "2024-04-21T09:00:00Z", "low", "4"),
        ("T34", "A3", "2024-05-20T09:00:00Z", None, "low", None),
    ],
    "nps_responses": [
        ("N11", "A1", "C11", "2024-03-01", "9"),
        ("N12", "A1", "C12", "2024-04-01", "10"),
        ("N21", "A2", None, "2024-04-01", "3"),
        ("N31", "A3", "C31", "2024-02-01", "7"),
    ],
    "features": [
        ("F1", "PR-CORE-1", "Dashboards", "basic"),
        ("F2", "PR-CORE-1", "Reports", "basic"),
        ("F3", "PR-CORE-1", "Workflows", "advanced"),
        ("F4", "PR-CORE-1", "Automation rules", "advanced"),
        ("F5", "PR-CORE-1", "Exports", "basic"),
    ],
    "usage_daily": USAGE,
    "feature_usage_weekly": [
        *[("A1", f"F{i}", "2024-06-03", "10", "50") for i in range(1, 5)],
        ("A3", "F1", "2024-05-27", "5", "20"),
        ("A3", "F2", "2024-05-27", "5", "20"),
    ],
    "training_enrollments": [
        ("TE11", "A1", "C-101", "2024-01-10", "2024-02-10"),
        ("TE12", "A1", "C-102", "2024-01-10", "2024-02-10"),
        ("TE31", "A3", "C-101", "2024-02-01", "2024-03-01"),
        ("TE32", "A3", "C-102", "2024-02-01", None),
        ("TE41", "A4", "C-101", "2024-02-01", "2024-03-01"),
        ("TE51", "A5", "C-101", "2024-02-01", "2024-03-01"),
    ],
    "products": [
        ("PR-CORE-1", "Core Standard", "Core Platform", "1", "per_seat", "240"),
        ("PR-CORE-2", "Core Professional", "Core Platform", "2", "per_seat", "420"),
        ("PR-SEC-1", "Security Standard", "Security Module", "1", "per_seat", "120"),
        ("PR-SEC-2", "Security Advanced", "Security Module", "2", "per_seat", "204"),
        ("PR-AUTO", "Automation", "Automation Module", "1", "usage", "1200"),
        ("PR-ANA-1", "Analytics Standard", "Analytics Add-On", "1", "per_seat", "96"),
        ("PR-SUP", "Premium Support", "Premium Support", "1", "flat", "9600"),
    ],
    "subscriptions": [
        ("S1", "A1", "USD", "2023-06-10", "2025-06-09", "true", "active", None, None),
        ("S2", "A2", "USD", "2023-06-10", "2024-07-31", "true", "active", None, None),
        ("S3", "A3", "USD", "2023-06-10", "2024-07-19", "true", "active", None, None),
        ("S4", "A4", "EUR", "2023-06-10", "2024-10-31", "true", "active", None, None),
        ("S5", "A5", "USD", "2023-06-10", "2025-06-09", "true", "active", None, None),
    ],
    "subscription_items": [
        ("I11", "S1", "PR-CORE-1", "100", "240", "0", "2023-06-10", None),
        ("I12", "S1", "PR-SEC-1", "100", "120", "0", "2023-06-10", None),
        ("I13", "S1", "PR-SUP", "1", "9600", "0", "2023-06-10", None),
        ("I21", "S2", "PR-CORE-1", "50", "240", "0", "2023-06-10", None),
        ("I31", "S3", "PR-CORE-1", "25", "240", "0", "2023-06-10", None),
        ("I41", "S4", "PR-CORE-1", "40", "500", "0", "2023-06-10", None),
        ("I42", "S4", "PR-ANA-1", "30", "50", "0", "2023-06-10", None),
        ("I51", "S5", "PR-AUTO", "2", "1200", "0", "2023-06-10", None),
    ],
    "invoices": [],
    "fx_rates": [("EUR", "2023-01-01", "1.05"), ("EUR", "2024-01-01", "1.10")],
}


def D(value: str | int) -> Decimal:
    return Decimal(str(value))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("expansion")
    with isolated_env(root, FIRST_WEEK) as settings:
        write_minimal_landing(root / "landing", overrides=DATA)
        assert refresh(WEEK)[0] == 0
        yield settings.published_duckdb


def test_health_categories_the_dataset_is_built_on(warehouse):
    rows = query(
        warehouse,
        "select account_id, health_points, health_category, lifecycle_phase from fct_account_health_weekly "
        "where week_start = ? order by 1",
        [WEEK],
    )
    assert rows == [
        ("A1", 16, "Expansion Ready", "Adoption"),
        ("A2", 2, "At Risk", "Renewal & Expansion"),
        ("A3", 8, "Healthy / Maintain", "Renewal & Expansion"),
        ("A4", 8, "Healthy / Maintain", "Renewal & Expansion"),
        ("A5", 8, "Healthy / Maintain", "Adoption"),
    ]


def test_readiness_components_and_priority_by_hand(warehouse):
    rows = query(
        warehouse,
        "select account_id, product_usage_points, satisfaction_points, growth_points, relationship_points, "
        "expansion_potential_points, readiness_score, expansion_priority "
        "from fct_expansion_readiness_weekly where week_start = ? order by 1",
        [WEEK],
    )
    assert rows == [
        ("A1", 30, 25, 17, 15, 4, 91, "Immediate"),
        ("A2", 9, 6, 6, 1, 10, 32, "Low"),
        ("A3", 14, 14, 6, 6, 10, 50, "Medium-term"),
        ("A4", 8, 8, 9, 6, 8, 39, "Low"),
        ("A5", 9, 8, 6, 1, 8, 32, "Low"),
    ]


def test_readiness_sub_scores_by_hand(warehouse):
    rows = query(
        warehouse,
        "select account_id, adoption_rate, adoption_rate_points, usage_frequency, usage_frequency_points, "
        "feature_breadth_points, nps_mean_180d, nps_points, csat_180d, csat_points, support_trend_level, "
        "support_trend_points, employee_growth, employee_growth_points, funding_event, funding_points, "
        "open_job_postings, open_job_postings_points, engaged_stakeholders_90d, engaged_stakeholders_points, "
        "executive_sponsorship_level, executive_sponsor_points, segment_mean_arr_usd, arr_vs_segment_points, "
        "lines_not_owned, lines_not_owned_points "
        "from fct_expansion_readiness_weekly where week_start = ? order by 1",
        [WEEK],
    )
    assert rows == [
        (
            "A1",
            D("0.9"),
            15,
            D("0.7"),
            8,
            7,
            D("9.5"),
            15,
            D(5),
            5,
            "Decreasing",
            5,
            D("0.25"),
            5,
            "funding_round",
            6,
            25,
            6,
            6,
            8,
            "Active",
            7,
            D(21200),
            1,
            2,
            3,
        ),
        (
            "A2",
            None,
            5,
            D("0.2"),
            3,
            1,
            D(3),
            2,
            None,
            3,
            "Increasing",
            1,
            None,
            3,
            "none",
            2,
            None,
            1,
            0,
            0,
            "None",
            1,
            D(21200),
            5,
            4,
            5,
        ),
        (
            "A3",
            D("0.3"),
            5,
            D("0.48"),
            5,
            4,
            D(7),
            8,
            D(4),
            3,
            "Stable",
            3,
            None,
            3,
            "none",
            2,
            3,
            1,
            2,
            2,
            "Occasional",
            4,
            D(21200),
            5,
            4,
            5,
        ),
        (
            "A4",
            D("0.034"),
            2,
            D("0.5"),
            5,
            1,
            None,
            2,
            None,
            3,
            "Stable",
            3,
            D(0),
            3,
            "none",
            2,
            5,
            4,
            1,
            2,
            "Occasional",
            4,
            D(23650),
            3,
            3,
            5,
        ),
        (
            "A5",
            None,
            5,
            None,
            3,
            1,
            None,
            2,
            None,
            3,
            "Stable",
            3,
            None,
            3,
            "none",
            2,
            None,
            1,
            0,
            0,
            "None",
            1,
            D(2400),
            3,
            4,
            5,
        ),
    ]


def test_signals_by_hand(warehouse):
    rows = query(
        warehouse,
        "select account_id, signal_code, signal_category, observed_value, threshold from fct_expansion_signals "
        "where week_start = ? order by 1, 2",
        [WEEK],
    )
    u5 = [r for r in rows if r[1] == "U5"]
    assert len(u5) == 1 and abs(u5[0][3] - Decimal(9) / Decimal(28)) < Decimal("1e-9")
    rows = [r if r[1] != "U5" else (*r[:3], "9/28", r[4]) for r in rows]
    assert rows == [
        ("A1", "B1", "business", D("0.25"), D("0.1")),
        ("A1", "B6", "business", D(1), D(1)),
        ("A1", "C1", "customer_success", D("9.5"), D(9)),
        ("A1", "C2", "customer_success", D(-4), D(-2)),
        ("A1", "C3", "customer_success", D(2), D(2)),
        ("A1", "C4", "customer_success", D(0), D(0)),
        ("A1", "C5", "customer_success", D(1), D(1)),
        ("A1", "U1", "product_usage", D("0.9"), D("0.75")),
        ("A1", "U2", "product_usage", D("0.9"), D("0.9")),
        ("A1", "U3", "product_usage", D(2), D(2)),
        ("A1", "U4", "product_usage", D(20), D(20)),
        ("A1", "U5", "product_usage", "9/28", D("0.02")),
        ("A1", "U6", "product_usage", D(3), D(3)),  # 3 departments vs 2 exactly 90 days before D
        ("A2", "U1", "product_usage", D("0.8"), D("0.75")),
        ("A4", "B2", "business", D(1), D(1)),
        ("A4", "B3", "business", D(1), D(1)),
        ("A4", "CA1", "competitive", D(1), D(1)),
        ("A4", "U1", "product_usage", D("0.8"), D("0.75")),
        ("A5", "U1", "product_usage", D("0.8"), D("0.75")),
        ("A5", "U4", "product_usage", D(28), D(20)),
    ]  # no U6 for A4 (3 departments, none known 90 days before) nor A5 (3 then and now)


def test_alignment_by_hand(warehouse):
    rows = query(
        warehouse,
        "select account_id, alignment_categories, is_strong_opportunity, is_inside_out_outside_in, "
        "has_competitive_alert, opportunities_missing_validation "
        "from fct_expansion_readiness_weekly where week_start = ? order by 1",
        [WEEK],
    )
    assert rows == [
        ("A1", 3, True, True, False, 1),
        ("A2", 1, False, False, False, 0),
        ("A3", 0, False, False, False, 0),
        ("A4", 2, True, True, True, 0),
        ("A5", 1, False, False, False, 0),
    ]


def test_recommendations_by_hand(warehouse):
    rows = query(
        warehouse,
        "select account_id, opportunity_type, product_line, recommended_product_id, units, estimated_arr_usd, "
        "priority, message_framework, blocked_reason, trigger_signals, partner_id "
        "from fct_expansion_recommendations where week_start = ? order by 1, 2",
        [WEEK],
    )
    assert rows == [
        ("A1", "geographic", None, None, None, D(45600), "Immediate", "value_reinforcement", None, "B6", "P1"),
        (
            "A1",
            "product_module",
            "Automation Module",
            "PR-AUTO",
            D(1),
            D(1200),
            "Immediate",
            "value_reinforcement",
            None,
            "U3, U4",
            "P1",
        ),
        ("A1", "reference", None, None, None, D(0), "Immediate", "value_reinforcement", None, "C5", "P1"),
        (
            "A1",
            "seat_usage",
            "Core Platform",
            None,
            D(58),
            D(10440),
            "Immediate",
            "value_reinforcement",
            "open_opportunity",
            "B1, U1, U2",
            "P1",
        ),
        ("A2", "contract", None, None, None, D(2400), "Low", "renewal_expansion", "at_risk_retention_only", None, "P1"),
        ("A2", "retention", None, None, None, D(0), "Low", None, None, None, "P1"),
        (
            "A2",
            "seat_usage",
            "Core Platform",
            None,
            D(8),
            D(1920),
            "Low",
            "renewal_expansion",
            "at_risk_retention_only",
            "U1",
            "P1",
        ),
        (
            "A3",
            "contract",
            None,
            None,
            None,
            D(1200),
            "Medium-term",
            "renewal_expansion",
            "expansion_fatigue",
            None,
            None,
        ),
        (
            "A4",
            "seat_usage",
            "Core Platform",
            None,
            D(10),
            D("3378.571429"),
            "Low",
            "renewal_expansion",
            None,
            "U1",
            "P2",
        ),
        ("A5", "product_module", "Core Platform", "PR-CORE-1", D(6), D(1440), "Low", None, None, "U4", "P2"),
        ("A5", "seat_usage", "Automation Module", None, D(1), D(1200), "Low", None, None, "U1", "P2"),
    ]


def test_recommendation_gates_and_validation_flag(warehouse):
    rows = query(
        warehouse,
        "select account_id, opportunity_type, is_blocked, blocked_reasons_all, open_opportunity_ids, "
        "validation_step_missing, opportunity_ids_missing_validation, expansion_outreach_90d "
        "from fct_expansion_recommendations where week_start = ? order by 1, 2",
        [WEEK],
    )
    by_key = {(r[0], r[1]): r[2:] for r in rows}
    # O1 (Upsell on Core Platform, Proposal, no pilot / PoC / workshop since 2024-05-01) blocks the
    # seat expansion on that line only and is flagged on every A1 recommendation
    assert by_key[("A1", "seat_usage")] == (True, "open_opportunity", "O1", True, "O1", 0)
    assert by_key[("A1", "product_module")] == (False, None, None, True, "O1", 0)
    # A2 is At Risk: its expansions are kept, blocked, next to one unblocked retention recommendation
    assert by_key[("A2", "seat_usage")][:2] == (True, "at_risk_retention_only")
    assert by_key[("A2", "retention")][:2] == (False, None)
    # A3: 2 expansion_outreach activities in 90 days reach the limit
    assert by_key[("A3", "contract")] == (True, "expansion_fatigue", None, False, None, 2)
    # A4's open Cross-sell on Security Module had a pilot: not flagged, and it is not the seat line
    assert by_key[("A4", "seat_usage")] == (False, None, None, False, None, 0)


def test_campaign_audiences_by_hand(warehouse):
    rows = query(
        warehouse,
        "select account_id, campaign, reason, partner_id from rpt_campaign_audiences "
        "where week_start = ? order by 1, 2",
        [WEEK],
    )
    assert rows == [
        ("A2", "power_user_program", "license utilization High; training completion Low", "P1"),
        ("A3", "advanced_feature_workshop", "health Healthy / Maintain; feature adoption Moderate", None),
        ("A4", "advanced_feature_workshop", "health Healthy / Maintain; feature adoption Basic", "P2"),
        ("A4", "roadmap_alignment_session", "lifecycle phase Renewal & Expansion; business signals B2, B3", "P2"),
        ("A5", "advanced_feature_workshop", "health Healthy / Maintain; feature adoption Basic", "P2"),
    ]


def test_every_health_week_has_readiness_rows(warehouse):
    """The weekly marts hold the same weeks as the health mart (history from the first week)."""
    health = query(warehouse, "select week_start, count(*) from fct_account_health_weekly group by 1 order by 1")
    readiness = query(
        warehouse, "select week_start, count(*) from fct_expansion_readiness_weekly group by 1 order by 1"
    )
    assert readiness == health
    assert readiness[0][0] == FIRST_WEEK and readiness[-1][0] == WEEK
