"""Which staging tables a refresh drops so that dbt builds them whole (staging_rebuild.py, decision 128): the
project's own manifest, a real DuckDB file. The refresh that does it end to end is in tests/test_refresh.py."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from dagster_project.defs.warehouse.project import get_dbt_project
from dagster_project.defs.warehouse.staging_rebuild import (
    StagingTable,
    drop_tables,
    tables_rebuilt_on_project_change,
    tables_to_rebuild,
)

DAILY = StagingTable("base_usage__usage_daily", "staging", "base_usage__usage_daily")
WEEKLY = StagingTable("base_usage__feature_usage_weekly", "staging", "base_usage__feature_usage_weekly")


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(get_dbt_project().manifest_path.read_text(encoding="utf-8"))


def test_the_usage_base_tables_are_the_ones_rebuilt_with_the_project(manifest):
    assert tables_rebuilt_on_project_change(manifest) == [WEEKLY, DAILY]


def test_only_when_the_project_changed_only_what_the_build_builds_never_on_spark(manifest):
    both = {DAILY.model, WEEKLY.model}
    assert tables_to_rebuild(manifest, "duckdb", project_changed=True, built=both) == [WEEKLY, DAILY]
    assert tables_to_rebuild(manifest, "postgres", project_changed=True, built=both) == [WEEKLY, DAILY]
    assert tables_to_rebuild(manifest, "duckdb", project_changed=False, built=both) == []
    # a selection without the weekly table (the UI materializing a few assets) leaves it as it is
    assert tables_to_rebuild(manifest, "duckdb", project_changed=True, built={DAILY.model, "dim_accounts"}) == [DAILY]
    # Spark builds these models as tables, whole, in every build
    assert tables_to_rebuild(manifest, "spark", project_changed=True, built=both) == []


def test_a_model_must_be_incremental_and_say_so():
    def node(name: str, materialized: str, meta: dict) -> dict:
        return {
            "resource_type": "model",
            "name": name,
            "schema": "staging",
            "alias": name,
            "config": {"materialized": materialized, "meta": meta},
        }

    manifest = {
        "nodes": {
            "model.p.a": node("a", "incremental", {"rebuild_on_project_change": True}),
            "model.p.b": node("b", "incremental", {}),
            "model.p.c": node("c", "table", {"rebuild_on_project_change": True}),
        }
    }
    assert tables_rebuilt_on_project_change(manifest) == [StagingTable("a", "staging", "a")]


def test_the_tables_are_dropped_and_nothing_else(tmp_path: Path):
    odd = StagingTable("odd", 'st"aging', 'we"ird')
    assert odd.relation == '"st""aging"."we""ird"'
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute('create schema staging; create schema "st""aging"')
        for name in (DAILY.name, WEEKLY.name, "stg_usage__usage_daily_kept"):
            con.execute(f"create table staging.{name} as select 1 as x")
        con.execute('create table "st""aging"."we""ird" as select 1 as x')
        drop_tables(con, "duckdb", [DAILY, WEEKLY, odd])
        left = con.execute("select table_schema, table_name from information_schema.tables order by 1, 2").fetchall()
        assert left == [("staging", "stg_usage__usage_daily_kept")]
        drop_tables(con, "duckdb", [DAILY])  # already gone: nothing to do
