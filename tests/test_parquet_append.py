"""Appending one Parquet file's row groups to another's without decoding them (lib/parquet_append.py,
decision 142): real files written by DuckDB and pyarrow in a temp dir, read back by both."""

from __future__ import annotations

import struct
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dagster_project.defs.publish.staging import ParquetBase, write_parquet
from dagster_project.lib.chunks import ShapedChunks, TableChunks, table_chunks
from dagster_project.lib.parquet_append import (
    I64,
    Field,
    ParquetLayoutError,
    append_row_groups,
    decode,
    encode,
    read_footer,
    row_group_count,
)

# every kind of column the marts have, NULLs included, and text long enough to be compressed
ROWS = """
    select cast(date '2024-01-01' + cast(7 * (i % 9) as integer) as date) as week_start,
           'A' || lpad(cast(i % 97 as varchar), 4, '0') as account_id,
           cast(i * 1.25 as decimal(18, 2)) as arr_usd,
           cast(i / 7 as decimal(38, 10)) as ratio,
           case when i % 5 = 0 then null else repeat('reason ' || cast(i % 13 as varchar), 3) end as reasons,
           i % 2 = 0 as is_active,
           cast(i as bigint) as n,
           i * 0.5 as score,
           timestamp '2024-01-01 00:00:00' + to_seconds(i) as refreshed_at
    from range({start}, {stop}) as t(i)
"""


def _write(con: duckdb.DuckDBPyConnection, path: Path, start: int, stop: int, row_group_size: int = 122_880) -> None:
    con.execute(
        f"copy ({ROWS.format(start=start, stop=stop)}) to '{path}' "
        f"(format parquet, compression zstd, row_group_size {row_group_size})"
    )


def _difference(con: duckdb.DuckDBPyConnection, path: Path, start: int, stop: int) -> int:
    expected = ROWS.format(start=start, stop=stop)
    return con.execute(
        f"select (select count(*) from (from read_parquet('{path}') except all {expected})) "
        f"+ (select count(*) from ({expected} except all from read_parquet('{path}')))"
    ).fetchone()[0]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    with duckdb.connect() as connection:
        connection.execute("set threads = 1")  # several row groups, deterministic
        yield connection


def test_a_duckdb_footer_decodes_and_encodes_back_byte_for_byte(tmp_path: Path, con):
    path = tmp_path / "t.parquet"
    _write(con, path, 0, 5_000, row_group_size=2_048)
    footer = read_footer(path)
    raw = path.read_bytes()
    assert encode(footer.metadata) == raw[footer.end : len(raw) - 8]
    assert decode(encode(footer.metadata)) == footer.metadata
    assert footer.num_rows == 5_000 and row_group_count(path) == 3  # DuckDB cuts at multiples of 2,048 rows


def test_the_appended_file_holds_both_files_rows_for_duckdb_and_pyarrow(tmp_path: Path, con):
    old, new_rows, out = tmp_path / "old.parquet", tmp_path / "new.parquet", tmp_path / "out.parquet"
    _write(con, old, 0, 3_000, row_group_size=2_048)
    _write(con, new_rows, 3_000, 3_500)
    assert append_row_groups(old, new_rows, out) == 3_500
    assert _difference(con, out, 0, 3_500) == 0
    assert row_group_count(out) == 3  # the old file's two, then the new one
    assert pq.read_table(out).num_rows == 3_500
    assert pq.ParquetFile(out).schema_arrow == pq.ParquetFile(old).schema_arrow
    # statistics and bloom filters moved with their pages: filters on them still find the right rows
    assert con.execute(f"select count(*) from read_parquet('{out}') where account_id = 'A0042'").fetchone() == (36,)
    assert con.execute(f"select min(n), max(n) from read_parquet('{out}') where n >= 3400").fetchone() == (3400, 3499)
    # appending to an appended file: a third week on top
    again = tmp_path / "again.parquet"
    _write(con, new_rows, 3_500, 3_600)
    assert append_row_groups(out, new_rows, again) == 3_600
    assert _difference(con, again, 0, 3_600) == 0 and row_group_count(again) == 4


