"""What people see (SPEC §7.4, §7.6): partner feeds hold only the partner's own accounts, the
executive page renders in a real browser, and the README's BI snippets work on a published file."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dagster_project.cli import main
from dagster_project.defs.partner_feeds import feeds as partner_feeds
from dagster_project.defs.partner_feeds.feeds import (
    FEED_FOLDER_NAME,
    FeedError,
    _Feed,
    _remove_stale_folders,
    _replace_folder,
    feed_folder_name,
    feed_folders,
    write_partner_feeds,
)
from dagster_project.defs.publish.publisher import docs_are_current
from dagster_project.defs.reports.executive import trailing_retention
from dagster_project.defs.warehouse.project import get_dbt_project, project_fingerprint
from dagster_project.settings import REPO_ROOT, load_settings
from tests.conftest import FIRST_WEEK
from tests.helpers import isolated_env, query, refresh
from tests.landing import MINIMAL, write_minimal_landing

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


def _feed_index(root: Path) -> dict[str, str]:
    """partner_id -> folder, from exports/partners/index.parquet."""
    index = pq.read_table(root / "index.parquet")
    return dict(zip(index.column("partner_id").to_pylist(), index.column("folder").to_pylist(), strict=True))


def test_every_partner_feed_holds_only_its_own_accounts(published):
    owners = dict(query(published.published_duckdb, "select account_id, partner_id from dim_accounts"))
    partners = [p for (p,) in query(published.published_duckdb, "select partner_id from dim_partners")]
    root = published.exports_dir / "partners"
    folders = _feed_index(root)
    assert sorted(folders) == sorted(partners)
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == sorted(folders.values())
    totals = dict.fromkeys(FEEDS, 0)
    for partner in partners:
        for feed in FEEDS:
            table = pq.read_table(root / folders[partner] / f"{feed}.parquet")
            assert (root / folders[partner] / f"{feed}.csv").is_file()
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


def test_the_usage_feed_carries_the_active_user_trend(published):
    """SPEC §7.6: usage holds utilization, the active user trend and feature adoption: each week's monthly
    active users of the account's most used product (fct_expansion_readiness_weekly), 13 weeks of them."""
    root = published.exports_dir / "partners"
    readiness = {
        (week, account): users
        for week, account, users in query(
            published.published_duckdb,
            "select week_start, account_id, max_product_monthly_active_users from fct_expansion_readiness_weekly",
        )
    }
    rows = [
        row
        for folder in _feed_index(root).values()
        for row in pq.read_table(root / folder / "usage.parquet").to_pylist()
    ]
    assert rows and all(
        row["monthly_active_users"] == readiness[(row["week_start"], row["account_id"])] for row in rows
    )
    assert max(row["monthly_active_users"] for row in rows) > 0
    assert len({row["week_start"] for row in rows}) == 13
    header = next(csv.reader((root / next(iter(_feed_index(root).values())) / "usage.csv").open(encoding="utf-8")))
    assert header.index("monthly_active_users") == header.index("license_utilization_level") + 1


def test_renewal_milestones_are_dates_before_the_end_date(published):
    root = published.exports_dir / "partners"
    renewals = [
        row
        for folder in _feed_index(root).values()
        for row in csv.DictReader((root / folder / "renewal_timelines.csv").open(encoding="utf-8"))
    ]
    assert renewals
    for row in renewals:
        end = dt.date.fromisoformat(row["end_date"])
        for days in (180, 90, 60):  # a date, as the end date is: no time of day
            assert dt.date.fromisoformat(row[f"milestone_{days}_days"]) == end - dt.timedelta(days=days), row


