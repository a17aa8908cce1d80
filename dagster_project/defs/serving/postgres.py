"""Serving the published marts and the partner feeds from PostgreSQL (SPEC §12, §11).

Every published table (published/marts.duckdb: the checked state) goes to schema ``marts`` and the
five partner feeds (defs/partner_feeds/feeds.py FEED_QUERIES) to schema ``partner_feeds`` of the
database the libpq variables name (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD).

What changed: every served table is cut into chunks (a week, a month, a payout period; a table
without such a column whole) with a row count and checksum (serving/chunks.py), recorded in
``partnerpulse_admin.served_chunks`` in the transaction that serves the rows, with the served table's
oid. A delta verifies as it goes that it deletes and writes exactly the recorded and published row
counts; a mismatch (a hand edit) rolls it back and loads everything. When the served schemas
have the published shape and a recorded state, only the chunks whose count or checksum changed are
rewritten — deleted and copied in again, in ONE transaction holding an advisory lock, so a reader
sees last week or this week, never waits and is never waited for (row changes take ROW EXCLUSIVE
locks, which no reader's lock conflicts with), and keeps its snapshot (MVCC). A new week at 200,000
accounts rewrites a week of each weekly table instead of ~105 million rows. The first serve, a change
of shape, a delta of more than half the rows, or ``serve(full=True)`` (``serve-postgres --full``)
loads everything as below.

Loading everything: each table is streamed from DuckDB as Arrow record batches, written as CSV and sent with
COPY into a new schema (``marts__load_<token>``, ``partner_feeds__load_<token>``); never row by row,
never a whole table in memory. Types are kept (DECIMAL(p,s) → numeric(p,s), DATE → date, …).
PARTNERPULSE_SERVE_POSTGRES_JOBS connections (default 2) load tables in parallel, largest first, each
thread with its own PostgreSQL connection and its own DuckDB cursor; the loading sessions run with
``synchronous_commit = off`` (their schemas are thrown away on failure anyway) and a larger
``maintenance_work_mem`` for the key and index builds. The swap runs on one connection after every
load has committed; the first failing table cancels the others and drops the load schemas.

Publishing a full load, in ONE transaction for both schemas, so a reader sees last week or this week:

- by renaming schemas (the usual case of a full load): the swap first locks every served table with NOWAIT (a few
  tries, half a second apart). Success means no open transaction has read a served table; then
  ``marts`` → ``marts__retired_<token>`` and ``marts__load_<token>`` → ``marts`` (same for
  ``partner_feeds``), and the grants are re-applied: milliseconds, whatever the size.
- in place, when a transaction holds a served table (a BI session's REPEATABLE READ transaction, a
  long query): PostgreSQL resolves names against the newest catalog, so after a rename such a
  transaction would find the new tables and, its snapshot predating their rows, read them EMPTY.
  Instead every served table's rows are deleted and the loaded rows inserted: plain row changes
  take ROW EXCLUSIVE locks, which no reader's lock conflicts with, so the refresh never waits for
  the reader, the reader never waits for the refresh, and it keeps reading last week's rows until
  its transaction ends (MVCC). Slower (rows are written twice) but never blocked. When the shape
  changed (an upgrade added a column) the rename is done anyway and the log says so.

The load and retired schemas are dropped after the commit with a short lock_timeout; one that a
reader still holds is left and dropped by the next refresh. A failure before the commit drops the
load schemas and leaves ``marts`` and ``partner_feeds`` as they were.

Partner access: ``partnerpulse_admin.partner_access(partner_id, role_name)`` holds the grants (no
privilege for anyone but the loader). Every feed table has ENABLE + FORCE ROW LEVEL SECURITY and a
SELECT policy admitting a row only when its partner_id is among
``partnerpulse_admin.granted_partner_ids(current_user)``: a SECURITY DEFINER function that returns the
partner ids granted to the querying role (or a role it belongs to) and nothing for a role the session
cannot act as. A partner role thus never reads the grants, another partner's rows, or ``marts``.
``partnerpulse_reader`` (NOLOGIN; grant it to BI login roles) may read ``marts``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import queue
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psycopg2
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg2 import errors as pgerrors
from psycopg2 import sql

from dagster_project.defs.partner_feeds.feeds import FEED_QUERIES
from dagster_project.defs.serving.chunks import delete_chunks, ensure_state_table, plan_delta, served_state, write_state
from dagster_project.lib.chunks import TableChunks, TableDelta, chunk_rows_query, table_chunks
from dagster_project.lib.dbt_manifest import read_manifest
from dagster_project.lib.engine import postgres_type
from dagster_project.lib.warehouse import quote_ident
from dagster_project.settings import DBT_PROJECT_DIR, ConfigError, serve_postgres_jobs

MARTS_SCHEMA = "marts"
FEEDS_SCHEMA = "partner_feeds"
ADMIN_SCHEMA = "partnerpulse_admin"
ACCESS_TABLE = "partner_access"
ACCESS_FUNCTION = "granted_partner_ids"
READER_ROLE = "partnerpulse_reader"
FEED_POLICY = "partner_rows"
LOADER_POLICY = "partnerpulse_loader"
DEFAULT_MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"

BATCH_ROWS = 100_000
COPY_FREEZE = True
# per loading session: the work schema is dropped when a load fails, so a commit need not wait for the
# WAL flush; key and index builds sort in memory (default 64MB spills the large tables' sorts to disk)
LOAD_SESSION_SETTINGS = {"synchronous_commit": "off", "maintenance_work_mem": "256MB"}
SWAP_LOCK_TIMEOUT = "10s"  # the swap takes no lock a reader holds; this only bounds the unexpected
RENAME_ATTEMPTS = 5  # tries to find the served tables unread (NOWAIT) before publishing in place instead
RENAME_RETRY_SECONDS = 0.5
AUTOVACUUM_LOCK_TIMEOUT = "3s"  # the longest a swap waits for autovacuum to give way
DROP_LOCK_TIMEOUT = "2s"  # a retired schema a reader still uses is dropped at the next refresh
WORK_SCHEMA = re.compile(r"(marts|partner_feeds)__(load|retired)_[0-9a-f]{32}")
INDEXED_COLUMNS = ("week_start", "partner_id", "account_id", "payout_period")
SERVE_LOCK = "partnerpulse_serve"  # advisory lock: one serve publishes at a time
# a session's advisory lock, held by a serve from before it clears leftover load schemas to its end: a second
# serve (a refresh's and a hand-run `serve-postgres`) waits instead of dropping the first one's load schemas
SERVE_SESSION_LOCK = "partnerpulse_serve_session"

FEED_DESCRIPTIONS = {
    "usage": "Utilization, feature adoption and API use of the partner's accounts, last 13 weeks (SPEC 7.6).",
    "expansion_alerts": "Expansion signals of the partner's accounts that fired this week and not the week before.",
    "renewal_timelines": "Open renewals of the partner's accounts with their 180/90/60-day milestones and plan status.",
    "health": "This week's health score, category, trend and reasons of the partner's accounts.",
    "competitive_alerts": "Competitor evaluations seen this week at the partner's accounts.",
}
# where a feed column's comment comes from (the first of these marts documenting a column of that name)
FEED_COLUMN_SOURCES = ("dim_accounts", "fct_account_health_weekly", "fct_expansion_signals", "fct_renewals")


class ServingError(RuntimeError):
    """Serving to PostgreSQL failed; the message says why, for a person."""


class PartnerAccessError(ServingError):
    """A partner-access command that cannot be done as asked (unknown partner or role, no such grant)."""


# ------------------------------------------------------------------------------------------ settings


def server_address() -> str:
    """host:port of the server libpq will connect to (PGHOST / PGPORT, libpq's defaults otherwise)."""
    host = os.environ.get("PGHOST") or os.environ.get("PGHOSTADDR") or "localhost (libpq's default socket)"
    return f"{host}:{os.environ.get('PGPORT') or '5432'}"


def connect(application_name: str = "partnerpulse") -> psycopg2.extensions.connection:
    """A connection from the libpq variables; a ServingError naming host and port when it fails."""
    try:
        return psycopg2.connect("", application_name=application_name, connect_timeout=10)
    except psycopg2.OperationalError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        database = os.environ.get("PGDATABASE") or "(libpq default)"
        user = os.environ.get("PGUSER") or "(libpq default)"
        raise ServingError(
            f"cannot connect to PostgreSQL at {server_address()} (database {database}, user {user}): {reason}. "
            "Check that the server runs and PGHOST, PGPORT, PGDATABASE, PGUSER and PGPASSWORD."
        ) from None


# ------------------------------------------------------------------------------- types and dbt docs


def pg_type(duckdb_type: str) -> str:
    """The PostgreSQL type (as format_type() spells it) for a DuckDB column type."""
    found = postgres_type(duckdb_type)
    if found is not None:
        return found
    raise ServingError(f"a published column has type {duckdb_type}, which is not served to PostgreSQL")


@dataclass(frozen=True)
class MartDocs:
    description: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    unique_keys: tuple[tuple[str, ...], ...] = ()


def read_mart_docs(manifest_path: Path) -> dict[str, MartDocs]:
    """Descriptions and the unique keys (error-severity ``unique`` / ``unique_combination`` tests) of
    every model, by name, from the dbt manifest."""
    manifest = read_manifest(manifest_path)
    nodes = manifest["nodes"].values()
    keys: dict[str, list[tuple[str, ...]]] = {}
    for node in nodes:
        test = node.get("test_metadata") or {}
        config = node.get("config") or {}
        if node["resource_type"] != "test" or str(config.get("severity", "error")).lower() != "error":
            continue
        if config.get("where") or len(node["depends_on"]["nodes"]) != 1:
            continue
        model = node["depends_on"]["nodes"][0].rsplit(".", 1)[-1]
        if test.get("name") == "unique" and node.get("column_name"):
            keys.setdefault(model, []).append((node["column_name"],))
        elif test.get("name") == "unique_combination":
            keys.setdefault(model, []).append(tuple(test["kwargs"]["columns"]))
    return {
        node["name"]: MartDocs(
            description=" ".join(node.get("description", "").split()),
            columns={name: " ".join(c.get("description", "").split()) for name, c in node["columns"].items()},
            unique_keys=tuple(sorted(set(keys.get(node["name"], [])), key=len)),
        )
        for node in nodes
        if node["resource_type"] == "model"
    }


# ----------------------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # PostgreSQL, as format_type() spells it


@dataclass(frozen=True)
class TableSource:
    """One table to serve: where its rows come from (SQL on the published file), its shape and docs."""

    name: str
    query: str
    columns: tuple[Column, ...]
    comment: str
    column_comments: dict[str, str]
    unique_keys: tuple[tuple[str, ...], ...]


class _CsvStream(io.RawIOBase):
    """A file object for COPY FROM STDIN: CSV bytes from Arrow record batches, one batch at a time."""

    def __init__(self, batches: Iterator[pa.RecordBatch]) -> None:
        self._batches = batches
        self._buffer = b""
        self._offset = 0  # what was read of _buffer: reading a chunk copies that chunk only
        self.rows = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) - self._offset < size:
            batch = next(self._batches, None)
            if batch is None:
                break
            if batch.num_rows:
                sink = io.BytesIO()
                pacsv.write_csv(batch, sink, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
                self._buffer = self._buffer[self._offset :] + sink.getvalue()
                self._offset = 0
                self.rows += batch.num_rows
        end = len(self._buffer) if size < 0 else min(len(self._buffer), self._offset + size)
        chunk = self._buffer[self._offset : end]
        self._offset = end
        return chunk


def _ident(*parts: str) -> sql.Identifier:
    return sql.Identifier(*parts)


def _sources(con: duckdb.DuckDBPyConnection, docs: dict[str, MartDocs]) -> tuple[list[TableSource], list[TableSource]]:
    """(every published table, the five feeds) with their PostgreSQL columns."""

    def describe(name: str, query: str, doc: MartDocs) -> TableSource:
        relation = con.sql(query)
        columns = tuple(Column(c, pg_type(str(t))) for c, t in zip(relation.columns, relation.types, strict=True))
        return TableSource(name, query, columns, doc.description, doc.columns, doc.unique_keys)

    tables = [name for (name,) in con.execute("select table_name from duckdb_tables() order by table_name").fetchall()]
    marts = [describe(t, f"select * from {quote_ident(t)}", docs.get(t, MartDocs())) for t in tables]
    feed_column_docs: dict[str, str] = {}
    for source in reversed(FEED_COLUMN_SOURCES):
        feed_column_docs.update({k: v for k, v in docs.get(source, MartDocs()).columns.items() if v})
    feeds = [
        describe(name, query, MartDocs(FEED_DESCRIPTIONS.get(name, ""), feed_column_docs))
        for name, query in FEED_QUERIES.items()
    ]
    return marts, feeds


def _create_and_copy(cur, con: duckdb.DuckDBPyConnection, schema: str, source: TableSource) -> int:
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(_ident(c.name), sql.SQL(c.type))
        for c in source.columns  # type from pg_type()
    )
    cur.execute(sql.SQL("create table {} ({})").format(_ident(schema, source.name), columns))
    stream = _CsvStream(iter(con.sql(source.query).to_arrow_reader(BATCH_ROWS)))
    # FREEZE (the table was created in this transaction): rows are written frozen and all-visible, so
    # autovacuum need not make a second pass over every freshly loaded page
    copy = sql.SQL("copy {} from stdin with (format csv{})").format(
        _ident(schema, source.name), sql.SQL(", freeze" if COPY_FREEZE else "")
    )
    cur.copy_expert(copy.as_string(cur), stream, size=1 << 20)
    return stream.rows


