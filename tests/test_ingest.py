"""Ingest: structural errors stop the refresh with a message naming file and column; good input loads."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dagster_project.defs.landing import isolated, loader
from dagster_project.defs.landing.contract import landing_tables
from dagster_project.defs.landing.files import IngestError
from dagster_project.defs.landing.isolated import landing_bytes, load_in_subprocess, load_warehouse_raw
from dagster_project.defs.landing.loader import load_landing
from dagster_project.defs.landing.manifest import landed_rows
from dagster_project.lib.warehouse import connect
from dagster_project.settings import Settings
from tests.landing import MINIMAL, write_minimal_landing, write_table


def _ingest(settings: Settings):
    with connect(settings) as con:
        return {load.table: load for load in load_landing(con, settings.landing_dir, log=lambda _: None)}


def _problems(settings: Settings) -> list[str]:
    with pytest.raises(IngestError) as info:
        _ingest(settings)
    return info.value.problems


def test_contract_has_the_21_landing_tables_of_the_spec():
    names = {spec.name for spec in landing_tables()}
    assert names == {
        "partners",
        "accounts",
        "partner_assignments",
        "contacts",
        "activities",
        "opportunities",
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
        "products",
        "subscriptions",
        "subscription_items",
        "invoices",
        "fx_rates",
    }
    optional = {spec.name for spec in landing_tables() if spec.optional}
    assert optional == {"partner_assignments"}


def test_missing_required_table_names_the_expected_files(pp_env: Settings):
    write_minimal_landing(pp_env.landing_dir, skip=["subscriptions"])
    problems = _problems(pp_env)
    assert problems == [
        f"subscriptions: required landing table is missing; expected subscriptions.csv, "
        f"subscriptions.parquet or a folder subscriptions/ of such files in {pp_env.landing_dir}"
    ]


def test_a_required_table_s_folder_without_a_data_file_is_a_missing_table(pp_env: Settings):
    """SPEC §10: a missing file for a required table stops the refresh; an export that wrote no file (an empty
    folder, or only a compressed file the contract does not read) is one. An optional table's empty folder is
    an empty table (decision 156)."""
    write_minimal_landing(pp_env.landing_dir, skip=["usage_daily", "partner_assignments"])
    (pp_env.landing_dir / "usage_daily").mkdir()
    (pp_env.landing_dir / "usage_daily" / "usage_daily.csv.gz").write_bytes(b"\x1f\x8b")
    (pp_env.landing_dir / "partner_assignments").mkdir()  # optional (SPEC §2)
    assert _problems(pp_env) == [
        "usage_daily/: the folder of a required landing table has no .csv or .parquet file (it holds "
        "usage_daily.csv.gz); expected usage_daily.csv, usage_daily.parquet or a folder usage_daily/ of such files"
    ]
    (pp_env.landing_dir / "usage_daily" / "usage_daily.csv.gz").unlink()
    assert _problems(pp_env)[0].startswith(
        "usage_daily/: the folder of a required landing table has no .csv or .parquet file (it is empty)"
    )


def test_missing_required_column_names_file_and_column(pp_env: Settings):
    write_minimal_landing(pp_env.landing_dir)
    columns = [c for c in MINIMAL_COLUMNS("subscriptions") if c != "end_date"]
    write_table(pp_env.landing_dir, "subscriptions", [], columns=columns)
    problems = _problems(pp_env)
    assert len(problems) == 1
    assert problems[0].startswith("subscriptions.csv: required column end_date is missing (expected columns: ")
    assert "found: subscription_id, account_id, currency, start_date, auto_renew" in problems[0]


def MINIMAL_COLUMNS(table: str) -> list[str]:
    return next(list(spec.column_names) for spec in landing_tables() if spec.name == table)


def test_every_problem_is_reported_at_once(pp_env: Settings):
    write_minimal_landing(pp_env.landing_dir, skip=["fx_rates", "products"])
    write_table(pp_env.landing_dir, "accounts", [], columns=["account_id", "segment"])
    problems = _problems(pp_env)
    tables = sorted(p.split(":")[0] for p in problems)
    assert tables.count("accounts.csv") == 6  # six missing columns, one line each
    assert "fx_rates" in tables and "products" in tables


def test_unreadable_parquet_file(pp_env: Settings):
    write_minimal_landing(pp_env.landing_dir, skip=["features"])
    (pp_env.landing_dir / "features.parquet").write_bytes(b"this is not parquet")
    problems = _problems(pp_env)
    assert len(problems) == 1
    assert problems[0].startswith("features.parquet: unreadable Parquet file (")


def test_csv_that_is_not_utf8_is_unreadable(pp_env: Settings):
    write_minimal_landing(pp_env.landing_dir)
    path = pp_env.landing_dir / "accounts.csv"
    path.write_bytes(path.read_bytes() + "A9,Caf\xe9,P1,SMB,Food,EMEA,FR,2023-01-01\n".encode("latin-1"))
    with pytest.raises(IngestError) as info:
        _ingest(pp_env)
    assert info.value.problems == [
        "accounts.csv: unreadable (In CSV column #1: Row #5: CSV conversion error to string: invalid UTF8 data)"
    ]


def test_two_sources_for_one_table_are_ambiguous(pp_env: Settings):
    write_minimal_landing(pp_env.landing_dir)
    pq.write_table(pa.table({"feature_id": ["F9"]}), pp_env.landing_dir / "features.parquet")
    problems = _problems(pp_env)
    assert problems == [
        "features: found more than one landing source (features.csv, features.parquet); keep exactly one"
    ]


def test_missing_landing_folder(pp_env: Settings):
    pp_env.landing_dir.rmdir()
    problems = _problems(pp_env)
    assert problems == [f"landing folder {pp_env.landing_dir} does not exist (set PARTNERPULSE_LANDING_DIR)"]


def test_good_input_loads_with_extras_reported_and_files_untouched(pp_env: Settings):
    landing = write_minimal_landing(pp_env.landing_dir, skip=["partner_assignments"])
    # extra column, upper-case header, and an empty (0-byte) optional-looking table file
    write_table(
        landing,
        "features",
        [("F1", "PR-CORE-1", "Dashboards", "basic", "x")],
        columns=["FEATURE_ID", "product_id", "feature_name", "feature_tier", "owner_team"],
    )
    (landing / "milestones.csv").write_bytes(b"")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in landing.iterdir()}

    loads = _ingest(pp_env)

    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in landing.iterdir()}
    assert before == after
    assert loads["features"].extra_columns == ["owner_team"]
    assert loads["features"].rows_read == 1
    assert loads["partner_assignments"].missing_optional is True
    assert loads["partner_assignments"].rows_read == 0
    assert loads["milestones"].rows_read == 0
    assert "milestones.csv: empty file (no header, no rows); loaded as 0 rows" in loads["milestones"].warnings
    assert loads["accounts"].rows_read == len(MINIMAL["accounts"])
    with duckdb.connect(str(pp_env.duckdb_path), read_only=True) as con:
        assert con.execute("select count(*) from raw.partner_assignments").fetchone()[0] == 0
        row = con.execute(
            "select account_id, partner_id, _source_file, _source_row from raw.accounts order by _ingest_seq"
        ).fetchall()
        assert row[2] == ("A3", None, "accounts.csv", 3)  # empty CSV field = null
        report = con.execute("select extra_columns from raw.ingest_report where table_name = 'features'").fetchone()
        assert report == ('["owner_team"]',)


def test_folder_of_mixed_csv_and_parquet_is_appended_in_file_order(pp_env: Settings):
    landing = write_minimal_landing(pp_env.landing_dir, skip=["usage_daily"])
    folder = landing / "usage_daily"
    folder.mkdir()
    columns = MINIMAL_COLUMNS("usage_daily")
    write_table(folder, "part-1", [("A1", "PR-CORE-1", "2024-02-02", 1, 2, 3, 4, 5.5, 1)], columns=columns)
    (folder / "part-1.csv").rename(folder / "2024-02-02.csv")
    pq.write_table(
        pa.table(
            {
                "account_id": ["A1", "A2"],
                "product_id": ["PR-CORE-1"] * 2,
                "usage_date": pa.array([__import__("datetime").date(2024, 2, 1)] * 2),
                "active_users": [1, 2],
                "weekly_active_users": [2, 3],
                "monthly_active_users": [3, 4],
                "api_calls": [0, 10],
                "storage_gb": [1.0, 2.25],
                "active_departments": [1, 1],
            }
        ),
        folder / "2024-02-01.parquet",
    )
    loads = _ingest(pp_env)
    assert loads["usage_daily"].files == ["usage_daily/2024-02-01.parquet", "usage_daily/2024-02-02.csv"]
    with duckdb.connect(str(pp_env.duckdb_path), read_only=True) as con:
        rows = con.execute(
            "select _ingest_seq, _source_file, _source_row, account_id, usage_date, storage_gb "
            "from raw.usage_daily order by _ingest_seq"
        ).fetchall()
    assert rows == [
        (1, "usage_daily/2024-02-01.parquet", 1, "A1", "2024-02-01", "1.0"),
        (2, "usage_daily/2024-02-01.parquet", 2, "A2", "2024-02-01", "2.25"),
        (3, "usage_daily/2024-02-02.csv", 1, "A1", "2024-02-02", "5.5"),
    ]


def test_malformed_csv_rows_are_kept_for_quarantine_with_their_row_numbers_not_their_text(pp_env: Settings):
    landing = write_minimal_landing(pp_env.landing_dir)
    path = landing / "contacts.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "C9,A1,too,many,fields,here")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    loads = _ingest(pp_env)
    assert loads["contacts"].rows_read == 3
    assert loads["contacts"].rows_malformed == 1
    with duckdb.connect(str(pp_env.duckdb_path), read_only=True) as con:
        malformed = con.execute("select * from raw.ingest_malformed_rows").fetchall()
        rows = con.execute("select contact_id, _source_row from raw.contacts order by _ingest_seq").fetchall()
    # where the line is and its field counts; its text (possibly columns outside the contract) is not kept
    assert malformed == [
        ("contacts", "contacts.csv", 2, 5, 6, "malformed CSV row: expected 5 fields, found 6"),
    ]
    assert rows == [("C1", 1), ("C2", 3), ("C3", 4)]


def test_quoted_values_with_line_breaks_load_across_parse_blocks(pp_env: Settings, monkeypatch: pytest.MonkeyPatch):
    """RFC 4180 values may hold line breaks. A file larger than one parse block (16 MiB; 1,000 bytes here) whose
    value's line break falls on a block cut is read again with values spanning lines: every row, once
    (decision 156), after the rows of the table's earlier files."""
    landing = write_minimal_landing(pp_env.landing_dir, skip=["business_events"])
    events = [(f"E{i:03d}", "A1", "funding_round", "2024-01-05", f"line one\nline two {i}") for i in range(200)]
    columns = ["event_id", "account_id", "event_type", "event_date", "description"]
    write_table(landing / "business_events", "a_part", events[:3], columns=columns)
    write_table(landing / "business_events", "b_part", events[3:], columns=columns)
    monkeypatch.setattr(loader, "CSV_BLOCK_SIZE", 1000)
    loads = _ingest(pp_env)
    assert loads["business_events"].rows_read == 200
    with duckdb.connect(str(pp_env.duckdb_path), read_only=True) as con:
        rows = con.execute("select event_id, description, _ingest_seq from raw.business_events order by 3").fetchall()
    assert [(event, description) for event, description, _ in rows] == [(e[0], e[4]) for e in events]
    assert [seq for *_, seq in rows] == list(range(1, 201))


