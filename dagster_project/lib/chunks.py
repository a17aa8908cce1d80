"""Tables as chunks with row counts and checksums, to find what changed between two copies of a table.

A table with a period column (CHUNK_COLUMNS: ``week_start`` first) is cut into one chunk per value of
that column — a week, a month, a payout period — and its rows with no value form one more chunk; any
other table (the dimensions, the renewals, most executive reports) is one chunk. A chunk's checksum is
DuckDB's ``sum(hash(row))`` over its rows: any changed, added or removed row changes it (a collision
needs two different multisets of rows whose 64-bit hashes sum to the same 128-bit number).

Used by publishing (defs/publish/publisher.py: the published file keeps the chunks that did not change)
and by serving (defs/serving/chunks.py: PostgreSQL rewrites only the chunks that changed). Chunks once
computed can be kept as JSON (``chunks_record``) with the identity of the DuckDB file they were read from
(``duckdb_file_identity``), and trusted again while that file is unchanged (``recorded_chunks``; decision 132).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.lib.warehouse import quote_ident

CHUNK_COLUMNS = ("week_start", "month_start", "payout_period", "period_start")
WHOLE = "all"  # the one chunk of a table without a chunk column
NULL = "null"  # the rows whose chunk column is NULL
VALUE_PREFIX = "v:"  # a chunk of rows with this value of the chunk column (as DuckDB casts it to text)
ROW_ALIAS = "partnerpulse__chunked_row"  # the row in the checksum queries; no column may be named so


@dataclass(frozen=True)
class Chunk:
    rows: int
    checksum: str


@dataclass(frozen=True)
class TableChunks:
    """One table's chunks: key (WHOLE, NULL or VALUE_PREFIX + value) → rows and checksum."""

    schema: str
    table: str
    column: str | None
    chunks: dict[str, Chunk]

    @property
    def rows(self) -> int:
        return sum(chunk.rows for chunk in self.chunks.values())


def table_shape(con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> list[tuple[str, str]]:
    """(column, type) of ``<database>.<schema>.<table>`` in order; empty when there is no such table."""
    return con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? order by column_index",
        [database, schema, table],
    ).fetchall()


def chunk_column(columns: list[str] | tuple[str, ...]) -> str | None:
    """The column a table is cut by: the first of CHUNK_COLUMNS it has, or None (one chunk)."""
    return next((name for name in CHUNK_COLUMNS if name in columns), None)


def table_chunks(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, query: str, columns: tuple[str, ...]
) -> TableChunks:
    """The chunks of ``query``'s rows (a table, or a query over tables)."""
    if ROW_ALIAS in columns:  # hash(<alias>) would hash that column alone, not the row
        raise ValueError(f"{schema}.{table} has a column named {ROW_ALIAS}, which is reserved")
    column = chunk_column(columns)
    checksum = f"cast(coalesce(sum(hash({ROW_ALIAS})), 0) as varchar)"
    if column is None:
        rows = con.sql(f"select '{WHOLE}', count(*), {checksum} from ({query}) as {ROW_ALIAS}").fetchall()
        rows = [row for row in rows if row[1]]  # an empty table has no chunk
    else:
        value = f"{ROW_ALIAS}.{quote_ident(column)}"
        rows = con.sql(
            f"select case when {value} is null then '{NULL}' else '{VALUE_PREFIX}' || cast({value} as varchar) end, "
            f"count(*), {checksum} from ({query}) as {ROW_ALIAS} group by 1"
        ).fetchall()
    return TableChunks(schema, table, column, {key: Chunk(int(n), str(total)) for key, n, total in rows})


def changed_keys(new: TableChunks, old: TableChunks) -> tuple[str, ...]:
    """The chunks whose row count or checksum differ, that are new, or that are gone (sorted)."""
    every_key = new.chunks.keys() | old.chunks.keys()
    return tuple(sorted(key for key in every_key if new.chunks.get(key) != old.chunks.get(key)))


@dataclass(frozen=True)
class TableDelta:
    """What changed in one table: delete the rows of ``keys`` (all of them when ``whole``), then write the
    new rows of ``keys``."""

    schema: str
    table: str
    column: str | None
    keys: tuple[str, ...]
    whole: bool
    rows_deleted: int
    rows_written: int