def _index_name(table: str, suffix: str) -> sql.Identifier:
    # PostgreSQL names are at most 63 bytes; indexes are per schema, so the table name keeps them apart
    return _ident(f"{table[:50]}_{suffix}"[:63])


def _add_keys_indexes_comments(cur, schema: str, source: TableSource) -> None:
    table = _ident(schema, source.name)
    names = {c.name for c in source.columns}
    keyed: set[str] = set()
    for position, key in enumerate(k for k in source.unique_keys if set(k) <= names):
        key_sql = sql.SQL(", ").join(_ident(c) for c in key)
        cur.execute(
            sql.SQL("select count(*) from {} where {}").format(
                table, sql.SQL(" or ").join(sql.SQL("{} is null").format(_ident(c)) for c in key)
            )
        )
        if position == 0 and cur.fetchone()[0] == 0:
            cur.execute(sql.SQL("alter table {} add primary key ({})").format(table, key_sql))
        else:  # a key with nulls (a direct account's partner_id) is a unique index, as the dbt test reads it
            cur.execute(
                sql.SQL("create unique index {} on {} ({})").format(
                    _index_name(source.name, f"key{position}"), table, key_sql
                )
            )
        if len(key) == 1:
            keyed.add(key[0])
    for column in INDEXED_COLUMNS:
        if column in names and column not in keyed:
            cur.execute(
                sql.SQL("create index {} on {} ({})").format(_index_name(source.name, column), table, _ident(column))
            )
    if source.comment:
        cur.execute(sql.SQL("comment on table {} is %s").format(table), [source.comment])
    for column in source.columns:
        if comment := source.column_comments.get(column.name):
            cur.execute(
                sql.SQL("comment on column {} is %s").format(_ident(schema, source.name, column.name)), [comment]
            )