def test_a_csv_that_ends_inside_a_quote_is_unreadable(pp_env: Settings):
    """A truncated export whose last value opens a quote never closed: Arrow would read the rest of the file,
    E31's row included, into E30's description, and E31 would be neither staged nor quarantined. The file is
    unreadable instead (SPEC §10: nothing is lost; decision 156); the same value closed loads."""
    landing = write_minimal_landing(pp_env.landing_dir)
    events = landing / "business_events.csv"
    complete = events.read_text(encoding="utf-8")
    events.write_text(
        complete + 'E30,A1,funding_round,2024-01-20,"a 12"" screen\nE31,A1,product_launch,2024-01-22,ok\n',
        encoding="utf-8",
    )
    rows = len(MINIMAL["business_events"])
    assert _problems(pp_env) == [
        f"business_events.csv: unreadable, the value of description on data row {rows + 1} opens a quote that is "
        "never closed, so the rest of the file would be read into it; close the quote or export the file again"
    ]
    events.write_text(complete + 'E30,A1,funding_round,2024-01-20,"a 12"" screen\nsecond line"\n', encoding="utf-8")
    assert _ingest(pp_env)["business_events"].rows_read == rows + 1


def test_failed_ingest_leaves_previous_raw_data(pp_env: Settings):
    write_minimal_landing(pp_env.landing_dir)
    _ingest(pp_env)
    write_table(pp_env.landing_dir, "accounts", [("A1", "x", None, "SMB", "y", "NA", "US", "2023-01-01")])
    # training_enrollments loads after accounts; its bad bytes are found only while loading
    path = pp_env.landing_dir / "training_enrollments.csv"
    path.write_bytes(path.read_bytes() + b"TE9,A1,C\xff,2024-01-01,\n")
    with pytest.raises(IngestError, match=r"training_enrollments\.csv: unreadable"):
        _ingest(pp_env)
    with duckdb.connect(str(pp_env.duckdb_path), read_only=True) as con:
        assert con.execute("select count(*) from raw.accounts").fetchone()[0] == len(MINIMAL["accounts"])


