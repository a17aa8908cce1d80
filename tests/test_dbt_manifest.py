"""dbt's manifest read once per content of the file (lib/dbt_manifest.py), and what the project derives
from it unchanged by the sharing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dagster_project.lib import dbt_manifest
from dagster_project.lib.dbt_manifest import derived, read_manifest

# A manifest with what the fingerprint leaves out (run metadata, parse notes, a disabled resource) and
# the fingerprint that the function before the cache (commit bf81111) gave for it: a change to the
# value would make every existing warehouse rebuild and reload its seeds once.
SYNTHETIC = {
    "metadata": {
        "dbt_version": "1.11.2",
        "adapter_type": "duckdb",
        "generated_at": "2026-12-05T10:00:00Z",
        "invocation_id": "abc",
    },
    "nodes": {
        "model.p.a": {
            "name": "a",
            "resource_type": "model",
            "created_at": 1.5,
            "root_path": "/x",
            "description": "A",
            "config": {"schema": "marts"},
        },
        "seed.p.s": {
            "name": "s",
            "resource_type": "seed",
            "created_at": 2.5,
            "checksum": {"name": "sha256", "checksum": "00"},
        },
    },
    "disabled": {"model.p.b": [{"name": "b", "created_at": 3.0, "root_path": "/y"}]},
    "macros": {},
    "sources": {},
}
SYNTHETIC_FINGERPRINT = "1d2b379d047fb3e05dd2f1c91656d855319ebc5df18701cab9488ec50028a1f5"


def _write(path: Path, nodes: dict) -> None:
    path.write_text(json.dumps({"metadata": {"dbt_version": "1.11.0"}, "nodes": nodes}), encoding="utf-8")


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times a manifest file is parsed (json.loads), with an empty cache to start from."""
    counted: list[int] = []
    real = json.loads

    def counting(data: bytes | str) -> object:
        counted.append(1)
        return real(data)

    monkeypatch.setattr(dbt_manifest, "_versions", type(dbt_manifest._versions)())
    monkeypatch.setattr(dbt_manifest.json, "loads", counting)
    return counted


def test_a_version_is_parsed_once_and_a_rewritten_file_again(tmp_path: Path, parses: list[int]) -> None:
    path = tmp_path / "manifest.json"
    _write(path, {"model.p.a": {"name": "a"}})
    first = read_manifest(path)
    assert read_manifest(path) is first
    assert read_manifest(tmp_path / "." / "manifest.json") is first  # the same file by another spelling
    assert len(parses) == 1
    assert derived(path, "names", lambda m: sorted(n["name"] for n in m["nodes"].values())) == ["a"]
    assert derived(path, "names", lambda m: ["not computed again"]) == ["a"]

    # dbt parse writes it again: the same size, the same modification time, the same inode
    stat = path.stat()
    _write(path, {"model.p.b": {"name": "b"}})
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_ino) == (stat.st_size, stat.st_ino)
    assert list(read_manifest(path)["nodes"]) == ["model.p.b"]
    assert derived(path, "names", lambda m: sorted(n["name"] for n in m["nodes"].values())) == ["b"]
    assert len(parses) == 2


def test_the_versions_last_used_are_kept(tmp_path: Path, parses: list[int]) -> None:
    paths = [tmp_path / f"m{i}.json" for i in range(dbt_manifest.KEPT + 1)]
    for i, path in enumerate(paths):
        _write(path, {f"model.p.m{i}": {"name": f"m{i}"}})
    for path in paths[:-1]:
        read_manifest(path)
    read_manifest(paths[0])  # used again: now the last used
    read_manifest(paths[-1])  # one more version: the least recently used (paths[1]) goes
    assert len(parses) == dbt_manifest.KEPT + 1
    read_manifest(paths[0])
    read_manifest(paths[-1])
    assert len(parses) == dbt_manifest.KEPT + 1
    read_manifest(paths[1])
    assert len(parses) == dbt_manifest.KEPT + 2


def test_the_project_fingerprint_is_the_one_from_before_the_cache(tmp_path: Path) -> None:
    from dagster_project.defs.warehouse.project import project_fingerprint

    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(SYNTHETIC), encoding="utf-8")
    assert project_fingerprint(path) == SYNTHETIC_FINGERPRINT
    assert read_manifest(path)["metadata"] == SYNTHETIC["metadata"]  # not popped for later readers
    assert project_fingerprint(path) == SYNTHETIC_FINGERPRINT
    edited = json.loads(json.dumps(SYNTHETIC))
    edited["nodes"]["model.p.a"]["description"] = "A, edited"
    path.write_text(json.dumps(edited), encoding="utf-8")
    assert project_fingerprint(path) != SYNTHETIC_FINGERPRINT
    edited["nodes"]["model.p.a"]["description"] = "A"
    edited["nodes"]["model.p.a"]["created_at"] = 9.0  # a parse note only
    edited["metadata"]["invocation_id"] = "def"  # run metadata only
    path.write_text(json.dumps(edited), encoding="utf-8")
    assert project_fingerprint(path) == SYNTHETIC_FINGERPRINT


def test_no_reader_changes_the_shared_manifest() -> None:
    from dagster_project.defs.quality.scaffold import mart_suite
    from dagster_project.defs.serving.postgres import read_mart_docs
    from dagster_project.defs.warehouse.models_state import input_keys, relations
    from dagster_project.defs.warehouse.project import get_dbt_project, mart_model_names, project_fingerprint
    from dagster_project.defs.warehouse.refresh_window import weekly_models
    from dagster_project.defs.warehouse.seeds_state import seed_relations
    from dagster_project.defs.warehouse.staging_rebuild import models_rebuilt_on_project_change

    path = get_dbt_project().manifest_path
    manifest = read_manifest(path)
    weekly_models(path)
    seed_relations(path)
    fingerprint = project_fingerprint(path)
    marts = mart_model_names(path)
    input_keys(manifest, fingerprint, {}, "seeds")
    relations(manifest)
    models_rebuilt_on_project_change(manifest)
    read_mart_docs(path)
    for name in marts:
        mart_suite(name, manifest)
    assert read_manifest(path) is manifest
    assert manifest == json.loads(path.read_bytes())
