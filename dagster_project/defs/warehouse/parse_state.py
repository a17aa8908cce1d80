"""dbt's parse state for a build's target folder: parse only what changed, in a new warehouse too (decision 120).

dbt re-parses only the changed files when the target folder holds the ``partial_parse.msgpack`` of an earlier
parse *with the same connection*: it hashes the profile's connection settings, and any difference (another
DuckDB file, another temp directory) makes it parse the whole project again (~4 s of a build's start here).

- A warehouse's later builds start from its newest earlier build's state (same profile: nothing to parse).
- Its **first** build (and its first docs site) used to parse everything: the project's own state
  (``dbt_project/target``, written by ``prepare_manifest``) was parsed for the default warehouse path. That
  parse is the same for any warehouse whose profile differs only in *where the data is* — the DuckDB file's
  folder, its temp directory, the memory limit, a PostgreSQL host, port or user — because the project reads
  no connection setting but ``target.schema`` / ``target.name`` / ``target.type`` while parsing
  (tests/test_parse_state.py keeps it so). The relations' database name (the DuckDB file's stem, the PostgreSQL
  database) and schema are compared like everything else. So the project's state is handed to dbt with the
  new profile's hash in place of the old one.

The hash is dbt's own (``ManifestLoader.build_manifest_state_check``: the sorted ``connection_info()`` of
the rendered credentials), computed here with dbt's profile renderer; the project's state is adapted only
when that computation gives, for the profile it was parsed with, exactly the hash dbt stored in it. If
anything does not match, nothing is adapted and dbt parses everything, as it would have.
"""

from __future__ import annotations

import contextvars
import json
import os
import pprint
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import msgpack
import yaml

PARSE_STATE = "partial_parse.msgpack"
PARSED_PROFILE = "parsed_profile.json"  # beside the project's parse state: the connection it was parsed for
# where the data is, not what the models are: dbt hashes these, the parse never reads them
LOCATION_KEYS = {"duckdb": frozenset({"path"}), "postgres": frozenset({"host", "port", "user"})}
LOCATION_OPTIONS = frozenset({"temp_directory", "memory_limit"})  # DuckDB's config_options


class DbtProject(Protocol):
    """What this module needs of dagster-dbt's ``DbtProject`` (it imports no Dagster)."""

    project_dir: Path
    profiles_dir: Path
    manifest_path: Path


@dataclass(frozen=True)
class ConnectionProfile:
    """The rendered connection of a dbt profile, as dbt hashes it for its parse state."""

    adapter: str
    info: tuple[tuple[str, Any], ...]  # sorted (key, value) pairs of the credentials' connection_info()

    @property
    def checksum(self) -> str:
        from dbt.contracts.files import FileHash

        return FileHash.from_contents(pprint.pformat(list(self.info))).checksum

    def parsed_alike(self) -> tuple[str, tuple[tuple[str, Any], ...]]:
        """The connection without where the data is: two profiles alike here parse the project alike."""
        pairs: list[tuple[str, str]] = []
        location = LOCATION_KEYS.get(self.adapter, frozenset())
        for key, value in self.info:
            if key in location:
                continue
            if self.adapter == "duckdb" and key == "config_options" and isinstance(value, Mapping):
                value = {k: v for k, v in value.items() if k not in LOCATION_OPTIONS}
            pairs.append((key, json.dumps(value, sort_keys=True, default=str)))
        return self.adapter, tuple(pairs)

    def to_note(self) -> dict[str, Any]:
        return {"adapter": self.adapter, "info": list(self.info), "checksum": self.checksum}


def connection_profile(
    project_dir: Path, profiles_dir: Path, env: Mapping[str, str], adapter: str | None = None
) -> ConnectionProfile | None:
    """The connection the dbt project's profile renders to in ``env`` (dbt's renderer, dbt's credentials);
    None when ``adapter`` is given and the profile's target is another (its adapter is then not loaded)."""
    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    profile_name = str(project["profile"])

    def render() -> ConnectionProfile | None:
        set_invocation_context(dict(env))  # dbt's env_var() reads the invocation's environment
        raw = read_profile(str(profiles_dir))[profile_name]
        target, data = Profile.render_profile(raw, profile_name, None, ProfileRenderer({}))
        if adapter is not None and data.get("type") != adapter:
            return None
        data.pop("threads", None)  # as dbt does: not a connection setting
        # dbt's own (private) step from rendered profile to credentials; if it ever moves or changes, the
        # checksum comparison in record_parsed_profile fails and nothing is adapted
        credentials = Profile._credentials_from_profile(data, profile_name, target)
        return ConnectionProfile(credentials.type, tuple(sorted(credentials.connection_info())))

    return contextvars.copy_context().run(render)  # the invocation context stays out of this thread's


