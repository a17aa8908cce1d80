"""The weekly executive page (SPEC §7.4, playbook §11): reports/executive-<week>.html.

One self-contained file (inline CSS and SVG, no scripts, no network), built from the published
marts: the ARR bridge over time, NRR and GRR against their targets, the health distribution and
tier movements, ARR up for renewal by 0–30 / 31–60 / 61–90 / 91–180-day band, the partner
expansion leaderboard, and the action items. Every headline names its period; NRR and GRR are
compared with their annual targets over the trailing twelve months (computed here from
fct_arr_monthly exactly as SPEC §4 defines retention for a period, see ``trailing_retention``).
The layout uses two columns on a wide screen, one on a phone, and prints to A4 without splitting a chart.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from pathlib import Path

import duckdb

from dagster_project.defs.reports.svg import Series, lines, stacked_bars, value_label

MOVEMENTS = (
    ("new_logo", "New logo", "#2563eb"),
    ("reactivation", "Reactivation", "#0891b2"),
    ("upsell", "Upsell", "#16a34a"),
    ("cross_sell", "Cross-sell", "#65a30d"),
    ("fx_revaluation", "FX revaluation", "#94a3b8"),
    ("contraction", "Contraction", "#f59e0b"),
    ("churn", "Churn", "#dc2626"),
)
CATEGORIES = (("At Risk", "#dc2626"), ("Healthy / Maintain", "#f59e0b"), ("Expansion Ready", "#16a34a"))
RENEWAL_WINDOW = re.compile(r"within_(\d+)_days")
HEADLINE_RENEWAL_DAYS = 90
TRAILING_MONTHS = 12
CHART_MONTHS = 24
ACTION_ROWS = 10
USD_AMOUNT = re.compile(r"(-?\d+(?:\.\d+)?) USD\b")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}(?:-\d{2})?\b")

CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f8fafc;color:#0f172a;
-webkit-print-color-adjust:exact;print-color-adjust:exact}
header{background:#0f172a;color:#f8fafc;padding:20px 24px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#cbd5e1;font-size:13px}
main{padding:16px 24px 32px;max-width:1600px;margin:0 auto}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,150px),1fr));gap:12px;margin:0 0 16px}
.kpi{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px 16px;min-width:0}
.kpi .label{font-size:12px;color:#475569}.kpi .value{font-size:24px;font-weight:600;margin:2px 0}
.kpi .note{font-size:12px;color:#334155}.below{color:#b91c1c}.above{color:#15803d}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:16px}
section{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:16px 20px;min-width:0}
section.wide{grid-column:1/-1}
h2{font-size:17px;margin:0 0 2px}h3{font-size:14px;margin:16px 0 6px}
.period{font-size:12px;color:#475569;margin:0 0 10px}
figure{margin:0 0 12px}svg.chart{display:block;width:100%;height:auto}
.chart .grid{stroke:#e2e8f0}.chart .axis{stroke:#334155}.chart .tick{font-size:13px;fill:#475569}
.legend{display:flex;gap:6px 14px;flex-wrap:wrap;font-size:12px;margin-top:4px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px}
.swatch.dashed{height:3px;width:14px;vertical-align:middle}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e2e8f0;vertical-align:top}
th{color:#475569;font-weight:600}th.num,td.num{text-align:right;font-variant-numeric:tabular-nums}
td.num{white-space:nowrap}
.id{display:block;color:#64748b;font-size:11px;white-space:nowrap;font-family:ui-monospace,Menlo,Consolas,monospace}
.empty{color:#64748b;font-style:italic}.nowrap{white-space:nowrap}
@media (max-width:640px){
header{padding:16px 12px}main{padding:12px}section{padding:12px}
.chart .tick{font-size:24px}.chart .tick.alt{display:none}
table,tbody,tr,td{display:block;width:100%}thead{display:none}tr{padding:6px 0;border-bottom:1px solid #e2e8f0}
td,td.num{display:grid;grid-template-columns:8em minmax(0,1fr);gap:0 8px;border:0;padding:2px 0;
text-align:left;white-space:normal}
td::before{content:attr(data-label);color:#64748b;font-size:12px}
}
@media print{
@page{size:A4;margin:12mm}
body{background:#fff;font-size:12px}
header{background:#fff;color:#0f172a;padding:0 0 8px;border-bottom:2px solid #0f172a}header p{color:#334155}
main{max-width:none;padding:12px 0 0}
.kpis{grid-template-columns:repeat(3,1fr)}.kpi{break-inside:avoid}
.grid{display:block}section{margin:0 0 12px;border-color:#cbd5e1;break-inside:avoid}
section.tables{break-inside:auto}figure,h2,h3{break-inside:avoid;break-after:avoid}
table{font-size:11px}th,td{padding:3px 5px}tr{break-inside:avoid}thead{display:table-header-group}
.table-wrap{overflow:visible}
}
"""


