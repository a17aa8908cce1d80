"""A new warehouse's first dbt build parses only what changed (decision 120): real dbt, real parse states."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import msgpack
import pytest

from dagster_project.defs.warehouse.parse_state import (
    PARSE_STATE,
    PARSED_PROFILE,
    adapt_project_state,
    connection_profile,
    start_parse_state,
)
from dagster_project.defs.warehouse.project import get_dbt_project
from dagster_project.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, REPO_ROOT

PROJECT_FILES = (REPO_ROOT / "models", REPO_ROOT / "seeds", DBT_PROJECT_DIR / "macros", DBT_PROJECT_DIR / "tests")


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARTNERPULSE_", "PG"))}
    return {**env, **values}


def _duckdb(folder: Path, name: str = "partnerpulse.duckdb", **more: str) -> dict[str, str]:
    return _env(
        PARTNERPULSE_TARGET="duckdb",
        PARTNERPULSE_DUCKDB_PATH=str(folder / name),
        PARTNERPULSE_DUCKDB_TEMP_DIR=str(folder / "duckdb_tmp"),
        **more,
    )


def _parse(target: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        [DBT_EXECUTABLE, "parse", "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target)],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    return result.stdout


def _without_times(value):
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k != "created_at"}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def _nodes(target: Path) -> dict:
    """What dbt parsed: every node, source, macro, exposure and unit test (without when it parsed them)."""
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    return _without_times({kind: manifest[kind] for kind in ("nodes", "sources", "macros", "exposures", "unit_tests")})


@pytest.fixture(scope="module")
def project():
    project = get_dbt_project()  # prepared (parsed) by conftest, which noted the profile it parsed with
    assert (project.manifest_path.parent / PARSED_PROFILE).is_file()
    return project


def test_the_hash_is_dbts_own(project, tmp_path):
    """The hash this module computes for a profile is the one dbt stores in its parse state."""
    env = _duckdb(tmp_path, PARTNERPULSE_DUCKDB_MEMORY_LIMIT="3GB")
    _parse(tmp_path / "full", env)
    state = (tmp_path / "full" / PARSE_STATE).read_bytes()
    profile = connection_profile(DBT_PROJECT_DIR, DBT_PROJECT_DIR, env)
    assert profile is not None
    assert profile.checksum.encode() in state
    assert dict(profile.info)["path"] == str(tmp_path / "partnerpulse.duckdb")
    assert dict(profile.info)["database"] == "partnerpulse"


def test_a_new_warehouse_parses_nothing_and_gets_the_same_manifest(project, tmp_path):
    """Another folder, temp directory and memory limit: dbt accepts the adapted state (no full parse) and
    the manifest is the one a full parse of that warehouse writes."""
    env = _duckdb(tmp_path / "elsewhere", PARTNERPULSE_DUCKDB_MEMORY_LIMIT="2GB")
    assert adapt_project_state(project, tmp_path / "adapted", env)
    adapted = _parse(tmp_path / "adapted", env)
    assert "Unable to do partial parsing" not in adapted
    full = _parse(tmp_path / "full", env)  # no state: dbt parses every file
    assert _nodes(tmp_path / "adapted") == _nodes(tmp_path / "full")
    assert "Starting full parse" in full


def test_what_names_the_relations_is_never_adapted(project, tmp_path):
    """The DuckDB file's name is the relations' database: another one is parsed again by dbt."""
    assert not adapt_project_state(project, tmp_path / "a", _duckdb(tmp_path, name="other.duckdb"))
    assert not (tmp_path / "a" / PARSE_STATE).exists()
    postgres = _env(PARTNERPULSE_TARGET="postgres", PGHOST="127.0.0.1", PGPORT="6543", PGDATABASE="partnerpulse")
    # the project was parsed for DuckDB: another adapter is never adapted (nor its credentials loaded)
    assert not adapt_project_state(project, tmp_path / "b", postgres)
    assert connection_profile(DBT_PROJECT_DIR, DBT_PROJECT_DIR, postgres, adapter="duckdb") is None
    served = connection_profile(DBT_PROJECT_DIR, DBT_PROJECT_DIR, postgres, adapter="postgres")
    assert served is not None and dict(served.info)["port"] == 6543


def test_an_earlier_run_of_the_warehouse_comes_first(project, tmp_path):
    runs = tmp_path / "dbt_runs"
    earlier = runs / "aaaa-0"
    earlier.mkdir(parents=True)
    (earlier / PARSE_STATE).write_bytes(b"earlier run's state")
    messages: list[str] = []
    start_parse_state(project, runs, runs / "bbbb-0", messages.append)
    assert (runs / "bbbb-0" / PARSE_STATE).read_bytes() == b"earlier run's state"
    assert messages == []
    # a folder that has its state keeps it
    start_parse_state(project, runs, earlier, messages.append)
    assert (earlier / PARSE_STATE).read_bytes() == b"earlier run's state"


def test_a_state_that_does_not_match_its_note_is_not_adapted(project, tmp_path, monkeypatch):
    """Parsed again since the note was written (another profile): nothing is adapted."""
    fake = tmp_path / "target"
    fake.mkdir()
    note = json.loads((project.manifest_path.parent / PARSED_PROFILE).read_text(encoding="utf-8"))
    (fake / PARSED_PROFILE).write_text(json.dumps(note), encoding="utf-8")
    state = msgpack.unpackb((project.manifest_path.parent / PARSE_STATE).read_bytes(), strict_map_key=False)
    state["state_check"]["profile_hash"]["checksum"] = "0" * 64
    (fake / PARSE_STATE).write_bytes(msgpack.packb(state))

    class Elsewhere:
        project_dir = project.project_dir
        profiles_dir = project.profiles_dir
        manifest_path = fake / "manifest.json"

    assert not adapt_project_state(Elsewhere(), tmp_path / "out", _duckdb(tmp_path / "x"))
    assert not (tmp_path / "out" / PARSE_STATE).exists()


def test_the_project_reads_only_parse_neutral_connection_settings():
    """What makes reusing a parse across warehouses sound: the models, macros, tests and settings read no
    connection setting but the schema, the target's name and its adapter type."""
    used: set[str] = set()
    files = [DBT_PROJECT_DIR / "dbt_project.yml"]
    for folder in PROJECT_FILES:
        files += [p for p in folder.rglob("*") if p.suffix in {".sql", ".yml", ".yaml"}]
    for path in files:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"\btarget\.([a-z_]+)", text))
        assert not re.search(r"\btarget\s*\[", text), path
    assert used <= {"schema", "name", "type"}, used


def test_only_where_the_data_is_may_differ():
    """PostgreSQL on another host, port or user parses alike; another database or schema does not."""

    def postgres(**values: str):
        env = _env(PARTNERPULSE_TARGET="postgres", PGHOST="127.0.0.1", PGPORT="5432", PGDATABASE="partnerpulse")
        profile = connection_profile(DBT_PROJECT_DIR, DBT_PROJECT_DIR, {**env, **values})
        assert profile is not None
        return profile

    base = postgres()
    moved = postgres(PGHOST="db.internal", PGPORT="6543", PGUSER="analyst")
    assert moved.checksum != base.checksum
    assert moved.parsed_alike() == base.parsed_alike()
    assert postgres(PGDATABASE="other").parsed_alike() != base.parsed_alike()
    duckdb = connection_profile(DBT_PROJECT_DIR, DBT_PROJECT_DIR, _duckdb(Path("/a")))
    assert duckdb is not None and duckdb.parsed_alike() != base.parsed_alike()