def _protect_feed(cur, schema: str, table: str) -> None:
    """Row-level security on a feed table: a role reads the rows of the partners granted to it."""
    target = _ident(schema, table)
    cur.execute(sql.SQL("alter table {} enable row level security").format(target))
    cur.execute(sql.SQL("alter table {} force row level security").format(target))
    cur.execute(
        sql.SQL("create policy {} on {} for select using (partner_id in (select {}(current_user)))").format(
            _ident(FEED_POLICY), target, _ident(ADMIN_SCHEMA, ACCESS_FUNCTION)
        )
    )
    # FORCE applies the policies to the owner too: the loader may change every row
    cur.execute(
        sql.SQL("create policy {} on {} for all to current_user using (true) with check (true)").format(
            _ident(LOADER_POLICY), target
        )
    )


# ------------------------------------------------------------------------------ admin objects, grants


def ensure_admin_objects(cur) -> None:
    """The grants table and function, and the reader role, created when missing (idempotent)."""
    cur.execute("select pg_advisory_xact_lock(hashtext('partnerpulse_admin'))")
    cur.execute(sql.SQL("create schema if not exists {}").format(_ident(ADMIN_SCHEMA)))
    cur.execute(
        sql.SQL(
            "create table if not exists {} (partner_id text not null, role_name name not null, "
            "granted_at timestamp with time zone not null default now(), primary key (partner_id, role_name))"
        ).format(_ident(ADMIN_SCHEMA, ACCESS_TABLE))
    )
    cur.execute(
        sql.SQL("comment on table {} is %s").format(_ident(ADMIN_SCHEMA, ACCESS_TABLE)),
        ["Which database role may read which partner's rows in partner_feeds (partnerpulse partner-access)."],
    )
    cur.execute(
        sql.SQL(
            "create or replace function {function}(caller name) returns setof text "
            "language sql stable security definer set search_path = pg_catalog, pg_temp as $$ "
            "select access.partner_id from {table} as access "
            "join pg_catalog.pg_roles as caller_role on caller_role.rolname = caller "
            "join pg_catalog.pg_roles as granted on granted.rolname = access.role_name "
            "where pg_catalog.pg_has_role(session_user, caller_role.oid, 'MEMBER') "
            "and pg_catalog.pg_has_role(caller_role.oid, granted.oid, 'MEMBER') $$"
        ).format(function=_ident(ADMIN_SCHEMA, ACCESS_FUNCTION), table=_ident(ADMIN_SCHEMA, ACCESS_TABLE))
    )
    cur.execute(
        sql.SQL("comment on function {}(name) is %s").format(_ident(ADMIN_SCHEMA, ACCESS_FUNCTION)),
        ["The partner ids granted to the calling role (and the roles it belongs to); used by partner_feeds' policies."],
    )
    cur.execute(sql.SQL("revoke all on function {}(name) from public").format(_ident(ADMIN_SCHEMA, ACCESS_FUNCTION)))
    cur.execute("select 1 from pg_roles where rolname = %s", [READER_ROLE])
    if cur.fetchone() is None:
        cur.execute(sql.SQL("create role {} nologin").format(_ident(READER_ROLE)))
    ensure_state_table(cur)