class Html(str):
    """Table cell text that is already HTML (escaped where it came from data)."""


Cell = str | Html


@dataclass(frozen=True)
class ExecutivePage:
    path: Path
    week_start: dt.date
    seconds: float


@dataclass(frozen=True)
class Retention:
    """NRR and GRR over the twelve months to ``month_start`` (SPEC §4, cohort at the month end before)."""

    month_start: dt.date
    month_end: dt.date
    nrr: Decimal
    grr: Decimal


@dataclass(frozen=True)
class RenewalBand:
    window: str
    label: str
    days: int
    renewals: int
    arr_usd: Decimal
    at_risk_arr_usd: Decimal


# ---------------------------------------------------------------------------------------------- text


def _money(value: Decimal | float | None) -> str:
    """Whole dollars with separators: $945,668."""
    return "–" if value is None else value_label(value, "money")


def _money_short(value: Decimal | float | None) -> str:
    """A headline amount: $52.31M, $945.7k."""
    if value is None:
        return "–"
    amount = float(value)
    if abs(amount) >= 1e6:
        return f"${amount / 1e6:,.2f}M"
    return f"${amount / 1e3:,.1f}k" if abs(amount) >= 1e3 else f"${amount:,.0f}"


def _pct(value: Decimal | float | None) -> str:
    return "–" if value is None else f"{float(value) * 100:.1f}%"


def _points(value: Decimal | float) -> str:
    """A signed change: +2, −3."""
    return f"{value:+,.0f}".replace("-", "\u2212")


def _month(month_start: dt.date) -> str:
    return f"{month_start:%Y-%m}"


def _quarter(quarter_start: dt.date) -> str:
    return f"{quarter_start:%Y} Q{(quarter_start.month - 1) // 3 + 1}"


def _dollars_in_text(text: str) -> str:
    """'churned 945667.84 USD ARR' -> 'churned $945,668 ARR' (the marts' detail texts carry raw decimals)."""
    return USD_AMOUNT.sub(lambda m: _money(Decimal(m.group(1))), text)


