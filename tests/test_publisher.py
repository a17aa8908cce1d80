"""Publishing what changed (defs/publish/publisher.py): the serving file starts from the last published
one and only changed chunks are rewritten; a Parquet file is rewritten only when its table's data
changed. Real DuckDB files in a temp dir, hand-made marts."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.defs.publish import publisher, staging
from dagster_project.defs.publish.publisher import PARQUET_MANIFEST, PUBLISHED_CHUNKS, parquet_check, publish_marts
from dagster_project.defs.publish.staging import read_staged, staging_dir, start_staging
from dagster_project.lib.parquet_append import row_group_count
from dagster_project.lib.warehouse import connect
from dagster_project.settings import Settings
from tests.conftest import FIRST_WEEK
from tests.helpers import isolated_env

WEEK = dt.date(2024, 3, 11)
TABLES = ["dim_accounts", "fct_weekly", "rpt_static"]


@pytest.fixture
def settings(tmp_path: Path):
    with isolated_env(tmp_path, FIRST_WEEK) as settings:
        settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(settings.duckdb_path)) as con:
            con.execute("create schema marts")
            con.execute(
                "create table marts.dim_accounts as select * from (values ('A1', 'Alpha'), ('A2', 'Beta')) "
                "as t(account_id, account_name)"
            )
            con.execute(
                "create table marts.fct_weekly as select * from (values "
                "(date '2024-03-04', 'A1', 10.50::decimal(18,2)), (date '2024-03-04', 'A2', 20.00::decimal(18,2)), "
                "(date '2024-03-11', 'A1', 11.00::decimal(18,2)), (date '2024-03-11', 'A2', 21.00::decimal(18,2))"
                ") as t(week_start, account_id, amount)"
            )
            con.execute(  # four earlier weeks that stay as they are
                "insert into marts.fct_weekly select cast(date '2024-02-05' + cast(7 * w as integer) as date), a, 1.00 "
                "from range(4) as weeks(w), (values ('A1'), ('A2')) as accounts(a)"
            )
            con.execute("create table marts.rpt_static as select 1 as id, 'kept' as label")
        yield settings


def _warehouse(settings: Settings, statement: str) -> None:
    with duckdb.connect(str(settings.duckdb_path)) as con:
        con.execute(statement)


def _published_equals_warehouse(settings: Settings, tables: list[str]) -> bool:
    with duckdb.connect() as con:
        con.execute(f"attach '{settings.published_duckdb}' as published (read_only)")
        con.execute(f"attach '{settings.duckdb_path}' as warehouse (read_only)")
        for table in tables:
            for a, b in (("published.main", "warehouse.marts"), ("warehouse.marts", "published.main")):
                if con.execute(f"select count(*) from (from {a}.{table} except all from {b}.{table})").fetchone()[0]:
                    return False
            parquet = settings.published_parquet_dir / f"{table}.parquet"
            extra = con.execute(
                f"select count(*) from (from read_parquet('{parquet}') except all from warehouse.marts.{table})"
            ).fetchone()[0]
            if (
                extra
                or con.execute(f"select count(*) from read_parquet('{parquet}')").fetchone()[0]
                != con.execute(f"select count(*) from warehouse.marts.{table}").fetchone()[0]
            ):
                return False
    return True


def _parquet_versions(settings: Settings) -> dict[str, int]:
    return {p.stem: p.stat().st_ino for p in settings.published_parquet_dir.glob("*.parquet")}


def test_the_next_publish_rewrites_only_the_changed_weeks_and_parquet_files(settings):
    first = publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    assert first.how == {"dim_accounts": "copied", "fct_weekly": "copied", "rpt_static": "copied"}
    assert _published_equals_warehouse(settings, TABLES)
    manifest = json.loads((settings.published_parquet_dir / PARQUET_MANIFEST).read_text())
    assert sorted(manifest) == TABLES
    before = _parquet_versions(settings)

    # a corrected amount in week 1, a new week 3, a renamed account; rpt_static unchanged
    _warehouse(
        settings, "update marts.fct_weekly set amount = 10.51 where week_start = '2024-03-04' and account_id = 'A1'"
    )
    _warehouse(settings, "insert into marts.fct_weekly values (date '2024-03-18', 'A1', 12.00)")
    _warehouse(settings, "update marts.dim_accounts set account_name = 'Beta AG' where account_id = 'A2'")
    said: list[str] = []
    second = publish_marts(settings, TABLES, WEEK + dt.timedelta(weeks=1), "run-2", log=said.append)
    assert second.how == {"dim_accounts": "copied", "fct_weekly": "2 chunk(s)", "rpt_static": "unchanged"}
    assert second.row_counts == {"dim_accounts": 2, "fct_weekly": 13, "rpt_static": 1}
    assert "published fct_weekly: 13 rows (2 chunk(s))" in said
    assert _published_equals_warehouse(settings, TABLES)
    after = _parquet_versions(settings)
    assert after["rpt_static"] == before["rpt_static"]  # the same file: its data did not change
    assert after["fct_weekly"] != before["fct_weekly"] and after["dim_accounts"] != before["dim_accounts"]
    with duckdb.connect(str(settings.published_duckdb), read_only=True) as con:
        assert con.execute("select week_start, run_id from publish_info").fetchall() == [
            (WEEK + dt.timedelta(weeks=1), "run-2")
        ]
        assert con.execute(
            "select amount from fct_weekly where week_start = '2024-03-04' and account_id = 'A1'"
        ).fetchall() == [(Decimal("10.51"),)]


def test_parquet_written_while_the_checks_ran_is_published_only_with_the_data_it_holds(settings):
    publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    before = _parquet_versions(settings)
    _warehouse(settings, "insert into marts.fct_weekly values (date '2024-03-18', 'A1', 12.00)")
    _warehouse(settings, "update marts.dim_accounts set account_name = 'Beta AG' where account_id = 'A2'")
    said: list[str] = []
    with connect(settings, read_only=True) as con:  # as the checks step reads the warehouse
        staged = start_staging(settings, con, TABLES, "run-2", parquet_check(settings), said.append).wait()
    assert sorted(staged) == ["dim_accounts", "fct_weekly"]  # rpt_static's published file holds its data
    assert (staged["fct_weekly"].rows, staged["dim_accounts"].rows) == (13, 2)
    assert _parquet_versions(settings) == before  # nothing a reader sees changed before the publish
    assert sorted(read_staged(settings, "run-2")) == ["dim_accounts", "fct_weekly"]
    assert read_staged(settings, "another-run") == {}  # another run's files are never published

    # the account renamed again after the staging: its staged file no longer holds the mart's data; and a
    # staged file that is gone (a publish attempt that failed half-way removed it) is written instead
    _warehouse(settings, "update marts.dim_accounts set account_name = 'Beta SE' where account_id = 'A2'")
    staged["dim_accounts"].path.unlink()
    said.clear()
    second = publish_marts(settings, TABLES, WEEK + dt.timedelta(weeks=1), "run-2", log=said.append)
    assert "published fct_weekly: 13 rows (1 chunk(s); its Parquet written while the checks ran)" in said
    assert "published dim_accounts: 2 rows (copied)" in said  # written from the published table instead
    assert "published rpt_static: 1 rows (unchanged)" in said
    assert second.row_counts == {"dim_accounts": 2, "fct_weekly": 13, "rpt_static": 1}
    assert _published_equals_warehouse(settings, TABLES)
    assert not staging_dir(settings).exists()


def test_a_table_that_changed_shape_or_left_is_copied_or_dropped(settings):
    publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    _warehouse(settings, "alter table marts.fct_weekly add column note varchar")
    second = publish_marts(settings, ["dim_accounts", "fct_weekly"], WEEK, "run-2", log=lambda _: None)
    assert second.how == {"dim_accounts": "unchanged", "fct_weekly": "copied"}
    assert _published_equals_warehouse(settings, ["dim_accounts", "fct_weekly"])
    with duckdb.connect(str(settings.published_duckdb), read_only=True) as con:
        assert {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()} == {
            "dim_accounts",
            "fct_weekly",
            "publish_info",
        }
    assert sorted(_parquet_versions(settings)) == ["dim_accounts", "fct_weekly"]


def test_parquet_files_of_unknown_content_are_written_again(settings):
    """A publish that died between replacing Parquet files and writing the manifest leaves none: every
    Parquet file is then written again, even of a table whose rows did not change."""
    publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    (settings.published_parquet_dir / PARQUET_MANIFEST).unlink()
    (settings.published_parquet_dir / "rpt_static.parquet").write_bytes(b"not what the table holds")
    before = _parquet_versions(settings)
    again = publish_marts(settings, TABLES, WEEK, "run-2", log=lambda _: None)
    assert set(again.how.values()) == {"unchanged"}
    after = _parquet_versions(settings)
    assert all(after[t] != before[t] for t in TABLES)
    assert _published_equals_warehouse(settings, TABLES)


def test_a_file_grown_by_deletes_is_written_from_scratch(settings, monkeypatch):
    publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    monkeypatch.setattr(publisher, "MAX_FREE_BLOCKS", -1.0)  # any file counts as too sparse
    _warehouse(settings, "insert into marts.fct_weekly values (date '2024-03-18', 'A1', 12.00)")
    said: list[str] = []
    again = publish_marts(settings, TABLES, WEEK, "run-2", log=said.append)
    assert any("free space; writing a new one" in line for line in said)
    assert set(again.how.values()) == {"copied"}
    assert _published_equals_warehouse(settings, TABLES)


def test_a_parquet_file_changed_by_hand_is_written_again(settings):
    publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    damaged = settings.published_parquet_dir / "rpt_static.parquet"
    damaged.write_bytes(b"not what the table holds")  # the manifest still names the file
    before = _parquet_versions(settings)
    again = publish_marts(settings, TABLES, WEEK, "run-2", log=lambda _: None)
    assert set(again.how.values()) == {"unchanged"}
    after = _parquet_versions(settings)
    assert after["rpt_static"] != before["rpt_static"]  # rewritten: not the file the manifest describes
    assert after["fct_weekly"] == before["fct_weekly"]  # the others are what the manifest says
    assert _published_equals_warehouse(settings, TABLES)


def test_objects_a_publish_did_not_write_are_not_carried_into_the_next_file(settings):
    publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    with duckdb.connect(str(settings.published_duckdb)) as con:  # someone's read-write CLI session
        con.execute("create view my_accounts as select * from dim_accounts")
        con.execute("create schema scratch")
        con.execute("create table scratch.notes as select 1 as n")
    said: list[str] = []
    again = publish_marts(settings, TABLES, WEEK, "run-2", log=said.append)
    assert "the last published file holds 2 object(s) a publish did not write; writing a new one" in said
    assert set(again.how.values()) == {"copied"}
    with duckdb.connect(str(settings.published_duckdb), read_only=True) as con:
        assert con.execute("select count(*) from duckdb_views() where not internal").fetchone() == (0,)
        assert {s for (s,) in con.execute("select distinct schema_name from duckdb_tables()").fetchall()} == {"main"}
    assert _published_equals_warehouse(settings, TABLES)


def _hashed_schemas(monkeypatch) -> list[str]:
    """The schemas whose tables the publish hashes into chunks (the real function, recorded)."""
    calls: list[str] = []
    real = publisher.table_chunks

    def recording(con, schema, table, query, columns):
        calls.append(schema)
        return real(con, schema, table, query, columns)

    monkeypatch.setattr(publisher, "table_chunks", recording)
    return calls


def test_the_next_publish_reads_the_published_files_chunks_from_the_record_its_publish_kept(settings, monkeypatch):
    publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    record = json.loads((settings.published_dir / PUBLISHED_CHUNKS).read_text())
    assert sorted(record["tables"]) == TABLES
    assert record["tables"]["fct_weekly"]["column"] == "week_start"
    assert len(record["tables"]["fct_weekly"]["chunks"]) == 6  # six weeks
    _warehouse(settings, "insert into marts.fct_weekly values (date '2024-03-18', 'A1', 12.00)")
    hashed = _hashed_schemas(monkeypatch)
    said: list[str] = []
    second = publish_marts(settings, TABLES, WEEK + dt.timedelta(weeks=1), "run-2", log=said.append)
    assert hashed == ["marts"] * 3  # only the warehouse's side: the published copy's chunks were on record
    assert "compared with the last published file's chunks as its publish recorded them" in said
    assert second.how == {"dim_accounts": "unchanged", "fct_weekly": "1 chunk(s)", "rpt_static": "unchanged"}
    assert _published_equals_warehouse(settings, TABLES)
    # the record now describes the new file: the week added is in it
    record = json.loads((settings.published_dir / PUBLISHED_CHUNKS).read_text())
    assert "v:2024-03-18" in record["tables"]["fct_weekly"]["chunks"]


def test_a_published_file_written_since_its_publish_is_hashed_again(settings, monkeypatch):
    """A read-write session changed a row of the published file: the record no longer describes it, so the
    publish compares with what the file holds and puts the warehouse's row back."""
    publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    with duckdb.connect(str(settings.published_duckdb)) as con:
        con.execute("update dim_accounts set account_name = 'edited by hand' where account_id = 'A1'")
    hashed = _hashed_schemas(monkeypatch)
    said: list[str] = []
    again = publish_marts(settings, TABLES, WEEK, "run-2", log=said.append)
    assert hashed.count("main") == 3
    assert any("not on record (or it was written since)" in line for line in said)
    assert again.how["dim_accounts"] == "copied" and again.how["rpt_static"] == "unchanged"
    assert _published_equals_warehouse(settings, TABLES)


