"""What people see (SPEC §7.4, §7.6): partner feeds hold only the partner's own accounts, the
executive page renders in a real browser, and the README's BI snippets work on a published file."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dagster_project.cli import main
from dagster_project.exports.partner_feeds import _split_by_partner
from dagster_project.settings import REPO_ROOT, load_settings
from tests.helpers import query, refresh

DEMO_END = dt.date(2024, 6, 30)
WEEK = dt.date(2024, 6, 24)
FEEDS = ("usage", "expansion_alerts", "renewal_timelines", "health", "competitive_alerts")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("exports")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PARTNERPULSE_LANDING_DIR", str(root / "landing"))
        mp.setenv("PARTNERPULSE_WAREHOUSE_DIR", str(root / "warehouse"))
        mp.setenv("PARTNERPULSE_FIRST_WEEK", "2024-01-01")
        mp.setenv("PARTNERPULSE_DUCKDB_MEMORY_LIMIT", "2GB")
        mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        mp.setenv("PARTNERPULSE_PUBLISH_DOCS", "1")
        assert main(["demo-data", "--accounts", "120", "--seed", "11", "--end", DEMO_END.isoformat()]) == 0
        for name, value in load_settings().env().items():
            mp.setenv(name, value)
        assert refresh(WEEK)[0] == 0
        yield load_settings()


def test_every_partner_feed_holds_only_its_own_accounts(published):
    owners = dict(query(published.published_duckdb, "select account_id, partner_id from dim_accounts"))
    partners = [p for (p,) in query(published.published_duckdb, "select partner_id from dim_partners")]
    root = published.exports_dir / "partners"
    assert sorted(p.name for p in root.iterdir()) == sorted(partners)
    totals = dict.fromkeys(FEEDS, 0)
    for partner in partners:
        for feed in FEEDS:
            table = pq.read_table(root / partner / f"{feed}.parquet")
            assert (root / partner / f"{feed}.csv").is_file()
            accounts = set(table.column("account_id").to_pylist())
            assert all(owners[account] == partner for account in accounts), (partner, feed)
            assert set(table.column("partner_id").to_pylist()) <= {partner}
            totals[feed] += table.num_rows
    # nothing of a partner-attached account is lost, and no direct account appears anywhere
    health_rows = query(
        published.published_duckdb,
        "select count(*) from fct_account_health_weekly h join dim_accounts a using (account_id) "
        "where h.week_start = ? and a.partner_id is not null",
        [WEEK],
    )[0][0]
    assert totals["health"] == health_rows > 0
    assert totals["usage"] > totals["health"]


def test_feeds_split_by_partner_keep_each_partners_rows_in_order():
    table = pa.table({"partner_id": ["P2", "P1", "P2", "P3", "P1", "P2"], "n": [1, 2, 3, 4, 5, 6]})
    split = _split_by_partner(table)
    assert {partner: piece.column("n").to_pylist() for partner, piece in split.items()} == {
        "P1": [2, 5],
        "P2": [1, 3, 6],
        "P3": [4],
    }
    assert _split_by_partner(table.slice(0, 0)) == {}


def test_executive_page_renders_in_chromium(published, tmp_path: Path):
    playwright = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs Debian's chromium package"
    page_path = published.reports_dir / f"executive-{WEEK}.html"
    html = page_path.read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    errors: list[str] = []
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_path.as_uri())
            charts = {
                name: page.locator(f'svg.chart[data-chart="{name}"]')
                for name in ("arr-bridge", "retention", "health-distribution", "tier-movements", "renewals")
            }
            for name, chart in charts.items():
                assert chart.count() == 1, name
                assert chart.bounding_box()["height"] > 100, name
            assert charts["arr-bridge"].locator("rect.bar").count() > 10
            assert charts["health-distribution"].locator("rect.bar").count() > 10
            assert charts["retention"].locator("polyline").count() == 4
            assert page.locator('table[data-table="leaderboard"] tbody tr').count() >= 1
            assert page.locator("#kpis .kpi").count() >= 3
            screenshot = tmp_path / "executive.png"
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert errors == []
    image = screenshot.read_bytes()
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and len(image) > 50_000


def _readme_snippet(tag: str) -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- snippet: {tag} -->\s*```\w*\n(.*?)```", readme, re.S)
    assert match, f"README has no snippet {tag}"
    return match.group(1)


def test_readme_bi_snippets_work(published, tmp_path: Path):
    code = _readme_snippet("python-bi").replace("data/warehouse", str(published.warehouse_dir))
    result = subprocess.run(
        [str(Path(__import__("sys").executable)), "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "health_category" in result.stdout and "nrr" in result.stdout
    sql = _readme_snippet("duckdb-sql")
    with duckdb.connect(str(published.published_duckdb), read_only=True) as con:
        for statement in [s for s in sql.split(";") if s.strip()]:
            assert con.execute(statement).fetchall() is not None


def test_dbt_docs_are_published_with_the_exposures(published):
    index = published.published_dir / "docs" / "index.html"
    html = index.read_text(encoding="utf-8")
    assert "MANIFEST.JSON INLINE DATA" not in html
    for name in ("fct_incentive_payouts", "rpt_exec_partner_leaderboard", "executive_page", "partner_data_feeds"):
        assert name in html, name
    assert (published.published_dir / "docs" / "catalog.json").is_file()