def _granted_roles(cur) -> list[str]:
    cur.execute(
        sql.SQL(
            "select distinct access.role_name from {} as access join pg_roles as r on r.rolname = access.role_name "
            "order by 1"
        ).format(_ident(ADMIN_SCHEMA, ACCESS_TABLE))
    )
    return [role for (role,) in cur.fetchall()]


def _schema_exists(cur, schema: str) -> bool:
    cur.execute("select 1 from pg_namespace where nspname = %s", [schema])
    return cur.fetchone() is not None


def _grant_feed_access(cur, role: str, grant: bool = True) -> None:
    """What a granted role needs to read its rows: the feeds, and the function the policies call."""
    verb = sql.SQL("grant" if grant else "revoke")
    to = sql.SQL("to" if grant else "from")
    target = _ident(role)
    if _schema_exists(cur, FEEDS_SCHEMA):
        cur.execute(sql.SQL("{} usage on schema {} {} {}").format(verb, _ident(FEEDS_SCHEMA), to, target))
        cur.execute(
            sql.SQL("{} select on all tables in schema {} {} {}").format(verb, _ident(FEEDS_SCHEMA), to, target)
        )
    cur.execute(sql.SQL("{} usage on schema {} {} {}").format(verb, _ident(ADMIN_SCHEMA), to, target))
    cur.execute(
        sql.SQL("{} execute on function {}(name) {} {}").format(verb, _ident(ADMIN_SCHEMA, ACCESS_FUNCTION), to, target)
    )


def _apply_grants(cur) -> None:
    """The reader on marts, every granted role on partner_feeds (after a swap: the tables are new)."""
    if _schema_exists(cur, MARTS_SCHEMA):
        cur.execute(sql.SQL("grant usage on schema {} to {}").format(_ident(MARTS_SCHEMA), _ident(READER_ROLE)))
        cur.execute(
            sql.SQL("grant select on all tables in schema {} to {}").format(_ident(MARTS_SCHEMA), _ident(READER_ROLE))
        )
    for role in _granted_roles(cur):
        _grant_feed_access(cur, role)


# ------------------------------------------------------------------------------------------ serving


@dataclass(frozen=True)
class ServeResult:
    server: str
    mode: str  # "delta", "rename" or "in place"
    load_seconds: float  # delta: writing the changed chunks (in the publishing transaction)
    swap_seconds: float  # delta: the commit
    rows: dict[str, int]
    feed_rows: dict[str, int]
    pending_drops: list[str]
    rows_written: int = 0  # rows copied into PostgreSQL by this serve (a delta: the changed chunks only)


def _served_shape(cur, schema: str) -> dict[str, tuple[Column, ...]]:
    cur.execute(
        "select c.relname, a.attname, format_type(a.atttypid, a.atttypmod) from pg_class c "
        "join pg_namespace n on n.oid = c.relnamespace join pg_attribute a on a.attrelid = c.oid "
        "where n.nspname = %s and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped "
        "order by c.relname, a.attnum",
        [schema],
    )
    shape: dict[str, list[Column]] = {}
    for table, column, type_ in cur.fetchall():
        shape.setdefault(table, []).append(Column(column, type_))
    return {table: tuple(columns) for table, columns in shape.items()}


def _drop_schema(conn, schema: str, log: Callable[[str], None]) -> bool:
    """Drop a work schema unless a reader still holds one of its tables (then: the next refresh)."""
    with conn.cursor() as cur:
        try:
            cur.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(DROP_LOCK_TIMEOUT)))
            cur.execute(sql.SQL("drop schema if exists {} cascade").format(_ident(schema)))
            conn.commit()
            return True
        except pgerrors.LockNotAvailable:
            conn.rollback()
            log(f"PostgreSQL: {schema} is still read by a session; it is dropped at the next refresh")
            return False


def _leftover_schemas(cur) -> list[str]:
    cur.execute("select nspname from pg_namespace order by 1")
    return [name for (name,) in cur.fetchall() if WORK_SCHEMA.fullmatch(name)]


@dataclass(frozen=True)
class _LoadTask:
    schema: str  # the load schema
    source: TableSource
    feed: bool  # a partner feed: row-level security
    size: int  # rows in the published file (largest first, so the workers finish together)


def _load_tasks(
    con: duckdb.DuckDBPyConnection, load: dict[str, str], sources: dict[str, list[TableSource]]
) -> list[_LoadTask]:
    """Every table to load, largest first."""
    sizes = dict(con.execute("select table_name, estimated_size from duckdb_tables()").fetchall())
    tasks = []
    for schema, group in sources.items():
        for source in group:
            if schema == FEEDS_SCHEMA:  # a query over the marts: count it (about 1 s at 20,000 accounts)
                size = con.execute(f"select count(*) from ({source.query})").fetchone()[0]
            else:
                size = sizes.get(source.name, 0)
            tasks.append(_LoadTask(load[schema], source, schema == FEEDS_SCHEMA, int(size)))
    return sorted(tasks, key=lambda task: -task.size)


def _load_table(conn, con: duckdb.DuckDBPyConnection, task: _LoadTask) -> int:
    """One table in its own transaction: COPY, keys, indexes, comments (and a feed's policies); then
    VACUUM (ANALYZE): BI's first queries get statistics, and autovacuum has nothing left to do on the
    table — its lock would otherwise make the next refresh's swap publish in place."""
    with conn.cursor() as cur:
        rows = _create_and_copy(cur, con, task.schema, task.source)
        _add_keys_indexes_comments(cur, task.schema, task.source)
        if task.feed:
            _protect_feed(cur, task.schema, task.source.name)
    conn.commit()
    conn.autocommit = True  # VACUUM runs outside a transaction; quick: COPY FREEZE left every page all-visible
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("vacuum (analyze) {}").format(_ident(task.schema, task.source.name)))
    finally:
        conn.autocommit = False
    return rows