def test_header_only_tables_are_valid_and_empty(pp_env: Settings, tmp_path: Path):
    write_minimal_landing(pp_env.landing_dir, overrides={"activities": [], "nps_responses": []})
    loads = _ingest(pp_env)
    assert loads["activities"].rows_read == 0
    assert loads["nps_responses"].rows_read == 0
    assert loads["activities"].warnings == []


def _raw_state(path: Path) -> dict[str, list[tuple]]:
    """Every raw table that holds landed rows, in load order, plus the malformed-line records."""
    with duckdb.connect(str(path), read_only=True) as con:
        state = {
            spec.name: con.execute(f"select * from raw.{spec.name} order by _ingest_seq").fetchall()
            for spec in landing_tables()
        }
        state["ingest_malformed_rows"] = con.execute(
            "select * from raw.ingest_malformed_rows order by table_name, source_file, source_row"
        ).fetchall()
        state["ingest_report"] = con.execute("select * from raw.ingest_report order by table_name").fetchall()
    return state


def _full_load_state(landing: Path, tmp_path: Path, name: str) -> dict[str, list[tuple]]:
    """The raw tables a load of the landing folder from scratch gives (a warehouse of its own)."""
    path = tmp_path / f"{name}.duckdb"
    with duckdb.connect(str(path)) as con:
        load_landing(con, landing, log=lambda _: None)
    return _raw_state(path)