def _named(name: str | None, identifier: str | None) -> Html:
    """A name with its id beneath, the id never broken across lines."""
    if identifier is None:
        return Html('<div><span class="name">Direct (no partner)</span></div>')
    shown = escape(name) if name else ""
    return Html(f'<div><span class="name">{shown}</span><span class="id">{escape(identifier)}</span></div>')


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[Cell]], numeric: Iterable[int] = (), table_id: str = ""
) -> str:
    if not rows:
        return '<p class="empty">Nothing to show this week.</p>'
    numeric = set(numeric)

    def cell(tag: str, index: int, value: Cell) -> str:
        css = ' class="num"' if index in numeric else ""
        label = f' data-label="{escape(headers[index])}"' if tag == "td" else ""
        return f"<{tag}{css}{label}>{value if isinstance(value, Html) else escape(value)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>" for r in rows)
    return (
        f'<div class="table-wrap"><table data-table="{escape(table_id)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _unbroken_dates(text: str) -> str:
    """HTML text with every ISO date kept on one line (a browser may break a line after a hyphen)."""
    return ISO_DATE.sub(lambda m: f'<span class="nowrap">{m.group(0)}</span>', text)


def _section(section_id: str, title: str, period: str, body: str, css: str = "") -> str:
    classes = f' class="{css}"' if css else ""
    return (
        f'<section id="{section_id}"{classes}><h2>{escape(title)}</h2>'
        f'<p class="period">{_unbroken_dates(escape(period))}</p>{body}</section>'
    )


def _figure(svg: str) -> str:
    return f"<figure>{svg}</figure>"


# --------------------------------------------------------------------------------------------- charts


def _bridge_chart(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        "select month_start, movement_type, sum(arr_change_usd) from fct_arr_movements "
        "where month_start > (select max(month_start) from fct_arr_movements) - to_months(?) group by 1, 2 order by 1",
        [CHART_MONTHS],
    ).fetchall()
    months = sorted({r[0] for r in rows})
    if not months:
        return _section("arr-bridge", "ARR bridge", "", '<p class="empty">No ARR movements yet.</p>')
    amounts = {(r[0], r[1]): float(r[2]) for r in rows}
    series = [Series(label, [amounts.get((m, key), 0.0) for m in months], color) for key, label, color in MOVEMENTS]
    svg = stacked_bars("arr-bridge", "ARR bridge by month (USD)", [f"{m:%b %y}" for m in months], series, "money")
    period = f"Monthly ARR movements in USD, {_month(months[0])} to {_month(months[-1])}"
    return _section("arr-bridge", "ARR bridge", period, _figure(svg))


TRAILING_RETENTION_SQL = """
with account_lines as (
    select month_start, month_end, account_id, currency, sum(arr_local) as arr_local, sum(arr_usd) as arr_usd
    from fct_arr_monthly group by all
),
rates as (
    select month_start, currency, max(usd_per_unit) as usd_per_unit from fct_arr_monthly group by all
),
ends as (
    select distinct month_start, month_end, cast(month_start - to_months($months) as date) as start_month
    from fct_arr_monthly
    where month_start > (select max(month_start) from fct_arr_monthly) - to_months($chart_months)
),
cohort as (
    select ends.month_start, account_lines.account_id, sum(account_lines.arr_usd) as start_usd
    from ends inner join account_lines on account_lines.month_start = ends.start_month
    group by all having sum(account_lines.arr_usd) > 0
),
closing as (
    select
        ends.month_start,
        account_lines.account_id,
        sum(account_lines.arr_local * coalesce(start_rates.usd_per_unit, end_rates.usd_per_unit)) as end_usd
    from ends
    inner join account_lines on account_lines.month_start = ends.month_start
    inner join rates as end_rates
        on end_rates.month_start = ends.month_start and end_rates.currency = account_lines.currency
    left join rates as start_rates
        on start_rates.month_start = ends.start_month and start_rates.currency = account_lines.currency
    group by all
),
accounts as (
    select cohort.month_start, cohort.start_usd, coalesce(closing.end_usd, 0) as end_usd
    from cohort left join closing using (month_start, account_id)
)
select ends.month_start, ends.month_end, sum(start_usd), sum(end_usd), sum(least(start_usd, end_usd))
from accounts inner join ends using (month_start)
group by all order by 1
"""


def trailing_retention(con: duckdb.DuckDBPyConnection, chart_months: int = CHART_MONTHS) -> list[Retention]:
    """NRR and GRR over the twelve months to each of the last ``chart_months`` month ends (SPEC §4).

    The cohort = accounts with ARR > 0 at the month end twelve months earlier; their ARR then and
    now in constant currency (the start month's rate per contract currency, from fct_arr_monthly;
    a currency nobody held at the start is valued at its current rate). NRR = Σ end ÷ Σ start,
    GRR = Σ min(end, start) ÷ Σ start. For a December month end this is rpt_retention's calendar year.
    """
    rows = con.execute(TRAILING_RETENTION_SQL, {"months": TRAILING_MONTHS, "chart_months": chart_months}).fetchall()
    return [
        Retention(month, end, Decimal(ending) / start, Decimal(kept) / start)
        for month, end, start, ending, kept in rows
    ]


def _targets(con: duckdb.DuckDBPyConnection) -> tuple[Decimal, Decimal] | None:
    row = con.execute("select max(nrr_target), max(grr_target) from rpt_exec_partner_arr_summary").fetchone()
    return None if row is None or row[0] is None else (row[0], row[1])


def _retention_chart(trailing: Sequence[Retention], targets: tuple[Decimal, Decimal] | None) -> str:
    title = "Net and gross revenue retention"
    if not trailing:
        empty = f'<p class="empty">Needs {TRAILING_MONTHS + 1} complete months of ARR history.</p>'
        return _section("retention", title, "", empty)
    series = [
        Series("NRR", [float(r.nrr) for r in trailing], "#2563eb"),
        Series("GRR", [float(r.grr) for r in trailing], "#16a34a"),
    ]
    if targets:
        series += [
            Series(f"NRR target {_pct(targets[0])}", [float(targets[0])] * len(trailing), "#60a5fa", dashed=True),
            Series(f"GRR target {_pct(targets[1])}", [float(targets[1])] * len(trailing), "#4ade80", dashed=True),
        ]
    labels = [f"{r.month_start:%b %y}" for r in trailing]
    svg = lines("retention", "NRR and GRR, trailing 12 months at each month end, vs targets", labels, series, "ratio")
    period = (
        f"Trailing 12 months at each month end, {_month(trailing[0].month_start)} to "
        f"{_month(trailing[-1].month_start)}, vs the annual targets"
    )
    return _section("retention", title, period, _figure(svg))


def _health_charts(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        "select week_start, health_category, accounts, moved_in from rpt_exec_account_health "
        "where week_start > (select max(week_start) from rpt_exec_account_health) - interval 26 week order by 1"
    ).fetchall()
    weeks = sorted({r[0] for r in rows})
    if not weeks:
        return _section("health", "Account health", "", '<p class="empty">No scored weeks yet.</p>')
    counts = {(r[0], r[1]): float(r[2]) for r in rows}
    moves: dict[dt.date, float] = {}
    for week, _, _, moved_in in rows:
        moves[week] = moves.get(week, 0.0) + float(moved_in)
    labels = [f"{w:%d %b}" for w in weeks]
    categories = [Series(name, [counts.get((w, name), 0.0) for w in weeks], color) for name, color in CATEGORIES]
    distribution = stacked_bars(
        "health-distribution", "Accounts by health category, weekly", labels, categories, "count"
    )
    movements = lines(
        "tier-movements",
        "Accounts that changed category, per week",
        labels,
        [Series("Accounts that changed category since the week before", [moves.get(w, 0.0) for w in weeks], "#7c3aed")],
        "count",
    )
    period = f"Weekly, weeks of {weeks[0]} to {weeks[-1]}"
    body = f"<h3>Accounts by category</h3>{_figure(distribution)}<h3>Tier movements</h3>{_figure(movements)}"
    return _section("health", "Account health", period, body)


def renewal_bands(rows: Iterable[tuple[str, int, Decimal | None, Decimal | None]]) -> list[RenewalBand]:
    """Per window (renewal_window, renewals, ARR, at-risk ARR) the band of days it covers.

    The mart puts a renewal in the smallest milestone its end date is within (seed
    renewal_milestones), so within_60_days holds days 31–60 when within_30_days exists; a band
    nobody falls in is absent, and the next one then starts where the last present one ended,
    which is still true of its contents."""
    found = sorted(
        (int(match.group(1)), window, count, arr, at_risk)
        for window, count, arr, at_risk in rows
        if (match := RENEWAL_WINDOW.fullmatch(window))
    )
    bands, first = [], 0
    for days, window, count, arr, at_risk in found:
        label = f"{first}–{days} days"
        bands.append(RenewalBand(window, label, days, int(count), arr or Decimal(0), at_risk or Decimal(0)))
        first = days + 1
    return bands


def _renewal_section(bands: Sequence[RenewalBand], as_of: dt.date) -> str:
    title = "Renewals coming up"
    period = f"Open renewals by days from {as_of} to the subscription's end date"
    if not bands:
        return _section("renewals", title, period, '<p class="empty">No renewals in the next 180 days.</p>')
    labels = [b.label for b in bands]
    series = [
        Series("Not at risk", [float(b.arr_usd - b.at_risk_arr_usd) for b in bands], "#2563eb"),
        Series("At risk, no partner activity in 60 days", [float(b.at_risk_arr_usd) for b in bands], "#dc2626"),
    ]
    titles = [
        f"{b.label}: {_money(b.arr_usd)} up for renewal ({b.renewals:,} renewals), "
        f"of which {_money(b.at_risk_arr_usd)} at risk with no partner activity in 60 days"
        for b in bands
    ]
    svg = stacked_bars("renewals", "ARR up for renewal by band of days (USD)", labels, series, "money", titles)
    table = _table(
        ["Days to end", "Renewals", "ARR up for renewal", "At risk, no partner activity"],
        [[b.label, f"{b.renewals:,}", _money(b.arr_usd), _money(b.at_risk_arr_usd)] for b in bands],
        numeric={1, 2, 3},
        table_id="renewal-bands",
    )
    return _section("renewals", title, period, _figure(svg) + table)


# ------------------------------------------------------------------------------------------ headlines


def _kpi(label: str, value: str, note: str = "", title: str = "") -> str:
    tip = f' title="{escape(title)}"' if title else ""
    return (
        f'<div class="kpi"><div class="label">{_unbroken_dates(escape(label))}</div>'
        f'<div class="value"{tip}>{escape(value)}</div><div class="note">{_unbroken_dates(note)}</div></div>'
    )


def _arr_kpi(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute(
        "select month_end, sum(arr_usd) from fct_arr_monthly "
        "where month_start = (select max(month_start) from fct_arr_monthly) group by 1"
    ).fetchone()
    if row is None:
        return _kpi("ARR", "–", "no complete month yet")
    return _kpi(f"ARR at {row[0]}", _money_short(row[1]), "the last complete month end", _money(row[1]))


def _target_note(value: Decimal, target: Decimal | None) -> str:
    if target is None:
        return ""
    side = "below" if value < target else "at or above"
    return f'<span class="{"below" if value < target else "above"}">{side} the {_pct(target)} annual target</span>'


def _retention_kpis(con: duckdb.DuckDBPyConnection, latest: Retention | None, targets: tuple | None) -> list[str]:
    quarter = con.execute(
        "select quarter_start, nrr, grr from rpt_exec_partner_arr_summary "
        "where channel = 'all' and is_complete and nrr is not null order by quarter_start desc limit 1"
    ).fetchone()
    cards = []
    for index, name in ((1, "NRR"), (2, "GRR")):
        aside = f"<br>{_quarter(quarter[0])} alone: {_pct(quarter[index])}" if quarter else ""
        if latest is None:
            cards.append(_kpi(f"{name}, trailing 12 months", "–", f"needs 13 months of history{aside}"))
            continue
        value = latest.nrr if name == "NRR" else latest.grr
        note = _target_note(value, targets[index - 1] if targets else None) + aside
        cards.append(_kpi(f"{name}, trailing 12 months to {_month(latest.month_start)}", _pct(value), note))
    return cards


def _at_risk_kpi(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute(
        "select week_start, sum(accounts) filter (where health_category = 'At Risk'), sum(accounts) "
        "from rpt_exec_account_health where week_start = (select max(week_start) from rpt_exec_account_health) "
        "group by 1"
    ).fetchone()
    if row is None:
        return _kpi("At Risk accounts", "–", "no scored week yet")
    at_risk, scored = row[1] or 0, row[2] or 0
    share = _pct(Decimal(at_risk) / scored) if scored else "–"
    return _kpi(f"At Risk accounts, week of {row[0]}", f"{at_risk:,}", f"{share} of {scored:,} scored accounts")


def _renewal_kpi(bands: Sequence[RenewalBand], as_of: dt.date) -> str:
    amount = sum((b.arr_usd for b in bands if b.days <= HEADLINE_RENEWAL_DAYS), Decimal(0))
    until = as_of + dt.timedelta(days=HEADLINE_RENEWAL_DAYS)
    return _kpi(
        f"ARR up for renewal in the next {HEADLINE_RENEWAL_DAYS} days",
        _money_short(amount),
        f"open renewals ending {as_of} to {until}",
        _money(amount),
    )


# ------------------------------------------------------------------------------------------- tables


def _leaderboard(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        "select expansion_rank, partner_id, partner_name, partner_tier, expansion_arr_usd, expansion_rate, "
        "tier_expansion_rate, new_logo_rank, multi_product_adoption_rate, window_start, window_last_month "
        "from rpt_exec_partner_leaderboard where is_top_expansion_partner order by expansion_rank, partner_id"
    ).fetchall()
    table = _table(
        ["#", "Partner", "Tier", "Expansion ARR", "Expansion rate", "Tier's rate", "New-logo rank", "Multi-product"],
        [
            [str(r[0]), _named(r[2], r[1]), r[3] or "", _money(r[4]), _pct(r[5]), _pct(r[6]), str(r[7]), _pct(r[8])]
            for r in rows
        ],
        numeric={0, 3, 4, 5, 6, 7},
        table_id="leaderboard",
    )
    period = f"Upsell and cross-sell ARR, 12 months {_month(rows[0][9])} to {_month(rows[0][10])}" if rows else ""
    return _section("leaderboard", "Partner expansion leaderboard", period, table, "wide")


ACTIONS_SQL = """
select ranked.item_type, ranked.account_id, accounts.account_name, ranked.partner_id, partners.partner_name,
    partners.partner_tier, ranked.health_category, ranked.value, ranked.detail
from (
    select *, row_number() over (partition by item_type order by abs(value) desc, account_id, partner_id) as n
    from rpt_exec_at_risk_actions
) as ranked
left join dim_accounts as accounts on accounts.account_id = ranked.account_id
left join dim_partners as partners on partners.partner_id = ranked.partner_id
where ranked.n <= $rows
order by ranked.item_type, ranked.n
"""


def _action_tables(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> str:
    rows = con.execute(ACTIONS_SQL, {"rows": ACTION_ROWS}).fetchall()

    def of(kind: str) -> list[tuple]:
        return [r for r in rows if r[0] == kind]

    declining = _table(
        ["Account", "Partner", "Category", "Points change", "What happened"],
        [[_named(r[2], r[1]), _named(r[4], r[3]), r[6] or "", _points(r[7]), r[8]] for r in of("declining_account")],
        numeric={3},
        table_id="declining_account",
    )
    enablement = _table(
        ["Partner", "Tier", "Renewal rate", "What happened"],
        [[_named(r[4], r[3]), r[5] or "", _pct(r[7]), r[8]] for r in of("enablement_review")],
        numeric={2},
        table_id="enablement_review",
    )
    churned = _table(
        ["Account", "Partner", "Churned ARR", "Last category", "What happened"],
        [
            [_named(r[2], r[1]), _named(r[4], r[3]), _money(r[7]), r[6] or "unscored", _dollars_in_text(r[8])]
            for r in of("churned_arr")
        ],
        numeric={2},
        table_id="churned_arr",
    )
    body = (
        f"<h3>Declining accounts (health down over 4 weeks)</h3>{declining}"
        f"<h3>Partners below the program renewal rate (enablement review)</h3>{enablement}"
        f"<h3>Churned ARR, last 90 days</h3>{churned}"
    )
    period = f"At {as_of}; the {ACTION_ROWS} largest of each kind"
    return _section("actions", "At-risk accounts and action items", period, body, "wide tables")


# --------------------------------------------------------------------------------------------- page


def render(con: duckdb.DuckDBPyConnection) -> tuple[str, dt.date]:
    week_start, as_of, published_at = con.execute(
        "select week_start, as_of_date, published_at from publish_info"
    ).fetchone()
    trailing, targets = trailing_retention(con), _targets(con)
    bands = renewal_bands(
        con.execute(
            "select renewal_window, sum(renewals), sum(arr_up_for_renewal_usd), "
            "sum(at_risk_without_partner_activity_arr_usd) from rpt_exec_renewals group by 1"
        ).fetchall()
    )
    kpis = [
        _arr_kpi(con),
        *_retention_kpis(con, trailing[-1] if trailing else None, targets),
        _at_risk_kpi(con),
        _renewal_kpi(bands, as_of),
    ]
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>PartnerPulse executive summary — week of {week_start}</title><style>{CSS}</style></head>
<body><header><h1>Partner program — executive summary</h1>
<p>Week of {week_start} (data as of {as_of}) · published {published_at:%Y-%m-%d %H:%M} UTC</p></header>
<main>
<div class="kpis" id="kpis">{"".join(kpis)}</div>
<div class="grid">
{_bridge_chart(con)}
{_retention_chart(trailing, targets)}
{_health_charts(con)}
{_renewal_section(bands, as_of)}
{_leaderboard(con)}
{_action_tables(con, as_of)}
</div>
</main></body></html>
"""
    return page, week_start


def write_executive_page(published_db: Path, reports_dir: Path) -> ExecutivePage:
    """Render the page for the published week into reports/executive-<week>.html (atomically)."""
    started = time.perf_counter()
    with duckdb.connect(str(published_db), read_only=True) as con:
        page, week_start = render(con)
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / f"executive-{week_start}.html"
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return ExecutivePage(path=path, week_start=week_start, seconds=time.perf_counter() - started)