def test_files_of_other_columns_are_refused_and_nothing_is_written(tmp_path: Path, con):
    old, other, out = tmp_path / "old.parquet", tmp_path / "other.parquet", tmp_path / "out.parquet"
    _write(con, old, 0, 100)
    con.execute(f"copy (select 1 as week_start) to '{other}' (format parquet)")
    with pytest.raises(ParquetLayoutError, match="columns are stored unlike"):
        append_row_groups(old, other, out)
    assert not out.exists()
    (tmp_path / "text.parquet").write_bytes(b"PAR1 but not really a Parquet file")
    with pytest.raises(ParquetLayoutError, match="not a Parquet file"):
        append_row_groups(old, tmp_path / "text.parquet", out)
    assert not out.exists()


def test_a_file_with_page_indexes_is_refused(tmp_path: Path):
    """pyarrow can write page indexes, whose page offsets this module does not move: refused, not broken."""
    table = pa.table({"week_start": pa.array([1, 2, 3], pa.int32())})
    old, new_rows, out = tmp_path / "old.parquet", tmp_path / "new.parquet", tmp_path / "out.parquet"
    pq.write_table(table, old, write_page_index=True)
    pq.write_table(table, new_rows, write_page_index=True)
    with pytest.raises(ParquetLayoutError, match="page index"):
        append_row_groups(old, new_rows, out)
    assert not out.exists()


def test_a_footer_field_this_module_does_not_know_is_refused(tmp_path: Path, con):
    """A field a later writer might add could hold an offset that would not be moved: refused, not copied."""
    old, new_rows, out = tmp_path / "old.parquet", tmp_path / "new.parquet", tmp_path / "out.parquet"
    _write(con, old, 0, 100)
    _write(con, new_rows, 100, 200)
    footer = read_footer(new_rows)
    first_column_meta = footer.row_groups[0][0].value.values[0]  # RowGroup.columns[0]
    meta = next(field for field in first_column_meta if field.id == 3).value
    meta.append(Field(30, I64, 4))  # an unknown ColumnMetaData field
    body = new_rows.read_bytes()[: footer.end]
    encoded = encode(footer.metadata)
    new_rows.write_bytes(body + encoded + struct.pack("<I", len(encoded)) + b"PAR1")
    assert pq.read_table(new_rows).num_rows == 100  # still a valid file for a reader that skips the field
    with pytest.raises(ParquetLayoutError, match=r"fields \[30\] this module does not know"):
        append_row_groups(old, new_rows, out)
    assert not out.exists()


def test_write_parquet_writes_the_file_whole_when_the_published_one_cannot_be_read(tmp_path: Path, con):
    con.execute("create schema marts")
    con.execute(f"create table marts.t as {ROWS.format(start=0, stop=300)}")
    source = "select * from marts.t"
    shape = [(c, t) for c, t, *_ in con.execute(f"describe {source}").fetchall()]
    new = ShapedChunks(shape, table_chunks(con, "marts", "t", source, tuple(c for c, _ in shape)))
    older = {key: chunk for key, chunk in new.chunks.chunks.items() if key != "v:2024-02-26"}
    known = ShapedChunks(shape, TableChunks("main", "t", "week_start", older))
    broken = tmp_path / "published.parquet"
    broken.write_bytes(b"PAR1 a published file someone truncated")
    said: list[str] = []
    path = tmp_path / "t.parquet"
    assert write_parquet(con, source, path, new, ParquetBase(broken, known), said.append) == 0
    assert said == ["t: Parquet written whole (published.parquet: not a Parquet file (or an encrypted one))"]
    assert _difference(con, path, 0, 300) == 0
    assert not list(tmp_path.glob(".*new-chunks"))  # the new rows' file is gone