def test_an_unreadable_chunks_record_is_ignored(settings, monkeypatch):
    publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    record = settings.published_dir / PUBLISHED_CHUNKS
    for damaged in ("not json", "[]", '{"file": {}, "tables": []}'):
        record.write_text(damaged)
        hashed = _hashed_schemas(monkeypatch)
        again = publish_marts(settings, TABLES, WEEK, "run-2", log=lambda _: None)
        assert hashed.count("main") == 3 and set(again.how.values()) == {"unchanged"}
        assert _published_equals_warehouse(settings, TABLES)
        monkeypatch.undo()


def test_the_publish_takes_the_marts_chunks_the_checks_step_computed(settings, monkeypatch):
    """Nothing wrote the working file between the checks and the publish: the publish hashes no table,
    neither the marts (the checks' staging thread did) nor the published copy (on record)."""
    publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    _warehouse(settings, "insert into marts.fct_weekly values (date '2024-03-18', 'A1', 12.00)")
    with connect(settings, read_only=True) as con:
        start_staging(settings, con, TABLES, "run-2", parquet_check(settings), lambda _: None).wait()
    hashed = _hashed_schemas(monkeypatch)
    said: list[str] = []
    second = publish_marts(settings, TABLES, WEEK + dt.timedelta(weeks=1), "run-2", log=said.append)
    assert hashed == []
    assert second.how == {"dim_accounts": "unchanged", "fct_weekly": "1 chunk(s)", "rpt_static": "unchanged"}
    assert "published fct_weekly: 13 rows (1 chunk(s); its Parquet written while the checks ran)" in said
    assert _published_equals_warehouse(settings, TABLES)
    # another run's chunks are never used
    _warehouse(settings, "insert into marts.fct_weekly values (date '2024-03-25', 'A1', 13.00)")
    with connect(settings, read_only=True) as con:
        start_staging(settings, con, TABLES, "run-3", parquet_check(settings), lambda _: None).wait()
    hashed.clear()
    publish_marts(settings, TABLES, WEEK + dt.timedelta(weeks=2), "run-4", log=lambda _: None)
    assert hashed == ["marts"] * 3
    assert _published_equals_warehouse(settings, TABLES)