def test_feeds_split_by_partner_keep_each_partners_rows_in_order(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(_Feed, "BLOCK_ROWS", 2)  # the CSV cells converted in several blocks
    table = pa.table({"partner_id": ["P2", "P1", "P2", "P3", "P1", "P2"], "n": [1, 2, 3, 4, 5, -6]})
    feed = _Feed(table)
    assert {partner: feed.piece(partner).column("n").to_pylist() for partner in feed.runs} == {
        "P1": [2, 5],
        "P2": [1, 3, -6],
        "P3": [4],
    }
    asked = ["P3", "P1", "P2", "P1", "P9"]  # in any order, a block converted again when needed
    assert [feed.cells(partner) for partner in asked] == [
        [("P3", "4")],
        [("P1", "2"), ("P1", "5")],
        [("P2", "1"), ("P2", "3"), ("P2", "-6")],  # a number, not a formula: no apostrophe
        [("P1", "2"), ("P1", "5")],
        [],
    ]
    assert feed.piece("P9").num_rows == 0
    assert _Feed(table.slice(0, 0)).runs == {}


def test_a_partner_without_rows_keeps_the_converted_block(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(_Feed, "BLOCK_ROWS", 4)
    converted: list[int] = []
    convert = partner_feeds.column_cells
    monkeypatch.setattr(partner_feeds, "column_cells", lambda column: converted.append(len(column)) or convert(column))
    feed = _Feed(pa.table({"partner_id": ["P1", "P1", "P2", "P2", "P2", "P3"]}))
    assert feed.cells("P2") == [("P2",)] * 3  # rows 2-5 converted
    assert feed.cells("P9") == []
    assert feed.cells("P3") == [("P3",)]  # row 5, still in the block
    assert converted == [4]


def test_feed_folder_names_are_safe_distinct_and_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    ids = [
        "../../published", "..", ".", "", "a/b", "a-b", "a_b", "A/B", "a\\b", "ACME/EMEA", "acme", "ACME", "Acme",
        "-rf", ".hidden", "$(rm -rf ~)", "`id`", "a b", "id", "con", "Müller", "Muller", "日本", "x" * 200,
        "x" * 199 + "y",
    ]  # fmt: skip
    folders = feed_folders(ids)
    names = list(folders.values())
    assert len(set(names)) == len({name.lower() for name in names}) == len(ids)  # distinct, also ignoring case
    for partner_id, name in folders.items():
        assert FEED_FOLDER_NAME.fullmatch(name) and re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,52}", name), partner_id
        assert (tmp_path / name).resolve().parent == tmp_path.resolve()
        assert feed_folder_name(partner_id) == name
    # readable where the id allows, and the same in every process and week (pinned)
    assert folders["ACME/EMEA"] == "acme-emea_e01461bbf57f"
    assert (folders["acme"], folders["ACME"]) == ("acme_822b33ad87c1", "acme_a8308e8e2e4b")
    assert folders["../../published"] == "published_8a114e68a450"
    assert (folders[".."], folders["."]) == ("id_5ec1f7e700f3", "id_cdb4ee2aea69")
    assert folders["Müller"].startswith("muller_") and folders["x" * 200] == "x" * 40 + "_aa20c23e3201"

    monkeypatch.setattr(partner_feeds, "feed_folder_name", lambda partner_id: "same_000000000000")
    with pytest.raises(FeedError, match=r"partner ids 'acme' and 'ACME' map to the same feed folder same_000000000000"):
        feed_folders(["acme", "ACME"])


def _tree(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_feeds_written_by_several_threads_equal_one_thread_and_an_error_stops_them(published, tmp_path, monkeypatch):
    source = published.published_duckdb
    monkeypatch.setattr(partner_feeds, "FEED_WRITERS", 1)
    write_partner_feeds(source, tmp_path / "one", log=lambda _: None)
    monkeypatch.setattr(partner_feeds, "FEED_WRITERS", 3)
    result = write_partner_feeds(source, tmp_path / "three", log=lambda _: None)
    one, three = _tree(tmp_path / "one"), _tree(tmp_path / "three")
    partners = query(source, "select count(*) from dim_partners")[0][0]
    assert result.partners == partners > 5 and len(three) == partners * len(FEEDS) * 2 + 2  # + the two indexes
    assert three == one  # byte for byte, index included (partner order)

    # a link on one partner's folder name: that partner fails, the error reaches the caller, nothing is
    # written through the link, and no work folder is left behind by the threads
    folders = _feed_index(tmp_path / "three")
    partner = sorted(folders)[5]
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(tmp_path / "three" / folders[partner])
    os.symlink(outside, tmp_path / "three" / folders[partner])
    with pytest.raises(FeedError, match="is not a feed folder"):
        write_partner_feeds(source, tmp_path / "three", log=lambda _: None)
    assert list(outside.iterdir()) == []
    assert not [p.name for p in (tmp_path / "three").iterdir() if p.name.startswith((".new-", ".old-"))]
    first = folders[sorted(folders)[0]]  # written again before the error, the same
    assert _tree(tmp_path / "three" / first) == _tree(tmp_path / "one" / first)


def test_stale_feed_folder_cleanup_removes_only_what_the_step_wrote(tmp_path: Path):
    root = tmp_path / "partners"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "usage.csv").write_text("not a feed", encoding="utf-8")
    entries = {
        "kept-partner_0123456789ab": ["usage.csv"],  # a current partner
        "gone-partner_0123456789ab": ["usage.csv", "health.parquet"],  # a partner no longer in dim_partners
        f".new-{'a' * 32}": ["usage.csv"],  # work folders of an interrupted run
        f".old-{'b' * 32}": [],
        "P1": ["usage.csv", "health.parquet"],  # a feed folder of the layout named by the raw id
        "notes": ["todo.txt"],  # not the step's
        "P9": ["usage.csv", "todo.txt"],
        "empty": [],
    }
    for folder, files in entries.items():
        (root / folder).mkdir(parents=True)
        for name in files:
            (root / folder / name).write_text("x", encoding="utf-8")
    (root / "index.csv").write_text("x", encoding="utf-8")
    (root / "gone_0123456789ab").write_text("a file with a folder's name", encoding="utf-8")
    os.symlink(outside, root / "link_0123456789ab")
    os.symlink(outside, root / "P7")

    removed = _remove_stale_folders(root, keep={"kept-partner_0123456789ab"})

    assert sorted(removed) == sorted(["gone-partner_0123456789ab", f".new-{'a' * 32}", f".old-{'b' * 32}", "P1"])
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [
            "kept-partner_0123456789ab",
            "notes",
            "P9",
            "empty",
            "index.csv",
            "gone_0123456789ab",
            "link_0123456789ab",
            "P7",
        ]
    )
    assert (outside / "usage.csv").read_text(encoding="utf-8") == "not a feed"
    with pytest.raises(FeedError, match="is not a feed folder"):  # never written through a link
        _replace_folder(root, "link_0123456789ab", {"usage": _Feed(pa.table({"partner_id": ["x"]}))}, "x")
    assert sorted(p.name for p in outside.iterdir()) == ["usage.csv"]