def _landed(path: Path) -> tuple[int, int]:
    """The manifest's landed rows, and the rows of the raw tables (they must agree)."""
    with duckdb.connect(str(path), read_only=True) as con:
        counted = sum(
            con.execute(f"select count(*) from raw.{spec.name}").fetchone()[0]
            for spec in landing_tables()
            if con.execute(
                "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = ?", [spec.name]
            ).fetchone()[0]
        )
        return landed_rows(con), counted


def _usage_file(folder: Path, day: str, rows: list[tuple], extra_line: str | None = None) -> None:
    write_table(folder, "day", rows, columns=MINIMAL_COLUMNS("usage_daily"))
    path = folder / "day.csv"
    if extra_line:
        path.write_text(path.read_text(encoding="utf-8") + extra_line + "\n", encoding="utf-8")
    path.rename(folder / f"{day}.csv")


def test_ingest_reads_only_new_or_changed_files_and_equals_a_full_load(pp_env: Settings, tmp_path: Path):
    landing = write_minimal_landing(pp_env.landing_dir, skip=["usage_daily"])
    folder = landing / "usage_daily"
    folder.mkdir()
    _usage_file(folder, "2024-02-01", [("A1", "PR-CORE-1", "2024-02-01", 8, 12, 15, 40, 2.5, 2)], "A1,too,few")
    _usage_file(folder, "2024-02-02", [("A1", "PR-CORE-1", "2024-02-02", 9, 12, 15, 41, 2.5, 2)] * 2)

    with duckdb.connect() as con:  # no ingest yet
        assert landed_rows(con) == 0
    first = _ingest(pp_env)
    assert {load.mode for load in first.values()} == {"reload"}
    first_rows = _landed(pp_env.duckdb_path)
    assert first_rows[0] == first_rows[1] > 3  # usage_daily's 3 rows and the other tables' (the malformed line not)
    assert first["usage_daily"].reason == "first load"
    loaded = _raw_state(pp_env.duckdb_path)
    assert [row[-3:] for row in loaded["usage_daily"]] == [
        (1, "usage_daily/2024-02-01.csv", 1),
        (2, "usage_daily/2024-02-02.csv", 1),
        (3, "usage_daily/2024-02-02.csv", 2),
    ]

    # nothing changed: every table is kept, nothing is re-read, the malformed line is still on record
    again = _ingest(pp_env)
    assert {load.mode for load in again.values()} == {"unchanged"}
    assert (again["usage_daily"].rows_read, again["usage_daily"].rows_malformed) == (3, 1)
    assert _raw_state(pp_env.duckdb_path) == loaded

    # a new day's file sorting after the loaded ones: appended, numbered as a full load numbers it
    _usage_file(folder, "2024-02-03", [("A2", "PR-CORE-1", "2024-02-03", 1, 2, 3, 4, 5.5, 1)], "A2,x")
    appended = _ingest(pp_env)["usage_daily"]
    assert (appended.mode, appended.files_loaded, appended.rows_read, appended.rows_malformed) == ("append", 1, 4, 2)
    state = _raw_state(pp_env.duckdb_path)
    assert state["usage_daily"][-1][-3:] == (4, "usage_daily/2024-02-03.csv", 1)
    assert state == _full_load_state(landing, tmp_path, "after_append")
    assert _landed(pp_env.duckdb_path) == (first_rows[0] + 1, first_rows[1] + 1)

    # a loaded file corrected in place: the table is reloaded whole
    _usage_file(folder, "2024-02-02", [("A1", "PR-CORE-1", "2024-02-02", 10, 12, 15, 41, 2.5, 2)])
    changed = _ingest(pp_env)["usage_daily"]
    assert (changed.mode, changed.reason, changed.rows_read) == ("reload", "usage_daily/2024-02-02.csv changed", 3)
    assert _raw_state(pp_env.duckdb_path) == _full_load_state(landing, tmp_path, "after_change")

    # a late file sorting before loaded ones, then a removed file: reloaded, never appended out of order
    _usage_file(folder, "2024-01-31", [("A2", "PR-CORE-1", "2024-01-31", 1, 1, 1, 1, 1.0, 1)])
    late = _ingest(pp_env)["usage_daily"]
    assert (late.mode, late.reason) == (
        "reload",
        "new file usage_daily/2024-01-31.csv sorts before files already loaded",
    )
    assert _raw_state(pp_env.duckdb_path)["usage_daily"][0][-3:] == (1, "usage_daily/2024-01-31.csv", 1)
    (folder / "2024-02-01.csv").unlink()
    removed = _ingest(pp_env)["usage_daily"]
    assert (removed.mode, removed.reason) == ("reload", "usage_daily/2024-02-01.csv is no longer in the landing folder")
    assert (removed.rows_read, removed.rows_malformed) == (3, 1)
    assert _raw_state(pp_env.duckdb_path) == _full_load_state(landing, tmp_path, "after_remove")


