"""Dagster's SQLite run storage, made cheap for the length of one CLI run (decision 96).

Dagster's default storage writes every event (a step started, a dbt test's check result, an asset
materialized or planned — ~2,200 events in a refresh) through a new SQLAlchemy engine and SQLite
connection per write, each committed with a full sync and closed. In WAL mode, closing the last
connection to a database file checkpoints the log into it (more syncs). Measured on this machine:
4.5 ms per event that way, ~1 ms with the two settings below — a large share of a small refresh's
fixed cost.

While ``cheap_event_writes()`` is active (the CLI wraps each run it executes in it):

- every SQLite connection opened in this process runs with ``synchronous=NORMAL``: in WAL mode that
  is safe from corruption (SQLite's documentation); after a power cut the last events written may be
  missing from the Dagster run history, never the warehouse (DuckDB) or the published files;
- one extra connection stays open to each of the instance's SQLite files that are in WAL mode, so a
  write's close is no longer the last one and does not checkpoint; they close (and checkpoint) when
  the run has ended;
- the event log keeps one SQLAlchemy engine (and its pooled connections) per file instead of creating
  and disposing of one per write (decision 106): no new connection per event, and each statement is
  compiled once per engine instead of once per write. Dagster's own lock still serialises the writes.
  The engines are disposed of when the run has ended. A profile of a 20-account refresh had a fifth of
  the main process's samples in opening connections and compiling the same INSERTs.

Only this process changes; the Dagster UI and daemon keep Dagster's defaults."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine


@contextmanager
def cheap_event_writes(instance: dg.DagsterInstance) -> Iterator[None]:
    """Cheaper SQLite writes for ``instance`` (its files, its event log) while the context is active."""
    with _normal_sync_and_no_checkpoints(Path(instance.root_directory)), _pooled_event_log(instance):
        yield


@contextmanager
def _pooled_event_log(instance: dg.DagsterInstance) -> Iterator[None]:
    """The instance's SQLite event log connects through one engine per shard (run file, index file)
    for the length of the context. Other event log storages (PostgreSQL, ...) are left as they are."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
    from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS

    storage = instance.event_log_storage
    if type(storage) is not SqliteEventLogStorage:
        yield
        return
    engines: dict[str, Engine] = {}
    tables: dict[str, bool] = {}

    @contextmanager
    def connect(shard: str) -> Iterator[Connection]:
        # SqliteEventLogStorage._connect, with the engine kept instead of created and disposed of
        with storage._db_lock:
            engine = engines.get(shard)
            if engine is None:
                engine = create_engine(
                    storage.conn_string_for_shard(shard), connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
                )
                engines[shard] = engine
            if shard not in storage._initialized_dbs:
                storage._initdb(engine)
                storage._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(table_name: str) -> bool:
        # asked before every asset check event; the index file's tables do not change during a run
        if table_name not in tables:
            tables[table_name] = SqliteEventLogStorage.has_table(storage, table_name)
        return tables[table_name]

    storage._connect = connect  # type: ignore[method-assign]
    storage.has_table = has_table  # type: ignore[method-assign]
    try:
        yield
    finally:
        del storage._connect, storage.has_table  # the class's methods again
        for engine in engines.values():
            engine.dispose()


@contextmanager
def _normal_sync_and_no_checkpoints(storage_dir: Path) -> Iterator[None]:
    """``synchronous=NORMAL`` on every SQLite connection of this process, and a connection held open
    to each of the instance's WAL files under ``storage_dir``."""
    root = storage_dir.resolve()
    held: dict[str, sqlite3.Connection] = {}
    lock = threading.Lock()

    def on_connect(dbapi_connection, _record) -> None:
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        dbapi_connection.execute("pragma synchronous = normal")
        path = _database_file(dbapi_connection)
        if path is None or root not in Path(path).resolve().parents:
            return
        with lock:
            if path in held or _journal_mode(dbapi_connection) != "wal":
                return  # a file being created switches to WAL on a later connection
            keeper = sqlite3.connect(path, check_same_thread=False)
            keeper.execute("pragma schema_version").fetchall()  # opens the WAL index
            held[path] = keeper

    event.listen(Engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(Engine, "connect", on_connect)
        with lock:
            for keeper in held.values():
                keeper.close()
            held.clear()


def _database_file(connection: sqlite3.Connection) -> str | None:
    """The file of the connection's main database (None in memory)."""
    for _seq, name, file in connection.execute("pragma database_list").fetchall():
        if name == "main":
            return file or None
    return None


def _journal_mode(connection: sqlite3.Connection) -> str:
    return str(connection.execute("pragma journal_mode").fetchall()[0][0]).lower()