class _ParallelLoad:
    """``jobs`` threads taking tasks from one queue (largest first), each with its own PostgreSQL
    connection and its own DuckDB cursor (DuckDB connections are not thread-safe, cursors are). The first
    failure is kept; it stops the other workers from taking tasks and cancels their running statements."""

    def __init__(self, con: duckdb.DuckDBPyConnection, tasks: list[_LoadTask]) -> None:
        self._con = con
        self._tasks: queue.SimpleQueue[_LoadTask] = queue.SimpleQueue()
        for task in tasks:
            self._tasks.put(task)
        self.messages: queue.SimpleQueue[str] = queue.SimpleQueue()  # logged by the calling thread
        self.rows: dict[tuple[str, str], int] = {}
        self.failure: Exception | None = None
        self._lock = threading.Lock()  # guards failure, rows and _connections (cancel vs. close)
        self._connections: list = []

    def _fail(self, exc: Exception) -> None:
        with self._lock:
            if self.failure is not None:
                return  # a later error (often: canceled by the first failure) says nothing new
            self.failure = exc
            for conn in self._connections:
                with contextlib.suppress(psycopg2.Error):
                    conn.cancel()  # a running COPY or index build of another worker stops now

    def _take(self) -> _LoadTask | None:
        if self.failure is not None:
            return None
        try:
            return self._tasks.get_nowait()
        except queue.Empty:
            return None

    def work(self) -> None:
        try:
            conn = connect("partnerpulse load")
        except ServingError as exc:
            self._fail(exc)
            return
        with self._lock:
            self._connections.append(conn)
        cursor = self._con.cursor()
        try:
            with conn.cursor() as cur:
                for name, value in LOAD_SESSION_SETTINGS.items():
                    cur.execute("select set_config(%s, %s, false)", [name, value])
            conn.commit()
            while (task := self._take()) is not None:
                started = time.monotonic()
                rows = _load_table(conn, cursor, task)
                with self._lock:
                    self.rows[(task.schema, task.source.name)] = rows
                self.messages.put(
                    f"PostgreSQL: {task.schema}.{task.source.name} {rows:,} rows ({time.monotonic() - started:.1f}s)"
                )
        except Exception as exc:  # handed to the calling thread, which raises it
            self._fail(exc)
        finally:
            cursor.close()
            with self._lock:
                self._connections.remove(conn)
                conn.close()


def _load(
    con: duckdb.DuckDBPyConnection, tasks: list[_LoadTask], jobs: int, log: Callable[[str], None]
) -> dict[tuple[str, str], int]:
    """Load every task over ``jobs`` connections in parallel; rows per (load schema, table). Raises the
    first worker's error after every worker has stopped (its connection closed)."""
    load = _ParallelLoad(con, tasks)
    workers = [
        threading.Thread(target=load.work, name=f"partnerpulse-load-{number}", daemon=True)
        for number in range(max(1, min(jobs, len(tasks))))
    ]
    for worker in workers:
        worker.start()
    while any(worker.is_alive() for worker in workers):
        with contextlib.suppress(queue.Empty):
            message = load.messages.get(timeout=0.2)
            log(message)
    for worker in workers:
        worker.join()
    while not load.messages.empty():
        log(load.messages.get())
    if load.failure is not None:
        raise load.failure
    return load.rows


def _publish_in_place(cur, load_schema: str, schema: str, sources: list[TableSource]) -> None:
    for source in sources:
        names = sql.SQL(", ").join(_ident(c.name) for c in source.columns)
        cur.execute(sql.SQL("delete from {}").format(_ident(schema, source.name)))
        cur.execute(
            sql.SQL("insert into {} ({}) select {} from {}").format(
                _ident(schema, source.name), names, names, _ident(load_schema, source.name)
            )
        )


def _rename(cur, schema: str, load_schema: str, retired_schema: str) -> None:
    if _schema_exists(cur, schema):
        cur.execute(sql.SQL("alter schema {} rename to {}").format(_ident(schema), _ident(retired_schema)))
    cur.execute(sql.SQL("alter schema {} rename to {}").format(_ident(load_schema), _ident(schema)))


def _nobody_reads(cur, schemas: list[str]) -> bool:
    """Lock every served table (NOWAIT, a few tries): True when no open transaction has read one, so
    renaming cannot show an open REPEATABLE READ transaction tables its snapshot cannot see."""
    cur.execute(
        "select format('%%I.%%I', n.nspname, c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = any(%s) and c.relkind = 'r' order by 1",
        [schemas],
    )
    tables = [name for (name,) in cur.fetchall()]
    if not tables:
        return True
    lock = sql.SQL("lock table {} in access exclusive mode").format(
        sql.SQL(", ").join(sql.SQL(name) for name in tables)  # names quoted by format('%I.%I')
    )
    for attempt in range(RENAME_ATTEMPTS):
        cur.execute("savepoint swap")
        try:
            cur.execute(lock + sql.SQL(" nowait"))
            return True
        except pgerrors.LockNotAvailable:
            cur.execute("rollback to savepoint swap")
        if _only_autovacuum_holds(cur, tables):
            # autovacuum (the last refresh's dead rows or fresh tables) gives way to a WAITING lock request
            # after deadlock_timeout (1 s by default); NOWAIT never makes it yield. A reader that arrives
            # meanwhile waits at most AUTOVACUUM_LOCK_TIMEOUT, then the swap publishes in place.
            try:
                cur.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(AUTOVACUUM_LOCK_TIMEOUT)))
                cur.execute(lock)
                cur.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(SWAP_LOCK_TIMEOUT)))
                return True
            except pgerrors.LockNotAvailable:
                cur.execute("rollback to savepoint swap")  # also restores lock_timeout
        if attempt + 1 < RENAME_ATTEMPTS:
            time.sleep(RENAME_RETRY_SECONDS)
    return False


def _only_autovacuum_holds(cur, tables: list[str]) -> bool:
    """True when every other session holding a lock on ``tables`` is an autovacuum worker."""
    cur.execute(
        "select count(*), coalesce(bool_and(a.backend_type = 'autovacuum worker'), false) "
        "from pg_locks l join pg_stat_activity a on a.pid = l.pid "
        "where l.granted and l.pid <> pg_backend_pid() and l.relation = any(%s::regclass[])",
        [tables],
    )
    holders, all_autovacuum = cur.fetchone()
    return holders > 0 and all_autovacuum