def test_chunks_the_checks_step_computed_are_not_used_once_the_working_file_was_written(settings, monkeypatch):
    publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    with connect(settings, read_only=True) as con:
        start_staging(settings, con, TABLES, "run-2", parquet_check(settings), lambda _: None).wait()
    # written after the checks: a week the checks saw unchanged is not any more
    _warehouse(
        settings, "update marts.fct_weekly set amount = 99.00 where week_start = '2024-03-04' and account_id = 'A1'"
    )
    hashed = _hashed_schemas(monkeypatch)
    second = publish_marts(settings, TABLES, WEEK, "run-2", log=lambda _: None)
    assert hashed == ["marts"] * 3  # the working file is not the one the checks read: hashed again
    assert second.how["fct_weekly"] == "1 chunk(s)"
    assert _published_equals_warehouse(settings, TABLES)


def _staged_for(settings: Settings, run_id: str):
    with connect(settings, read_only=True) as con:
        staging = start_staging(settings, con, TABLES, run_id, parquet_check(settings), lambda _: None)
        staging.wait()
    return staging


def test_the_checks_steps_own_write_after_hashing_keeps_its_chunks_usable(settings, monkeypatch):
    """The checks step records row counts (quality.row_counts) after its staging thread hashed the marts:
    ``own_write`` takes the working file's identity again after that write, so the publish still uses them."""
    publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    _warehouse(settings, "insert into marts.fct_weekly values (date '2024-03-18', 'A1', 12.00)")
    staging = _staged_for(settings, "run-2")
    with staging.own_write():
        _warehouse(settings, "create table main.row_counts_of_the_run as select 1 as n")
    hashed = _hashed_schemas(monkeypatch)
    publish_marts(settings, TABLES, WEEK + dt.timedelta(weeks=1), "run-2", log=lambda _: None)
    assert hashed == []
    assert _published_equals_warehouse(settings, TABLES)