# Partner ids that are not names of a folder (SPEC §2), each with one account (O0..O7), refreshed
# twice; P1 / P2 and their accounts come from the minimal data set. ("..." next to "../../published"
# made the earlier code swap the warehouse's published/ folder for a feed folder.) A2 was P1's
# until 2024-03-01 and is P2's since (partner_assignments): the weeks whose D (the Sunday) is on
# or after 2024-03-01 are P2's.
ODD_IDS = ["../../published", "...", "..", ".", "a/b", "ACME/EMEA", "acme", "ACME"]
ODD_WEEKS = (dt.date(2024, 4, 8), dt.date(2024, 4, 15))
ODD_LANDING = {
    "partners": MINIMAL["partners"]
    + [(pid, f"Odd partner {i}", "MSP", "Gold", "NA", "2023-01-02") for i, pid in enumerate(ODD_IDS)],
    "accounts": MINIMAL["accounts"]
    + [
        (f"O{i}", f"Odd account {i}", pid, "SMB", "Software", "NA", "US", "2023-06-01") for i, pid in enumerate(ODD_IDS)
    ],
    "partner_assignments": [
        ("A1", "P1", "2023-06-01", None),
        ("A2", "P1", "2023-07-01", "2024-03-01"),
        ("A2", "P2", "2024-03-01", None),
    ],
    "subscriptions": MINIMAL["subscriptions"]
    + [
        (f"SO{i}", f"O{i}", "USD", "2023-06-01", "2025-05-31", "true", "active", None, None)
        for i in range(len(ODD_IDS))
    ],
    "subscription_items": MINIMAL["subscription_items"]
    + [(f"IO{i}", f"SO{i}", "PR-CORE-1", "10", "600.00", "0", "2023-06-01", None) for i in range(len(ODD_IDS))],
}
SENTINEL = "not the pipeline's"


