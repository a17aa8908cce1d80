"""Program settings (dbt seeds) are loaded and tested again only when they changed (decision 98).

The seeds are the program's configuration in the repository (bands, weights, rates): 21 tables and 175
dbt tests that do not change from one week to the next. A refresh reloads them, and re-runs their
tests, only when

- the dbt project changed since they were last loaded (``project_fingerprint``: every model, macro,
  seed file, test and setting of the manifest — a changed seed file changes its checksum there), or
- a seed table in the warehouse is missing or differs from what that load left (someone edited it or
  ran ``dbt seed`` with other files: a checksum of every seed table's columns and rows), or
- the last load was not part of a dbt build that succeeded (tests included).

Otherwise the build excludes them (``--exclude resource_type:seed``: dbt then also leaves out the tests
of the seeds alone) and the seed assets get an observation saying so. ``ops.seeds_loaded`` keeps the
last successful load: fingerprint, checksum, run.

On Spark the checksum is of the copies the build exported to the working file (decision 111): with a
local session the metastore and each seed table's folder are checked as well (spark_sync.py); a seed
edited on a cluster by hand is not seen."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.lib.dbt_manifest import read_manifest
from dagster_project.lib.engine import engine_of, row_hash_sum
from dagster_project.lib.warehouse import quote_ident, transaction

SEEDS_TABLE = "ops.seeds_loaded"
EXCLUDE_SEEDS = ["--exclude", "resource_type:seed"]


@dataclass(frozen=True, order=True)
class SeedRelation:
    name: str  # the seed (and model-facing ref) name
    schema: str
    table: str


@dataclass(frozen=True)
class SeedsState:
    relations: tuple[SeedRelation, ...]
    fingerprint: str
    checksum: str | None  # None: a seed table is missing
    loaded_in_run: str | None  # the run of the last successful load, when it is still current

    @property
    def current(self) -> bool:
        return self.loaded_in_run is not None


def seed_relations(manifest_path: Path) -> tuple[SeedRelation, ...]:
    manifest = read_manifest(manifest_path)
    seeds = [node for node in manifest["nodes"].values() if node["resource_type"] == "seed"]
    return tuple(
        sorted(SeedRelation(node["name"], node["schema"], node.get("alias") or node["name"]) for node in seeds)
    )


def seeds_checksum(con: duckdb.DuckDBPyConnection, relations: tuple[SeedRelation, ...]) -> str | None:
    """A checksum of the seed tables as the warehouse holds them (columns, types and rows), or None when
    one is missing."""
    digest = hashlib.sha256()
    for relation in relations:
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [relation.schema, relation.table],
        ).fetchall()
        if not columns:
            return None
        name = f"{quote_ident(relation.schema)}.{quote_ident(relation.table)}"
        rows = con.execute(f"select count(*), {row_hash_sum(engine_of(con), 'seed')} from {name} as seed").fetchall()
        digest.update(json.dumps([relation.name, columns, [str(v) for v in rows[0]]]).encode("utf-8"))
    return digest.hexdigest()


def ensure_seeds_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"create table if not exists {SEEDS_TABLE} "
        "(fingerprint varchar not null, checksum varchar not null, run_id varchar not null, loaded_at timestamp)"
    )


def seeds_state(con: duckdb.DuckDBPyConnection, manifest_path: Path, fingerprint: str) -> SeedsState:
    ensure_seeds_table(con)
    relations = seed_relations(manifest_path)
    checksum = seeds_checksum(con, relations)
    rows = con.execute(f"select fingerprint, checksum, run_id from {SEEDS_TABLE}").fetchall()
    loaded_in_run = None
    if checksum is not None and len(rows) == 1 and rows[0][0] == fingerprint and rows[0][1] == checksum:
        loaded_in_run = rows[0][2]
    return SeedsState(relations, fingerprint, checksum, loaded_in_run)


def record_seeds_loaded(con: duckdb.DuckDBPyConnection, seeds: SeedsState, run_id: str) -> None:
    """After a dbt build that loaded every seed of ``seeds`` and succeeded (their tests included): the seeds
    as it left them."""
    checksum = seeds_checksum(con, seeds.relations)
    with transaction(con):
        con.execute(f"delete from {SEEDS_TABLE}")
        if checksum is not None:
            con.execute(
                f"insert into {SEEDS_TABLE} values (?, ?, ?, ?)",
                [seeds.fingerprint, checksum, run_id, dt.datetime.now(dt.UTC).replace(tzinfo=None)],
            )
