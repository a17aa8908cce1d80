"""dbt's manifest read once per version of the file (lib/dbt_manifest.py), and what the project derives
from it unchanged by the sharing."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from dagster_project.lib import dbt_manifest
from dagster_project.lib.dbt_manifest import derived, read_manifest


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

    _write(path, {"model.p.a": {"name": "a"}, "model.p.b": {"name": "b"}})  # dbt parse wrote it again
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert sorted(read_manifest(path)["nodes"]) == ["model.p.a", "model.p.b"]
    assert derived(path, "names", lambda m: sorted(n["name"] for n in m["nodes"].values())) == ["a", "b"]
    assert len(parses) == 2


def test_only_the_last_versions_are_kept(tmp_path: Path, parses: list[int]) -> None:
    paths = [tmp_path / f"m{i}.json" for i in range(dbt_manifest.KEPT + 1)]
    for path in paths:
        _write(path, {})
        read_manifest(path)
    assert len(parses) == dbt_manifest.KEPT + 1
    read_manifest(paths[-1])  # kept
    assert len(parses) == dbt_manifest.KEPT + 1
    read_manifest(paths[0])  # the oldest was let go
    assert len(parses) == dbt_manifest.KEPT + 2


def test_the_project_fingerprint_leaves_the_shared_manifest_whole(tmp_path: Path) -> None:
    from dagster_project.defs.warehouse.project import get_dbt_project, project_fingerprint

    copy = tmp_path / "manifest.json"
    shutil.copyfile(get_dbt_project().manifest_path, copy)
    fingerprint = project_fingerprint(copy)
    assert "metadata" in read_manifest(copy)  # not popped from the manifest other steps read
    assert project_fingerprint(copy) == fingerprint
    # the same as computed from a fresh parse of the file (no cache involved)
    fresh = tmp_path / "again.json"
    fresh.write_bytes(copy.read_bytes())
    assert project_fingerprint(fresh) == fingerprint
    # and a change to a model's description changes it
    manifest = json.loads(copy.read_text(encoding="utf-8"))
    model = next(n for n in manifest["nodes"].values() if n["resource_type"] == "model")
    model["description"] += " (edited)"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(manifest), encoding="utf-8")
    assert project_fingerprint(changed) != fingerprint
