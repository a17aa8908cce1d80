"""Models whose inputs did not change since they were built are not built again (decision 115).

Every week's dbt build used to rebuild all 119 models: the typed, validated staging copy of every landing
table, even of the tables whose files had not changed (at 20,000 accounts the base tables alone were 16 s of
a weekly build's 55 s of model time). A refresh now leaves a model out, with the tests on it, when all of
its inputs are the same as when a successful build last wrote it:

- its **landing tables** hold the same files: the ingest manifest (``raw.ingest_files``: every loaded
  file's name, size, SHA-256 and order, and the contract's columns) is the same for each of them;
- the **program settings** are unchanged: the seeds are current (seeds_state.py), their checksum the same;
- the **dbt project** is the same (``project_fingerprint``: any changed model, macro, seed, test or
  setting rebuilds everything), and so, recursively, is every upstream model;
- it does not read the **run's week** (``refresh_week`` / ``refresh_as_of_date``, directly or through a
  macro), the orchestrator's tables (``ops``, ``ledger``: the refresh window, the closed payouts) or the
  ingest's bookkeeping (malformed lines, the ingest report) — those change with every run. Reading the
  week only through ``refresh_last_month_end`` (the last month end on or before the run's date, the same
  every week of a month) is allowed: that date is part of the key (decision 119: the ARR, bridge and
  retention chain on ``int_months_completed``);
- it is not a published mart: the publish, checks and reports steps depend on every mart's
  materialization in the run, so the marts are always built;
- its relation is still in the warehouse.

Such a model's *input key* (a hash of all of the above) is recorded in ``ops.models_built`` after a
build that succeeded, tests included; the records of the models a build is about to write are removed
before it starts, so a failed or interrupted build never leaves a stale record behind. A test is left out
only when every model it reads is (dbt's ``cautious`` indirect selection): a relationships test from a
rebuilt model to an unchanged one still runs.

Only a run of every dbt asset (a refresh, a backfill) leaves models out; a selection made in the UI builds
what it selects. On Spark (decision 117) the records and the ingest manifest are in the working DuckDB file
as on DuckDB; a local session's relation is there when its table's folder is in the session's warehouse (a
view: when the metastore is); a cluster's (Thrift) warehouse cannot be seen from here, so a build on a
cluster leaves nothing out. A build that fails forgets the records of the models it left out too: if it
failed because one of them was gone after all (dropped by hand), the next build writes every model again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dagster_project.defs.landing.contract import RAW_SCHEMA
from dagster_project.defs.landing.manifest import MANIFEST_TABLE as INGEST_FILES
from dagster_project.defs.warehouse.seeds_state import SeedsState
from dagster_project.defs.warehouse.spark_sync import spark_relations_present
from dagster_project.lib.warehouse import connect, transaction
from dagster_project.settings import Settings

MODELS_TABLE = "ops.models_built"
PROJECT = "partnerpulse"
# the run's week (dbt_project/macros/time.sql): a model that reads it changes every week
WEEK_MACROS = frozenset(
    {f"macro.{PROJECT}.refresh_week", f"macro.{PROJECT}.refresh_week_given", f"macro.{PROJECT}.refresh_as_of_date"}
)
# ... except through the last month end on or before the run's date: the same all month (decision 119)
MONTH_MACROS = frozenset({f"macro.{PROJECT}.refresh_last_month_end"})
MARTS_SCHEMA = "marts"


@dataclass(frozen=True)
class ModelsState:
    """Which models this build leaves out, and the input key of every model whose inputs can be keyed."""

    keys: Mapping[str, str]  # model name -> input key (models that read the week, ops, ... have none)
    unchanged: Mapping[str, str] = field(default_factory=dict)  # model name -> the run that built it

    def exclude_args(self) -> list[str]:
        """dbt arguments leaving the unchanged models out, and the tests that read only them."""
        if not self.unchanged:
            return []
        # one space-separated value: dagster-dbt reads each --exclude as one argument and joins them
        return ["--exclude", " ".join(sorted(self.unchanged)), "--indirect-selection", "cautious"]


def plan_models(
    con: Any,
    settings: Settings,
    manifest: Mapping[str, Any],
    fingerprint: str,
    seeds: SeedsState,
    as_of_date: dt.date,
    leave_out: bool,
) -> ModelsState:
    """This build's models: their input keys and, when ``leave_out`` (a run of every dbt asset), the ones
    it leaves out. ``con``: the engine's connection; ``as_of_date``: the run's date D."""
    ensure_models_table(con)
    if settings.target in ("duckdb", "spark"):  # on Spark ``con`` is the working DuckDB file too
        landing = read_landing_keys(con)
    else:  # the ingest manifest is in the working DuckDB file whatever the engine (landing/engine_sync.py)
        with connect(settings, read_only=True) as duck:
            landing = read_landing_keys(duck)
    seeds_key = _digest(["seeds", seeds.fingerprint, seeds.checksum]) if seeds.current else None
    keys = input_keys(manifest, fingerprint, landing, seeds_key, last_month_end(as_of_date))
    if not leave_out:
        return ModelsState(keys)
    present = None  # DuckDB, PostgreSQL: the engine's information schema
    if settings.target == "spark":
        present = spark_relations_present(settings, relations(manifest))
        if present is None:  # a cluster's warehouse cannot be seen: nothing is left out
            return ModelsState(keys)
    return models_state(con, manifest, keys, present)


def landing_keys(rows: Iterable[tuple[Any, ...]]) -> dict[str, str]:
    """A key per landing table from its ingest manifest rows (table_name first, in load order)."""
    grouped: dict[str, list[list[str]]] = {}
    for row in rows:
        grouped.setdefault(str(row[0]), []).append([str(value) for value in row[1:]])
    return {table: _digest(["landing", table, files]) for table, files in grouped.items()}


def read_landing_keys(con: Any) -> dict[str, str]:
    """The landing tables' keys from the working DuckDB file's ingest manifest (empty before any ingest)."""
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [RAW_SCHEMA, INGEST_FILES],
    ).fetchone()
    if not found or not found[0]:
        return {}
    return landing_keys(
        con.execute(
            "select table_name, contract, load_order, source_file, size_bytes, sha256, rows_loaded "
            f"from {RAW_SCHEMA}.{INGEST_FILES} order by table_name, load_order"
        ).fetchall()
    )


def last_month_end(as_of_date: dt.date) -> dt.date:
    """The last month end on or before ``as_of_date`` (the macro refresh_last_month_end)."""
    return (as_of_date + dt.timedelta(days=1)).replace(day=1) - dt.timedelta(days=1)


def input_keys(
    manifest: Mapping[str, Any],
    fingerprint: str,
    landing: Mapping[str, str],
    seeds_key: str | None,
    month_end: dt.date | None = None,
) -> dict[str, str]:
    """The input key of every model that has one (see the module's docstring). ``month_end``: the run's
    last complete month end; without it a model reading it has no key."""
    nodes, sources, macros = manifest["nodes"], manifest["sources"], manifest["macros"]
    week_macros = _macros_reaching(macros, WEEK_MACROS, through=MONTH_MACROS)
    month_macros = _macros_reaching(macros, MONTH_MACROS)
    keys: dict[str, str | None] = {}

    def key_of(unique_id: str) -> str | None:
        if unique_id in keys:
            return keys[unique_id]
        keys[unique_id] = None  # a cycle cannot happen in dbt's graph; this also ends one
        if unique_id in sources:
            source = sources[unique_id]
            table = source.get("identifier") or source["name"]
            key = landing.get(table) if source["schema"] == RAW_SCHEMA else None
        elif unique_id.startswith("seed."):
            key = seeds_key
        elif unique_id.startswith("model."):
            key = _model_key(nodes[unique_id], fingerprint, week_macros, month_macros, month_end, key_of)
        else:
            key = None
        keys[unique_id] = key
        return key

    models = {node["name"]: unique_id for unique_id, node in nodes.items() if node["resource_type"] == "model"}
    result = {name: key_of(unique_id) for name, unique_id in models.items()}
    return {name: key for name, key in result.items() if key is not None}


def _model_key(
    node: Mapping[str, Any],
    fingerprint: str,
    week_macros: set[str],
    month_macros: set[str],
    month_end: dt.date | None,
    key_of,
) -> str | None:
    called = set(node["depends_on"].get("macros", []))
    if node["schema"] == MARTS_SCHEMA or week_macros & called:
        return None
    reads_month = bool(month_macros & called)
    if reads_month and month_end is None:
        return None
    parents = sorted(set(node["depends_on"].get("nodes", [])))
    parent_keys = [key_of(parent) for parent in parents]
    if any(key is None for key in parent_keys):
        return None
    parts = ["model", fingerprint, node["unique_id"], list(zip(parents, parent_keys, strict=True))]
    if reads_month:
        parts.append(["last month end", str(month_end)])
    return _digest(parts)


def _macros_reaching(
    macros: Mapping[str, Any], targets: frozenset[str], through: frozenset[str] = frozenset()
) -> set[str]:
    """The macros that call one of ``targets``, directly or through other macros (``targets`` included),
    not counting calls through the macros ``through``."""
    reaching = set(targets)
    changed = True
    while changed:
        changed = False
        for unique_id, macro in macros.items():
            if unique_id in through:
                continue
            if unique_id not in reaching and reaching & set(macro.get("depends_on", {}).get("macros", [])):
                reaching.add(unique_id)
                changed = True
    return reaching


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode("utf-8")).hexdigest()


def ensure_models_table(con: Any) -> None:
    con.execute(f"create schema if not exists {MODELS_TABLE.split('.')[0]}")
    con.execute(
        f"create table if not exists {MODELS_TABLE} "
        "(model_name varchar not null, input_key varchar not null, run_id varchar not null, built_at timestamp)"
    )


def relations(manifest: Mapping[str, Any]) -> dict[str, tuple[str, str, str]]:
    """(schema, relation name, materialization) of every model."""
    return {
        node["name"]: (node["schema"], node.get("alias") or node["name"], node["config"]["materialized"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }


def models_state(
    con: Any,
    manifest: Mapping[str, Any],
    keys: Mapping[str, str],
    present: set[tuple[str, str]] | None = None,
) -> ModelsState:
    """The models whose recorded input key equals today's and whose relation exists: among ``present``
    ((schema, relation name) pairs) when given, else in ``con``'s information schema."""
    if not keys:
        return ModelsState(keys)
    recorded = dict(
        (name, (key, run_id))
        for name, key, run_id in con.execute(f"select model_name, input_key, run_id from {MODELS_TABLE}").fetchall()
    )
    if present is None:
        present = {
            (str(schema), str(name))
            for schema, name in con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        }
    where = {name: (schema, relation) for name, (schema, relation, _) in relations(manifest).items()}
    unchanged = {
        name: recorded[name][1]
        for name, key in keys.items()
        if name in recorded and recorded[name][0] == key and where.get(name) in present
    }
    return ModelsState(keys, unchanged)


def models_written(manifest: Mapping[str, Any], state: ModelsState) -> set[str]:
    """The models a build may write: every model but those it leaves out — also the models without an input
    key this time (an optional landing table whose files are gone, say), whose record from an earlier build
    would otherwise outlive the table it described and let a later build with that key leave out what it
    now holds."""
    return set(relations(manifest)) - set(state.unchanged)


def forget_models(con: Any, names: Iterable[str]) -> None:
    """Before a build: the models it writes lose their record until it succeeds."""
    names = sorted(set(names))
    if names:
        with transaction(con):
            con.executemany(f"delete from {MODELS_TABLE} where model_name = ?", [[name] for name in names])


def record_models_built(con: Any, state: ModelsState, built: Iterable[str], run_id: str) -> None:
    """After a successful build: the input key each model in ``built`` was written from."""
    built_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    rows = [[name, state.keys[name], run_id, built_at] for name in sorted(set(built)) if name in state.keys]
    if not rows:
        return
    with transaction(con):
        con.executemany(f"delete from {MODELS_TABLE} where model_name = ?", [[row[0]] for row in rows])
        con.executemany(f"insert into {MODELS_TABLE} values (?, ?, ?, ?)", rows)
