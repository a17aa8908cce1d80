"""What a serve rewrites (defs/serving/chunks.py): published chunks and their checksums in real DuckDB,
and the delta plan, hand-computed."""

from __future__ import annotations

import duckdb
import pytest

from dagster_project.defs.serving.chunks import plan_delta
from dagster_project.lib.chunks import Chunk, TableChunks, TableDelta, chunk_column, chunk_rows_query, table_chunks

WEEKLY = "select * from weekly"


@pytest.fixture
def con():
    with duckdb.connect() as con:
        con.execute(
            "create table weekly as select * from (values "
            "(date '2024-03-04', 'A1', 10.50::decimal(18,2)), (date '2024-03-04', 'A2', 20.00::decimal(18,2)), "
            "(date '2024-03-11', 'A1', 11.00::decimal(18,2)), (null::date, 'A3', 1.00::decimal(18,2))"
            ") as t(week_start, account_id, amount)"
        )
        con.execute("create table empty_dim (account_id varchar, name varchar)")
        yield con


def test_a_table_is_cut_by_its_first_period_column():
    assert chunk_column(("account_id", "payout_period", "week_start")) == "week_start"
    assert chunk_column(("month_start", "account_id")) == "month_start"
    assert chunk_column(("account_id", "name")) is None


def test_chunks_count_rows_per_week_and_their_checksums_see_any_change(con):
    chunks = table_chunks(con, "marts", "weekly", WEEKLY, ("week_start", "account_id", "amount"))
    assert chunks.column == "week_start"
    assert {key: chunk.rows for key, chunk in chunks.chunks.items()} == {
        "v:2024-03-04": 2,
        "v:2024-03-11": 1,
        "null": 1,
    }
    assert chunks.rows == 4
    con.execute("update weekly set amount = 10.51 where account_id = 'A1' and week_start = date '2024-03-04'")
    changed = table_chunks(con, "marts", "weekly", WEEKLY, ("week_start", "account_id", "amount"))
    assert changed.chunks["v:2024-03-04"].rows == 2  # a cent more: same count, another checksum
    assert changed.chunks["v:2024-03-04"].checksum != chunks.chunks["v:2024-03-04"].checksum
    assert changed.chunks["v:2024-03-11"] == chunks.chunks["v:2024-03-11"]
    reordered = table_chunks(
        con, "marts", "weekly", "select * from weekly order by amount desc", ("week_start", "account_id", "amount")
    )
    assert reordered == changed  # rows, not their order
    assert table_chunks(con, "marts", "empty_dim", "select * from empty_dim", ("account_id", "name")).chunks == {}


def test_the_rows_of_chunks_are_selected_with_parameters(con):
    query, params = chunk_rows_query(WEEKLY, "week_start", ("null", "v:2024-03-11"), whole=False)
    assert sorted(con.sql(query, params=params).fetchall(), key=repr) == sorted(
        con.execute("select * from weekly where week_start is null or week_start = date '2024-03-11'").fetchall(),
        key=repr,
    )
    query, params = chunk_rows_query(WEEKLY, "week_start", ("v:2024-03-04') or (true",), whole=False)
    assert con.sql(query, params=params).fetchall() == []  # a value is data, never SQL
    assert chunk_rows_query(WEEKLY, None, ("all",), whole=True) == (
        "select * from (select * from weekly) as partnerpulse__chunked_row",
        [],
    )


def _table(name: str, column: str | None, **chunks: tuple[int, str]) -> TableChunks:
    return TableChunks("marts", name, column, {key: Chunk(*value) for key, value in chunks.items()})


def _weeks(**chunks: tuple[int, str]) -> TableChunks:
    """A weekly table's chunks: d2024_03_04=(rows, checksum) is the week of 2024-03-04."""
    return TableChunks(
        "marts", "weekly", "week_start", {f"v:{key[1:].replace('_', '-')}": Chunk(*v) for key, v in chunks.items()}
    )


BIG = _table("big", "week_start", v=(100, "q"))


def test_only_changed_new_and_gone_chunks_are_rewritten():
    published = [_weeks(d2024_03_04=(3, "a"), d2024_03_11=(3, "b2")), _table("dim", None, all=(5, "x")), BIG]
    served = {
        ("marts", "weekly"): _weeks(d2024_02_26=(2, "z"), d2024_03_04=(3, "a"), d2024_03_11=(3, "b")),
        ("marts", "dim"): _table("dim", None, all=(5, "x")),
        ("marts", "big"): BIG,
    }
    assert plan_delta(published, served) == [
        TableDelta("marts", "weekly", "week_start", ("v:2024-02-26", "v:2024-03-11"), False, 5, 3)
    ]
    served[("marts", "dim")] = _table("dim", None, all=(4, "w"))  # a small table changed: all of it
    assert plan_delta(published, served)[1] == TableDelta("marts", "dim", None, ("all",), True, 4, 5)


def test_every_week_changed_rewrites_the_table_whole():
    published = [_weeks(d2024_03_11=(3, "b2")), BIG]
    served = {("marts", "weekly"): _weeks(d2024_03_04=(3, "a"), d2024_03_11=(3, "b")), ("marts", "big"): BIG}
    assert plan_delta(published, served) == [
        TableDelta("marts", "weekly", "week_start", ("v:2024-03-04", "v:2024-03-11"), True, 6, 3)
    ]


def test_no_delta_when_the_state_cannot_be_trusted_or_most_rows_changed():
    published = [_weeks(d2024_03_04=(3, "a")), BIG]
    served = {("marts", "weekly"): _weeks(d2024_03_04=(3, "a")), ("marts", "big"): BIG}
    assert plan_delta(published, served) == []  # nothing changed: nothing to write
    assert plan_delta(published, {("marts", "big"): BIG}) is None  # a table served without a recorded state
    assert plan_delta([BIG], served) is None  # a table no longer published
    moved = TableChunks("marts", "weekly", "month_start", served[("marts", "weekly")].chunks)
    assert plan_delta(published, {**served, ("marts", "weekly"): moved}) is None  # cut by another column
    # 100 of 103 rows changed: a full load is cheaper
    assert plan_delta(published, {**served, ("marts", "big"): _table("big", "week_start", v=(100, "other"))}) is None
