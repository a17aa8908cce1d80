"""What changed since the last serve: every served table as chunks with a row count and a checksum.

A table with a period column (CHUNK_COLUMNS: ``week_start`` first) is cut into one chunk per value of
that column — a week, a month, a payout period — and its rows with no value form one more chunk; any
other table (the dimensions, the renewals, most executive reports, the renewal-timelines feed) is one
chunk. A chunk's checksum is
DuckDB's ``sum(hash(row))`` over its rows, taken from the published file: any changed, added or removed
row changes it (a collision needs two different multisets of rows whose 64-bit hashes sum to the same
128-bit number).

PostgreSQL keeps what it serves in ``partnerpulse_admin.served_chunks``, written in the same
transaction as the rows, so it always describes exactly what ``marts`` and ``partner_feeds`` hold. A
serve compares the published chunks with it: a chunk whose count or checksum differs, that is new, or
that is gone is the only thing rewritten (``plan_delta``). A new week at 200,000 accounts rewrites one
week of each weekly table and the small tables, not 105 million rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
from psycopg2 import sql

from dagster_project.lib.warehouse import quote_ident

CHUNK_COLUMNS = ("week_start", "month_start", "payout_period", "period_start")
WHOLE = "all"  # the one chunk of a table without a chunk column
NULL = "null"  # the rows whose chunk column is NULL
VALUE_PREFIX = "v:"  # a chunk of rows with this value of the chunk column (as DuckDB casts it to text)
TABLE = "table"  # the state's row that records a table as served (an empty table has no chunk)
# a delta rewriting more than this share of the served rows costs more than a fresh load + rename
# (index upkeep row by row, every row written to WAL): then the whole file is loaded
DELTA_MAX_SHARE = 0.5

ROW_ALIAS = "partnerpulse__served_row"  # the row in the checksum queries; no published column may be named so
STATE_SCHEMA = "partnerpulse_admin"
STATE_TABLE = "served_chunks"


@dataclass(frozen=True)
class Chunk:
    rows: int
    checksum: str


@dataclass(frozen=True)
class TableChunks:
    """One served table's chunks: key (WHOLE, NULL or VALUE_PREFIX + value) → rows and checksum."""

    schema: str
    table: str
    column: str | None
    chunks: dict[str, Chunk]

    @property
    def rows(self) -> int:
        return sum(chunk.rows for chunk in self.chunks.values())


@dataclass(frozen=True)
class TableDelta:
    """What to rewrite in one served table: delete the rows of ``keys`` (all of them when ``whole``),
    then copy in the published rows of ``keys``."""

    schema: str
    table: str
    column: str | None
    keys: tuple[str, ...]
    whole: bool
    rows_deleted: int
    rows_written: int


def chunk_column(columns: list[str] | tuple[str, ...]) -> str | None:
    """The column a table is cut by: the first of CHUNK_COLUMNS it has, or None (one chunk)."""
    return next((name for name in CHUNK_COLUMNS if name in columns), None)


def published_chunks(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, query: str, columns: tuple[str, ...]
) -> TableChunks:
    """The chunks of ``query``'s rows (a published table or a feed) in the published file."""
    if ROW_ALIAS in columns:  # hash(<alias>) would hash that column alone, not the row
        raise ValueError(f"{schema}.{table} has a column named {ROW_ALIAS}, which serving reserves")
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


def chunk_rows_query(query: str, column: str | None, keys: tuple[str, ...], whole: bool) -> tuple[str, list]:
    """SQL (DuckDB) and its parameters for the published rows of ``keys``."""
    if whole or column is None:
        return f"select * from ({query}) as {ROW_ALIAS}", []
    values = [key[len(VALUE_PREFIX) :] for key in keys if key.startswith(VALUE_PREFIX)]
    value = f"{ROW_ALIAS}.{quote_ident(column)}"
    return (
        f"select * from ({query}) as {ROW_ALIAS} "
        f"where list_contains($1, cast({value} as varchar)) or ({value} is null and $2)",
        [values, NULL in keys],
    )


def delete_chunks(table: sql.Composable, column: str | None, column_type: str, keys: tuple[str, ...], whole: bool):
    """The DELETE (PostgreSQL) of the served rows of ``keys``, and its parameters. Plain row deletes:
    no lock that a reader's conflicts with, so an open BI transaction keeps its snapshot."""
    if whole or column is None:
        return sql.SQL("delete from {}").format(table), []
    values = [key[len(VALUE_PREFIX) :] for key in keys if key.startswith(VALUE_PREFIX)]
    return (
        sql.SQL("delete from {table} where {column} = any(cast(%s as {type}[])) or ({column} is null and %s)").format(
            table=table, column=sql.Identifier(column), type=sql.SQL(column_type)
        ),
        [values, NULL in keys],
    )


# ----------------------------------------------------------------------------------- served state


