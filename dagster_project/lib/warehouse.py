"""Connections to the working DuckDB warehouse (only the pipeline opens it)."""

from __future__ import annotations

import re
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


# The publish's copy of the marts and its Parquet run in the refresh's own process, beside what Python holds
# there (Great Expectations, pandas, Arrow, Dagster: ~2 GiB at 200,000 accounts), and they stream: their
# DuckDB gets this share of the memory limit (decision 160). dbt and the landing child have the whole limit.
PUBLISH_MEMORY_SHARE = 0.5

_BYTES_PER_UNIT = {
    "": 1, "b": 1, "byte": 1, "bytes": 1,
    "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}  # fmt: skip


def memory_limit_share(limit: str, share: float) -> str:
    """``share`` of a DuckDB memory limit such as ``8GB`` or ``6GiB`` (``4000MB`` for half of 8GB). A limit
    written another way (a percentage) is returned as it is: DuckDB reads it, this does not."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", limit)
    if not match or match.group(2).lower() not in _BYTES_PER_UNIT:
        return limit
    limit_bytes = float(match.group(1)) * _BYTES_PER_UNIT[match.group(2).lower()]
    return f"{max(1, int(limit_bytes * share) // 1000**2)}MB"


def configure(con: duckdb.DuckDBPyConnection, settings: Settings, memory_share: float = 1.0) -> None:
    """Same limits as dbt's profile: bounded memory (``memory_share`` of it), spill to the warehouse's temp
    folder, UTC."""
    settings.duckdb_temp_dir.mkdir(parents=True, exist_ok=True)
    limit = (
        settings.duckdb_memory_limit
        if memory_share == 1.0
        else memory_limit_share(settings.duckdb_memory_limit, memory_share)
    )
    con.execute(f"set memory_limit = {quote_literal(limit)}")
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
