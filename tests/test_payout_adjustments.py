"""Adjustments to closed payout periods (SPEC §8, decision 148), worked out by hand on test_payouts.py's
dataset, with one more EUR rate (1.25 from 2024-05-20: May's rate, as May's last rate) and a late deal.

The story, each step a real refresh or close through the CLI (D = the refreshed week's Sunday):
1. refresh the week of 2024-07-01 (D = 2024-07-07); close May 2024. D1 (10,000 EUR, won 2024-05-10, P1 Gold)
   was frozen at 10,000 x 1.25 x 10.5% = 1,312.50.
2. D1 is corrected to 11,000 EUR (1,443.75: +131.25) and a late deal lands in May: D8, A2 (P2 Silver),
   Upsell of 1,000.05 USD won 2024-05-15, 1,000.05 x 8.4% = 84.0042, paid as 84.00. Refresh: both
   differences are booked in June, the first open period after May — the one finance closes and pays next.
3. close June: the two adjustments are frozen with it (paid once).
4. D8 is corrected to 1,000.06: 84.00504, paid as 84.01. The exact difference, 0.00084, would be paid as
   0.00; counted in cents it is 84.01 - 84.00 = +0.01, booked in July (May and June are closed).
5. D8 is withdrawn: its line is gone, and it was never frozen with May — only its June adjustment was.
   The reversal, -84.00, is booked in July; the unfrozen +0.01 of step 4 is gone with the line.
6. a re-run of the week of 2024-05-06 (D = 2024-05-12), inside closed May: May is not seen whole, so
   nothing is adjusted (at D, EUR was still 1.20: D1 would have looked like 1,386.00); the July folder,
   whose lines the published ledger no longer has, is removed; the final folders stay byte for byte.

A second, shorter story closes the periods out of order: June first, then May; a correction of May then goes
to July, the first period after May that is still open.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest

from dagster_project.cli import main
from dagster_project.settings import Settings
from tests.helpers import isolated_env, query, refresh
from tests.landing import write_minimal_landing, write_table
from tests.test_payouts import EMPTY, FIRST, WEEK, _build, _with_a_partner_named_direct, upsell_row

MAY, JUNE, JULY = dt.date(2024, 5, 1), dt.date(2024, 6, 1), dt.date(2024, 7, 1)
D1_ORIGINAL = "D1,A1,P1,sourced,Upsell,PR-CORE,Closed Won,10000"
D1_CORRECTED = "D1,A1,P1,sourced,Upsell,PR-CORE,Closed Won,11000"


def _d8(amount: str) -> list[str]:
    return upsell_row("D8", "A2", "P2", amount, created="2024-04-01", won="2024-05-15")


def _set_d8(landing: Path, amount: str | None) -> None:
    """opportunities.csv with D8 at ``amount`` (None: without D8)."""
    with (landing / "opportunities.csv").open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    rows = [row for row in rows if row[0] != "D8"] + ([_d8(amount)] if amount is not None else [])
    write_table(landing, "opportunities", rows, columns=header)


def _adjustments(settings) -> list[tuple]:
    """(period, status, partner, amount, adjusted period, adjusted line id, description) of every adjustment."""
    return query(
        settings.published_duckdb,
        "select payout_period, period_status, partner_id, amount_usd, adjusts_period, adjusts_payout_line_id, "
        "description from fct_incentive_payouts where incentive_type = 'adjustment' "
        "order by payout_period, partner_id, amount_usd",
    )


def _folders(settings) -> dict[str, tuple[str, str, dict[str, bytes]]]:
    """Each finance folder: (status, total, every file's bytes)."""
    folders = {}
    for folder in sorted((settings.exports_dir / "payouts").iterdir()):
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        folders[folder.name] = (
            manifest["status"],
            manifest["total_usd"],
            {path.name: path.read_bytes() for path in folder.iterdir()},
        )
    return folders


def _adjustment_cells(settings, period: str) -> list[tuple[str, str, str]]:
    """(partner_id, amount_usd, description) of the adjustment lines in a period's payout_lines.csv."""
    with (settings.exports_dir / "payouts" / period / "payout_lines.csv").open(encoding="utf-8", newline="") as handle:
        return [
            (row["partner_id"], row["amount_usd"], row["description"])
            for row in csv.DictReader(handle)
            if row["incentive_type"] == "adjustment"
        ]


def _landing() -> dict[str, list]:
    """test_payouts.py's dataset, with May's last EUR rate (1.25 from 2024-05-20)."""
    data = _with_a_partner_named_direct(_build())
    data["fx_rates"] = [*data["fx_rates"], ("EUR", "2024-05-20", "1.25")]
    return {**data, **{table: [] for table in EMPTY}}


@contextmanager
def _refreshed(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Settings]:
    """A temp folder of its own with that dataset landed and the week of 2024-07-01 refreshed (D = 2024-07-07)."""
    root = tmp_path_factory.mktemp(name)
    with isolated_env(root, FIRST) as settings:
        write_minimal_landing(root / "landing", overrides=_landing())
        assert refresh(WEEK)[0] == 0
        yield settings


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> dict:
    seen: dict = {}
    with _refreshed(tmp_path_factory, "adjustments") as settings:
        opportunities = settings.landing_dir / "opportunities.csv"
        assert main(["close-period", "2024-05"]) == 0
        seen["d1_frozen"] = query(
            settings.duckdb_path,
            "select amount_usd, payout_line_id from ledger.payout_lines_closed where source_id = 'D1'",
        )
        # 2: D1 corrected, D8 lands late in May
        opportunities.write_text(opportunities.read_text().replace(D1_ORIGINAL, D1_CORRECTED))
        _set_d8(settings.landing_dir, "1000.05")
        assert refresh(WEEK)[0] == 0
        # D8's line is computed, never published: May shows its frozen lines only
        seen["d8_line"] = query(
            settings.duckdb_path,
            "select payout_line_id, amount_usd from intermediate.int_payout_lines_computed where source_id = 'D8'",
        )
        seen["2"] = _adjustments(settings)
        seen["2 june cells"] = _adjustment_cells(settings, "2024-06")
        # 3: June closed, its adjustments frozen with it
        assert main(["close-period", "2024-06"]) == 0
        seen["3 frozen"] = query(
            settings.duckdb_path,
            "select payout_period, partner_id, amount_usd from ledger.payout_lines_closed "
            "where incentive_type = 'adjustment' order by partner_id",
        )
        # 4: D8 corrected by a cent's fraction
        _set_d8(settings.landing_dir, "1000.06")
        assert refresh(WEEK)[0] == 0
        seen["4"] = _adjustments(settings)
        seen["4 july cells"] = _adjustment_cells(settings, "2024-07")
        # 5: D8 withdrawn
        _set_d8(settings.landing_dir, None)
        assert refresh(WEEK)[0] == 0
        seen["5"] = _adjustments(settings)
        seen["5 july cells"] = _adjustment_cells(settings, "2024-07")
        seen["5 folders"] = _folders(settings)
        seen["5 P2 D8 net"] = query(
            settings.published_duckdb,
            "select sum(amount_usd) from fct_incentive_payouts where adjusts_payout_line_id = ?",
            [seen["d8_line"][0][0]],
        )
        # 6: a week inside closed May, refreshed again
        assert refresh(dt.date(2024, 5, 6))[0] == 0
        seen["6"] = _adjustments(settings)
        seen["6 folders"] = _folders(settings)
        seen["6 d1"] = query(
            settings.published_duckdb,
            "select period_status, amount_usd from fct_incentive_payouts "
            "where source_id = 'D1' and incentive_type = 'expansion_commission'",
        )
        yield seen


def test_a_difference_goes_to_the_first_open_period_after_the_closed_one(story):
    assert [row[0] for row in story["d1_frozen"]] == [Decimal("1312.5")]  # 10,000 EUR x 1.25 x 10.5%
    ((d8_line, d8_amount),) = story["d8_line"]
    assert d8_amount == Decimal("84.0042")  # 1,000.05 x 8.4%
    assert [row[:6] for row in story["2"]] == [
        (JUNE, "open", "P1", Decimal("131.25"), MAY, story["d1_frozen"][0][1]),  # 1,443.75 - 1,312.50
        (JUNE, "open", "P2", Decimal("84.00"), MAY, d8_line),  # 84.0042, paid as 84.00 - nothing frozen
    ]
    assert [row[6] for row in story["2"]] == [
        "Correction of expansion_commission D1 in closed period 2024-05-01",
        "Correction of expansion_commission D8 in closed period 2024-05-01",
    ]
    assert story["2 june cells"] == [
        ("P1", "131.25", "Correction of expansion_commission D1 in closed period 2024-05-01"),
        ("P2", "84.00", "Correction of expansion_commission D8 in closed period 2024-05-01"),
    ]


def test_closing_that_period_freezes_the_adjustments_once(story):
    assert story["3 frozen"] == [(JUNE, "P1", Decimal("131.25")), (JUNE, "P2", Decimal("84.00"))]
    # after the close, D1 (unchanged since) is not adjusted again: 1,443.75 - 1,312.50 - 131.25 = 0
    assert [row[:4] for row in story["4"] if row[2] == "P1"] == [(JUNE, "closed", "P1", Decimal("131.25"))]


def test_a_difference_is_counted_in_the_cents_that_were_paid(story):
    d8_line = story["d8_line"][0][0]
    assert [row[:6] for row in story["4"] if row[2] == "P2"] == [
        (JUNE, "closed", "P2", Decimal("84.00"), MAY, d8_line),
        (JULY, "open", "P2", Decimal("0.01"), MAY, d8_line),  # 84.01 - 84.00, not 84.00504 - 84.0042 = 0.00084
    ]
    assert [cells[:2] for cells in story["4 july cells"]] == [("P2", "0.01")]


def test_a_line_that_is_gone_is_reversed_also_when_only_its_adjustment_was_frozen(story):
    d8_line = story["d8_line"][0][0]
    july = [row for row in story["5"] if row[0] == JULY]
    assert [row[:6] for row in july] == [(JULY, "open", "P2", Decimal("-84.00"), MAY, d8_line)]
    reversal = f"Reversal of the adjustments to line {d8_line}, no longer computed, in closed period 2024-05-01"
    assert july[0][6] == reversal
    assert story["5 july cells"] == [("P2", "-84.00", july[0][6])]
    assert story["5 P2 D8 net"] == [(Decimal("0"),)]  # +84.00 frozen in June, -84.00 in July
    assert [row[:4] for row in story["5"] if row[0] == JUNE] == [
        (JUNE, "closed", "P1", Decimal("131.25")),
        (JUNE, "closed", "P2", Decimal("84.00")),
    ]


def test_a_re_run_inside_a_closed_month_adjusts_nothing_and_leaves_no_stale_folder(story):
    assert [row[:4] for row in story["6"]] == [
        (JUNE, "closed", "P1", Decimal("131.25")),
        (JUNE, "closed", "P2", Decimal("84.00")),
    ]
    assert story["6 d1"] == [("closed", Decimal("1312.5"))]  # as frozen; at D EUR was 1.20, not compared
    before, after = story["5 folders"], story["6 folders"]
    assert before["2024-07"][0] == "open" and "2024-07" not in after  # no July line as of 2024-05-12
    for period in ("2024-05", "2024-06"):
        assert after[period][0] == "final" and after[period] == before[period]
    assert after["2024-06"][1] == before["2024-06"][1]


def _frozen(settings, period: dt.date) -> list[tuple]:
    return query(
        settings.duckdb_path,
        "select payout_line_id, incentive_type, partner_id, amount_usd from ledger.payout_lines_closed "
        "where payout_period = ? order by payout_line_id",
        [period],
    )


@pytest.fixture(scope="module")
def out_of_order(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The same data; June is closed before May, then D1 (a deal of May) is corrected."""
    seen: dict = {}
    with _refreshed(tmp_path_factory, "out-of-order") as settings:
        seen["published june"] = query(
            settings.published_duckdb,
            "select payout_line_id, incentive_type, partner_id, amount_usd from fct_incentive_payouts "
            "where payout_period = ? order by payout_line_id",
            [JUNE],
        )
        assert main(["close-period", "2024-06"]) == 0
        seen["june frozen"] = _frozen(settings, JUNE)
        seen["may frozen before its close"] = _frozen(settings, MAY)
        june_folder = settings.exports_dir / "payouts" / "2024-06"
        seen["june files"] = {path.name: path.read_bytes() for path in june_folder.iterdir()}
        assert main(["close-period", "2024-05"]) == 0
        seen["may frozen"] = _frozen(settings, MAY)
        opportunities = settings.landing_dir / "opportunities.csv"
        opportunities.write_text(opportunities.read_text().replace(D1_ORIGINAL, D1_CORRECTED))
        assert refresh(WEEK)[0] == 0
        seen["adjustments"] = _adjustments(settings)
        seen["june frozen after"] = _frozen(settings, JUNE)
        seen["june files after"] = {path.name: path.read_bytes() for path in june_folder.iterdir()}
        seen["july cells"] = _adjustment_cells(settings, "2024-07")
        yield seen


def test_periods_closed_out_of_order_freeze_each_its_own_lines(out_of_order):
    june = out_of_order["june frozen"]
    assert june and june == out_of_order["published june"]  # what June showed, nothing else
    assert out_of_order["may frozen before its close"] == []  # closing June froze nothing of open May
    d1 = [row for row in out_of_order["may frozen"] if row[1] == "expansion_commission" and row[2] == "P1"]
    assert [row[3] for row in d1] == [Decimal("1312.5")]  # 10,000 EUR x 1.25 x 10.5%, frozen by May's own close
    assert not {row[0] for row in out_of_order["may frozen"]} & {row[0] for row in june}


def test_a_correction_after_out_of_order_closes_goes_past_the_closed_later_period(out_of_order):
    """D1 corrected to 11,000 EUR after June and then May were closed: +131.25 (1,443.75 - 1,312.50) for May,
    booked in July — June, although it comes right after May, is closed and stays as it was paid."""
    d1_line = next(row[0] for row in out_of_order["may frozen"] if row[1] == "expansion_commission" and row[2] == "P1")
    assert [row[:6] for row in out_of_order["adjustments"]] == [(JULY, "open", "P1", Decimal("131.25"), MAY, d1_line)]
    assert out_of_order["july cells"] == [
        ("P1", "131.25", "Correction of expansion_commission D1 in closed period 2024-05-01")
    ]
    assert out_of_order["june frozen after"] == out_of_order["june frozen"]
    assert out_of_order["june files after"] == out_of_order["june files"]


def test_only_open_period_folders_the_step_wrote_are_removed(tmp_path):
    """remove_stale_open_folders: an open period's folder of the step's own files goes; a final one, one with
    a file of someone else's, a link, a folder not named like a period and a kept period stay."""
    from dagster_project.defs.payouts.finance_files import remove_stale_open_folders

    def folder(name: str, status: str, extra: str | None = None) -> Path:
        path = tmp_path / name
        path.mkdir()
        (path / "manifest.json").write_text(json.dumps({"status": status}))
        (path / "payout_lines.csv").write_text("payout_line_id\n")
        (path / f".payout_lines.csv.{'0' * 32}.tmp").write_text("")  # an interrupted write's
        if extra:
            (path / extra).write_text("mine\n")
        return path

    folder("2024-07", "open")
    folder("2024-08", "open")
    folder("2024-06", "final")
    folder("2024-09", "open", extra="notes.txt")
    (folder("2024-11", "open") / "payout_lines.parquet").mkdir()  # a folder named like a file
    (tmp_path / "2024-12").mkdir()
    (tmp_path / "2024-12" / "manifest.json").write_text("[]")  # not a manifest
    folder("july", "open")
    (tmp_path / "2024-10").symlink_to(folder("elsewhere", "open"))
    assert remove_stale_open_folders(tmp_path, keep={"2024-08"}) == ["2024-07"]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "2024-06",
        "2024-08",
        "2024-09",
        "2024-10",
        "2024-11",
        "2024-12",
        "elsewhere",
        "july",
    ]
    assert (tmp_path / "elsewhere" / "manifest.json").is_file()
    assert remove_stale_open_folders(tmp_path / "missing", keep=set()) == []


def test_the_folder_removal_knows_every_file_a_period_s_export_writes(tmp_path):
    from dagster_project.defs.payouts.finance_files import PERIOD_FILES, write_period

    written = write_period(tmp_path, MAY, [], dt.date(2024, 7, 7), final=False)
    assert written.written and {path.name for path in written.directory.iterdir()} == PERIOD_FILES