def _swap(
    cur,
    sources: dict[str, list[TableSource]],
    load: dict[str, str],
    retired: dict[str, str],
    same_shape: bool,
    chunks: list[TableChunks],
    log: Callable[[str], None],
) -> str:
    """Publish the loaded schemas in the caller's transaction; returns how ("rename" / "in place")."""
    cur.execute("select pg_advisory_xact_lock(hashtext(%s))", [SERVE_LOCK])  # one serve publishes at a time
    cur.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(SWAP_LOCK_TIMEOUT)))
    if _nobody_reads(cur, list(sources)) or not same_shape:
        if not same_shape:
            log("PostgreSQL: the marts changed shape; renaming (an open REPEATABLE READ transaction sees them empty)")
        for schema in sources:
            _rename(cur, schema, load[schema], retired[schema])
        mode = "rename"
    else:  # an open transaction has read a served table: change rows, so it keeps its snapshot
        for schema, group in sources.items():
            _publish_in_place(cur, load[schema], schema, group)
        mode = "in place"
    cur.execute(
        sql.SQL("comment on schema {} is %s").format(_ident(MARTS_SCHEMA)),
        [f"PartnerPulse marts, published {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"],
    )
    _apply_grants(cur)
    write_state(cur, chunks, replace_all=True)
    return mode


def _published_chunks(
    con: duckdb.DuckDBPyConnection, sources: dict[str, list[TableSource]], log: Callable[[str], None]
) -> list[TableChunks]:
    """Every served table's chunks in the published file (1.7 s at 20,000 accounts)."""
    started = time.monotonic()
    try:
        chunks = [
            table_chunks(con, schema, source.name, source.query, tuple(c.name for c in source.columns))
            for schema, group in sources.items()
            for source in group
        ]
    except ValueError as exc:
        raise ServingError(str(exc)) from None
    log(
        f"PostgreSQL: checksums of {len(chunks)} tables in {sum(len(c.chunks) for c in chunks):,} chunks "
        f"({time.monotonic() - started:.1f}s)"
    )
    return chunks


class _DeltaMismatch(Exception):
    """The served rows are not what the recorded state says (a hand edit, or a chunk value that does
    not select the same rows on both sides): the delta is rolled back and everything is loaded."""


def _write_chunks(cur, con: duckdb.DuckDBPyConnection, delta: TableDelta, source: TableSource, feed: bool) -> None:
    """Replace the served rows of ``delta``'s chunks by the published ones, in the caller's transaction;
    _DeltaMismatch when the rows deleted or written are not the counts the plan expects."""
    target = _ident(delta.schema, delta.table)
    column_type = next((c.type for c in source.columns if c.name == delta.column), "text")
    statement, params = delete_chunks(target, delta.column, column_type, delta.keys, delta.whole)
    cur.execute(statement, params)
    if cur.rowcount != delta.rows_deleted:
        raise _DeltaMismatch(
            f"{delta.schema}.{delta.table}: {cur.rowcount:,} rows deleted where {delta.rows_deleted:,} were recorded"
        )
    query, query_params = chunk_rows_query(source.query, delta.column, delta.keys, delta.whole)
    stream = _CsvStream(iter(con.sql(query, params=query_params).to_arrow_reader(BATCH_ROWS)))
    names = sql.SQL(", ").join(_ident(c.name) for c in source.columns)
    if feed:
        # COPY FROM refuses a table under row-level security (unless the loader bypasses it): through a
        # temporary table, then INSERT, which the loader's policy admits
        staging = _ident(f"partnerpulse_delta_{delta.table}"[:63])
        cur.execute(sql.SQL("create temporary table {} (like {}) on commit drop").format(staging, target))
        copy = sql.SQL("copy {} ({}) from stdin with (format csv)").format(staging, names)
        cur.copy_expert(copy.as_string(cur), stream, size=1 << 20)
        cur.execute(sql.SQL("insert into {} ({}) select {} from {}").format(target, names, names, staging))
    else:
        copy = sql.SQL("copy {} ({}) from stdin with (format csv)").format(target, names)
        cur.copy_expert(copy.as_string(cur), stream, size=1 << 20)
    if stream.rows != delta.rows_written or (feed and cur.rowcount != delta.rows_written):
        raise _DeltaMismatch(
            f"{delta.schema}.{delta.table}: {stream.rows:,} rows written where {delta.rows_written:,} were published"
        )


def _feeds_protected(cur, feeds: list[TableSource]) -> bool:
    """Every served feed still has row-level security, forced, with both policies: a delta keeps the
    tables, so one whose protection was changed by hand is loaded (and protected) anew."""
    cur.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relkind = 'r' and c.relrowsecurity and c.relforcerowsecurity "
        "and (select count(*) from pg_policy p where p.polrelid = c.oid and p.polname = any(%s)) = 2",
        [FEEDS_SCHEMA, [FEED_POLICY, LOADER_POLICY]],
    )
    return {name for (name,) in cur.fetchall()} >= {feed.name for feed in feeds}


