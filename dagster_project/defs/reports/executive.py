"""The weekly executive page (SPEC §7.4, playbook §11): reports/executive-<week>.html.

One self-contained file (inline CSS and SVG, no scripts, no network), built from the published
marts: the ARR bridge over time, NRR and GRR against their targets, the health distribution and
tier movements, ARR up for renewal by 180/90/60/30-day window, the partner expansion leaderboard,
and the action items.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from pathlib import Path

import duckdb

from dagster_project.defs.reports.svg import Series, lines, stacked_bars

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
WINDOWS = (
    ("within_30_days", "30 days"),
    ("within_60_days", "60 days"),
    ("within_90_days", "90 days"),
    ("within_180_days", "180 days"),
)

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f8fafc;color:#0f172a}
header{background:#0f172a;color:#f8fafc;padding:20px 32px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#cbd5e1;font-size:13px}main{padding:16px 32px;max-width:1100px}
section{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:16px 20px;margin:16px 0}
h2{font-size:17px;margin:0 0 10px}.kpis{display:flex;gap:12px;flex-wrap:wrap}
.kpi{flex:1 1 160px;background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px 16px}
.kpi .value{font-size:22px;font-weight:600}.kpi .label{font-size:12px;color:#475569}
.kpi .note{font-size:12px}.below{color:#dc2626}.above{color:#16a34a}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:5px 8px;
border-bottom:1px solid #e2e8f0}th{color:#475569;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.chart .grid{stroke:#e2e8f0}.chart .axis{stroke:#334155}.chart .tick{font-size:11px;fill:#475569}
.legend{display:flex;gap:14px;flex-wrap:wrap;font-size:12px;margin-top:4px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px}
.empty{color:#64748b;font-style:italic}
"""


@dataclass(frozen=True)
class ExecutivePage:
    path: Path
    week_start: dt.date
    seconds: float


def _money(value: Decimal | float | None) -> str:
    if value is None:
        return "–"
    value = float(value)
    if abs(value) >= 1e6:
        return f"${value / 1e6:,.2f}M"
    if abs(value) >= 1e3:
        return f"${value / 1e3:,.1f}k"
    return f"${value:,.0f}"


def _pct(value: Decimal | float | None) -> str:
    return "–" if value is None else f"{float(value) * 100:.1f}%"


def _channel_and_partner(partner_id: str | None) -> tuple[str, str]:
    """A partner id may be any text ('direct' included), so a direct account is told by its channel."""
    return ("direct", "–") if partner_id is None else ("partner", partner_id)


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset(), table_id: str = "") -> str:
    if not rows:
        return '<p class="empty">Nothing to show this week.</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{escape(c)}</td>' if i in numeric else f"<td>{escape(c)}</td>" for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f'<table data-table="{escape(table_id)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _bridge_chart(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        "select month_start, movement_type, sum(arr_change_usd) from fct_arr_movements "
        "where month_start > (select max(month_start) from fct_arr_movements) - interval 24 month "
        "group by 1, 2 order by 1"
    ).fetchall()
    months = sorted({r[0] for r in rows})
    amounts = {(r[0], r[1]): float(r[2]) for r in rows}
    series = [Series(label, [amounts.get((m, key), 0.0) for m in months], color) for key, label, color in MOVEMENTS]
    return stacked_bars("arr-bridge", "ARR bridge by month (USD)", [f"{m:%b %y}" for m in months], series)


def _retention_chart(con: duckdb.DuckDBPyConnection) -> tuple[str, tuple | None]:
    rows = con.execute(
        "select quarter_start, nrr, grr, nrr_target, grr_target from rpt_exec_partner_arr_summary "
        "where channel = 'all' and is_complete and nrr is not null order by quarter_start"
    ).fetchall()[-12:]
    if not rows:
        return '<p class="empty">No complete quarter yet.</p>', None
    labels = [f"Q{(q.month - 1) // 3 + 1} {q:%y}" for q, *_ in rows]
    series = [
        Series("NRR", [float(r[1]) for r in rows], "#2563eb"),
        Series("GRR", [float(r[2]) for r in rows], "#16a34a"),
        Series("NRR target", [float(r[3]) for r in rows], "#93c5fd"),
        Series("GRR target", [float(r[4]) for r in rows], "#86efac"),
    ]
    return lines("retention", "NRR and GRR by quarter vs targets", labels, series), rows[-1]


def _health_charts(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        "select week_start, health_category, accounts, moved_in from rpt_exec_account_health "
        "where week_start > (select max(week_start) from rpt_exec_account_health) - interval 26 week order by 1"
    ).fetchall()
    weeks = sorted({r[0] for r in rows})
    counts = {(r[0], r[1]): float(r[2]) for r in rows}
    moves = {}
    for week, _, _, moved_in in rows:
        moves[week] = moves.get(week, 0.0) + float(moved_in)
    labels = [f"{w:%d %b}" for w in weeks]
    distribution = stacked_bars(
        "health-distribution",
        "Accounts by health category, weekly",
        labels,
        [Series(name, [counts.get((w, name), 0.0) for w in weeks], color) for name, color in CATEGORIES],
    )
    movements = lines(
        "tier-movements",
        "Tier movements per week",
        labels,
        [Series("Accounts that changed category", [moves.get(w, 0.0) for w in weeks], "#7c3aed")],
        floor=0.0,
    )
    return distribution + movements


