"""Shared fixtures: every test gets its own landing folder, warehouse and Dagster home."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dagster_project.assets.dbt import get_dbt_project, prepare_manifest
from dagster_project.settings import Settings, load_settings

FIRST_WEEK = dt.date(2024, 1, 1)


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    """dagster-dbt's prepare_if_dev() does nothing under pytest: parse the project once here."""
    return prepare_manifest(get_dbt_project(), force=True)


@pytest.fixture
def pp_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """PARTNERPULSE_* pointing into this test's temp dir; returns the resolved settings."""
    landing = tmp_path / "landing"
    warehouse = tmp_path / "warehouse"
    landing.mkdir()
    monkeypatch.setenv("PARTNERPULSE_LANDING_DIR", str(landing))
    monkeypatch.setenv("PARTNERPULSE_WAREHOUSE_DIR", str(warehouse))
    monkeypatch.setenv("PARTNERPULSE_FIRST_WEEK", FIRST_WEEK.isoformat())
    monkeypatch.setenv("PARTNERPULSE_DUCKDB_MEMORY_LIMIT", "2GB")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("PARTNERPULSE_TARGET", "duckdb")
    settings = load_settings()
    for name, value in settings.env().items():  # via monkeypatch, so nothing leaks into other tests
        monkeypatch.setenv(name, value)
    return settings