def _serve_delta(
    conn,
    con: duckdb.DuckDBPyConnection,
    sources: dict[str, list[TableSource]],
    deltas: list[TableDelta],
    chunks: list[TableChunks],
    log: Callable[[str], None],
) -> tuple[float, float]:
    """Rewrite the changed chunks and commit (the caller's transaction, holding SERVE_LOCK): plain
    row changes, so no reader waits and an open transaction keeps its snapshot. (load, commit) seconds."""
    by_name = {(schema, source.name): source for schema, group in sources.items() for source in group}
    started = time.monotonic()
    with conn.cursor() as cur:
        for delta in deltas:
            table_started = time.monotonic()
            _write_chunks(cur, con, delta, by_name[(delta.schema, delta.table)], delta.schema == FEEDS_SCHEMA)
            log(
                f"PostgreSQL: {delta.schema}.{delta.table} "
                f"{'every row' if delta.whole else f'{len(delta.keys)} {delta.column} chunk(s)'}: "
                f"-{delta.rows_deleted:,} +{delta.rows_written:,} rows ({time.monotonic() - table_started:.1f}s)"
            )
        changed = {(delta.schema, delta.table) for delta in deltas}
        write_state(cur, [entry for entry in chunks if (entry.schema, entry.table) in changed], replace_all=False)
        cur.execute(
            sql.SQL("comment on schema {} is %s").format(_ident(MARTS_SCHEMA)),
            [f"PartnerPulse marts, published {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"],
        )
    load_seconds = time.monotonic() - started
    conn.commit()
    commit_seconds = time.monotonic() - started - load_seconds
    try:  # served and committed: from here on nothing may fail the serve
        conn.autocommit = True  # fresh statistics for BI's plans; ANALYZE takes no lock a reader's conflicts with
        with conn.cursor() as cur:
            for schema, table in sorted(changed):
                cur.execute(sql.SQL("analyze {}").format(_ident(schema, table)))
        conn.autocommit = False
    except psycopg2.Error as exc:
        log(f"PostgreSQL: statistics not refreshed ({' '.join(str(exc).split())}); autovacuum will")
    return load_seconds, commit_seconds


def _serve_full(
    conn,
    con: duckdb.DuckDBPyConnection,
    sources: dict[str, list[TableSource]],
    chunks: list[TableChunks],
    same_shape: bool,
    jobs: int,
    log: Callable[[str], None],
) -> tuple[dict[str, dict[str, int]], float, float, str, list[str]]:
    """Load everything into new schemas over ``jobs`` connections, then swap: (rows per schema and table,
    load seconds, swap seconds, mode, work schemas left for the next refresh to drop)."""
    token = uuid.uuid4().hex
    load = {schema: f"{schema}__load_{token}" for schema in sources}
    retired = {schema: f"{schema}__retired_{token}" for schema in sources}
    started = time.monotonic()
    try:
        with conn.cursor() as cur:
            for schema in load.values():
                cur.execute(sql.SQL("create schema {}").format(_ident(schema)))
        conn.commit()
        loaded = _load(con, _load_tasks(con, load, sources), jobs, log)
        rows = {
            schema: {source.name: loaded[(load[schema], source.name)] for source in group}
            for schema, group in sources.items()
        }
        load_seconds = time.monotonic() - started
        swap_started = time.monotonic()
        with conn.cursor() as cur:
            mode = _swap(cur, sources, load, retired, same_shape, chunks, log)
        conn.commit()
        swap_seconds = time.monotonic() - swap_started
    except Exception:
        conn.rollback()
        for schema in load.values():
            _drop_schema(conn, schema, log)
        raise
    pending = [schema for schema in (*load.values(), *retired.values()) if not _drop_schema(conn, schema, log)]
    return rows, load_seconds, swap_seconds, mode, pending


def serve(
    published_db: Path,
    manifest_path: Path = DEFAULT_MANIFEST,
    log: Callable[[str], None] = print,
    jobs: int | None = None,
    full: bool = False,
) -> ServeResult:
    """Serve every published table and the partner feeds from PostgreSQL, published atomically: only the
    chunks that changed since the last serve (one transaction), or — the first time, after a change of
    shape, when most rows changed, or with ``full`` — everything, loaded over ``jobs`` connections in
    parallel (default: PARTNERPULSE_SERVE_POSTGRES_JOBS) into new schemas that are then swapped in."""
    if jobs is None:
        try:
            jobs = serve_postgres_jobs()
        except ConfigError as exc:
            raise ServingError(str(exc)) from None
    if not published_db.is_file():
        raise ServingError(f"{published_db} does not exist: nothing has been published yet")
    docs = read_mart_docs(manifest_path)
    conn = connect()
    try:
        with conn.cursor() as cur:
            ensure_admin_objects(cur)
            conn.commit()
            _wait_for_other_serves(cur, log)
            stale = _leftover_schemas(cur)
        for schema in stale:  # a failed refresh's load, or a retired schema a reader held last time
            _drop_schema(conn, schema, log)
        with duckdb.connect(str(published_db), read_only=True) as con:
            marts, feeds = _sources(con, docs)
            sources = {MARTS_SCHEMA: marts, FEEDS_SCHEMA: feeds}
            chunks = _published_chunks(con, sources, log)
            conn.commit()  # the plan reads the state after the lock, in a new transaction
            with conn.cursor() as cur:
                cur.execute("select pg_advisory_xact_lock(hashtext(%s))", [SERVE_LOCK])
                same_shape = all(
                    _served_shape(cur, schema) == {s.name: s.columns for s in group}
                    for schema, group in sources.items()
                )
                trusted = same_shape and not full and _feeds_protected(cur, feeds)
                deltas = plan_delta(chunks, served_state(cur)) if trusted else None
            if deltas is not None:
                try:
                    load_seconds, swap_seconds = _serve_delta(conn, con, sources, deltas, chunks, log)
                except _DeltaMismatch as exc:
                    conn.rollback()
                    log(f"PostgreSQL: the served rows are not what was recorded ({exc}); loading everything")
                    deltas = None
                except Exception:
                    with contextlib.suppress(psycopg2.Error):
                        conn.rollback()
                    raise
            if deltas is not None:
                mode, pending = "delta", []
                written = sum(delta.rows_written for delta in deltas)
                rows = {schema: {} for schema in sources}
                for entry in chunks:
                    rows[entry.schema][entry.table] = entry.rows
            else:
                conn.commit()  # holds no lock or snapshot while the workers load
                rows, load_seconds, swap_seconds, mode, pending = _serve_full(
                    conn, con, sources, chunks, same_shape, jobs, log
                )
                written = sum(sum(group.values()) for group in rows.values())
    except (psycopg2.Error, duckdb.Error, pa.ArrowException) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ServingError(
            f"loading into PostgreSQL at {server_address()} failed: {reason}. "
            f"Schemas {MARTS_SCHEMA} and {FEEDS_SCHEMA} are unchanged."
        ) from None
    finally:
        conn.close()
    log(
        f"PostgreSQL {server_address()}: {sum(rows[MARTS_SCHEMA].values()):,} rows in {len(marts)} tables, "
        f"{sum(rows[FEEDS_SCHEMA].values()):,} feed rows, {written:,} rows written; "
        f"load {load_seconds:.1f}s, swap {swap_seconds:.3f}s ({mode})"
    )
    return ServeResult(
        server=server_address(),
        mode=mode,
        load_seconds=load_seconds,
        swap_seconds=swap_seconds,
        rows=rows[MARTS_SCHEMA],
        feed_rows=rows[FEEDS_SCHEMA],
        pending_drops=pending,
        rows_written=written,
    )