def diff_chunks(new: TableChunks, old: TableChunks) -> TableDelta | None:
    """How ``old`` becomes ``new`` chunk by chunk (both cut by the same column); None when nothing changed."""
    keys = changed_keys(new, old)
    if not keys:
        return None
    whole = new.column is None or set(keys) >= set(old.chunks)  # then every new chunk is in keys
    deleted = sum(old.chunks[key].rows for key in keys if key in old.chunks)
    written = sum(new.chunks[key].rows for key in keys if key in new.chunks)
    return TableDelta(new.schema, new.table, new.column, keys, whole, deleted, written)


def fingerprint(chunks: TableChunks, shape: list[tuple[str, str]]) -> str:
    """One text for a table's columns, types and chunks: equal fingerprints, equal rows."""
    text = json.dumps([shape, sorted((key, c.rows, c.checksum) for key, c in chunks.chunks.items())])
    return hashlib.sha256(text.encode()).hexdigest()


def chunk_filter(
    column: str | None, keys: tuple[str, ...], whole: bool, alias: str | None = ROW_ALIAS
) -> tuple[str, list]:
    """A DuckDB condition (over ``alias``, or the unqualified column) and its parameters selecting the
    rows of ``keys``."""
    if whole or column is None:
        return "true", []
    values = [key[len(VALUE_PREFIX) :] for key in keys if key.startswith(VALUE_PREFIX)]
    value = f"{alias}.{quote_ident(column)}" if alias else quote_ident(column)
    return f"(list_contains($1, cast({value} as varchar)) or ({value} is null and $2))", [values, NULL in keys]


def chunk_rows_query(query: str, column: str | None, keys: tuple[str, ...], whole: bool) -> tuple[str, list]:
    """SQL (DuckDB) and its parameters for the rows of ``keys`` in ``query``."""
    if whole or column is None:
        return f"select * from ({query}) as {ROW_ALIAS}", []
    condition, params = chunk_filter(column, keys, whole)
    return f"select * from ({query}) as {ROW_ALIAS} where {condition}", params


@dataclass(frozen=True)
class ShapedChunks:
    """A table's columns and types, and its chunks."""

    shape: list[tuple[str, str]]
    chunks: TableChunks


def shaped_to_json(known: ShapedChunks) -> dict[str, Any]:
    return {
        "shape": [list(pair) for pair in known.shape],
        "column": known.chunks.column,
        "chunks": {key: [chunk.rows, chunk.checksum] for key, chunk in sorted(known.chunks.chunks.items())},
    }


def shaped_from_json(schema: str, table: str, entry: Any) -> ShapedChunks:
    column = entry["column"]
    if column is not None and not isinstance(column, str):
        raise TypeError(column)
    return ShapedChunks(
        [(str(name), str(type_)) for name, type_ in entry["shape"]],
        TableChunks(
            schema,
            table,
            column,
            {str(key): Chunk(int(rows), str(checksum)) for key, (rows, checksum) in entry["chunks"].items()},
        ),
    )


def chunks_record(identity: dict[str, Any], known: Mapping[str, ShapedChunks]) -> dict[str, Any]:
    """A JSON document of each table's chunks (``known``), read from a DuckDB file of ``identity``
    (``duckdb_file_identity``)."""
    return {"file": identity, "tables": {table: shaped_to_json(entry) for table, entry in sorted(known.items())}}


def recorded_chunks(record: Any, path: Path, schema: str) -> dict[str, ShapedChunks]:
    """The chunks of a ``chunks_record`` document, as tables of ``schema``, if the DuckDB file at ``path``
    still has the identity the document names; else empty. ValueError when ``record`` is not such a document."""
    try:
        if record["file"] != duckdb_file_identity(path):
            return {}
        return {str(table): shaped_from_json(schema, str(table), entry) for table, entry in record["tables"].items()}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"not a record of chunks: {exc!r}") from exc


def duckdb_file_identity(path: Path) -> dict[str, Any]:
    """What tells that a DuckDB file (and its write-ahead log) was not written since: their sizes,
    modification and change times (the change time cannot be set back by a user), inodes, and the DuckDB
    version (whose ``hash`` the checksums are)."""

    def identity(file: Path) -> list[int] | None:
        try:
            stat = os.stat(file)
        except FileNotFoundError:
            return None
        return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]

    return {"file": identity(path), "wal": identity(path.with_name(path.name + ".wal")), "duckdb": duckdb.__version__}
