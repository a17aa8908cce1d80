"""Around a dbt build on Spark (PARTNERPULSE_TARGET=spark, decision 111).

Before: the pipeline's own tables that dbt reads as sources — the refresh window and the rest of
``ops``, the payout ledger — are written to the exchange folder as Parquet when they changed (the raw
tables were, by the ingest's engine sync). The ledger's tables are created empty in the working file
first, as dbt's on-run-start creates them on the other engines.

After: what Spark built for the pipeline (the marts, the staging views the landing checks validate)
comes into the working file, where the checks read it and from where the publish step publishes; so do
the seeds, whose copies tell seeds_state.py that Spark's are unchanged (with a local session the
metastore and each seed table's folder are checked to be there still: a Spark warehouse or metastore
removed by hand has them loaded again).

A local session's scratch (``spark.local.dir`` and the driver JVM's ``java.io.tmpdir`` in profiles.yml:
shuffle and spill files, unpacked native libraries) is the ``scratch`` folder beside its metastore; what a
session killed during a build left there is removed before the next build starts its session (decisions
135, 136).
"""

from __future__ import annotations

import fnmatch
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from dagster_project.defs.payouts.contract import ledger_table_columns
from dagster_project.defs.warehouse.seeds_state import SeedRelation
from dagster_project.lib.engine import content_tokens
from dagster_project.lib.spark_exchange import export_changed, pull_outputs
from dagster_project.lib.warehouse import connect, quote_ident
from dagster_project.settings import Settings

LEDGER_TABLES = ("payout_periods", "payout_lines_closed")


def ensure_ledger_tables(duck) -> None:
    duck.execute("create schema if not exists ledger")
    for table in LEDGER_TABLES:
        columns = ", ".join(f"{quote_ident(name)} {data_type}" for name, data_type in ledger_table_columns(table))
        duck.execute(f"create table if not exists ledger.{quote_ident(table)} ({columns})")


def hand_over_to_spark(settings: Settings, log: Callable[[str], None]) -> list[str]:
    """Export the ops and ledger tables that changed since the last export; returns those exported."""
    with connect(settings) as duck:
        ensure_ledger_tables(duck)
        tokens = content_tokens(duck, ["ops", "ledger"])
        return export_changed(duck, settings.spark_exchange_dir, tokens, log=log)


def take_back_from_spark(settings: Settings, log: Callable[[str], None]) -> list[str]:
    """Load what Spark exported after the build into the working file."""
    with connect(settings) as duck:
        return pull_outputs(duck, settings.spark_exchange_dir, log=log)


SCRATCH_FOLDER = "scratch"
# what a Spark driver makes in its scratch, each removed when the session stops: its folders (block manager,
# spark-submit's), and, the scratch being the JVM's temp directory too (decision 136), the native libraries
# lz4-java and snappy-java unpack there (with lz4-java's lock file)
_SCRATCH_LEFTOVER_FOLDERS = ("blockmgr-*", "spark-*")
_SCRATCH_LEFTOVER_FILES = ("liblz4-java-*.so", "liblz4-java-*.so.lck", "snappy-*-libsnappyjava.so")


def _local_metastore_dir(settings: Settings) -> Path:
    return Path(settings.spark_env()["PARTNERPULSE_SPARK_METASTORE"])


def spark_scratch_dir(settings: Settings) -> Path:
    """A local session's spark.local.dir (profiles.yml): ``scratch`` in the metastore's folder."""
    return _local_metastore_dir(settings) / SCRATCH_FOLDER


def _scratch_leftover(entry: Path) -> bool:
    if entry.is_symlink():  # not followed, not removed
        return False
    if entry.is_dir():
        return any(fnmatch.fnmatchcase(entry.name, pattern) for pattern in _SCRATCH_LEFTOVER_FOLDERS)
    return entry.is_file() and any(fnmatch.fnmatchcase(entry.name, pattern) for pattern in _SCRATCH_LEFTOVER_FILES)


def clear_spark_scratch(settings: Settings, log: Callable[[str], None]) -> list[str]:
    """Remove what a local session killed during an earlier build left in its scratch (a session that stops
    removes its own), saying which; returns their names. Called under the warehouse lock before dbt starts its
    session, so no live session owns them; only Spark's own folders and the JVM's unpacked native libraries
    go. A cluster's (thrift) is its own."""
    scratch = spark_scratch_dir(settings)
    if settings.spark_method == "thrift" or not scratch.is_dir():
        return []
    leftovers = sorted(entry for entry in scratch.iterdir() if _scratch_leftover(entry))
    for entry in leftovers:
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    names = [entry.name for entry in leftovers]
    if names:
        log(
            f"removed {len(names)} leftover(s) of a killed Spark session (shuffle and spill folders, unpacked "
            f"native libraries) in {scratch}: {', '.join(names)}"
        )
    return names


def _local_metastore_present(settings: Settings) -> bool:
    return (_local_metastore_dir(settings) / "metastore_db").is_dir()


def _local_warehouse(settings: Settings) -> Path:
    return Path(settings.spark_env()["PARTNERPULSE_SPARK_WAREHOUSE"])


def spark_keeps_seeds(settings: Settings, relations: Iterable[SeedRelation]) -> bool:
    """False when a local Spark session's metastore, or the folder of one of the seed tables, is gone
    (removed by hand): the working file's copies would otherwise say the seeds are loaded. A cluster's
    (thrift) cannot be seen from here: its copies are trusted."""
    if settings.spark_method == "thrift":
        return True
    if not _local_metastore_present(settings):
        return False
    warehouse = _local_warehouse(settings)
    return all((warehouse / f"{r.schema}.db" / r.table).is_dir() for r in relations)


def spark_relations_present(
    settings: Settings, relations: Mapping[str, tuple[str, str, str]]
) -> set[tuple[str, str]] | None:
    """Which of the models' relations (name -> schema, relation name, materialization) a local Spark
    session still holds, as (schema, relation name): a table whose folder is in its warehouse, a view
    while its metastore is there (a view has no folder; the metastore that holds it is what can be seen).
    Nothing without the metastore; None for a cluster (thrift), whose warehouse cannot be seen from here."""
    if settings.spark_method == "thrift":
        return None
    if not _local_metastore_present(settings):
        return set()
    warehouse = _local_warehouse(settings)
    return {
        (schema, name)
        for schema, name, materialized in relations.values()
        if materialized == "view"
        or (materialized in ("table", "incremental") and (warehouse / f"{schema}.db" / name).is_dir())
    }