def test_a_load_in_a_process_of_its_own_gives_the_same_raw_tables_log_and_loads(pp_env: Settings, tmp_path: Path):
    """Decision 145: a large landing folder loads in a spawned child; nothing about the result may differ."""
    landing = write_minimal_landing(pp_env.landing_dir)
    path = landing / "contacts.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(2, "C9,A1,too,many,fields,here")  # a malformed line: kept for quarantine in both
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    here: list[str] = []
    with connect(pp_env) as con:
        expected_loads = load_landing(con, landing, log=here.append)
    there: list[str] = []
    child = replace(pp_env, warehouse_dir=tmp_path / "child_warehouse")
    loads = load_in_subprocess(child, log=there.append)
    assert loads == expected_loads
    assert there == here and "contacts: 3 rows from 1 file(s) (loaded)" in there
    assert loads[[load.table for load in loads].index("contacts")].warnings == [
        "contacts: 1 malformed CSV row(s) quarantined"
    ]
    assert _raw_state(child.duckdb_path) == _raw_state(pp_env.duckdb_path)
    assert _landed(child.duckdb_path) == _landed(pp_env.duckdb_path)


def test_a_problem_found_in_the_load_s_process_fails_as_it_would_in_the_refresh_s(pp_env: Settings):
    write_minimal_landing(pp_env.landing_dir)
    load_in_subprocess(pp_env, log=lambda _: None)
    path = pp_env.landing_dir / "training_enrollments.csv"
    path.write_bytes(path.read_bytes() + b"TE9,A1,C\xff,2024-01-01,\n")  # found only while loading
    with pytest.raises(IngestError) as info:
        load_in_subprocess(pp_env, log=lambda _: None)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith("training_enrollments.csv: unreadable (")
    with duckdb.connect(str(pp_env.duckdb_path), read_only=True) as con:  # rolled back: the first load stands
        assert con.execute("select count(*) from raw.training_enrollments").fetchone()[0] == len(
            MINIMAL["training_enrollments"]
        )

    pp_env.duckdb_path.unlink()
    pp_env.duckdb_path.mkdir()  # any other error: its traceback, from the child
    log: list[str] = []
    with pytest.raises(RuntimeError, match=r"^the landing load failed in its process: IOException: .*partnerpulse"):
        load_in_subprocess(pp_env, log=log.append)  # the cause in one line; its traceback in the run's log
    assert log[-1].startswith("the landing load's process failed:\nTraceback (most recent call last):")


