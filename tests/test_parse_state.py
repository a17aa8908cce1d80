"""A new warehouse's first dbt build parses only what changed (decision 120): real dbt, real parse states."""

from __future__ import annotations

import datetime as dt
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
    ConnectionProfile,
    DbtProject,
    adapt_project_state,
    connection_profile,
    start_parse_state,
)
from dagster_project.defs.warehouse.project import get_dbt_project
from dagster_project.defs.warehouse.refresh_window import dbt_environment
from dagster_project.lib.weeks import WeekWindow
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


def _without_times(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_times(v) for k, v in value.items() if k != "created_at"}
    if isinstance(value, list):
        return [_without_times(v) for v in value]
    return value


def _nodes(target: Path) -> object:
    """What dbt parsed: every node, source, macro, exposure and unit test (without when it parsed them)."""
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    return _without_times({kind: manifest[kind] for kind in ("nodes", "sources", "macros", "exposures", "unit_tests")})


def _parsed_at(nodes: dict) -> dict[str, float]:
    return {unique_id: node["created_at"] for unique_id, node in nodes.items() if "created_at" in node}


@pytest.fixture(scope="module")
def project() -> DbtProject:
    project = get_dbt_project()  # prepared (parsed) by conftest, which noted the profile it parsed with
    note = json.loads((project.manifest_path.parent / PARSED_PROFILE).read_text(encoding="utf-8"))
    assert "unusable" not in note, note  # dbt's hash reproduced for the profile the project was parsed with
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
    """Another folder, temp directory and memory limit, and the environment a refresh gives dbt: dbt accepts
    the adapted state (no full parse, no file parsed again) and the manifest is the one a full parse of that
    warehouse writes."""
    week = WeekWindow(first=dt.date(2024, 6, 3), last=dt.date(2024, 6, 10))
    with dbt_environment(week, rebuild_staging=True) as refresh_env:
        env = _duckdb(tmp_path / "elsewhere", PARTNERPULSE_DUCKDB_MEMORY_LIMIT="2GB", **refresh_env)
    assert adapt_project_state(project, tmp_path / "adapted", env)
    state = msgpack.unpackb((tmp_path / "adapted" / PARSE_STATE).read_bytes(), strict_map_key=False)
    # dbt parses a file again whenever an environment variable it read while parsing that file changed: the
    # project reads none then (the run's week and a staging rebuild are read when nodes run, decision 128)
    assert state["env_vars"] == {}
    adapted = _parse(tmp_path / "adapted", env)
    assert "Unable to do partial parsing" not in adapted
    # every node is the one the project's state holds, not parsed again (dbt falls back to a full parse
    # quietly when it cannot load a state: the nodes would then carry this parse's times)
    manifest = json.loads((tmp_path / "adapted" / "manifest.json").read_text(encoding="utf-8"))
    assert _parsed_at(manifest["nodes"]) == _parsed_at(state["nodes"])
    full = _parse(tmp_path / "full", env)  # no state: dbt parses every file
    assert _nodes(tmp_path / "adapted") == _nodes(tmp_path / "full")
    assert "Starting full parse" in full
    reparsed = json.loads((tmp_path / "full" / "manifest.json").read_text(encoding="utf-8"))
    assert not set(_parsed_at(reparsed["nodes"]).values()) & set(_parsed_at(state["nodes"]).values())


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
    for name, age in (("aaaa-0", 200), ("cccc-0", 100)):
        (runs / name).mkdir(parents=True)
        (runs / name / PARSE_STATE).write_bytes(f"state of {name}".encode())
        os.utime(runs / name / PARSE_STATE, (1_800_000_000 - age, 1_800_000_000 - age))
    messages: list[str] = []
    start_parse_state(project, runs, runs / "bbbb-0", messages.append)
    assert (runs / "bbbb-0" / PARSE_STATE).read_bytes() == b"state of cccc-0"  # the newest
    assert messages == []
    # a folder that has its state keeps it
    start_parse_state(project, runs, runs / "aaaa-0", messages.append)
    assert (runs / "aaaa-0" / PARSE_STATE).read_bytes() == b"state of aaaa-0"


def test_a_new_warehouse_gets_the_adapted_state_and_says_so(project, tmp_path, monkeypatch):
    """The build's way in: no earlier run of the warehouse, its environment's connection (decision 120)."""
    for name, value in _duckdb(tmp_path / "new").items():
        if name.startswith("PARTNERPULSE_"):
            monkeypatch.setenv(name, value)
    messages: list[str] = []
    start_parse_state(project, tmp_path / "new" / "dbt_runs", tmp_path / "new" / "dbt_runs" / "run-0", messages.append)
    state = msgpack.unpackb((tmp_path / "new" / "dbt_runs" / "run-0" / PARSE_STATE).read_bytes(), strict_map_key=False)
    expected = connection_profile(DBT_PROJECT_DIR, DBT_PROJECT_DIR, os.environ)
    assert expected is not None
    assert state["state_check"]["profile_hash"]["checksum"] == expected.checksum
    assert messages == [
        "dbt starts from the project's parse state, adapted to this warehouse's connection (parse_state.py)"
    ]
    # a note that cannot be used (another parse's, or dbt's hash not reproduced) adapts nothing
    monkeypatch.setattr("dagster_project.defs.warehouse.parse_state.PARSED_PROFILE", "missing-note.json")
    start_parse_state(
        project, tmp_path / "other" / "dbt_runs", tmp_path / "other" / "dbt_runs" / "run-0", messages.append
    )
    assert not (tmp_path / "other" / "dbt_runs" / "run-0" / PARSE_STATE).exists()
    assert len(messages) == 1


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
        # nor any other way to a connection setting: target["path"], target | attr(...), the credentials
        assert not re.search(r"\btarget\s*(\[|\|)|credentials", text), path
    assert used <= {"schema", "name", "type"}, used


def test_only_where_the_data_is_may_differ():
    """PostgreSQL on another host, port or user parses alike; another database or schema does not."""

    def postgres(**values: str) -> ConnectionProfile:
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


def test_an_edited_profile_makes_the_project_parse_again(tmp_path, monkeypatch):
    """The project's manifest is parsed again when profiles.yml is newer than it, as when a model is: the
    state it leaves holds the profile's hash, which a new warehouse's first build adapts (decision 120)."""
    from dagster_project.defs.warehouse import project as project_module

    for name in ("dbt_project.yml", "profiles.yml", "models/a.sql"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    os.utime(tmp_path / "dbt_project.yml", (1_000, 1_000))
    os.utime(tmp_path / "models" / "a.sql", (2_000, 2_000))
    os.utime(tmp_path / "profiles.yml", (3_000, 3_000))
    monkeypatch.setattr(project_module, "DBT_PROJECT_DIR", tmp_path)
    monkeypatch.setattr(project_module, "_PROJECT_INPUTS", (tmp_path / "models",))
    assert project_module._newest_input_mtime() == 3_000
    os.utime(tmp_path / "profiles.yml", (500, 500))
    assert project_module._newest_input_mtime() == 2_000
