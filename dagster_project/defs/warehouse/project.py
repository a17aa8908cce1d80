"""The dbt project: one cached ``DbtProject`` whose manifest is parsed again whenever a model, macro,
seed or test changed, and the marts it publishes."""

import fcntl
import hashlib
import json
import os
import subprocess
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project.defs.warehouse.parse_state import PARSED_PROFILE, record_parsed_profile
from dagster_project.lib.dbt_manifest import derived, read_manifest
from dagster_project.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, MODELS_DIR, REPO_ROOT

_PROJECT_INPUTS = (MODELS_DIR, REPO_ROOT / "seeds", DBT_PROJECT_DIR / "macros", DBT_PROJECT_DIR / "tests")


def _newest_input_mtime() -> float:
    # profiles.yml too: dbt keeps the profile's hash in its parse state, and a new warehouse's first build
    # reuses the project's state only when it was parsed with the profile as it is now (parse_state.py)
    newest = max((DBT_PROJECT_DIR / name).stat().st_mtime for name in ("dbt_project.yml", "profiles.yml"))
    for folder in _PROJECT_INPUTS:
        if folder.is_dir():
            for path in folder.rglob("*"):
                if path.suffix in {".sql", ".yml", ".yaml", ".csv", ".md"}:
                    newest = max(newest, path.stat().st_mtime)
    return newest


def prepare_manifest(project: DbtProject, force: bool = False) -> Path:
    """Run ``dbt parse`` when the manifest is missing or older than any model, macro, seed or the profile.

    This replaces dagster-dbt's ``prepare_if_dev`` (which only acts under ``dagster dev`` and looks
    for ``dbt`` on PATH): the CLI, the tests, ``dagster dev`` and the schedule's code server all
    come through here, with the venv's dbt, so a changed model is never run with a stale manifest.
    """
    manifest = project.manifest_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    # the engine the manifest was parsed for (its adapter: the assets' kinds, the project fingerprint)
    parsed_for = manifest.parent / ".prepared-target"
    target = os.environ.get("PARTNERPULSE_TARGET", "").strip().lower() or "duckdb"
    # one parse at a time (parallel test workers, a CLI next to `dagster dev`)
    with (manifest.parent / ".prepare.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stale_target = not parsed_for.is_file() or parsed_for.read_text(encoding="utf-8") != target
        if force or stale_target or not manifest.exists() or manifest.stat().st_mtime < _newest_input_mtime():
            result = subprocess.run(
                [DBT_EXECUTABLE, "parse", "--quiet", "--profiles-dir", str(project.profiles_dir)],
                cwd=project.project_dir,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise RuntimeError(f"dbt parse failed:\n{result.stdout}\n{result.stderr}")
            parsed_for.write_text(target, encoding="utf-8")
            record_parsed_profile(project, os.environ)  # what a new warehouse's first build can reuse
        elif not (manifest.parent / PARSED_PROFILE).exists():  # parsed before parse_state.py noted it
            record_parsed_profile(project, os.environ)
    return manifest


@cache
def get_dbt_project() -> DbtProject:
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    prepare_manifest(project)
    return project


def mart_model_names(manifest_path: Path) -> list[str]:
    """Models published to BI: those built in the ``marts`` schema."""
    manifest = read_manifest(manifest_path)
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") == "marts"
    )


# what a parse notes about each resource (model, seed, test, macro, source, ...), not about the project: when
# it was parsed, and the absolute folder of the checkout (a file edited and edited back, or the project moved,
# is the same project). Only a resource's own keys: a column or a meta key of that name still counts.
PARSE_ONLY_KEYS = frozenset({"created_at", "root_path"})


def _without_parse_notes(manifest: dict) -> dict:
    def resource(value: object) -> object:
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if k not in PARSE_ONLY_KEYS}
        if isinstance(value, list):  # "disabled": a list of resources per unique id
            return [resource(item) for item in value]
        return value

    return {
        name: {uid: resource(item) for uid, item in part.items()} if isinstance(part, dict) else part
        for name, part in manifest.items()
    }


def project_fingerprint(manifest_path: Path) -> str:
    """The dbt project as dbt sees it (models, seeds with their files' checksums, columns, descriptions,
    tests, lineage, exposures), not the week or the data: a hash of the manifest without its run metadata
    (timestamps, invocation id) and without what each parse notes about itself (``PARSE_ONLY_KEYS``), plus
    dbt's version and adapter. What the docs site shows and what the seeds hold depend only on it. Computed
    once per version of the file (the dbt step and the docs step both ask)."""
    return derived(manifest_path, "project_fingerprint", _fingerprint)


def _fingerprint(manifest: dict) -> str:
    metadata = manifest.get("metadata") or {}
    content = {
        "project": _without_parse_notes({k: v for k, v in manifest.items() if k != "metadata"}),
        "dbt": [metadata.get("dbt_version"), metadata.get("adapter_type")],
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8")).hexdigest()
