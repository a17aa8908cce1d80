"""What changed since the last serve (lib/chunks.py cuts every served table into chunks with row
counts and checksums, taken from the published file).

PostgreSQL keeps what it serves in ``partnerpulse_admin.served_chunks``, written in the same
transaction as the rows, so it always describes exactly what ``marts`` and ``partner_feeds`` hold. A
serve compares the published chunks with it: a chunk whose count or checksum differs, that is new, or
that is gone is the only thing rewritten (``plan_delta``). A new week at 200,000 accounts rewrites one
week of each weekly table and the small tables, not 105 million rows.
"""

from __future__ import annotations

from psycopg2 import sql

from dagster_project.lib.chunks import NULL, VALUE_PREFIX, Chunk, TableChunks, TableDelta, diff_chunks

TABLE = "table"  # the state's row that records a table as served (an empty table has no chunk)
# a delta rewriting more than this share of the served rows costs more than a fresh load + rename
# (index upkeep row by row, every row written to WAL): then the whole file is loaded
DELTA_MAX_SHARE = 0.5

STATE_SCHEMA = "partnerpulse_admin"
STATE_TABLE = "served_chunks"


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
        if (delta := diff_chunks(entry, before)) is not None:
            deltas.append(delta)
    changed = sum(delta.rows_deleted + delta.rows_written for delta in deltas)
    if changed > DELTA_MAX_SHARE * sum(entry.rows + served[(entry.schema, entry.table)].rows for entry in published):
        return None
    return deltas