def _renewal_chart(con: duckdb.DuckDBPyConnection) -> str:
    rows = dict(
        con.execute("select renewal_window, sum(arr_up_for_renewal_usd) from rpt_exec_renewals group by 1").fetchall()
    )
    at_risk = dict(
        con.execute(
            "select renewal_window, sum(at_risk_without_partner_activity_arr_usd) from rpt_exec_renewals group by 1"
        ).fetchall()
    )
    labels = [label for _, label in WINDOWS]
    series = [
        Series(
            "ARR up for renewal",
            [float(rows.get(k, 0) or 0) - float(at_risk.get(k, 0) or 0) for k, _ in WINDOWS],
            "#2563eb",
        ),
        Series(
            "…of which at risk, no partner activity in 60 days",
            [float(at_risk.get(k, 0) or 0) for k, _ in WINDOWS],
            "#dc2626",
        ),
    ]
    return stacked_bars("renewals", "ARR up for renewal by window (USD)", labels, series)


def render(con: duckdb.DuckDBPyConnection) -> tuple[str, dt.date]:
    week_start, as_of_date, published_at = con.execute(
        "select week_start, as_of_date, published_at from publish_info"
    ).fetchone()
    retention_svg, latest = _retention_chart(con)
    summary = con.execute(
        "select ending_arr_usd, quarter_start from rpt_exec_partner_arr_summary where channel = 'all' "
        "order by quarter_start desc limit 1"
    ).fetchone()
    at_risk = con.execute(
        "select accounts, share_of_accounts from rpt_exec_account_health where health_category = 'At Risk' "
        "and week_start = (select max(week_start) from rpt_exec_account_health)"
    ).fetchone()
    renewal_90 = con.execute(
        "select sum(arr_up_for_renewal_usd) from rpt_exec_renewals "
        "where renewal_window in ('within_30_days', 'within_60_days', 'within_90_days')"
    ).fetchone()[0]
    kpis = [
        (
            "ARR",
            _money(summary[0]) if summary else "–",
            f"at the last complete month end ({summary[1]:%Y} Q{(summary[1].month - 1) // 3 + 1})" if summary else "",
        ),
    ]
    if latest:
        nrr_note = "below" if latest[1] < latest[3] else "above"
        grr_note = "below" if latest[2] < latest[4] else "above"
        kpis += [
            ("NRR", _pct(latest[1]), f'<span class="{nrr_note}">{nrr_note} the {_pct(latest[3])} target</span>'),
            ("GRR", _pct(latest[2]), f'<span class="{grr_note}">{grr_note} the {_pct(latest[4])} target</span>'),
        ]
    if at_risk:
        kpis.append(("At Risk accounts", f"{at_risk[0]:,}", f"{_pct(at_risk[1])} of scored accounts"))
    kpis.append(("ARR up for renewal in 90 days", _money(renewal_90), ""))
    kpi_html = "".join(
        f'<div class="kpi"><div class="label">{escape(label)}</div><div class="value">{escape(value)}</div>'
        f'<div class="note">{note}</div></div>'
        for label, value, note in kpis
    )
    leaders = con.execute(
        "select expansion_rank, partner_name, partner_tier, expansion_arr_usd, expansion_rate, new_logo_rank, "
        "multi_product_adoption_rate, tier_expansion_rate from rpt_exec_partner_leaderboard "
        "where is_top_expansion_partner order by expansion_rank, partner_id"
    ).fetchall()
    leader_rows = [
        [str(r[0]), r[1] or "", r[2] or "", _money(r[3]), _pct(r[4]), _pct(r[7]), str(r[5]), _pct(r[6])]
        for r in leaders
    ]
    actions = con.execute(
        "select item_type, account_id, partner_id, health_category, detail from ("
        " select *, row_number() over (partition by item_type order by abs(value) desc, account_id, partner_id) as n"
        " from rpt_exec_at_risk_actions) as ranked where n <= 10 order by item_type, n"
    ).fetchall()
    sections = {
        "declining_account": "Declining accounts",
        "enablement_review": "Partners below the program renewal rate (enablement review)",
        "churned_arr": "Churned ARR, last 90 days",
    }
    action_html = "".join(
        f"<h3>{escape(title)}</h3>"
        + _table(
            ["Account", "Channel", "Partner", "Category", "What happened"],
            [[r[1] or "–", *_channel_and_partner(r[2]), r[3] or "–", r[4]] for r in actions if r[0] == key],
            table_id=key,
        )
        for key, title in sections.items()
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>PartnerPulse executive summary — week of {week_start}</title><style>{CSS}</style></head>
<body><header><h1>Partner program — executive summary</h1>
<p>Week of {week_start} (data as of {as_of_date}) · published {published_at:%Y-%m-%d %H:%M} UTC</p></header>
<main>
<div class="kpis" id="kpis">{kpi_html}</div>
<section id="arr-bridge"><h2>ARR bridge</h2>{_bridge_chart(con)}</section>
<section id="retention"><h2>Net and gross revenue retention</h2>{retention_svg}</section>
<section id="health"><h2>Account health</h2>{_health_charts(con)}</section>
<section id="renewals"><h2>Renewals coming up</h2>{_renewal_chart(con)}</section>
<section id="leaderboard"><h2>Partner expansion leaderboard (last 12 months)</h2>
{
        _table(
            ["#", "Partner", "Tier", "Expansion ARR", "Expansion rate", "Tier rate", "New-logo rank", "Multi-product"],
            leader_rows,
            numeric={0, 3, 4, 5, 6, 7},
            table_id="leaderboard",
        )
    }</section>
<section id="actions"><h2>At-risk accounts and action items</h2>{action_html}</section>
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