@pytest.fixture(scope="module")
def odd_ids(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("odd_ids")
    with isolated_env(root, FIRST_WEEK) as settings:
        write_minimal_landing(settings.landing_dir, overrides=ODD_LANDING)
        sentinels = [
            root / "next_to_the_warehouse.txt",
            settings.warehouse_dir / "sentinel.txt",
            settings.published_dir / "sentinel.txt",
            settings.exports_dir / "sentinel.txt",
            settings.exports_dir / "partners" / "sentinel.txt",
        ]
        for path in sentinels:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(SENTINEL, encoding="utf-8")
        root_dir = settings.exports_dir / "partners"
        indexes = []
        for week in ODD_WEEKS:
            assert refresh(week)[0] == 0
            indexes.append(_feed_index(root_dir))
        yield settings, sentinels, indexes


def test_odd_partner_ids_never_reach_outside_the_partner_feeds_folder(odd_ids):
    settings, sentinels, _ = odd_ids
    assert [path.read_text(encoding="utf-8") for path in sentinels] == [SENTINEL] * len(sentinels)
    assert query(settings.published_duckdb, "select count(*) from dim_partners")[0][0] == 10
    assert (settings.published_dir / "parquet" / "dim_partners.parquet").is_file()
    assert (settings.reports_dir / f"executive-{ODD_WEEKS[1]}.html").is_file()


def test_each_odd_partner_id_gets_its_own_folder_with_only_its_accounts(odd_ids):
    settings, _, (first, second) = odd_ids
    root = settings.exports_dir / "partners"
    expected = {"P1": ["A1"], "P2": ["A2"]} | {pid: [f"O{i}"] for i, pid in enumerate(ODD_IDS)}
    assert first == second  # the same folder every week
    assert sorted(second) == sorted(expected)
    assert second["ACME/EMEA"] == "acme-emea_" + hashlib.sha256(b"ACME/EMEA").hexdigest()[:12]
    assert second["../../published"].startswith("published_") and second[".."].startswith("id_")
    assert len({folder.lower() for folder in second.values()}) == 10  # acme and ACME apart, whatever the file system
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == sorted(second.values())
    for partner, accounts in expected.items():
        folder = root / second[partner]
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            f"{f}.{ext}" for f in FEEDS for ext in ("csv", "parquet")
        )
        health = pq.read_table(folder / "health.parquet")
        assert health.column("account_id").to_pylist() == accounts, partner
        for feed in FEEDS:
            table = pq.read_table(folder / f"{feed}.parquet")
            assert set(table.column("account_id").to_pylist()) <= set(accounts), (partner, feed)
            assert set(table.column("partner_id").to_pylist()) <= {partner}, (partner, feed)
    with (root / "index.csv").open(encoding="utf-8", newline="") as handle:
        index_csv = list(csv.DictReader(handle))
    assert {row["partner_id"]: row["folder"] for row in index_csv} == second
    by_id = {row["partner_id"]: row for row in index_csv}
    assert (by_id["ACME"]["partner_name"], by_id["ACME"]["accounts"], by_id["ACME"]["health_rows"]) == (
        "Odd partner 7",
        "1",
        "1",
    )


def test_usage_feed_shows_only_the_weeks_the_account_was_the_partners(odd_ids):
    settings, _, (_, index) = odd_ids
    root = settings.exports_dir / "partners"

    def usage(partner: str) -> list[tuple[str, dt.date]]:
        table = pq.read_table(root / index[partner] / "usage.parquet")
        return list(zip(table.column("account_id").to_pylist(), table.column("week_start").to_pylist(), strict=True))

    # D = 2024-04-21: the 13 weeks 2024-01-22 ... 2024-04-15; A2 is P2's from the week of 2024-02-26
    # (its Sunday 2024-03-03 is after the takeover on 2024-03-01); the 5 weeks before were P1's.
    thirteen = [dt.date(2024, 1, 22) + dt.timedelta(weeks=n) for n in range(13)]
    assert usage("P2") == [("A2", week) for week in thirteen[5:]]
    assert thirteen[5] == dt.date(2024, 2, 26) and len(thirteen[5:]) == 8
    assert usage("P1") == [("A1", week) for week in thirteen]  # A2 is no longer P1's on D: not in its feeds


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
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_path.as_uri())
            # a 1,400 px window is used: content across it, two charts side by side
            assert page.locator("main").bounding_box()["width"] >= 1350
            bridge, retention = (page.locator(f"section#{name}").bounding_box() for name in ("arr-bridge", "retention"))
            assert bridge["y"] == retention["y"] and retention["x"] > bridge["x"] + bridge["width"]
            nrr_label = page.locator(".kpi .label").nth(1).inner_text()
            assert re.fullmatch(r"NRR, trailing 12 months to \d{4}-\d{2}", nrr_label)
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
            pdf = page.pdf(format="A4", print_background=True)  # the print stylesheet, as a CFO would forward it
            page.emulate_media(media="print")
            page.set_viewport_size({"width": 703, "height": 1000})  # A4's printable width at 12 mm margins
            assert page.evaluate("document.documentElement.scrollWidth") <= 703  # nothing cut off on paper
            phone = browser.new_page(viewport={"width": 390, "height": 844})
            phone.goto(page_path.as_uri())
            assert phone.evaluate("document.documentElement.scrollWidth <= innerWidth")  # no sideways page scroll
            for name in charts:
                box = phone.locator(f'svg.chart[data-chart="{name}"]').bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] > 100, name
            phone.locator('table[data-table="leaderboard"]').scroll_into_view_if_needed()
            assert phone.evaluate("document.documentElement.scrollWidth <= innerWidth")
        finally:
            browser.close()
    assert errors == []
    image = screenshot.read_bytes()
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and len(image) > 50_000
    assert pdf[:5] == b"%PDF-" and len(pdf) > 30_000 and len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) >= 2