def test_only_a_large_landing_folder_loads_in_a_process_of_its_own(pp_env: Settings, monkeypatch: pytest.MonkeyPatch):
    landing = write_minimal_landing(pp_env.landing_dir)
    size = sum(file.stat().st_size for file in landing.rglob("*") if file.is_file())
    assert landing_bytes(landing) == size
    for threshold, child in ((size + 1, False), (size, True)):
        monkeypatch.setattr(isolated, "SUBPROCESS_MIN_BYTES", threshold)
        log: list[str] = []
        loads = load_warehouse_raw(pp_env, log=log.append)
        assert len(loads) == len(landing_tables())
        said = [line for line in log if "in a process of its own" in line]
        assert said == (
            ["landing files: 0.0 GB; loading in a process of its own, whose memory is freed when it ends"]
            if child
            else []
        )


def _write_slow_landing(landing_dir: Path) -> Path:
    """The minimal landing with 400,000 usage rows: seconds of loading, so a test can stop the load midway."""
    landing = write_minimal_landing(landing_dir)
    rows = [("A1", "PR-CORE-1", "2024-02-02", 1, 2, 3, 4, 5.5, day) for day in range(400_000)]
    write_table(landing, "usage_daily", rows, columns=MINIMAL_COLUMNS("usage_daily"))
    return landing


def _raw_table_count(duckdb_path: Path) -> int:
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        (count,) = con.execute("select count(*) from information_schema.tables where table_schema = 'raw'").fetchone()
    return count


def _assert_the_warehouse_loads_again(pp_env: Settings) -> None:
    """After a stopped load the warehouse is neither locked nor damaged: the next load reads everything."""
    loads = load_in_subprocess(pp_env, log=lambda _: None)
    assert {load.table: load.rows_read for load in loads}["usage_daily"] == 400_000


def test_a_load_stopped_in_the_refresh_s_process_stops_its_child_and_leaves_a_usable_warehouse(
    pp_env: Settings, capfd: pytest.CaptureFixture[str]
):
    landing = _write_slow_landing(pp_env.landing_dir)

    def stop(line: str) -> None:  # the first table's line arrives long before usage_daily is loaded
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        load_in_subprocess(pp_env, log=stop)
    assert multiprocessing.active_children() == []
    # stopped where it was; not left to load on until its next line meets the closed pipe (a traceback)
    assert "Traceback" not in capfd.readouterr().err
    assert _raw_table_count(pp_env.duckdb_path) == 0  # stopped before its commit
    _assert_the_warehouse_loads_again(pp_env)
    assert _raw_state(pp_env.duckdb_path) == _full_load_state(landing, pp_env.warehouse_dir, "from_scratch")


KILLED_PARENT = """
from dagster_project.defs.landing.isolated import load_in_subprocess
from dagster_project.settings import load_settings

if __name__ == "__main__":
    load_in_subprocess(load_settings(), lambda line: print(line, flush=True))
"""


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie (an orphan nobody reaped yet) has stopped


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads child processes from /proc")
def test_a_load_whose_refresh_process_is_killed_stops_with_it(pp_env: Settings, tmp_path: Path):
    """A killed refresh cannot stop its child: the child stops itself as its parent dies (decision 145)."""
    _write_slow_landing(pp_env.landing_dir)
    script = tmp_path / "refresh_process.py"
    script.write_text(KILLED_PARENT, encoding="utf-8")
    parent = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    assert parent.stdout is not None and parent.stderr is not None
    assert parent.stdout.readline().startswith("products: ")  # the child is loading
    children = Path(f"/proc/{parent.pid}/task/{parent.pid}/children").read_text(encoding="utf-8").split()
    loaders = [int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert len(loaders) == 1
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 30
    while _alive(loaders[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(loaders[0])
    # ended as a terminated child ends (by the kernel's signal, or at its next line into the closed pipe):
    # no traceback, nothing committed
    assert "Traceback" not in parent.stderr.read()
    assert _raw_table_count(pp_env.duckdb_path) == 0
    _assert_the_warehouse_loads_again(pp_env)
