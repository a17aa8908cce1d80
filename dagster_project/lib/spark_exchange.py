"""The tables Spark reads from the pipeline (SPEC §12, decision 111).

On Spark the pipeline's own tables — the landed rows (``raw``), the refresh window (``ops``) and the
payout ledger (``ledger``) — stay in the working DuckDB file, where the Python steps keep them. Before
dbt runs, ``export_tables`` writes each as Parquet to ``<exchange>/<schema>/<table>/data.parquet``;
dbt's on-run-start declares every source as an external Parquet table over its folder
(``pp_register_sources`` in dbt_project/macros/spark.sql). A local session reads the folder from this
disk; a cluster (Thrift) needs the exchange folder on storage it reads at the same path.

After the build, Spark writes what the pipeline reads back — the marts and the staging views the
landing checks validate — to ``<exchange>/out/<schema>/<table>/`` (a post-hook, ``pp_export_for_pipeline``),
and ``pull_outputs`` loads them into the working file, from where the checks read and the publish step
publishes as on DuckDB.

A table's folder is replaced whole: the new file is written to a sibling folder first, so a failed
export leaves the previous one in place, and nothing outside the exchange folder is touched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

from dagster_project.lib.warehouse import quote_ident, quote_literal, transaction

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
OUT = "out"  # <exchange>/out/<schema>/<table>/: what Spark built, for the pipeline
TOKENS = "tokens.json"  # <exchange>/tokens.json: the content token of each table last exported


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


def export_changed(
    duck: duckdb.DuckDBPyConnection,
    exchange: Path,
    tokens: dict[str, str],
    log: Callable[[str], None] = print,
) -> list[str]:
    """Export the tables whose content token differs from the last export's (or whose folder is
    missing); ``tokens`` maps ``schema.table`` to its token now. Returns the tables exported."""
    path = exchange / TOKENS
    try:
        previous = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except ValueError:
        previous = {}  # unreadable: export everything again
    changed = [
        relation
        for relation, token in sorted(tokens.items())
        if previous.get(relation) != token or not (table_folder(exchange, relation) / "data.parquet").is_file()
    ]
    export_tables(duck, exchange, changed, log=log)
    exchange.mkdir(parents=True, exist_ok=True)
    staged = exchange / f".{TOKENS}.{uuid.uuid4().hex[:8]}"
    staged.write_text(json.dumps({**previous, **tokens}, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(staged, path)
    return changed


def output_relations(exchange: Path) -> list[str]:
    """``schema.table`` of every table Spark exported for the pipeline."""
    root = exchange / OUT
    if not root.is_dir():
        return []
    return sorted(
        f"{schema.name}.{table.name}"
        for schema in root.iterdir()
        if schema.is_dir() and _NAME.match(schema.name)
        for table in schema.iterdir()
        if table.is_dir() and _NAME.match(table.name)
    )


def pull_outputs(duck: duckdb.DuckDBPyConnection, exchange: Path, log: Callable[[str], None] = print) -> list[str]:
    """Replace each exported table in the working file with Spark's rows (one transaction)."""
    relations = output_relations(exchange)
    with transaction(duck):
        for relation in relations:
            schema, table = _parts(relation)
            files = quote_literal(str(exchange / OUT / schema / table / "*.parquet"))
            duck.execute(f"create schema if not exists {quote_ident(schema)}")
            kind = duck.execute(
                "select table_type from information_schema.tables where table_schema = ? and table_name = ?",
                [schema, table],
            ).fetchone()
            if kind and kind[0] == "VIEW":
                duck.execute(f"drop view {quote_ident(schema)}.{quote_ident(table)}")
            duck.execute(
                f"create or replace table {quote_ident(schema)}.{quote_ident(table)} as "
                f"select * from read_parquet({files})"
            )
    log(f"spark: {len(relations)} table(s) copied into the working file from {exchange / OUT}")
    return relations
