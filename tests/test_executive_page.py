"""The executive page tells the truth at a glance (SPEC §7.4, issue 16): round axis ticks that
include 0 and reach past the data, headline cards that name their period and compare like with
like, renewal bands whose tooltips are the mart's values, and action tables with names and money.

The page is rendered from a hand-built published file: small DuckDB tables with exactly the
columns the page reads, and values chosen so every figure below is computed by hand.

Trailing-twelve-month retention to 2026-10 (cohort = ARR > 0 at 2025-10-31, constant currency at
2025-10 rates):
  A1  USD  100,000 -> 120,000
  A2  EUR   50,000 at 1.10 = 55,000 -> 50,000 at the start rate 1.10 = 55,000 (at 2026-10's 1.20 it
            would be 60,000: an exchange-rate move is neither expansion nor churn)
  A3  USD   40,000 -> churned (no row)
  A5  USD   80,000 -> 60,000
  A4  USD   new in 2026 (30,000): not in the cohort
  start 275,000; end 235,000 -> NRR 85.5%; retained 100,000 + 55,000 + 0 + 60,000 = 215,000 -> GRR 78.2%
  ARR at 2026-10-31 = 120,000 + 60,000 + 30,000 + 60,000 = 270,000 -> "$270.0k"
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.defs.reports.executive import renewal_bands, trailing_retention, write_executive_page
from dagster_project.defs.reports.svg import nice_ticks, tick_labels, value_label

WEEK = dt.date(2026, 11, 23)
AS_OF = dt.date(2026, 11, 29)
LEADER_WINDOW = ("2025-11-01", "2026-10-01")

TABLES: dict[str, tuple[str, list[tuple]]] = {
    "publish_info": (
        "week_start date, as_of_date date, published_at timestamp",
        [(WEEK, AS_OF, dt.datetime(2026, 11, 30, 6, 0))],
    ),
    "fct_arr_monthly": (
        "month_start date, month_end date, account_id varchar, currency varchar, arr_local decimal(38,6), "
        "usd_per_unit decimal(18,8), arr_usd decimal(38,6)",
        [
            ("2025-10-01", "2025-10-31", "A1", "USD", 60_000, 1, 60_000),  # two lines of one account
            ("2025-10-01", "2025-10-31", "A1", "USD", 40_000, 1, 40_000),
            ("2025-10-01", "2025-10-31", "A2", "EUR", 50_000, 1.10, 55_000),
            ("2025-10-01", "2025-10-31", "A3", "USD", 40_000, 1, 40_000),
            ("2025-10-01", "2025-10-31", "A5", "USD", 80_000, 1, 80_000),
            ("2026-10-01", "2026-10-31", "A1", "USD", 120_000, 1, 120_000),
            ("2026-10-01", "2026-10-31", "A2", "EUR", 50_000, 1.20, 60_000),
            ("2026-10-01", "2026-10-31", "A4", "USD", 30_000, 1, 30_000),
            ("2026-10-01", "2026-10-31", "A5", "USD", 60_000, 1, 60_000),
        ],
    ),
    "fct_arr_movements": (
        "month_start date, movement_type varchar, arr_change_usd decimal(38,6)",
        [
            ("2026-09-01", "new_logo", 2_000_000),
            ("2026-09-01", "upsell", 1_800_000),
            ("2026-09-01", "churn", -2_000_000),
            ("2026-09-01", "contraction", -800_000),
            ("2026-10-01", "new_logo", 500_000),
            ("2026-10-01", "churn", -100_000),
        ],
    ),
    "rpt_exec_partner_arr_summary": (
        "quarter_start date, channel varchar, is_complete boolean, nrr decimal(38,10), grr decimal(38,10), "
        "nrr_target decimal(9,4), grr_target decimal(9,4)",
        [
            ("2026-07-01", "all", True, 0.997, 0.95, 1.10, 0.90),
            ("2026-07-01", "direct", True, 0.9, 0.8, 1.10, 0.90),
            ("2026-10-01", "all", False, None, None, 1.10, 0.90),
        ],
    ),
    "rpt_exec_account_health": (
        "week_start date, health_category varchar, accounts bigint, moved_in bigint",
        [
            ("2026-11-16", "At Risk", 200, 5),
            ("2026-11-16", "Healthy / Maintain", 810, 4),
            ("2026-11-16", "Expansion Ready", 240, 3),
            ("2026-11-23", "At Risk", 212, 20),
            ("2026-11-23", "Healthy / Maintain", 800, 10),
            ("2026-11-23", "Expansion Ready", 247, 7),
        ],
    ),
    "rpt_exec_renewals": (
        "renewal_window varchar, renewals bigint, arr_up_for_renewal_usd decimal(38,6), "
        "at_risk_without_partner_activity_arr_usd decimal(38,6)",
        [
            ("within_30_days", 7, 4_000_000, 520_000),
            ("within_30_days", 2, 2_020_112.40, 0),  # the band is the sum of its rows: 6,020,112.40
            ("within_60_days", 5, 3_000_000, 0),
            ("within_90_days", 8, 5_500_000, 250_000),
            ("within_180_days", 12, 9_000_000, 1_000_000),
        ],
    ),
    "rpt_exec_partner_leaderboard": (
        "expansion_rank bigint, partner_id varchar, partner_name varchar, partner_tier varchar, "
        "expansion_arr_usd decimal(38,6), expansion_rate decimal(38,10), tier_expansion_rate decimal(38,10), "
        "new_logo_rank bigint, multi_product_adoption_rate decimal(38,10), window_start date, "
        "window_last_month date, is_top_expansion_partner boolean",
        [
            (1, "P-000001", "Northwind Partners", "Gold", 945_667.84, 0.25, 0.2, 3, 0.4, *LEADER_WINDOW, True),
            (2, "P-000002", "Contoso Channel", "Silver", 1_000, 0.01, 0.02, 1, 0.1, *LEADER_WINDOW, False),
        ],
    ),
    "rpt_exec_at_risk_actions": (
        "item_type varchar, account_id varchar, partner_id varchar, health_category varchar, "
        "value decimal(38,6), detail varchar",
        [
            ("declining_account", "A-000001", "P-000001", "At Risk", -3, "health points 12 -> 9 in 4 weeks (At Risk)"),
            (
                "enablement_review",
                None,
                "P-000002",
                None,
                0.625,
                "renewal rate 62.5% vs program 80.1% in the quarter of 2026-07-01",
            ),
            (
                "churned_arr",
                "A-000003",
                None,
                "At Risk",
                945_667.84,
                "churned 945667.84 USD ARR in 2026-10-01; last category At Risk; signals: none",
            ),
        ],
    ),
    "dim_accounts": (
        "account_id varchar, account_name varchar",
        [("A-000001", "Acme Manufacturing"), ("A-000003", "Globex Retail")],
    ),
    "dim_partners": (
        "partner_id varchar, partner_name varchar, partner_tier varchar",
        [("P-000001", "Northwind Partners", "Gold"), ("P-000002", "Contoso Channel", "Silver")],
    ),
}


def write_published(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        for name, (columns, rows) in TABLES.items():
            con.execute(f"create table {name} ({columns})")
            placeholders = ", ".join("?" * len(rows[0]))
            con.executemany(f"insert into {name} values ({placeholders})", rows)
    return path


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("executive")
    written = write_executive_page(write_published(root / "marts.duckdb"), root / "reports")
    assert written.path == root / "reports" / f"executive-{WEEK}.html"
    return written.path.read_text(encoding="utf-8")


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip())


def chart(page: str, name: str) -> str:
    match = re.search(rf'<svg class="chart" data-chart="{name}".*?</svg>', page, re.S)
    assert match, name
    return match.group(0)


def y_ticks(page: str, name: str) -> list[str]:
    return re.findall(r'class="tick y"[^>]*>([^<]*)</text>', chart(page, name))


def kpis(page: str) -> dict[str, tuple[str, str]]:
    """Card label -> (value, note)."""
    cards = re.findall(
        r'<div class="kpi"><div class="label">(.*?)</div><div class="value"[^>]*>(.*?)</div>'
        r'<div class="note">(.*?)</div></div>',
        page,
    )
    return {_text(label): (value, _text(note)) for label, value, note in cards}


def table(page: str, name: str) -> tuple[list[str], list[list[str]]]:
    match = re.search(rf'<table data-table="{name}">(.*?)</table>', page, re.S)
    assert match, name
    head = [_text(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", match.group(1))]
    rows = [
        [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", match.group(1).split("</thead>")[1])
    ]
    return head, rows


# ------------------------------------------------------------------------------------------- ticks


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 1259, ["0", "500", "1,000", "1,500"]),
        (0, 1000, ["0", "200", "400", "600", "800", "1,000"]),
        (0, 23_500_000, ["0", "5M", "10M", "15M", "20M", "25M"]),
        (-2_800_000, 3_800_000, ["−4M", "−2M", "0", "2M", "4M"]),
        (0, 37, ["0", "10", "20", "30", "40"]),
        (120, 180, ["0", "50", "100", "150", "200"]),  # 0 is always on the axis
        (0, 45_000, ["0", "10k", "20k", "30k", "40k", "50k"]),
        (0, 3_400_000, ["0", "1M", "2M", "3M", "4M"]),
        (0, 1_400_000, ["0", "0.5M", "1.0M", "1.5M"]),
    ],
)
def test_ticks_are_round_include_zero_and_reach_past_the_data(low: float, high: float, expected: list[str]):
    ticks = nice_ticks(low, high)
    assert tick_labels(ticks, "count") == expected
    assert ticks[0] <= min(low, 0) and ticks[-1] >= max(high, 0) and Decimal(0) in ticks
    steps = {b - a for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1 and steps.pop().normalize().as_tuple().digits[0] in (1, 2, 5)


def test_tick_labels_use_one_unit_per_axis():
    assert tick_labels(nice_ticks(-2.8e6, 3.8e6), "money") == ["−$4M", "−$2M", "$0", "$2M", "$4M"]
    assert tick_labels(nice_ticks(0.9, 1.12), "ratio") == ["0%", "50%", "100%", "150%"]
    assert tick_labels(nice_ticks(0, 0.004), "ratio") == ["0%", "0.1%", "0.2%", "0.3%", "0.4%", "0.5%"]
    assert tick_labels(nice_ticks(0, 0, min_step=Decimal(1)), "count") == ["0", "1"]  # an empty chart
    top = nice_ticks(0, 1000.0000000001)[-1]
    assert top >= 1000.0000000001  # exact decimals: never a top tick just below the maximum
    assert value_label(Decimal("6020112.40"), "money") == "$6,020,112"
    assert value_label(-2.5, "count") == "−3" and value_label(Decimal("0.99712"), "ratio") == "99.7%"


def test_renewal_windows_are_bands_of_days():
    rows = [
        ("within_180_days", 1, Decimal(9), Decimal(0)),
        ("within_30_days", 2, Decimal(6), Decimal(1)),
        ("within_90_days", 3, Decimal(5), None),
        ("within_60_days", 4, Decimal(3), Decimal(0)),
        ("later", 9, Decimal(99), Decimal(0)),
    ]
    assert [(b.label, b.arr_usd) for b in renewal_bands(rows)] == [
        ("0–30 days", 6),
        ("31–60 days", 3),
        ("61–90 days", 5),
        ("91–180 days", 9),
    ]
    # nobody within 30 days: the first present band starts at 0, which is true of what it holds
    assert [b.label for b in renewal_bands(rows[:1] + rows[2:4])] == ["0–60 days", "61–90 days", "91–180 days"]


# -------------------------------------------------------------------------------------------- page


def test_chart_axes_have_round_ticks_with_zero(page: str):
    assert y_ticks(page, "health-distribution") == ["0", "500", "1,000", "1,500"]  # 1,259 accounts
    assert y_ticks(page, "arr-bridge") == ["−$4M", "−$2M", "$0", "$2M", "$4M"]  # −2.8M .. 3.8M
    assert y_ticks(page, "renewals") == ["$0", "$2M", "$4M", "$6M", "$8M", "$10M"]  # 9M in 91–180 days
    assert y_ticks(page, "tier-movements") == ["0", "10", "20", "30", "40"]  # 37 moved in
    assert y_ticks(page, "retention") == ["0%", "50%", "100%", "150%"]  # targets 110% / 90%


def test_cards_name_their_period_and_compare_twelve_months_with_the_annual_targets(page: str):
    cards = kpis(page)
    assert list(cards) == [
        "ARR at 2026-10-31",
        "NRR, trailing 12 months to 2026-10",
        "GRR, trailing 12 months to 2026-10",
        f"At Risk accounts, week of {WEEK}",
        "ARR up for renewal in the next 90 days",
    ]
    assert cards["ARR at 2026-10-31"] == ("$270.0k", "the last complete month end")
    assert cards["NRR, trailing 12 months to 2026-10"] == (
        "85.5%",
        "below the 110.0% annual target 2026 Q3 alone: 99.7%",
    )
    assert cards["GRR, trailing 12 months to 2026-10"] == (
        "78.2%",
        "below the 90.0% annual target 2026 Q3 alone: 95.0%",
    )
    assert cards[f"At Risk accounts, week of {WEEK}"] == ("212", "16.8% of 1,259 scored accounts")
    # 0–90 days: 6,020,112.40 + 3,000,000 + 5,500,000
    assert cards["ARR up for renewal in the next 90 days"] == (
        "$14.52M",
        "open renewals ending 2026-11-29 to 2027-02-27",
    )


def test_trailing_retention_is_constant_currency_over_the_cohort(tmp_path: Path):
    with duckdb.connect(str(write_published(tmp_path / "marts.duckdb")), read_only=True) as con:
        [retention] = trailing_retention(con)
    assert (retention.month_start, retention.month_end) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert retention.nrr == Decimal(235_000) / Decimal(275_000)
    assert retention.grr == Decimal(215_000) / Decimal(275_000)


def test_renewal_bands_show_the_marts_values(page: str):
    svg = chart(page, "renewals")
    labels = re.findall(r'class="tick x[^"]*"[^>]*>([^<]*)</text>', svg)
    assert labels == ["0–30 days", "31–60 days", "61–90 days", "91–180 days"]
    tips = re.findall(r'<g class="column"><title>([^<]*)</title>', svg)
    assert tips[0] == (
        "0–30 days: $6,020,112 up for renewal (9 renewals), "
        "of which $520,000 at risk with no partner activity in 60 days"
    )
    assert tips[3].startswith("91–180 days: $9,000,000 up for renewal (12 renewals)")
    assert table(page, "renewal-bands")[1][0] == ["0–30 days", "9", "$6,020,112", "$520,000"]


def test_action_tables_show_names_formatted_money_and_only_columns_that_apply(page: str):
    assert table(page, "declining_account") == (
        ["Account", "Partner", "Category", "Points change", "What happened"],
        [
            [
                "Acme Manufacturing A-000001",
                "Northwind Partners P-000001",
                "At Risk",
                "−3",
                "health points 12 -> 9 in 4 weeks (At Risk)",
            ]
        ],
    )
    assert table(page, "enablement_review") == (
        ["Partner", "Tier", "Renewal rate", "What happened"],
        [
            [
                "Contoso Channel P-000002",
                "Silver",
                "62.5%",
                "renewal rate 62.5% vs program 80.1% in the quarter of 2026-07-01",
            ]
        ],
    )
    assert table(page, "churned_arr") == (
        ["Account", "Partner", "Churned ARR", "Last category", "What happened"],
        [
            [
                "Globex Retail A-000003",
                "Direct (no partner)",
                "$945,668",
                "At Risk",
                "churned $945,668 ARR in 2026-10-01; last category At Risk; signals: none",
            ]
        ],
    )
    head, rows = table(page, "leaderboard")
    assert head[:4] == ["#", "Partner", "Tier", "Expansion ARR"]
    assert rows == [["1", "Northwind Partners P-000001", "Gold", "$945,668", "25.0%", "20.0%", "3", "40.0%"]]
    assert '<span class="id">A-000001</span>' in page and "945667.84" not in page
    assert re.search(r"\.id\{[^}]*white-space:nowrap", page)  # ids never break mid-word


def test_layout_has_phone_and_print_rules(page: str):
    assert "@media print" in page and "@page{size:A4" in page
    assert re.search(r"figure,h2,h3\{break-inside:avoid", page)
    assert "@media (max-width:640px)" in page