def test_a_write_before_the_checks_steps_own_write_is_not_vouched_for(settings, monkeypatch):
    publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    staging = _staged_for(settings, "run-2")
    _warehouse(  # someone else's write between the hashing and the step's own
        settings, "update marts.fct_weekly set amount = 99.00 where week_start = '2024-03-04' and account_id = 'A1'"
    )
    with staging.own_write():
        _warehouse(settings, "create table main.row_counts_of_the_run as select 1 as n")
    hashed = _hashed_schemas(monkeypatch)
    publish_marts(settings, TABLES, WEEK, "run-2", log=lambda _: None)
    assert hashed == ["marts"] * 3
    assert _published_equals_warehouse(settings, TABLES)


def test_a_write_only_in_the_working_files_write_ahead_log_is_seen(settings, monkeypatch):
    """A write that stays in the .wal (not checkpointed into the file) leaves the file's size, times and inode
    as they were: the identity covers the write-ahead log too."""
    publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    _staged_for(settings, "run-2")
    con = duckdb.connect(str(settings.duckdb_path))
    con.execute("pragma disable_checkpoint_on_shutdown")
    con.execute("set checkpoint_threshold = '1GB'")
    con.execute("update marts.fct_weekly set amount = 77.00 where week_start = '2024-03-04' and account_id = 'A1'")
    con.close()
    assert settings.duckdb_path.with_name(settings.duckdb_path.name + ".wal").is_file()
    hashed = _hashed_schemas(monkeypatch)
    publish_marts(settings, TABLES, WEEK, "run-2", log=lambda _: None)
    assert hashed == ["marts"] * 3
    assert _published_equals_warehouse(settings, TABLES)