def _wait_for_other_serves(cur, log: Callable[[str], None]) -> None:
    """Hold SERVE_SESSION_LOCK until the connection closes, waiting (and saying so) while another serve holds it."""
    cur.execute("select pg_try_advisory_lock(hashtext(%s))", [SERVE_SESSION_LOCK])
    if not cur.fetchone()[0]:
        log("PostgreSQL: another serve of this database is running; waiting for it to finish")
        cur.execute("select pg_advisory_lock(hashtext(%s))", [SERVE_SESSION_LOCK])


# ---------------------------------------------------------------------------------- partner access


def _partner_exists(cur, published_db: Path | None, partner_id: str) -> bool:
    cur.execute(
        "select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relname = 'dim_partners'",
        [MARTS_SCHEMA],
    )
    if cur.fetchone() is not None:
        cur.execute(
            sql.SQL("select 1 from {} where partner_id = %s").format(_ident(MARTS_SCHEMA, "dim_partners")), [partner_id]
        )
        if cur.fetchone() is not None:
            return True
    if published_db is not None and published_db.is_file():
        with duckdb.connect(str(published_db), read_only=True) as con:
            return con.execute("select 1 from dim_partners where partner_id = ?", [partner_id]).fetchone() is not None
    return False


def _check_role(cur, role: str) -> None:
    cur.execute("select rolsuper or rolbypassrls from pg_roles where rolname = %s", [role])
    found = cur.fetchone()
    if found is None:
        raise PartnerAccessError(
            f"there is no role {role!r} in PostgreSQL at {server_address()}; create it first "
            f"(for a partner's login: CREATE ROLE ... LOGIN PASSWORD ...) — partnerpulse never creates login roles"
        )
    if found[0]:
        raise PartnerAccessError(
            f"role {role!r} is a superuser or bypasses row-level security: it reads every row anyway"
        )
    # the loading role's own policy lets it (and its members) read every row of every feed
    cur.execute("select pg_has_role(%s, current_user, 'MEMBER')", [role])
    if cur.fetchone()[0]:
        raise PartnerAccessError(
            f"role {role!r} is the role partnerpulse loads PostgreSQL with, or a member of it: it reads every "
            "partner's rows anyway; grant a partner's own role"
        )


@contextlib.contextmanager
def _admin_session() -> Iterator[psycopg2.extensions.cursor]:
    """A cursor on a new connection with the admin objects in place: committed when the block ends normally,
    a PostgreSQL error told as a ServingError naming the server, the connection closed in any case."""
    conn = connect()
    try:
        with conn.cursor() as cur:
            ensure_admin_objects(cur)
            yield cur
        conn.commit()
    except psycopg2.Error as exc:
        raise ServingError(f"PostgreSQL at {server_address()}: {' '.join(str(exc).split())}") from None
    finally:
        conn.close()


def grant_partner_access(partner_id: str, role: str, published_db: Path | None = None) -> bool:
    """Let ``role`` read ``partner_id``'s rows in partner_feeds; False when it already could."""
    with _admin_session() as cur:
        _check_role(cur, role)
        if not _partner_exists(cur, published_db, partner_id):
            raise PartnerAccessError(
                f"there is no partner {partner_id!r} in the published dim_partners (ids are exact, case included)"
            )
        cur.execute(
            sql.SQL("insert into {} (partner_id, role_name) values (%s, %s) on conflict do nothing").format(
                _ident(ADMIN_SCHEMA, ACCESS_TABLE)
            ),
            [partner_id, role],
        )
        added = cur.rowcount == 1
        _grant_feed_access(cur, role)
    return added


def revoke_partner_access(partner_id: str, role: str) -> None:
    """Take back ``role``'s access to ``partner_id``'s rows (and to the feeds, when it was its last)."""
    with _admin_session() as cur:
        cur.execute(
            sql.SQL("delete from {} where partner_id = %s and role_name = %s").format(
                _ident(ADMIN_SCHEMA, ACCESS_TABLE)
            ),
            [partner_id, role],
        )
        if cur.rowcount == 0:
            raise PartnerAccessError(
                f"role {role!r} has no access to partner {partner_id!r}; `partnerpulse partner-access list` "
                "shows the grants"
            )
        cur.execute(
            sql.SQL(
                "select exists (select 1 from {} where role_name = %s), "
                "exists (select 1 from pg_roles where rolname = %s)"
            ).format(_ident(ADMIN_SCHEMA, ACCESS_TABLE)),
            [role, role],
        )
        still_granted, role_exists = cur.fetchone()
        if role_exists and not still_granted:  # its last partner: no access to the feeds at all
            _grant_feed_access(cur, role, grant=False)


def list_partner_access() -> list[tuple[str, str]]:
    """Every grant: (partner_id, role), sorted."""
    with _admin_session() as cur:
        cur.execute(
            sql.SQL("select partner_id, role_name from {} order by 1, 2").format(_ident(ADMIN_SCHEMA, ACCESS_TABLE))
        )
        return [(str(p), str(r)) for p, r in cur.fetchall()]


def main(argv: list[str] | None = None) -> int:
    """``python -m dagster_project.defs.serving.postgres --published FILE``: load + swap one published file."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--published", required=True, help="a published marts.duckdb")
    parser.add_argument("--manifest", default=str(DEFAULT_MANIFEST), help="the dbt manifest (docs, keys)")
    args = parser.parse_args(argv)
    try:
        result = serve(Path(args.published).resolve(), Path(args.manifest), log=print)
    except ServingError as exc:
        print(f"serve-postgres: {exc}", file=sys.stderr)
        return 1
    print(f"load_seconds={result.load_seconds:.2f} swap_seconds={result.swap_seconds:.3f} mode={result.mode}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
