"""The incremental usage staging tables are built whole when the project changed (decisions 103, 128).

An incremental build of ``base_usage__usage_daily`` and ``base_usage__feature_usage_weekly`` re-checks only the
rows whose label can change under the same rules (macros/landing_validation.sql). When the dbt project or a
seed changed — exactly when a refresh reloads the seeds (seeds_state.py) — the rules may have changed too, so
the refresh drops those tables before dbt runs, and dbt builds them whole: an incremental model without its
table is built from scratch, as ``dbt build --full-refresh`` would.

The models say so with ``meta: {rebuild_on_project_change: true}``. The decision used to be their
``full_refresh`` config, read from an environment variable; dbt reads a config when it parses, so every change
of that variable (the first build of each warehouse, and the build after each reload) made dbt parse both
models and their YAML again, ~1 s of each such build. Nothing the project reads while parsing changes from
one refresh to the next (tests/test_parse_state.py).

Spark builds these models as tables, whole in every build (``pp_staging_materialization``): nothing to drop.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from dagster_project.lib.warehouse import quote_ident

REBUILD_META = "rebuild_on_project_change"


@dataclass(frozen=True)
class StagingTable:
    """An incremental model that is built whole when the project changed, and its relation."""

    model: str
    schema: str
    name: str

    @property
    def relation(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"


def tables_rebuilt_on_project_change(manifest: Mapping[str, Any]) -> list[StagingTable]:
    """The incremental models whose config meta sets ``rebuild_on_project_change``, by model name."""
    tables = []
    for node in manifest.get("nodes", {}).values():
        config = node.get("config") or {}
        meta = {**(node.get("meta") or {}), **(config.get("meta") or {})}
        if (
            node.get("resource_type") == "model"
            and config.get("materialized") == "incremental"
            and meta.get(REBUILD_META)
        ):
            tables.append(StagingTable(node["name"], node["schema"], node.get("alias") or node["name"]))
    return sorted(tables, key=lambda table: table.model)


def tables_to_rebuild(
    manifest: Mapping[str, Any], target: str, project_changed: bool, built: Collection[str]
) -> list[StagingTable]:
    """What a build drops first: the tables of ``tables_rebuilt_on_project_change`` when ``project_changed``
    (the seeds are reloaded), only those of models the build builds (``built``: its selection less the models
    it leaves out), none on Spark."""
    if not project_changed or target == "spark":
        return []
    return [table for table in tables_rebuilt_on_project_change(manifest) if table.model in built]


def drop_tables(con: Any, target: str, tables: list[StagingTable]) -> None:
    """Drops ``tables`` if they exist (``con``: the engine's connection, lib/engine.py). PostgreSQL drops the
    views on them too (as dbt's own full refresh does there); the build creates them again."""
    cascade = " cascade" if target == "postgres" else ""
    for table in tables:
        con.execute(f"drop table if exists {table.relation}{cascade}")
