"""The program settings (dbt seeds) are loaded and tested again only when they changed (seeds_state.py,
decision 98): a changed project, a changed or missing seed table, or no successful load on record."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dagster_project.defs.warehouse.project import get_dbt_project
from dagster_project.defs.warehouse.seeds_state import record_seeds_loaded, seed_relations, seeds_state

FINGERPRINT = "f" * 64


@pytest.fixture
def manifest() -> Path:
    return get_dbt_project().manifest_path


@pytest.fixture
def con(tmp_path: Path, manifest: Path):
    """A warehouse holding every seed table of the project, each with one row."""
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    connection.execute("create schema ops")
    for relation in seed_relations(manifest):
        connection.execute(f'create schema if not exists "{relation.schema}"')
        connection.execute(f'create table "{relation.schema}"."{relation.table}" as select 1 as points, \'a\' as level')
    yield connection
    connection.close()


def test_the_project_s_seeds_are_all_known(manifest: Path):
    relations = seed_relations(manifest)
    assert len(relations) == 21
    assert {"scorecard_bands", "readiness_bands", "incentive_plan"} <= {r.name for r in relations}
    assert {r.schema for r in relations} == {"config"}


def test_seeds_never_loaded_are_loaded(con, manifest: Path):
    assert not seeds_state(con, manifest, FINGERPRINT).current


def test_seeds_loaded_by_a_successful_build_of_the_same_project_are_current(con, manifest: Path):
    record_seeds_loaded(con, seeds_state(con, manifest, FINGERPRINT), "run-1")
    state = seeds_state(con, manifest, FINGERPRINT)
    assert state.current and state.loaded_in_run == "run-1"


def test_a_changed_project_reloads_them(con, manifest: Path):
    record_seeds_loaded(con, seeds_state(con, manifest, FINGERPRINT), "run-1")
    assert not seeds_state(con, manifest, "e" * 64).current


def test_a_seed_table_edited_in_the_warehouse_reloads_them(con, manifest: Path):
    record_seeds_loaded(con, seeds_state(con, manifest, FINGERPRINT), "run-1")
    con.execute("update config.scorecard_bands set points = 2")
    assert not seeds_state(con, manifest, FINGERPRINT).current


def test_a_seed_table_with_another_column_type_reloads_them(con, manifest: Path):
    record_seeds_loaded(con, seeds_state(con, manifest, FINGERPRINT), "run-1")
    con.execute("alter table config.incentive_plan alter points type bigint")
    assert not seeds_state(con, manifest, FINGERPRINT).current


def test_a_missing_seed_table_reloads_them(con, manifest: Path):
    record_seeds_loaded(con, seeds_state(con, manifest, FINGERPRINT), "run-1")
    con.execute("drop table config.readiness_bands")
    state = seeds_state(con, manifest, FINGERPRINT)
    assert not state.current and state.checksum is None


def test_a_new_load_replaces_the_record(con, manifest: Path):
    record_seeds_loaded(con, seeds_state(con, manifest, FINGERPRINT), "run-1")
    con.execute("update config.scorecard_bands set points = 2")
    record_seeds_loaded(con, seeds_state(con, manifest, "e" * 64), "run-2")
    assert con.execute("select fingerprint, run_id from ops.seeds_loaded").fetchall() == [("e" * 64, "run-2")]
    assert seeds_state(con, manifest, "e" * 64).loaded_in_run == "run-2"