def test_a_write_ahead_log_left_beside_the_published_file_goes_with_the_old_file(settings, monkeypatch):
    """A read-write session on the published file that ended without a checkpoint left a .wal: it belongs to
    the old file, and next to the new one every reader would fail. The publish hashes the copy (the record
    no longer describes the file and its log) and removes the log."""
    publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    con = duckdb.connect(str(settings.published_duckdb))
    con.execute("pragma disable_checkpoint_on_shutdown")
    con.execute("set checkpoint_threshold = '1GB'")
    con.execute("update dim_accounts set account_name = 'in the log only' where account_id = 'A1'")
    con.close()
    wal = settings.published_duckdb.with_name(settings.published_duckdb.name + ".wal")
    assert wal.is_file()
    hashed = _hashed_schemas(monkeypatch)
    publish_marts(settings, TABLES, WEEK, "run-2", log=lambda _: None)
    assert hashed.count("main") == 3
    assert not wal.exists()
    assert _published_equals_warehouse(settings, TABLES)  # and readable


def test_a_published_file_written_while_it_is_copied_is_hashed(settings, monkeypatch):
    """The record is read before the copy and again after it: a write in between (a read-write session)
    makes the publish hash the copy instead of trusting the record."""
    publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    real = publisher._start_from_last

    def copy_then_written(published, tmp_db, log):
        reused = real(published, tmp_db, log)
        with duckdb.connect(str(published)) as con:
            con.execute("update rpt_static set label = 'written meanwhile'")
        return reused

    monkeypatch.setattr(publisher, "_start_from_last", copy_then_written)
    hashed = _hashed_schemas(monkeypatch)
    publish_marts(settings, TABLES, WEEK, "run-2", log=lambda _: None)
    assert hashed.count("main") == 3
    assert _published_equals_warehouse(settings, TABLES)


