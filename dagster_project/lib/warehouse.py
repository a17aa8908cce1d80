"""Connections to the working DuckDB warehouse (only the pipeline opens it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from dagster_project.settings import Settings


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def records(cursor: duckdb.DuckDBPyConnection) -> list[dict]:
    """The rows of an executed query as dicts keyed by column name."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# A bulk free of at least this much returns DuckDB's freed memory to the system at once (DuckDB's default,
# 512MB, left ~3.5 GiB freed but held between the models of a 200,000-account build: decision 158).
# dbt's profile (dbt_project/profiles.yml) sets the same value.
ALLOCATOR_FLUSH_THRESHOLD = "64MB"


def configure(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Same limits as dbt's profile: bounded memory, spill to the warehouse's temp folder, UTC."""
    settings.duckdb_temp_dir.mkdir(parents=True, exist_ok=True)
    con.execute(f"set memory_limit = {quote_literal(settings.duckdb_memory_limit)}")
    con.execute(f"set allocator_bulk_deallocation_flush_threshold = {quote_literal(ALLOCATOR_FLUSH_THRESHOLD)}")
    con.execute(f"set temp_directory = {quote_literal(str(settings.duckdb_temp_dir))}")
    con.execute("set preserve_insertion_order = false")
    con.execute("set TimeZone = 'UTC'")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction on ``con``: committed when the block ends, rolled back if it raises."""
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


@contextmanager
def connect(settings: Settings, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the working warehouse; closed on exit so dbt and the next step can open it."""
    path: Path = settings.duckdb_path
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        configure(con, settings)
        yield con
    finally:
        con.close()
