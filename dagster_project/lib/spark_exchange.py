"""The tables Spark reads from the pipeline (SPEC §12, decision 111).

On Spark the pipeline's own tables — the landed rows (``raw``), the refresh window (``ops``) and the
payout ledger (``ledger``) — stay in the working DuckDB file, where the Python steps keep them. Before
dbt runs, ``export_tables`` writes each as Parquet to ``<exchange>/<schema>/<table>/data.parquet``;
dbt's on-run-start declares every source as an external Parquet table over its folder
(``pp_register_sources`` in dbt_project/macros/spark.sql). A local session reads the folder from this
disk; a cluster (Thrift) needs the exchange folder on storage it reads at the same path.

A table's folder is replaced whole: the new file is written to a sibling folder first, so a failed
export leaves the previous one in place, and nothing outside the exchange folder is touched.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

from dagster_project.lib.warehouse import quote_ident, quote_literal

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


class ExchangeError(RuntimeError):
    """A table cannot be exported; the message says which and why."""


def _parts(relation: str) -> tuple[str, str]:
    schema, _, table = relation.partition(".")
    if not (_NAME.match(schema) and _NAME.match(table)):
        raise ExchangeError(f"{relation!r}: not a schema.table name of lower-case letters, digits and underscores")
    return schema, table


def table_folder(exchange: Path, relation: str) -> Path:
    """The folder Spark reads ``relation`` from."""
    schema, table = _parts(relation)
    return exchange / schema / table


def export_tables(
    duck: duckdb.DuckDBPyConnection,
    exchange: Path,
    relations: Sequence[str],
    log: Callable[[str], None] = print,
) -> None:
    """Write each ``schema.table`` of the working DuckDB file as one Parquet file in its exchange folder."""
    for relation in relations:
        schema, table = _parts(relation)
        folder = table_folder(exchange, relation)
        staging = folder.parent / f".{table}.{uuid.uuid4().hex[:8]}.new"
        staging.mkdir(parents=True)
        try:
            target = staging / "data.parquet"
            duck.execute(
                f"copy (select * from {quote_ident(schema)}.{quote_ident(table)}) "
                f"to {quote_literal(str(target))} (format parquet, compression zstd)"
            )
            old = folder.parent / f".{table}.{uuid.uuid4().hex[:8]}.old"
            if folder.exists():
                os.replace(folder, old)
            os.replace(staging, folder)
            shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        rows = duck.execute(f"select count(*) from {quote_ident(schema)}.{quote_ident(table)}").fetchone()[0]
        log(f"spark exchange: {relation} ({rows:,} rows) -> {folder}")


def spark_table_files(spark_warehouse: Path, relation: str) -> list[Path]:
    """The Parquet files of a table Spark built in a local session's warehouse folder
    (``<warehouse>/<schema>.db/<table>/``, partition folders included)."""
    schema, table = _parts(relation)
    return sorted((spark_warehouse / f"{schema}.db" / table).rglob("*.parquet"))