def test_trailing_retention_is_the_calendar_year_of_rpt_retention_at_a_december_end(published):
    """The page's trailing-twelve-month NRR / GRR (not a mart) follows SPEC §4 exactly: to December
    it is rpt_retention's calendar-year row, same cohort, same constant currency."""
    with duckdb.connect(str(published.published_duckdb), read_only=True) as con:
        trailing = {r.month_start: r for r in trailing_retention(con)}
        years = con.execute(
            "select period_start, nrr, grr from rpt_retention where period_type = 'year' and dimension = 'overall'"
        ).fetchall()
    compared = [(start, nrr, grr) for start, nrr, grr in years if dt.date(start.year, 12, 1) in trailing]
    assert [start for start, _, _ in compared] == [dt.date(2022, 1, 1), dt.date(2023, 1, 1)]  # 24 months to Jun 2024
    for start, nrr, grr in compared:
        december = trailing[dt.date(start.year, 12, 1)]
        assert abs(december.nrr - nrr) < Decimal("1e-9") and abs(december.grr - grr) < Decimal("1e-9"), start


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
    # generated from this project: the next refresh keeps the site unless the project changes
    assert docs_are_current(published.published_dir / "docs", project_fingerprint(get_dbt_project().manifest_path))


def test_docs_fingerprint_follows_the_project_not_the_run(tmp_path: Path):
    def fingerprint(manifest: dict) -> str:
        path = tmp_path / "manifest.json"
        path.write_text(json.dumps(manifest), encoding="utf-8")
        return project_fingerprint(path)

    metadata = {"dbt_version": "1.11.0", "adapter_type": "duckdb", "generated_at": "2026-11-30T01:00:00Z"}
    project = {"nodes": {"model.partnerpulse.dim_accounts": {"description": "One row per account."}}}
    base = fingerprint({"metadata": metadata, **project})
    rerun = {**metadata, "generated_at": "2026-12-07T01:00:00Z", "invocation_id": "another run"}
    assert fingerprint({"metadata": rerun, **project}) == base
    described = {"nodes": {"model.partnerpulse.dim_accounts": {"description": "One row per customer account."}}}
    assert fingerprint({"metadata": metadata, **described}) != base
    assert fingerprint({"metadata": {**metadata, "adapter_type": "postgres"}, **project}) != base
    # parsed again (a file edited and edited back) or from another folder: the same project
    node = project["nodes"]["model.partnerpulse.dim_accounts"]
    reparsed = {"nodes": {"model.partnerpulse.dim_accounts": {**node, "created_at": 1764900000.5}}}
    moved = {"nodes": {"model.partnerpulse.dim_accounts": {**node, "root_path": "/srv/partnerpulse/dbt_project"}}}
    assert fingerprint({"metadata": metadata, **reparsed}) == base == fingerprint({"metadata": metadata, **moved})
    # a column of that name is the project's own: its description counts
    column = {"columns": {"created_at": {"name": "created_at", "description": "When the row was created."}}}
    with_column = {"nodes": {"model.partnerpulse.dim_accounts": {**node, **column}}}
    redescribed = json.loads(json.dumps(with_column))
    redescribed["nodes"]["model.partnerpulse.dim_accounts"]["columns"]["created_at"]["description"] = "Created."
    assert fingerprint({"metadata": metadata, **with_column}) != fingerprint({"metadata": metadata, **redescribed})
    # a disabled resource (a list per unique id) parsed again: the same project
    disabled = {"model.partnerpulse.old": [{"name": "old", "created_at": 1.0, "description": "Retired."}]}
    reparsed_disabled = {"model.partnerpulse.old": [{"name": "old", "created_at": 2.0, "description": "Retired."}]}
    assert fingerprint({"metadata": metadata, **project, "disabled": disabled}) == fingerprint(
        {"metadata": metadata, **project, "disabled": reparsed_disabled}
    )
    site = tmp_path / "docs"
    site.mkdir()
    assert not docs_are_current(site, base)  # nothing published yet