def test_a_next_week_appends_its_rows_to_the_published_parquet_file(settings):
    """Decision 142: every earlier week of fct_weekly is unchanged, so its file is the published file's pages
    plus those of the new week — in the checks step's staging and in the publish step itself."""
    publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    parquet = settings.published_parquet_dir / "fct_weekly.parquet"
    manifest = json.loads((settings.published_parquet_dir / PARQUET_MANIFEST).read_text())
    assert len(manifest["fct_weekly"]["chunks"]["chunks"]) == 6  # what the file holds, week by week
    assert row_group_count(parquet) == 1
    _warehouse(settings, "insert into marts.fct_weekly values (date '2024-03-18', 'A1', 12.00)")
    said: list[str] = []
    with connect(settings, read_only=True) as con:
        staged = start_staging(settings, con, TABLES, "run-2", parquet_check(settings), said.append).wait()
    assert (staged["fct_weekly"].appended, staged["fct_weekly"].rows) == (1, 13)
    assert any("1 by appending their new chunks to the published file" in line for line in said)
    publish_marts(settings, TABLES, WEEK + dt.timedelta(weeks=1), "run-2", log=lambda _: None)
    assert row_group_count(parquet) == 2 and _published_equals_warehouse(settings, TABLES)

    # nothing staged (the publish step writes the files itself, as for PostgreSQL's marts): appended there too
    _warehouse(settings, "insert into marts.fct_weekly values (date '2024-03-25', 'A1', 13.00)")
    said.clear()
    publish_marts(settings, TABLES, WEEK + dt.timedelta(weeks=2), "run-3", log=said.append)
    assert any(line.endswith("its Parquet: 1 new chunk(s) appended to the published file)") for line in said)
    assert row_group_count(parquet) == 3 and _published_equals_warehouse(settings, TABLES)

    # rows with no week: DuckDB stores the column as optional now, the file has it required: written whole
    _warehouse(settings, "insert into marts.fct_weekly values (null, 'A2', 0.00)")
    said.clear()
    fourth = publish_marts(settings, TABLES, WEEK + dt.timedelta(weeks=2), "run-4", log=said.append)
    assert (
        "fct_weekly: Parquet written whole (the new rows' columns are stored unlike the file's (types, or NULLs))"
        in said
    )
    assert fourth.how["fct_weekly"] == "1 chunk(s)" and row_group_count(parquet) == 1
    assert _published_equals_warehouse(settings, TABLES)


def test_a_changed_week_an_unrecorded_file_or_too_many_row_groups_write_the_parquet_whole(settings, monkeypatch):
    publish_marts(settings, TABLES, WEEK, "run-1", log=lambda _: None)
    parquet = settings.published_parquet_dir / "fct_weekly.parquet"
    # an earlier week corrected: the published file's rows are not all in the table any more
    _warehouse(settings, "update marts.fct_weekly set amount = 1.01 where week_start = '2024-02-05'")
    _warehouse(settings, "insert into marts.fct_weekly values (date '2024-03-18', 'A1', 12.00)")
    said: list[str] = []
    publish_marts(settings, TABLES, WEEK, "run-2", log=said.append)
    assert not any("appended" in line for line in said) and row_group_count(parquet) == 1
    assert _published_equals_warehouse(settings, TABLES)

    # a manifest that records no chunks (written before decision 142): whole
    manifest_path = settings.published_parquet_dir / PARQUET_MANIFEST
    manifest = json.loads(manifest_path.read_text())
    del manifest["fct_weekly"]["chunks"]
    manifest_path.write_text(json.dumps(manifest))
    _warehouse(settings, "insert into marts.fct_weekly values (date '2024-03-25', 'A1', 13.00)")
    said.clear()
    publish_marts(settings, TABLES, WEEK, "run-3", log=said.append)
    assert not any("appended" in line for line in said) and row_group_count(parquet) == 1

    # a file of many appended weeks is written whole again, which merges them
    monkeypatch.setattr(staging, "MAX_APPENDED_ROW_GROUPS", 0)
    _warehouse(settings, "insert into marts.fct_weekly values (date '2024-04-01', 'A1', 14.00)")
    said.clear()
    publish_marts(settings, TABLES, WEEK, "run-4", log=said.append)
    assert "fct_weekly: Parquet written whole (2 row groups: written whole to merge the weeks appended)" in said
    assert row_group_count(parquet) == 1
    assert _published_equals_warehouse(settings, TABLES)
