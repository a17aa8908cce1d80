"""ARR, bridge, renewals, retention, product expansion and funnel on a hand-built dataset whose
figures are worked out by hand below (SPEC §3-§4). One real refresh; exact decimal comparisons.

Refreshed week 2024-07-01, so D = 2024-07-07 and the complete months run to June 2024.
FX (USD per unit): EUR 1.10 from 2024-01-01, 1.20 from 2024-02-01; GBP 1.25 from 2024-01-01,
1.30 from 2024-03-15. A month's rate = the latest rate on or before its last day.

Accounts (P1 Gold MSP, P2 Silver Reseller):
  A1 USD P1  new Jan: Core Std 10 seats x 1000, 10% off = 9,000; 15 seats from Mar 1 = 13,500
             (upsell +4,500); edition upgrade to Core Pro 15 x 1200 -10% from May 1 = 16,200 (+2,700).
  A2 EUR P2  new Jan: Core 20 x 500 = 10,000 EUR and Security 20 x 100 = 2,000 EUR (x1.10 = 11,000
             + 2,200); Feb rate 1.20 revalues: +1,000 and +200 (fx_revaluation); Security dropped
             Apr 1 while the account stays: contraction -2,000 x 1.20 = -2,400.
  A3 USD dir Core 5 x 1200 = 6,000, Jan-Feb (ends Feb 29): churn in Mar -6,000; a new contract
             from May 1: reactivation +6,000 (not a new logo).
  A4 USD P1  Core 10 x 600 = 6,000 from Jan 15, cancelled Apr 10: churn in Apr -6,000.
  A5 GBP P2  Core 10 x 800 = 8,000 GBP from Feb 1 (x1.25 = 10,000); Premium Support at price 0
             (no ARR); Mar rate 1.30 revalues +400; Analytics 10 x 100 = 1,000 GBP from Apr 15:
             cross_sell +1,300.
  A6 USD P1->P2 (assignment change 2024-05-15) Core 10 x 1000 = 10,000 since 2023-06-01,
             renewed by S6b from 2024-06-01 with 12 seats: upsell +2,000 in June. The renewal deal
             closed 2024-03-01, 91 days before end 2024-05-31.
  A7 USD dir Core 4 x 1000 = 4,000 from Jan; an overlapping second subscription adds Automation
             2 x 3000 = 6,000 from Mar 1: cross_sell +6,000.
  A9 USD dir Core 3 x 1000 = 3,000: S9a 2023-07-15 .. 2023-10-14, then S9b starting ON 2023-10-14
             (a one-day overlap, no renewed_from): S9a is renewed by S9b; S9b ends 2024-01-13 and is not
             renewed (churn in Jan 2024). Neither overlaps a month end, so ARR is never counted twice.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from decimal import ROUND_HALF_UP, Decimal

import pytest

from dagster_project.defs.warehouse.parse_state import start_parse_state
from dagster_project.defs.warehouse.project import get_dbt_project
from dagster_project.defs.warehouse.refresh_window import dbt_environment
from dagster_project.lib.warehouse import connect
from dagster_project.lib.weeks import WeekWindow
from dagster_project.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, load_settings
from tests.conftest import FIRST_WEEK
from tests.helpers import isolated_env, query, refresh
from tests.landing import write_minimal_landing

WEEK = dt.date(2024, 7, 1)

DATA = {
    "partners": [
        ("P1", "Northwind MSP", "MSP", "Gold", "NA", "2023-01-02"),
        ("P2", "Contoso Resell", "Reseller", "Silver", "EMEA", "2023-01-02"),
    ],
    "accounts": [
        ("A1", "Alpha", "P1", "SMB", "Software", "NA", "US", "2023-12-01"),
        ("A2", "Beta", "P2", "Mid-Market", "Retail", "EMEA", "DE", "2023-12-01"),
        ("A3", "Gamma", None, "SMB", "Finance", "NA", "US", "2023-12-01"),
        ("A4", "Delta", "P1", "SMB", "Software", "NA", "US", "2023-12-01"),
        ("A5", "Epsilon", "P2", "Enterprise", "Media", "EMEA", "GB", "2023-12-01"),
        ("A6", "Zeta", "P2", "Mid-Market", "Health", "NA", "US", "2023-05-01"),
        ("A7", "Eta", None, "SMB", "Retail", "NA", "US", "2023-12-01"),
        ("A8", "Theta", None, "SMB", "Retail", "NA", "US", "2024-01-02"),
        ("A9", "Iota", None, "SMB", "Retail", "NA", "US", "2023-06-01"),
    ],
    "partner_assignments": [
        ("A6", "P1", "2023-06-01", "2024-05-15"),
        ("A6", "P2", "2024-05-15", None),
    ],
    "activities": [("ACT1", "A1", "P1", None, "pilot", "2024-02-15")],
    "products": [
        ("PR-CORE-1", "Core Standard", "Core Platform", "1", "per_seat", "1000"),
        ("PR-CORE-2", "Core Professional", "Core Platform", "2", "per_seat", "1200"),
        ("PR-SEC-1", "Security", "Security Module", "1", "per_seat", "100"),
        ("PR-ANA-1", "Analytics", "Analytics Add-On", "1", "per_seat", "100"),
        ("PR-AUTO-1", "Automation", "Automation Module", "1", "usage", "3000"),
        ("PR-SUP", "Premium Support", "Premium Support", "1", "flat", "5000"),
    ],
    "subscriptions": [
        ("S1", "A1", "USD", "2024-01-01", "2024-12-31", "true", "active", None, None),
        ("S2", "A2", "EUR", "2024-01-01", "2024-12-31", "true", "active", None, None),
        ("S3a", "A3", "USD", "2024-01-01", "2024-02-29", "false", "expired", None, None),
        ("S3b", "A3", "USD", "2024-05-01", "2025-04-30", "true", "active", None, None),
        ("S4", "A4", "USD", "2024-01-15", "2025-01-14", "true", "cancelled", "2024-04-10", None),
        ("S5", "A5", "GBP", "2024-02-01", "2025-01-31", "true", "active", None, None),
        ("S6", "A6", "USD", "2023-06-01", "2024-05-31", "true", "expired", None, None),
        ("S6b", "A6", "USD", "2024-06-01", "2025-05-31", "true", "active", None, "S6"),
        ("S7a", "A7", "USD", "2024-01-01", "2024-12-31", "true", "active", None, None),
        ("S7b", "A7", "USD", "2024-03-01", "2025-02-28", "true", "active", None, None),
        ("S9a", "A9", "USD", "2023-07-15", "2023-10-14", "false", "expired", None, None),
        ("S9b", "A9", "USD", "2023-10-14", "2024-01-13", "false", "expired", None, None),
    ],
    "subscription_items": [
        ("I1a", "S1", "PR-CORE-1", "10", "1000", "10", "2024-01-01", "2024-03-01"),
        ("I1b", "S1", "PR-CORE-1", "15", "1000", "10", "2024-03-01", "2024-05-01"),
        ("I1c", "S1", "PR-CORE-2", "15", "1200", "10", "2024-05-01", None),
        ("I2a", "S2", "PR-CORE-1", "20", "500", "0", "2024-01-01", None),
        ("I2b", "S2", "PR-SEC-1", "20", "100", None, "2024-01-01", "2024-04-01"),
        ("I3a", "S3a", "PR-CORE-1", "5", "1200", "0", "2024-01-01", None),
        ("I3b", "S3b", "PR-CORE-1", "5", "1200", "0", "2024-05-01", None),
        ("I4", "S4", "PR-CORE-1", "10", "600", "0", "2024-01-15", None),
        ("I5a", "S5", "PR-CORE-1", "10", "800", "0", "2024-02-01", None),
        ("I5b", "S5", "PR-SUP", "1", "0", "0", "2024-02-01", None),
        ("I5c", "S5", "PR-ANA-1", "10", "100", "0", "2024-04-15", None),
        ("I6", "S6", "PR-CORE-1", "10", "1000", "0", "2023-06-01", None),
        ("I6b", "S6b", "PR-CORE-1", "12", "1000", "0", "2024-06-01", None),
        ("I7a", "S7a", "PR-CORE-1", "4", "1000", "0", "2024-01-01", None),
        ("I7b", "S7b", "PR-AUTO-1", "2", "3000", "0", "2024-03-01", None),
        ("I9a", "S9a", "PR-CORE-1", "3", "1000", "0", "2023-07-15", None),
        ("I9b", "S9b", "PR-CORE-1", "3", "1000", "0", "2023-10-14", None),
    ],
    "opportunities": [
        (
            "O1",
            "A1",
            "P1",
            "sourced",
            "Upsell",
            "PR-CORE-1",
            "Closed Won",
            "4500",
            "USD",
            "usage_threshold",
            "2024-02-01",
            "2024-03-01",
            None,
        ),
        (
            "O2",
            "A5",
            "P2",
            "influenced",
            "Cross-sell",
            "PR-ANA-1",
            "Closed Won",
            "1000",
            "GBP",
            "inbound",
            "2024-03-20",
            "2024-04-10",
            None,
        ),
        (
            "O3",
            "A7",
            None,
            None,
            "License Expansion",
            "PR-CORE-1",
            "Closed Lost",
            "3000",
            "USD",
            None,
            "2024-04-01",
            "2024-05-01",
            None,
        ),
        ("O4", "A1", "P1", "sourced", "Upsell", "PR-CORE-2", "Proposal", "2000", "USD", None, "2024-04-15", None, None),
        (
            "O5",
            "A2",
            "P2",
            "sourced",
            "Upsell",
            "PR-SEC-1",
            "Qualification",
            "500",
            "EUR",
            None,
            "2024-05-01",
            None,
            None,
        ),
        (
            "O6",
            "A6",
            "P1",
            "sourced",
            "Renewal",
            None,
            "Closed Won",
            "12000",
            "USD",
            "renewal",
            "2024-02-01",
            "2024-03-01",
            "S6",
        ),
        (
            "O7",
            "A1",
            "P1",
            "sourced",
            "New Business",
            "PR-CORE-1",
            "Closed Won",
            "9000",
            "USD",
            "inbound",
            "2023-11-01",
            "2023-12-20",
            None,
        ),
        (
            "O8",
            "A8",
            None,
            None,
            "New Business",
            "PR-CORE-1",
            "Closed Lost",
            "5000",
            "USD",
            "inbound",
            "2024-01-05",
            "2024-02-10",
            None,
        ),
    ],
    "fx_rates": [
        ("EUR", "2024-01-01", "1.10"),
        ("EUR", "2024-02-01", "1.20"),
        ("GBP", "2024-01-01", "1.25"),
        ("GBP", "2024-03-15", "1.30"),
    ],
}
EMPTY = [
    "contacts",
    "milestones",
    "renewal_plans",
    "business_events",
    "firmographics",
    "support_tickets",
    "nps_responses",
    "features",
    "usage_daily",
    "feature_usage_weekly",
    "training_enrollments",
    "invoices",
]


def D(value: str | int) -> Decimal:
    return Decimal(str(value))


def ratio(num: int, den: int) -> Decimal:
    return (Decimal(num) / Decimal(den)).quantize(Decimal("0.0000000001"), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("revenue")
    with isolated_env(root, FIRST_WEEK) as settings:
        write_minimal_landing(root / "landing", overrides={**DATA, **{t: [] for t in EMPTY}})
        assert refresh(WEEK)[0] == 0
        yield settings.published_duckdb


def test_month_end_arr_in_contract_currency_and_usd(warehouse):
    rows = query(
        warehouse,
        "select account_id, product_line, currency, arr_local, usd_per_unit, arr_usd, partner_id "
        "from fct_arr_monthly where month_start = '2024-06-01' order by 1, 2",
    )
    assert rows == [
        ("A1", "Core Platform", "USD", D("16200"), D("1"), D("16200"), "P1"),
        ("A2", "Core Platform", "EUR", D("10000"), D("1.2"), D("12000"), "P2"),
        ("A3", "Core Platform", "USD", D("6000"), D("1"), D("6000"), None),
        ("A5", "Analytics Add-On", "GBP", D("1000"), D("1.3"), D("1300"), "P2"),
        ("A5", "Core Platform", "GBP", D("8000"), D("1.3"), D("10400"), "P2"),
        ("A6", "Core Platform", "USD", D("12000"), D("1"), D("12000"), "P2"),
        ("A7", "Automation Module", "USD", D("6000"), D("1"), D("6000"), None),
        ("A7", "Core Platform", "USD", D("4000"), D("1"), D("4000"), None),
    ]
    # no month after the last complete one (June) and none for A4 after its cancellation
    assert query(warehouse, "select max(month_start) from fct_arr_monthly") == [(dt.date(2024, 6, 1),)]
    assert query(warehouse, "select max(month_start) from fct_arr_monthly where account_id = 'A4'") == [
        (dt.date(2024, 3, 1),)
    ]


def test_bridge_movements_by_hand(warehouse):
    rows = query(
        warehouse,
        "select month_start, account_id, product_line, movement_type, arr_change_usd from fct_arr_movements "
        "order by 1, 2, 3, 4",
    )
    expected = [
        ("2023-06-01", "A6", "Core Platform", "new_logo", "10000"),
        ("2023-07-01", "A9", "Core Platform", "new_logo", "3000"),
        ("2024-01-01", "A1", "Core Platform", "new_logo", "9000"),
        ("2024-01-01", "A2", "Core Platform", "new_logo", "11000"),
        ("2024-01-01", "A2", "Security Module", "new_logo", "2200"),
        ("2024-01-01", "A3", "Core Platform", "new_logo", "6000"),
        ("2024-01-01", "A4", "Core Platform", "new_logo", "6000"),
        ("2024-01-01", "A7", "Core Platform", "new_logo", "4000"),
        ("2024-01-01", "A9", "Core Platform", "churn", "-3000"),
        ("2024-02-01", "A2", "Core Platform", "fx_revaluation", "1000"),
        ("2024-02-01", "A2", "Security Module", "fx_revaluation", "200"),
        ("2024-02-01", "A5", "Core Platform", "new_logo", "10000"),
        ("2024-03-01", "A1", "Core Platform", "upsell", "4500"),
        ("2024-03-01", "A3", "Core Platform", "churn", "-6000"),
        ("2024-03-01", "A5", "Core Platform", "fx_revaluation", "400"),
        ("2024-03-01", "A7", "Automation Module", "cross_sell", "6000"),
        ("2024-04-01", "A2", "Security Module", "contraction", "-2400"),
        ("2024-04-01", "A4", "Core Platform", "churn", "-6000"),
        ("2024-04-01", "A5", "Analytics Add-On", "cross_sell", "1300"),
        ("2024-05-01", "A1", "Core Platform", "upsell", "2700"),
        ("2024-05-01", "A3", "Core Platform", "reactivation", "6000"),
        ("2024-06-01", "A6", "Core Platform", "upsell", "2000"),
    ]
    assert rows == [(dt.date.fromisoformat(m), a, line, kind, D(amount)) for m, a, line, kind, amount in expected]


def test_bridge_ties_out_to_month_end_arr_every_month(warehouse):
    # ending - beginning per month, over all accounts (the dbt test checks it per account)
    rows = query(
        warehouse,
        "with ending as (select month_start, sum(arr_usd) as arr from fct_arr_monthly group by 1), "
        "moved as (select month_start, sum(arr_change_usd) as change from fct_arr_movements group by 1) "
        "select e.month_start, e.arr - coalesce(p.arr, 0) - coalesce(m.change, 0) from ending e "
        "left join ending p on p.month_start = e.month_start - interval 1 month "
        "left join moved m on m.month_start = e.month_start order by 1",
    )
    assert rows and all(diff == 0 for _, diff in rows)


def test_renewals_outcomes(warehouse):
    rows = {
        r[0]: r[1:]
        for r in query(
            warehouse,
            "select subscription_id, renewal_status, renewal_outcome_reason, resolved_on, arr_usd, "
            "successor_subscription_id, renewal_close_date, days_before_end, partner_id from fct_renewals",
        )
    }
    assert rows["S6"] == (
        "renewed",
        "successor_started",
        dt.date(2024, 6, 1),
        D("10000"),
        "S6b",
        dt.date(2024, 3, 1),
        91,
        "P2",
    )
    # A3's new contract starts 62 days after the end, beyond the 30-day grace: churned, resolved on day 31
    assert rows["S3a"] == ("churned", "grace_period_passed", dt.date(2024, 3, 31), D("6000"), None, None, None, None)
    # cancelled mid-term: churned on the cancellation date, ARR of its last active day
    assert rows["S4"] == ("churned", "cancelled", dt.date(2024, 4, 10), D("6000"), None, None, None, "P1")
    assert rows["S1"][:2] == ("open", "not_ended")
    # S9b starts on S9a's last covered day (a one-day overlap): the renewal, resolved the day after
    # the end; S9b itself is not renewed by S9a (which started before it)
    assert rows["S9a"] == ("renewed", "successor_started", dt.date(2023, 10, 15), D("3000"), "S9b", None, None, None)
    assert rows["S9b"] == ("churned", "grace_period_passed", dt.date(2024, 2, 13), D("3000"), None, None, None, None)
    assert rows["S2"][3] == D("12000")  # EUR 10,000 at D's month (July) rate 1.20
    windows = dict(query(warehouse, "select subscription_id, renewal_window from fct_renewals"))
    assert windows["S6"] == "ended"
    assert windows["S1"] == "within_180_days"  # 2024-12-31 is 177 days after D
    assert windows["S3b"] == "later"


def test_quarterly_retention_by_hand(warehouse):
    """Q2 2024: cohort at 2024-03-31 in March rates (EUR 1.20, GBP 1.30).

    start: A1 13,500  A2 14,400  A4 6,000  A5 10,400  A6 10,000  A7 10,000  = 64,300 (A3 had none)
    end:   A1 16,200  A2 12,000  A4 0      A5 11,700  A6 12,000  A7 10,000  = 61,900
    expansion 2,700 + 1,300 + 2,000 = 6,000 (cross-sell 1,300 = A5's Analytics; upsell 4,700)
    contraction A2 2,400; churn A4 6,000; 64,300 + 6,000 - 2,400 - 6,000 = 61,900
    NRR 61,900 / 64,300; GRR (13,500 + 12,000 + 0 + 10,400 + 10,000 + 10,000) / 64,300 = 55,900 / 64,300
    renewals resolved in Q2: S4 churned (6,000), S6 renewed (10,000): 10,000 / 16,000
    """
    row = query(
        warehouse,
        "select accounts_start, accounts_churned, starting_arr_usd, expansion_arr_usd, upsell_arr_usd, "
        "cross_sell_arr_usd, contraction_arr_usd, churn_arr_usd, ending_arr_usd, nrr, grr, renewal_rate "
        "from rpt_retention where period_type = 'quarter' and period_start = '2024-04-01' and dimension = 'overall'",
    )
    assert row == [
        (
            6,
            1,
            D(64300),
            D(6000),
            D(4700),
            D(1300),
            D(2400),
            D(6000),
            D(61900),
            ratio(61900, 64300),
            ratio(55900, 64300),
            D("0.6250000000"),
        )
    ]
    assert ratio(61900, 64300) == D("0.9626749611")


def test_retention_dimensions_use_the_partner_at_period_start(warehouse):
    rows = query(
        warehouse,
        "select dimension, dimension_value, accounts_start, starting_arr_usd, ending_arr_usd, churn_arr_usd, "
        "renewals_resolved, renewal_rate, needs_enablement_review "
        "from rpt_retention where period_type = 'quarter' and period_start = '2024-04-01' "
        "and dimension in ('partner', 'attachment') order by 1, 2",
    )
    # A6 moved from P1 to P2 on 2024-05-15: it counts for P1, its partner on 2024-04-01, and so does its
    # renewal S6 (10,000, renewed, resolved 2024-06-01; fct_renewals names P2, the partner on its last
    # day): P1 resolved S4 (6,000, churned) and S6, 10,000 / 16,000 = the program's 0.625, so P1 is not
    # below it (decision 156); the direct account A7 is the attachment 'direct' row and has no partner
    # row (a partner id is any text, 'direct' included: tests/test_payouts.py)
    assert rows == [
        ("attachment", "direct", 1, D(10000), D(10000), D(0), 0, None, False),
        ("attachment", "partner_attached", 5, D(54300), D(51900), D(6000), 2, D("0.6250000000"), False),
        ("partner", "P1", 3, D(29500), D(28200), D(6000), 2, D("0.6250000000"), False),
        ("partner", "P2", 2, D(24800), D(23700), D(0), 0, None, False),
    ]


def test_multi_product_adoption_at_the_period_end_by_hand(warehouse):
    """Q2 2024 ends with June. The accounts with ARR > 0 in June, their product lines with ARR > 0
    then, and their partner of record on the quarter's first day, 2024-04-01 (decision 156):
      A1 Core (P1 Gold MSP, SMB, NA)          A2 Core (Security dropped Apr 1; P2, Mid-Market, EMEA)
      A3 Core (reactivated May 1; direct, SMB, NA)    A5 Core + Analytics (P2, Enterprise, EMEA;
      Premium Support at price 0 is no line)   A6 Core (P1 on Apr 1, P2 since May 15; Mid-Market, NA)
      A7 Core + Automation (direct, SMB, NA)   A4 churned in April, A8 and A9 have no ARR.
    Active 6, of them with ≥ 2 lines A5 and A7. A6 counts for P1 here, as in the cohort columns."""
    rows = query(
        warehouse,
        "select dimension, dimension_value, active_accounts_end, multi_product_accounts_end, "
        "multi_product_adoption_rate from rpt_retention "
        "where period_type = 'quarter' and period_start = '2024-04-01' order by 1, 2",
    )
    assert rows == [
        ("attachment", "direct", 2, 1, ratio(1, 2)),
        ("attachment", "partner_attached", 4, 1, ratio(1, 4)),
        ("overall", "all", 6, 2, ratio(2, 6)),
        ("partner", "P1", 2, 0, ratio(0, 2)),
        ("partner", "P2", 2, 1, ratio(1, 2)),
        ("partner_tier", "Gold", 2, 0, ratio(0, 2)),
        ("partner_tier", "Silver", 2, 1, ratio(1, 2)),
        ("partner_tier", "direct", 2, 1, ratio(1, 2)),
        ("partner_type", "MSP", 2, 0, ratio(0, 2)),
        ("partner_type", "Reseller", 2, 1, ratio(1, 2)),
        ("partner_type", "direct", 2, 1, ratio(1, 2)),
        ("region", "EMEA", 2, 1, ratio(1, 2)),
        ("region", "NA", 4, 1, ratio(1, 4)),
        ("segment", "Enterprise", 1, 1, ratio(1, 1)),
        ("segment", "Mid-Market", 2, 0, ratio(0, 2)),
        ("segment", "SMB", 3, 1, ratio(1, 3)),
    ]


def test_fx_moves_are_neither_expansion_nor_churn(warehouse):
    """March 2024 in February rates: A5's GBP revaluation (+400 in the bridge) is not expansion.

    start (Feb): A1 9,000  A2 14,400  A3 6,000  A4 6,000  A5 10,000  A6 10,000  A7 4,000 = 59,400
    end (Mar, Feb rates): A1 13,500  A2 14,400  A3 0  A4 6,000  A5 10,000  A6 10,000  A7 10,000 = 63,900
    """
    row = query(
        warehouse,
        "select starting_arr_usd, expansion_arr_usd, cross_sell_arr_usd, churn_arr_usd, ending_arr_usd "
        "from rpt_retention where period_type = 'month' and period_start = '2024-03-01' and dimension = 'overall'",
    )
    assert row == [(D(59400), D(10500), D(6000), D(6000), D(63900))]


def test_product_expansion_by_hand(warehouse):
    rows = query(
        warehouse,
        "select product_line, accounts_with_line_start, installed_base_arr_usd, expansion_arr_usd, "
        "upsell_arr_usd, cross_sell_arr_usd, contraction_and_churn_arr_usd, expansion_rate "
        "from rpt_product_expansion where period_type = 'quarter' and period_start = '2024-04-01' order by 1",
    )
    assert rows == [
        ("Analytics Add-On", 0, D(0), D(1300), D(0), D(1300), D(0), None),
        ("Automation Module", 1, D(6000), D(0), D(0), D(0), D(0), D("0E-10")),
        # Core: A1 13,500 A2 12,000 A4 6,000 A5 10,400 A6 10,000 A7 4,000; A1 +2,700, A6 +2,000; A4 -6,000
        ("Core Platform", 6, D(55900), D(4700), D(4700), D(0), D(6000), ratio(4700, 55900)),
        ("Security Module", 1, D(2400), D(0), D(0), D(0), D(2400), D("0E-10")),
    ]


def test_expansion_funnel_by_hand(warehouse):
    rows = {
        r[0]: r[1:]
        for r in query(
            warehouse,
            "select period_start, open_opportunities, open_pipeline_arr_usd, qualified_pipeline_arr_usd, "
            "target_expansion_arr_usd, coverage_ratio, won_opportunities, lost_opportunities, win_rate, won_arr_usd, "
            "avg_sales_cycle_days, partner_sourced_won_arr_usd, partner_influenced_won_arr_usd, "
            "validation_share, new_business_win_rate, accounts_first_expansion, avg_days_to_first_expansion "
            "from rpt_expansion_funnel where dimension = 'overall'",
        )
    }
    # Q1: O1 won (sourced, 4,500, 29 days, pilot on Feb 15 = validated); A1's first expansion 60 days
    # after its first subscription; New Business: O8 lost in Q1 (O7 won in Q4 2023)
    q1 = rows[dt.date(2024, 1, 1)]
    assert q1[5:] == (1, 0, D(1), D(4500), D("29.00"), D(4500), D(0), D(1), D(0), 1, D("60.00"))
    # Q2: O2 won (influenced, 1,000 GBP at April's 1.30 = 1,300, 21 days, no validation), O3 lost;
    # open at June 30: O4 (Proposal, 2,000) and O5 (Qualification, 500 EUR at D's 1.20 = 600);
    # target: P1 Gold 75,000 + P2 Silver 30,000; A5's first expansion 69 days after its start
    q2 = rows[dt.date(2024, 4, 1)]
    assert q2 == (
        2,
        D(2600),
        D(2000),
        D(105000),
        ratio(2000, 105000),
        1,
        1,
        D("0.5"),
        D(1300),
        D("21.00"),
        D(0),
        D(1300),
        D(0),
        None,
        1,
        D("69.00"),
    )
    # the quarter in progress is measured at D
    q3 = rows[dt.date(2024, 7, 1)]
    assert q3[:3] == (2, D(2600), D(2000))


def _dbt(settings, target_name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """dbt on this module's warehouse, in the environment of its refresh (its first: it loaded the seeds, so it
    rebuilt staging), whose parse state it starts from: the same values, nothing to parse again."""
    target = settings.warehouse_dir / target_name
    start_parse_state(get_dbt_project(), settings.warehouse_dir / "dbt_runs", target, print)
    with dbt_environment(WeekWindow(first=WEEK, last=WEEK), rebuild_staging=True):
        return subprocess.run(
            [DBT_EXECUTABLE, *args, "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target)],
            cwd=DBT_PROJECT_DIR,
            env={**os.environ, **settings.env()},
            capture_output=True,
            text=True,
            check=False,
        )


def test_the_bridge_check_names_each_account_month_that_does_not_tie_out(warehouse):
    """assert_arr_bridge_reconciles (a blocking check) on the working file's marts, edited by hand and put back:
    a movement a cent off fails its month; a month-end ARR off fails that month (as ending) and the next (as
    beginning); a churn moved out of its month fails the month it left (a beginning in a complete month, with
    no ending or movement) and the one it went to (a movement, though July is not complete). The beginnings of
    July, the month after the last complete one, are not checked by themselves."""
    settings = load_settings()
    edits = [
        (
            "update marts.fct_arr_movements set arr_change_usd = arr_change_usd + 0.01 "
            "where account_id = 'A1' and month_start = date '2024-03-01'",
            "update marts.fct_arr_movements set arr_change_usd = arr_change_usd - 0.01 "
            "where account_id = 'A1' and month_start = date '2024-03-01'",
        ),
        (
            "update marts.fct_arr_monthly set arr_usd = arr_usd + 5 "
            "where account_id = 'A7' and month_start = date '2024-04-01' and product_line = 'Core Platform'",
            "update marts.fct_arr_monthly set arr_usd = arr_usd - 5 "
            "where account_id = 'A7' and month_start = date '2024-04-01' and product_line = 'Core Platform'",
        ),
        (
            "update marts.fct_arr_movements set month_start = date '2024-07-01' "
            "where account_id = 'A4' and movement_type = 'churn'",
            "update marts.fct_arr_movements set month_start = date '2024-04-01' "
            "where account_id = 'A4' and movement_type = 'churn'",
        ),
    ]
    select = ["--select", "assert_arr_bridge_reconciles"]
    with connect(settings) as con:
        for edit, _ in edits:
            con.execute(edit)
    try:
        failed = _dbt(settings, "dbt_bridge_check", "test", *select, "--store-failures")
    finally:
        with connect(settings) as con:
            for _, undo in edits:
                con.execute(undo)
            rows = con.execute(
                "select account_id, month_start, beginning_arr_usd, ending_arr_usd, movements_usd "
                "from dbt_test__audit.assert_arr_bridge_reconciles order by 1, 2"
            ).fetchall()
    assert failed.returncode == 1 and "Got 5 results" in failed.stdout, failed.stdout[-3000:]
    assert [(a, m, D(b), D(e), D(c)) for a, m, b, e, c in rows] == [
        ("A1", dt.date(2024, 3, 1), D(9000), D(13500), D("4500.01")),
        ("A4", dt.date(2024, 4, 1), D(6000), D(0), D(0)),
        ("A4", dt.date(2024, 7, 1), D(0), D(0), D(-6000)),
        ("A7", dt.date(2024, 4, 1), D(10000), D(10005), D(0)),
        ("A7", dt.date(2024, 5, 1), D(10005), D(10000), D(0)),
    ]
    passed = _dbt(settings, "dbt_bridge_check", "test", *select)
    assert passed.returncode == 0 and "1 test in" in passed.stdout, passed.stdout[-3000:]


def test_dbt_unit_tests_pass(warehouse):
    """Every scoring band edge and rule has a dbt unit test; they run here (not in each refresh),
    on this module's warehouse, where the upstream relations they need exist. The week comes from the
    environment, as in a refresh, and the refresh's parse state is reused: dbt parses only what changed."""
    result = _dbt(load_settings(), "dbt_unit_tests", "test", "--select", "test_type:unit")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "Unable to do partial parsing" not in result.stdout, result.stdout[:2000]
    passed = re.search(r"PASS=(\d+)", result.stdout)
    assert passed and int(passed.group(1)) >= 19, result.stdout[-2000:]