def _stored_checksum(state: Mapping[str, Any]) -> str | None:
    try:
        return str(state["state_check"]["profile_hash"]["checksum"])
    except (KeyError, TypeError):
        return None


def _load(path: Path) -> dict[str, Any]:
    return msgpack.unpackb(path.read_bytes(), raw=False, strict_map_key=False)


def record_parsed_profile(project: DbtProject, env: Mapping[str, str]) -> str | None:
    """Note the connection the project's parse state was parsed with (``env``: the environment ``dbt parse``
    ran in), when this module's hash of it is the one dbt stored; else a note saying why it cannot be
    adapted. Never raises: without a usable note the project's state is simply never adapted. Returns why
    the note is unusable, or None."""
    target_dir = project.manifest_path.parent
    note: dict[str, Any]
    try:
        profile = connection_profile(project.project_dir, project.profiles_dir, env)
        stored = _stored_checksum(_load(target_dir / PARSE_STATE))
        if profile is None or stored != profile.checksum:
            computed = profile.checksum if profile else None
            note = {"unusable": f"dbt stored the profile hash {stored}, this module computes {computed}"}
        else:
            note = profile.to_note()
    except Exception as exc:
        note = {"unusable": f"{type(exc).__name__}: {exc}"}
    try:
        partial = target_dir / f".{PARSED_PROFILE}.tmp"
        partial.write_text(json.dumps(note, default=str), encoding="utf-8")
        os.replace(partial, target_dir / PARSED_PROFILE)
    except OSError as exc:
        return f"{PARSED_PROFILE} not written: {exc}"
    return note.get("unusable")


def _recorded(target_dir: Path) -> ConnectionProfile | None:
    try:
        data = json.loads((target_dir / PARSED_PROFILE).read_text(encoding="utf-8"))
        profile = ConnectionProfile(str(data["adapter"]), tuple((str(k), v) for k, v in data["info"]))
        return profile if profile.checksum == data["checksum"] else None  # JSON kept every value as dbt hashed it
    except (OSError, ValueError, KeyError, TypeError):
        return None


def adapt_project_state(project: DbtProject, destination: Path, env: Mapping[str, str]) -> bool:
    """Write the project's parse state into ``destination`` for the profile ``env`` renders, when the two
    connections differ only in where the data is. True when it did."""
    project_target = project.manifest_path.parent
    recorded = _recorded(project_target)
    if recorded is None or not (project_target / PARSE_STATE).is_file():
        return False
    current = connection_profile(project.project_dir, project.profiles_dir, env, adapter=recorded.adapter)
    if current is None:  # another adapter: the project's state was parsed for another engine
        return False
    if current.checksum == recorded.checksum:
        return False  # the same connection: dagster-dbt's copy of the project's state is already valid
    if current.parsed_alike() != recorded.parsed_alike():
        return False
    state = _load(project_target / PARSE_STATE)
    if _stored_checksum(state) != recorded.checksum:  # parsed again since the note was written
        return False
    state["state_check"]["profile_hash"]["checksum"] = current.checksum
    destination.mkdir(parents=True, exist_ok=True)
    partial = destination / f".{PARSE_STATE}.tmp"
    partial.write_bytes(msgpack.packb(state))
    os.replace(partial, destination / PARSE_STATE)
    return True


def start_parse_state(project: DbtProject, runs_dir: Path, target_path: Path, log: Callable[[str], None]) -> None:
    """Give a new dbt target folder the parse state that lets dbt parse least: the newest earlier run's of
    this warehouse, else the project's adapted to this warehouse's connection, else none (dagster-dbt then
    copies the project's own; a direct ``dbt`` call parses everything)."""
    if (target_path / PARSE_STATE).exists():
        return
    candidates = sorted(
        (p / PARSE_STATE for p in runs_dir.glob("*") if p.is_dir() and p != target_path),
        key=lambda p: p.stat().st_mtime if p.exists() else 0,
        reverse=True,
    )
    for state in candidates:
        if state.is_file():
            target_path.mkdir(parents=True, exist_ok=True)
            shutil.copy2(state, target_path / PARSE_STATE)
            return
    try:
        if adapt_project_state(project, target_path, os.environ):
            log("dbt starts from the project's parse state, adapted to this warehouse's connection (parse_state.py)")
    except Exception as exc:  # never a reason for a build to fail: dbt parses everything instead
        log(f"dbt's parse state not adapted to this warehouse ({type(exc).__name__}: {exc}): dbt parses it all")