def ensure_state_table(cur) -> None:
    cur.execute(
        sql.SQL(
            "create table if not exists {} (schema_name text not null, table_name text not null, "
            "chunk_column text, chunk text not null, row_count bigint not null, checksum text not null, "
            "relation_oid oid, primary key (schema_name, table_name, chunk))"
        ).format(sql.Identifier(STATE_SCHEMA, STATE_TABLE))
    )
    cur.execute(
        "select 1 from pg_attribute where attrelid = %s::regclass and attname = 'relation_oid' and not attisdropped",
        [f"{STATE_SCHEMA}.{STATE_TABLE}"],
    )
    if cur.fetchone() is None:  # a state table of the first version (2026-12-01), before relation_oid
        cur.execute(
            sql.SQL("alter table {} add column relation_oid oid").format(sql.Identifier(STATE_SCHEMA, STATE_TABLE))
        )
    cur.execute(
        sql.SQL("comment on table {} is %s").format(sql.Identifier(STATE_SCHEMA, STATE_TABLE)),
        [
            "What PartnerPulse serves in marts and partner_feeds, chunk by chunk (row count, checksum of the "
            "published rows): written with the rows, read by the next refresh to rewrite only what changed."
        ],
    )


def served_state(cur) -> dict[tuple[str, str], TableChunks]:
    """What was recorded as served, by (schema, table). A table recorded inconsistently, or that is no
    longer the table the record was written for (dropped, recreated, swapped in by something that kept
    no record), counts as never recorded."""
    cur.execute(
        sql.SQL(
            "select schema_name, table_name, chunk_column, chunk, row_count, checksum, "
            "relation_oid is not distinct from to_regclass(format('%I.%I', schema_name, table_name))::oid "
            "from {}"
        ).format(sql.Identifier(STATE_SCHEMA, STATE_TABLE))
    )
    state: dict[tuple[str, str], TableChunks] = {}
    inconsistent: set[tuple[str, str]] = set()
    for schema, table, column, key, rows, checksum, same_relation in cur.fetchall():
        entry = state.setdefault((schema, table), TableChunks(schema, table, column, {}))
        if entry.column != column or not same_relation:
            inconsistent.add((schema, table))
        if key != TABLE:
            entry.chunks[key] = Chunk(int(rows), checksum)
    return {name: entry for name, entry in state.items() if name not in inconsistent}


def write_state(cur, tables: list[TableChunks], replace_all: bool) -> None:
    """Record ``tables`` as served (in the transaction that serves their rows)."""
    target = sql.Identifier(STATE_SCHEMA, STATE_TABLE)
    if replace_all:
        cur.execute(sql.SQL("delete from {}").format(target))
    for entry in tables:
        if not replace_all:
            cur.execute(
                sql.SQL("delete from {} where schema_name = %s and table_name = %s").format(target),
                [entry.schema, entry.table],
            )
        rows = [(entry.schema, entry.table, entry.column, TABLE, entry.rows, "")] + [
            (entry.schema, entry.table, entry.column, key, chunk.rows, chunk.checksum)
            for key, chunk in sorted(entry.chunks.items())
        ]
        values = sql.SQL(", ").join(
            sql.SQL("(%s, %s, %s, %s, %s, %s, to_regclass(format('%%I.%%I', %s, %s))::oid)") for _ in rows
        )
        cur.execute(
            sql.SQL(
                "insert into {} (schema_name, table_name, chunk_column, chunk, row_count, checksum, relation_oid) "
                "values "
            ).format(target)
            + values,
            [value for row in rows for value in (*row, row[0], row[1])],
        )


def plan_delta(published: list[TableChunks], served: dict[tuple[str, str], TableChunks]) -> list[TableDelta] | None:
    """The tables to rewrite, chunk by chunk; None when a delta cannot be trusted or would cost more
    than a full load (a table served without a recorded state, a table no longer published, or more
    than DELTA_MAX_SHARE of the rows to rewrite)."""
    if {(t.schema, t.table) for t in published} != set(served):
        return None
    deltas = []
    for entry in published:
        before = served[(entry.schema, entry.table)]
        if before.column != entry.column:
            return None
        every_key = entry.chunks.keys() | before.chunks.keys()
        keys = tuple(sorted(key for key in every_key if entry.chunks.get(key) != before.chunks.get(key)))
        if not keys:
            continue
        whole = entry.column is None or set(keys) >= set(before.chunks)  # then every published chunk is in keys
        deleted = sum(before.chunks[key].rows for key in keys if key in before.chunks)
        written = sum(entry.chunks[key].rows for key in keys if key in entry.chunks)
        deltas.append(TableDelta(entry.schema, entry.table, entry.column, keys, whole, deleted, written))
    changed = sum(delta.rows_deleted + delta.rows_written for delta in deltas)
    if changed > DELTA_MAX_SHARE * sum(entry.rows + served[(entry.schema, entry.table)].rows for entry in published):
        return None
    return deltas
