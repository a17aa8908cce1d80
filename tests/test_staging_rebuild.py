"""Which staging models a build makes whole after a project change (staging_rebuild.py, decision 128), on the
project's own manifest. dbt doing it is tested in tests/test_incremental_staging.py and, through a refresh, in
tests/test_refresh.py."""

from __future__ import annotations

import json

import pytest

from dagster_project.defs.warehouse.project import get_dbt_project
from dagster_project.defs.warehouse.staging_rebuild import models_rebuilt_on_project_change, rebuilt_in_build

DAILY = "base_usage__usage_daily"
WEEKLY = "base_usage__feature_usage_weekly"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(get_dbt_project().manifest_path.read_text(encoding="utf-8"))


def test_the_usage_base_models_are_the_ones_rebuilt_with_the_project(manifest):
    assert models_rebuilt_on_project_change(manifest) == [WEEKLY, DAILY]


def test_only_when_the_project_changed_only_what_the_build_builds_never_on_spark(manifest):
    models, both = models_rebuilt_on_project_change(manifest), {DAILY, WEEKLY}
    assert rebuilt_in_build(models, "duckdb", project_changed=True, built=both) == [WEEKLY, DAILY]
    assert rebuilt_in_build(models, "postgres", project_changed=True, built=both) == [WEEKLY, DAILY]
    assert rebuilt_in_build(models, "duckdb", project_changed=False, built=both) == []
    # left out as unchanged, or not selected (the UI materializing a few assets): not built, not named
    assert rebuilt_in_build(models, "duckdb", project_changed=True, built={DAILY, "dim_accounts"}) == [DAILY]
    # Spark builds these models as tables, whole, in every build
    assert rebuilt_in_build(models, "spark", project_changed=True, built=both) == []


def test_a_model_must_be_incremental_and_say_so():
    def node(name: str, materialized: str, meta: dict) -> dict:
        return {"resource_type": "model", "name": name, "config": {"materialized": materialized, "meta": meta}}

    manifest = {
        "nodes": {
            "model.p.a": node("a", "incremental", {"rebuild_on_project_change": True}),
            "model.p.b": node("b", "incremental", {}),
            "model.p.c": node("c", "table", {"rebuild_on_project_change": True}),
            "seed.p.d": {**node("d", "seed", {"rebuild_on_project_change": True}), "resource_type": "seed"},
        }
    }
    assert models_rebuilt_on_project_change(manifest) == ["a"]
