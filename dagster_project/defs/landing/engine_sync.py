"""The landing tables in the engine (SPEC §12): on ``postgres`` the ingest loads into the working
DuckDB file as on ``duckdb`` (same contract checks, manifest and malformed-line handling), then copies
every raw table that changed since the last copy into the engine's ``raw`` schema, in one transaction.
On ``spark`` every raw table that changed is written as Parquet to the exchange folder Spark reads
(lib/spark_exchange.py; the tokens are kept there, in ``tokens.json``).

A table's content token (row count and the sum of a hash of every row, computed by DuckDB) is kept
in the engine's ``ops.raw_copied``: an unchanged table is not copied again, a table the engine lacks
(dropped by hand, a new database) is.
"""

from __future__ import annotations

from collections.abc import Callable

from dagster_project.lib.engine import connect_engine, content_tokens, push_tables
from dagster_project.lib.spark_exchange import export_changed
from dagster_project.lib.warehouse import connect, transaction
from dagster_project.settings import Settings

COPIED_TABLE = "ops.raw_copied"


def copy_raw_to_engine(settings: Settings, log: Callable[[str], None]) -> list[str]:
    """Copy the raw tables that changed into the engine; returns the tables copied."""
    if settings.target == "duckdb":
        return []
    if settings.target == "spark":
        with connect(settings, read_only=True) as duck:
            tokens = content_tokens(duck, ["raw"])
            changed = export_changed(duck, settings.spark_exchange_dir, tokens, log=log)
        log(f"engine (spark): {len(changed)} raw table(s) exported, {len(tokens) - len(changed)} unchanged")
        return changed
    with connect(settings, read_only=True) as duck, connect_engine(settings) as engine:
        tokens = {relation.removeprefix("raw."): token for relation, token in content_tokens(duck, ["raw"]).items()}
        tables = list(tokens)
        engine.execute("create schema if not exists ops")
        engine.execute(f"create table if not exists {COPIED_TABLE} (table_name text primary key, token text not null)")
        copied = dict(engine.execute(f"select table_name, token from {COPIED_TABLE}").fetchall())
        present = {
            row[0]
            for row in engine.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        }
        changed = [t for t in tables if t not in present or copied.get(t) != tokens[t]]
        with transaction(engine):
            push_tables(duck, engine, [f"raw.{t}" for t in changed], log=log)
            for table in changed:
                engine.execute(f"delete from {COPIED_TABLE} where table_name = ?", [table])
                engine.execute(f"insert into {COPIED_TABLE} values (?, ?)", [table, tokens[table]])
    unchanged = len(tables) - len(changed)
    log(f"engine ({settings.target}): {len(changed)} raw table(s) copied, {unchanged} unchanged since the last copy")
    return changed
