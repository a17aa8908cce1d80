"""dbt's profile and the Python steps open DuckDB alike: the allocator's flush threshold (decision 158).

A refresh's DuckDB work runs in three kinds of process — dbt's build, the landing child, the checks and
publish in the refresh itself; each returns freed memory to the system after a bulk free of the same size.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from dagster_project.lib.warehouse import (
    ALLOCATOR_FLUSH_THRESHOLD,
    PUBLISH_MEMORY_SHARE,
    configure,
    connect,
    memory_limit_share,
)
from dagster_project.settings import load_settings

PROFILES = Path(__file__).resolve().parents[1] / "dbt_project" / "profiles.yml"
SETTING = "allocator_bulk_deallocation_flush_threshold"


def _as_duckdb_reads_it(value: str) -> str:
    with duckdb.connect() as con:
        con.execute(f"set {SETTING} = '{value}'")
        return con.execute(f"select current_setting('{SETTING}')").fetchone()[0]


def test_the_profile_and_the_python_connections_flush_duckdb_s_allocator_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    profile = yaml.safe_load(PROFILES.read_text(encoding="utf-8"))
    options = profile["partnerpulse"]["outputs"]["duckdb"]["config_options"]
    assert options[SETTING] == ALLOCATOR_FLUSH_THRESHOLD

    monkeypatch.setenv("PARTNERPULSE_WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    monkeypatch.setenv("PARTNERPULSE_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("PARTNERPULSE_FIRST_WEEK", "2026-11-02")
    with connect(load_settings()) as con:
        applied = con.execute(f"select current_setting('{SETTING}')").fetchone()[0]
    with duckdb.connect() as fresh:
        default = fresh.execute(f"select current_setting('{SETTING}')").fetchone()[0]
    assert applied == _as_duckdb_reads_it("64MB") != default


@pytest.mark.parametrize(
    ("limit", "half"),
    [("8GB", "4000MB"), ("6GiB", "3221MB"), (" 500 mb ", "250MB"), ("1.5GB", "750MB"), ("1KB", "1MB"), ("80%", "80%")],
)
def test_the_publish_gets_a_share_of_the_memory_limit(limit: str, half: str):
    """Decision 160: the publish's DuckDB, in the refresh's own process beside Python's memory, gets half the
    limit; a limit written another way than number and unit is left to DuckDB as it is."""
    assert memory_limit_share(limit, 0.5) == half


def test_a_connection_with_a_share_gets_that_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PARTNERPULSE_WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    monkeypatch.setenv("PARTNERPULSE_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("PARTNERPULSE_FIRST_WEEK", "2026-11-02")
    monkeypatch.setenv("PARTNERPULSE_DUCKDB_MEMORY_LIMIT", "8GB")
    settings = load_settings()
    with duckdb.connect() as con:
        configure(con, settings, memory_share=PUBLISH_MEMORY_SHARE)
        shared = con.execute("select current_setting('memory_limit')").fetchone()[0]
        configure(con, settings)
        whole = con.execute("select current_setting('memory_limit')").fetchone()[0]
    assert (shared, whole) == ("3.7 GiB", "7.4 GiB")
