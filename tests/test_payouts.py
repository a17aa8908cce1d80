"""Partner incentive payouts (SPEC §8) on a hand-built dataset, amounts worked out by hand; the
ledger (close, correct a deal, adjustment once, re-run changes nothing); the finance files.

Plan (seed defaults): expansion rate = new-logo rate x 0.7 — Platinum 14%, Gold 10.5%, Silver 8.4%,
Registered 7%; influenced deals earn half; renewal bonus 2% when closed >= 90 days early;
spiffs 2,000 / 3,000; NRR bonus 3% of the year's expansion at NRR >= 110% on >= 100,000;
1,000 per account At Risk -> Healthy within a quarter; clawback within 180 days.
Refreshed week 2024-07-01 (D = 2024-07-07), history from 2024-04-01. EUR is 1.10 until April,
1.20 from 2024-05-01.

expansion   D1 A1 (P1 Gold, EUR) Upsell 10,000 EUR won 2024-05-10: 12,000 USD x 10.5% = 1,260.00 (May)
            D2 A2 (P2 Silver) Cross-sell 5,000 influenced, won 2024-05-20: 5,000 x 8.4% x 0.5 = 210.00 (May)
            D5 A13 (P4 Registered, named =HYPERLINK("x")) Upsell 1,000 won 2024-06-05: 70.00 (June)
renewal     R91 A3 (P1) closed 2024-07-01, 91 days before S3 ends 2024-09-30: 20,000 x 2% = 400.00 (July)
            R89 A4 (P1) closed 2024-06-03, 89 days before S4 ends 2024-08-31: no bonus
spiff       A5 (P2) adds its 2nd line on 2024-03-15: 2,000.00 (March); its 3rd on 2024-05-10: 3,000.00 (May);
            the cross-sells of A12 (October 2023) and A11 (February 2024) make their 2nd line: 2,000.00 each
NRR 2023    P1: A6 100,000 -> 110,000 = 110.00%, start 100,000: 3% x 10,000 = 300.00 (January 2024)
            P3: A7 100,000 -> 109,999 = 109.999%: none; P2: A8 50,000 -> 80,000 = 160% but start < 100,000: none
            partner "direct" (Silver; a partner id is any text): A21 100,000 -> 120,000 = 120%: 3% x 20,000 =
            600.00 (January 2024); the direct account A22 (no partner, 100,000 -> 150,000) is not in its cohort
health      A9 (P1) At Risk in the week of 2024-04-01, Healthy in the week of 2024-06-24: 1,000.00 (June)
            A10 (P1) At Risk in both, Healthy only from the week of 2024-07-01: none
clawback    D3 A11 (P1) Cross-sell 1,000 won 2024-02-10 (105.00, February); the line is dropped
            2024-05-01, so it is gone at the May month end, within 180 days: -105.00 (May)
            D4 A12 (P1) Cross-sell 2,000 won 2023-10-01 (210.00, October 2023); dropped 2024-05-01,
            more than 180 days later: no clawback
            D7 A14 (P1) Upsell of 20 seats, a USD deal of 2,200 on a EUR subscription (100 seats x 100 EUR),
            won 2024-01-08: 2,200 x 10.5% = 231.00 (January). The line at January's rate 1.10: 11,000
            before, 13,200 after; 110 seats from 2024-06-10 = 12,100 at the June month end: half the
            expansion lost, 231.00 x 1,100 / 2,200 = -115.50 (June; EUR at 1.20 since May is no gain);
            90 seats from 2024-07-04 = 9,900 on 2024-07-06, the window's last day (after the last month
            end inside it): the rest, -115.50 (July), once
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from decimal import Decimal

import pytest

from dagster_project.cli import main
from tests.helpers import isolated_env, query, refresh
from tests.landing import write_minimal_landing, write_table

FIRST = dt.date(2024, 4, 1)
WEEK = dt.date(2024, 7, 1)


def _usage(account: str, days: list[dt.date], mau: int, api: int) -> list[tuple]:
    return [(account, "PR-CORE", d.isoformat(), mau, mau, mau, api, 1.0, 1) for d in days]


def _weekdays(first: dt.date, last: dt.date) -> list[dt.date]:
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return [d for d in days if d.weekday() < 5]


def _healthy_inputs(account: str, weeks_from: dt.date) -> dict[str, list[tuple]]:
    """Usage, API, advanced features and executive activities that make the account Healthy in
    the 4 weeks from ``weeks_from``: utilization 90% (2), API 20 days (2), 2 advanced features (2),
    2 executive activities (2), support stable (1), 1 line (0), plan not yet due (1) = 10 points."""
    days = _weekdays(weeks_from, weeks_from + dt.timedelta(days=27))
    return {
        "usage_daily": _usage(account, days, 9, 50),
        "feature_usage_weekly": [
            (account, "F2", weeks_from.isoformat(), "3", "10"),
            (account, "F3", (weeks_from + dt.timedelta(days=7)).isoformat(), "3", "10"),
        ],
        "activities": [
            (
                f"X{account}1",
                account,
                "P1",
                f"C{account}",
                "executive_meeting",
                (weeks_from + dt.timedelta(days=1)).isoformat(),
            ),
            (f"X{account}2", account, "P1", f"C{account}", "qbr", (weeks_from + dt.timedelta(days=2)).isoformat()),
        ],
    }


def _build() -> dict[str, list]:
    a9 = _healthy_inputs("A9", dt.date(2024, 6, 3))
    a10 = _healthy_inputs("A10", dt.date(2024, 6, 10) + dt.timedelta(days=21))  # weeks of Jul 1 ..
    low_usage = _usage("A9", _weekdays(dt.date(2024, 4, 1), dt.date(2024, 4, 7)), 2, 0) + _usage(
        "A10", _weekdays(dt.date(2024, 4, 1), dt.date(2024, 6, 30)), 2, 0
    )
    return {
        "partners": [
            ("P1", "Northwind MSP", "MSP", "Gold", "NA", "2020-01-01"),
            ("P2", "Contoso Resell", "Reseller", "Silver", "EMEA", "2020-01-01"),
            ("P3", "Fabrikam GSI", "GSI", "Platinum", "NA", "2020-01-01"),
            ("P4", '=HYPERLINK("x")', "Marketplace", "Registered", "NA", "2020-01-01"),
        ],
        "accounts": [
            (f"A{i}", f"Account {i}", partner, "SMB", "Software", "NA", "US", "2020-01-01")
            for i, partner in [
                (1, "P1"),
                (2, "P2"),
                (3, "P1"),
                (4, "P1"),
                (5, "P2"),
                (6, "P1"),
                (7, "P3"),
                (8, "P2"),
                (9, "P1"),
                (10, "P1"),
                (11, "P1"),
                (12, "P1"),
                (13, "P4"),
                (14, "P1"),
            ]
        ],
        "contacts": [("CA9", "A9", "CEO", "true", "2020-01-01"), ("CA10", "A10", "CEO", "true", "2020-01-01")],
        "activities": a9["activities"] + a10["activities"],
        "products": [
            ("PR-CORE", "Core", "Core Platform", "1", "per_seat", "1000"),
            ("PR-SEC", "Security", "Security Module", "1", "per_seat", "100"),
            ("PR-ANA", "Analytics", "Analytics Add-On", "1", "per_seat", "100"),
        ],
        "features": [("F2", "PR-CORE", "Workflows", "advanced"), ("F3", "PR-CORE", "Scripting", "advanced")],
        "feature_usage_weekly": a9["feature_usage_weekly"] + a10["feature_usage_weekly"],
        "usage_daily": low_usage + a9["usage_daily"] + a10["usage_daily"],
        "subscriptions": [
            ("S1", "A1", "EUR", "2024-01-01", "2025-12-31", "true", "active", None, None),
            ("S2", "A2", "USD", "2024-01-01", "2025-12-31", "true", "active", None, None),
            ("S3", "A3", "USD", "2023-10-01", "2024-09-30", "true", "active", None, None),
            ("S4", "A4", "USD", "2023-09-01", "2024-08-31", "true", "active", None, None),
            ("S5", "A5", "USD", "2024-01-01", "2025-12-31", "true", "active", None, None),
            ("S6", "A6", "USD", "2022-01-01", "2025-12-31", "true", "active", None, None),
            ("S7", "A7", "USD", "2022-01-01", "2025-12-31", "true", "active", None, None),
            ("S8", "A8", "USD", "2022-01-01", "2025-12-31", "true", "active", None, None),
            ("S9", "A9", "USD", "2024-01-01", "2025-12-31", "true", "active", None, None),
            ("S10", "A10", "USD", "2024-01-01", "2025-12-31", "true", "active", None, None),
            ("S11", "A11", "USD", "2024-01-01", "2025-12-31", "true", "active", None, None),
            ("S12", "A12", "USD", "2023-06-01", "2025-12-31", "true", "active", None, None),
            ("S13", "A13", "USD", "2024-01-01", "2025-12-31", "true", "active", None, None),
            ("S14", "A14", "EUR", "2023-06-01", "2025-12-31", "true", "active", None, None),
        ],
        "subscription_items": [
            ("I1", "S1", "PR-CORE", "10", "1000", "0", "2024-01-01", None),
            ("I2", "S2", "PR-CORE", "10", "1000", "0", "2024-01-01", None),
            ("I3", "S3", "PR-CORE", "20", "1000", "0", "2023-10-01", None),
            ("I4", "S4", "PR-CORE", "20", "1000", "0", "2023-09-01", None),
            ("I5a", "S5", "PR-CORE", "10", "1000", "0", "2024-01-01", None),
            ("I5b", "S5", "PR-SEC", "10", "100", "0", "2024-03-15", None),
            ("I5c", "S5", "PR-ANA", "10", "100", "0", "2024-05-10", None),
            ("I6a", "S6", "PR-CORE", "100", "1000", "0", "2022-01-01", "2023-06-01"),
            ("I6b", "S6", "PR-CORE", "110", "1000", "0", "2023-06-01", None),
            ("I7a", "S7", "PR-CORE", "100", "1000", "0", "2022-01-01", "2023-07-01"),
            ("I7b", "S7", "PR-CORE", "109.999", "1000", "0", "2023-07-01", None),
            ("I8a", "S8", "PR-CORE", "50", "1000", "0", "2022-01-01", "2023-07-01"),
            ("I8b", "S8", "PR-CORE", "80", "1000", "0", "2023-07-01", None),
            ("I9", "S9", "PR-CORE", "10", "1000", "0", "2024-01-01", None),
            ("I10", "S10", "PR-CORE", "10", "1000", "0", "2024-01-01", None),
            ("I11a", "S11", "PR-CORE", "10", "1000", "0", "2024-01-01", None),
            ("I11b", "S11", "PR-ANA", "10", "100", "0", "2024-02-15", "2024-05-01"),
            ("I12a", "S12", "PR-CORE", "10", "1000", "0", "2023-06-01", None),
            ("I12b", "S12", "PR-ANA", "20", "100", "0", "2023-10-05", "2024-05-01"),
            ("I13", "S13", "PR-CORE", "10", "1000", "0", "2024-01-01", None),
            ("I14a", "S14", "PR-CORE", "100", "100", "0", "2023-06-01", "2024-01-08"),
            ("I14b", "S14", "PR-CORE", "120", "100", "0", "2024-01-08", "2024-06-10"),
            ("I14c", "S14", "PR-CORE", "110", "100", "0", "2024-06-10", "2024-07-04"),
            ("I14d", "S14", "PR-CORE", "90", "100", "0", "2024-07-04", None),
        ],
        "opportunities": [
            (
                "D1",
                "A1",
                "P1",
                "sourced",
                "Upsell",
                "PR-CORE",
                "Closed Won",
                "10000",
                "EUR",
                None,
                "2024-04-01",
                "2024-05-10",
                None,
            ),
            (
                "D2",
                "A2",
                "P2",
                "influenced",
                "Cross-sell",
                "PR-SEC",
                "Closed Won",
                "5000",
                "USD",
                None,
                "2024-04-01",
                "2024-05-20",
                None,
            ),
            (
                "D3",
                "A11",
                "P1",
                "sourced",
                "Cross-sell",
                "PR-ANA",
                "Closed Won",
                "1000",
                "USD",
                None,
                "2024-01-15",
                "2024-02-10",
                None,
            ),
            (
                "D4",
                "A12",
                "P1",
                "sourced",
                "Cross-sell",
                "PR-ANA",
                "Closed Won",
                "2000",
                "USD",
                None,
                "2023-09-01",
                "2023-10-01",
                None,
            ),
            (
                "D5",
                "A13",
                "P4",
                "sourced",
                "Upsell",
                "PR-CORE",
                "Closed Won",
                "1000",
                "USD",
                None,
                "2024-05-01",
                "2024-06-05",
                None,
            ),
            (
                "D7",
                "A14",
                "P1",
                "sourced",
                "Upsell",
                "PR-CORE",
                "Closed Won",
                "2200",
                "USD",
                None,
                "2023-12-01",
                "2024-01-08",
                None,
            ),
            (
                "R91",
                "A3",
                "P1",
                "sourced",
                "Renewal",
                None,
                "Closed Won",
                "20000",
                "USD",
                "renewal",
                "2024-05-01",
                "2024-07-01",
                "S3",
            ),
            (
                "R89",
                "A4",
                "P1",
                "sourced",
                "Renewal",
                None,
                "Closed Won",
                "20000",
                "USD",
                "renewal",
                "2024-05-01",
                "2024-06-03",
                "S4",
            ),
        ],
        "fx_rates": [("EUR", "2023-01-01", "1.10"), ("EUR", "2024-05-01", "1.20")],
    }


def _with_a_partner_named_direct(data: dict[str, list]) -> dict[str, list]:
    """Partner ids are opaque text (SPEC §2): partner "direct" with account A21, next to the direct
    account A22 (no partner); both grow in July 2023 and end 2024-12-31 (177 days after D)."""
    extra = {
        "partners": [("direct", "Direct Line Partners", "Reseller", "Silver", "NA", "2020-01-01")],
        "accounts": [
            ("A21", "Account 21", "direct", "SMB", "Software", "NA", "US", "2020-01-01"),
            ("A22", "Account 22", None, "SMB", "Software", "NA", "US", "2020-01-01"),
        ],
        "subscriptions": [
            ("S21", "A21", "USD", "2022-01-01", "2024-12-31", "true", "active", None, None),
            ("S22", "A22", "USD", "2022-01-01", "2024-12-31", "true", "active", None, None),
        ],
        "subscription_items": [
            ("I21a", "S21", "PR-CORE", "100", "1000", "0", "2022-01-01", "2023-07-01"),
            ("I21b", "S21", "PR-CORE", "120", "1000", "0", "2023-07-01", None),
            ("I22a", "S22", "PR-CORE", "100", "1000", "0", "2022-01-01", "2023-07-01"),
            ("I22b", "S22", "PR-CORE", "150", "1000", "0", "2023-07-01", None),
        ],
    }
    return {table: data.get(table, []) + extra.get(table, []) for table in data.keys() | extra.keys()}


EMPTY = [
    "partner_assignments",
    "milestones",
    "renewal_plans",
    "business_events",
    "firmographics",
    "support_tickets",
    "nps_responses",
    "training_enrollments",
    "invoices",
]


@pytest.fixture(scope="module")
def ledger_env(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("payouts")
    with isolated_env(root, FIRST) as settings:
        write_minimal_landing(
            root / "landing", overrides={**_with_a_partner_named_direct(_build()), **{t: [] for t in EMPTY}}
        )
        assert refresh(WEEK)[0] == 0
        yield settings


def upsell_row(deal: str, account: str, partner: str, amount_usd: str, created: str, won: str) -> list[str]:
    """An opportunities.csv row: a USD Upsell of PR-CORE the partner sourced, Closed Won on ``won``."""
    return [
        deal,
        account,
        partner,
        "sourced",
        "Upsell",
        "PR-CORE",
        "Closed Won",
        amount_usd,
        "USD",
        "",
        created,
        won,
        "",
    ]


def _lines(settings, where: str = "true") -> list[tuple]:
    return query(
        settings.published_duckdb,
        "select incentive_type, source_id, partner_id, partner_tier, payout_period, basis_usd, rate, amount_usd "
        f"from fct_incentive_payouts where {where} order by payout_period, incentive_type, source_id",
    )


def test_every_incentive_type_by_hand(ledger_env):
    d = Decimal
    got = _lines(ledger_env)
    expected = [
        ("expansion_commission", "D4", "P1", "Gold", "2023-10-01", "2000", "0.105", "210"),
        ("multi_product_spiff", "A12:2_lines", "P1", "Gold", "2023-10-01", "2000", "1", "2000"),
        ("expansion_commission", "D7", "P1", "Gold", "2024-01-01", "2200", "0.105", "231"),
        ("nrr_performance_bonus", "P1:2023-01-01", "P1", "Gold", "2024-01-01", "10000", "0.03", "300"),
        ("nrr_performance_bonus", "direct:2023-01-01", "direct", "Silver", "2024-01-01", "20000", "0.03", "600"),
        ("expansion_commission", "D3", "P1", "Gold", "2024-02-01", "1000", "0.105", "105"),
        ("multi_product_spiff", "A11:2_lines", "P1", "Gold", "2024-02-01", "2000", "1", "2000"),
        ("multi_product_spiff", "A5:2_lines", "P2", "Silver", "2024-03-01", "2000", "1", "2000"),
        ("clawback", "D3", "P1", "Gold", "2024-05-01", "-1000", "0.105", "-105"),
        ("expansion_commission", "D1", "P1", "Gold", "2024-05-01", "12000", "0.105", "1260"),
        ("expansion_commission", "D2", "P2", "Silver", "2024-05-01", "5000", "0.042", "210"),
        ("multi_product_spiff", "A5:3_lines", "P2", "Silver", "2024-05-01", "3000", "1", "3000"),
        ("clawback", "D7", "P1", "Gold", "2024-06-01", "-1100", "0.105", "-115.5"),
        ("expansion_commission", "D5", "P4", "Registered", "2024-06-01", "1000", "0.07", "70"),
        ("health_improvement_reward", "A9:2024-04-01", "P1", "Gold", "2024-06-01", "1000", "1", "1000"),
        ("clawback", "D7", "P1", "Gold", "2024-07-01", "-1100", "0.105", "-115.5"),
        ("renewal_bonus", "R91", "P1", "Gold", "2024-07-01", "20000", "0.02", "400"),
    ]
    assert got == [
        (t, s, p, tier, dt.date.fromisoformat(period), d(basis), d(rate), d(amount))
        for t, s, p, tier, period, basis, rate, amount in expected
    ]
    # the 89-day renewal, P3's 109.999% and P2's small base earn nothing; A10 improved after the quarter
    assert not [row for row in got if row[1] in ("R89", "P3:2023-01-01", "P2:2023-01-01") or "A10" in row[1]]


def test_a_partner_whose_id_is_direct_stays_apart_from_direct_accounts(ledger_env):
    """Partner "direct" (A21) earns its NRR bonus (above) and never shares a row with the direct account A22."""
    retention = query(
        ledger_env.published_duckdb,
        "select dimension, dimension_value, accounts_start, starting_arr_usd, ending_arr_usd, nrr "
        "from rpt_retention where period_type = 'year' and period_start = '2023-01-01' "
        "and dimension in ('partner', 'attachment') and dimension_value = 'direct' order by 1",
    )
    assert retention == [
        ("attachment", "direct", 1, Decimal(100000), Decimal(150000), Decimal("1.5")),  # A22
        ("partner", "direct", 1, Decimal(100000), Decimal(120000), Decimal("1.2")),  # A21
    ]
    assert query(
        ledger_env.published_duckdb,
        "select count(*) from rpt_retention where dimension = 'partner' and dimension_value is null",
    ) == [(0,)]
    renewals = query(
        ledger_env.published_duckdb,
        "select channel, partner_id, renewal_window, renewal_plan_status, renewals, arr_up_for_renewal_usd "
        "from rpt_exec_renewals where channel = 'direct' or partner_id = 'direct' order by channel",
    )
    assert renewals == [
        ("direct", None, "within_180_days", "missing", 1, Decimal(150000)),  # S22
        ("partner_attached", "direct", "within_180_days", "missing", 1, Decimal(120000)),  # S21
    ]


def test_lines_trace_to_their_source_and_plan(ledger_env):
    rows = query(
        ledger_env.published_duckdb,
        "select payout_line_id, plan_version, source_type, account_id, earned_on, description, period_status "
        "from fct_incentive_payouts where source_id = 'D1' and incentive_type = 'expansion_commission'",
    )
    line_id, plan_version, source_type, account_id, earned_on, description, status = rows[0]
    assert len(line_id) == 32 and plan_version == "2024.1" and source_type == "opportunity"
    assert (account_id, earned_on, status) == ("A1", dt.date(2024, 5, 10), "open")
    assert description == "Upsell D1 won 2024-05-10"


def test_finance_files_reconcile_and_neutralize_formulas(ledger_env):
    june = ledger_env.exports_dir / "payouts" / "2024-06"
    with (june / "partner_statements.csv").open(encoding="utf-8", newline="") as handle:
        statements = list(csv.DictReader(handle))
    with (june / "payout_lines.csv").open(encoding="utf-8", newline="") as handle:
        lines = list(csv.DictReader(handle))
    names = {row["partner_id"]: row["partner_name"] for row in statements}
    assert names["P4"] == '\'=HYPERLINK("x")'
    assert {row["partner_name"] for row in lines if row["partner_id"] == "P4"} == {'\'=HYPERLINK("x")'}
    for row in statements:
        parts = sum(
            Decimal(row[f"{t}_usd"])
            for t in (
                "expansion_commission",
                "renewal_bonus",
                "multi_product_spiff",
                "nrr_performance_bonus",
                "health_improvement_reward",
                "clawback",
                "adjustment",
            )
        )
        assert parts == Decimal(row["total_usd"])
        assert Decimal(row["total_usd"]) == sum(
            Decimal(line["amount_usd"]) for line in lines if line["partner_id"] == row["partner_id"]
        )
    assert all(len(line["amount_usd"].split(".")[1]) == 2 for line in lines)
    manifest = json.loads((june / "manifest.json").read_text())
    # 70.00 + 1,000.00 - 115.50
    assert manifest["status"] == "open" and manifest["lines"] == 3 and manifest["total_usd"] == "954.50"


def test_close_period_rules(ledger_env, capsys):
    import os
    import pty
    import subprocess
    import sys

    from dagster_project.defs.operations.instance import get_instance

    payouts = ledger_env.exports_dir / "payouts"

    def ledger_rows() -> list[tuple]:
        return query(ledger_env.duckdb_path, "select count(*) from ledger.payout_periods")

    def exports() -> dict[str, bytes]:
        return {str(p.relative_to(payouts)): p.read_bytes() for p in payouts.rglob("*") if p.is_file()}

    # YYYY-MM exactly: a close is irreversible, so nothing is guessed (2024-5 used to close May)
    for period in ("2024-5", " 2024-05", "2024-05\n", "24-05", "2024-13", "2024/05", "２０２４-05"):
        assert main(["close-period", period]) == 1
        err = capsys.readouterr().err
        assert f"'{period}' is not a payout period: use YYYY-MM, a four-digit year and a two-digit month" in err
        assert ("(did you mean 2024-05?)" in err) == (period in ("2024-5", " 2024-05", "2024-05\n"))
    assert main(["close-period", "2099-01"]) == 1
    assert "2099-01 has not ended yet (it ends on 2099-01-31)" in capsys.readouterr().err
    assert main(["close-period", "2024-07"]) == 1  # published as of 2024-07-07
    assert "the published refresh is as of 2024-07-07, before the end of 2024-07" in capsys.readouterr().err

    # before the data: the weekly history starts 2024-04-01, the earliest payout line is D4's (October 2023)
    rows_before, files_before = ledger_rows(), exports()
    for period in ("2019-05", "2023-09"):
        assert main(["close-period", period]) == 1
        assert (
            f"{period} is before the data: the weekly history starts with the week of 2024-04-01 "
            "(PARTNERPULSE_FIRST_WEEK) and the earliest payout period in the published ledger is 2023-10; "
            "the earliest month that can be closed is 2023-10"
        ) in capsys.readouterr().err
        assert not (payouts / period).exists()
    assert ledger_rows() == rows_before and exports() == files_before

    # --dry-run: what would be frozen, by value (docstring: May), and nothing changes, no Dagster run
    runs_before = get_instance(ledger_env).get_runs_count()
    assert main(["close-period", "2024-05", "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "2024-05: 4 payout line(s) from the published refresh as of 2024-07-07:",
        "  partner  incentive type              lines      total USD",
        "  P1       clawback                        1        -105.00",
        "  P1       expansion_commission            1        1260.00",
        "  P2       expansion_commission            1         210.00",
        "  P2       multi_product_spiff             1        3000.00",
        "  total 4365.00 USD as paid (the sum of the lines rounded to cents); exact sum 4365.000000 USD",
        "Dry run: nothing was closed or written.",
    ]
    assert main(["close-period", "2023-10", "--dry-run"]) == 0  # before the weekly history, but it has lines
    out = capsys.readouterr().out
    assert "2023-10: 2 payout line(s)" in out and "  total 2210.00 USD as paid" in out
    assert ledger_rows() == rows_before and exports() == files_before
    assert get_instance(ledger_env).get_runs_count() == runs_before

    # at a terminal the close asks first; "no" changes nothing
    controller, terminal = pty.openpty()
    try:
        os.write(controller, b"n\n")  # typed ahead; read at the prompt
        asked = subprocess.run(
            [sys.executable, "-m", "dagster_project.cli", "close-period", "2024-05"],
            stdin=terminal,
            capture_output=True,
            text=True,
            env=os.environ.copy(),
            timeout=120,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert asked.returncode == 1
    assert "4 payout line(s)" in asked.stdout and "Close 2024-05 for good? [y/N]" in asked.stdout
    assert "2024-05 was not closed (not confirmed); nothing changed." in asked.stderr
    assert ledger_rows() == rows_before and exports() == files_before

    # not a terminal (a script): it closes; the message is printed once
    assert main(["close-period", "2024-05"]) == 0
    console = capsys.readouterr()
    assert "Closed 2024-05: 4 lines, total 4365.00 USD frozen" in console.out
    assert (console.out + console.err).count("Closed 2024-05:") == 1
    assert main(["close-period", "2024-05"]) == 0  # idempotent
    assert "2024-05 was already closed on" in capsys.readouterr().out
    may = payouts / "2024-05"
    manifest = json.loads((may / "manifest.json").read_text())
    assert manifest["status"] == "final" and manifest["total_usd"] == "4365.00"
    assert main(["close-period", "2024-05", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "2024-05 is already closed (on " in out
    assert "4 frozen line(s), total 4365.00 USD as paid (exact sum 4365.000000 USD); its final files are intact" in out
    final_files = {p.name: p.read_bytes() for p in may.iterdir()}
    shutil.rmtree(may)  # the close froze the ledger, but its files are gone (a failed write, a removal)
    assert main(["close-period", "2024-05"]) == 0
    out = capsys.readouterr().out
    assert "its final files were missing or altered and were written again from the 4 frozen lines" in out
    assert "(total 4365.00 USD)" in out
    assert {p.name: p.read_bytes() for p in may.iterdir()} == final_files  # nothing refreshed in between
    (may / "payout_lines.csv").write_text("edited by hand\n")  # the manifest still says final
    assert main(["close-period", "2024-05"]) == 0
    assert "were written again" in capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in may.iterdir()} == final_files
    # a month of the weekly history without a single line closes too, with none
    assert main(["close-period", "2024-04"]) == 0
    assert "Closed 2024-04: 0 lines, total 0.00 USD frozen" in capsys.readouterr().out
    assert query(
        ledger_env.duckdb_path,
        "select payout_period, payout_lines, total_usd from ledger.payout_periods order by payout_period",
    ) == [(dt.date(2024, 4, 1), 0, Decimal(0)), (dt.date(2024, 5, 1), 4, Decimal(4365))]


def test_clawbacks_book_the_lost_part_where_it_is_measured(ledger_env):
    rows = query(
        ledger_env.published_duckdb,
        "select earned_on, amount_usd, description from fct_incentive_payouts "
        "where incentive_type = 'clawback' and source_id = 'D7' order by earned_on",
    )
    assert rows == [
        (
            dt.date(2024, 6, 30),
            Decimal("-115.5"),
            "Expansion of D7 (won 2024-01-08) lost by 2024-06-30: 50.00% of its commission clawed back in all",
        ),
        (
            dt.date(2024, 7, 6),
            Decimal("-115.5"),
            "Expansion of D7 (won 2024-01-08) lost by 2024-07-06: 100.00% of its commission clawed back in all",
        ),
    ]


def test_refreshing_a_week_of_a_closed_period_changes_nothing_that_was_paid(ledger_env):
    """May 2024 is closed (test_close_period_rules). A refresh of its week 2024-05-06 (D = May 12) sees
    only part of May: D2 (May 20), A5's spiff and D3's clawback (May 31) are earned after D. So May is not
    compared at all (decision 148: only closed periods that ended on or before D are), and nothing is
    adjusted."""
    may = ledger_env.exports_dir / "payouts" / "2024-05"
    final_files = {p.name: p.read_bytes() for p in may.iterdir()}
    assert refresh(dt.date(2024, 5, 6))[0] == 0
    assert query(
        ledger_env.published_duckdb, "select count(*) from fct_incentive_payouts where incentive_type = 'adjustment'"
    ) == [(0,)]
    frozen = _lines(ledger_env, "payout_period = '2024-05-01'")
    assert [(row[0], row[1], row[7]) for row in frozen] == [
        ("clawback", "D3", Decimal("-105")),
        ("expansion_commission", "D1", Decimal("1260")),
        ("expansion_commission", "D2", Decimal("210")),
        ("multi_product_spiff", "A5:3_lines", Decimal("3000")),
    ]
    assert {p.name: p.read_bytes() for p in may.iterdir()} == final_files
    for folder in (ledger_env.exports_dir / "payouts").iterdir():
        with (folder / "payout_lines.csv").open(encoding="utf-8", newline="") as handle:
            assert not [line for line in csv.DictReader(handle) if line["incentive_type"] == "adjustment"], folder


def test_a_corrected_deal_in_a_closed_period_becomes_one_adjustment(ledger_env):
    final_files = {p.name: p.read_bytes() for p in (ledger_env.exports_dir / "payouts" / "2024-05").iterdir()}
    opportunities = ledger_env.landing_dir / "opportunities.csv"
    opportunities.write_text(
        opportunities.read_text().replace(
            "D1,A1,P1,sourced,Upsell,PR-CORE,Closed Won,10000", "D1,A1,P1,sourced,Upsell,PR-CORE,Closed Won,11000"
        )
    )
    for attempt in range(2):  # the second refresh (forced: nothing changed) must change nothing
        assert refresh(WEEK, force=attempt == 1)[0] == 0
        may = _lines(ledger_env, "payout_period = '2024-05-01'")
        assert [row[1] for row in may] == ["D3", "D1", "D2", "A5:3_lines"]  # frozen as closed
        assert may[1][7] == Decimal("1260")
        adjustments = query(
            ledger_env.published_duckdb,
            "select payout_period, partner_id, amount_usd, adjusts_period, period_status, "
            "adjusts_payout_line_id = (select payout_line_id from fct_incentive_payouts where source_id = 'D1' "
            "and incentive_type = 'expansion_commission') "
            "from fct_incentive_payouts where incentive_type = 'adjustment'",
        )
        # 11,000 EUR x 1.20 x 10.5% = 1,386.00; 1,386.00 - 1,260.00 = 126.00, in June: the first open period
        # after May (April and May are closed), which finance closes and pays next (decision 148)
        assert adjustments == [(dt.date(2024, 6, 1), "P1", Decimal("126"), dt.date(2024, 5, 1), "open", True)], attempt
        statuses = dict(
            query(
                ledger_env.published_duckdb,
                "select payout_period, max(period_status) from fct_incentive_payouts group by 1",
            )
        )
        assert statuses[dt.date(2024, 5, 1)] == "closed" and statuses[dt.date(2024, 6, 1)] == "open"
    assert {p.name: p.read_bytes() for p in (ledger_env.exports_dir / "payouts" / "2024-05").iterdir()} == final_files


def test_tier_changes_apply_from_the_week_they_happened(ledger_env):
    partners = ledger_env.landing_dir / "partners.csv"
    partners.write_text(
        partners.read_text().replace("P2,Contoso Resell,Reseller,Silver", "P2,Contoso Resell,Reseller,Gold")
    )
    with (ledger_env.landing_dir / "opportunities.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows.append(upsell_row("D6", "A2", "P2", "1000", created="2024-07-01", won="2024-07-10"))
    write_table(ledger_env.landing_dir, "opportunities", rows[1:], columns=rows[0])
    assert refresh(WEEK + dt.timedelta(weeks=1))[0] == 0
    lines = {row[1]: row for row in _lines(ledger_env, "incentive_type = 'expansion_commission'")}
    assert lines["D6"][3:] == ("Gold", dt.date(2024, 7, 1), Decimal(1000), Decimal("0.105"), Decimal("105"))
    assert lines["D2"][3] == "Silver"  # earned before the change: keeps the Silver rate
