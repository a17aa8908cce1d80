"""Is a refresh needed at all? A refresh that would rebuild exactly what is already published is not run.

A successful ``partnerpulse refresh`` leaves a receipt, ``<warehouse>/last_refresh.json``: its run, its log,
its warnings and five fingerprints of what that refresh was made from and what it left behind —

- the week: the refreshed week and its as-of date;
- the landing files: every file under the landing folder, linked folders followed (path, size, modification
  and change time, inode; a symbolic link's target too);
- the code and project: every file of the Dagster package, the dbt project, the models, the seeds (program
  settings) and the GX expectations (also ``PARTNERPULSE_EXPECTATIONS_DIR``), the versions of Python and of
  the packages that compute results;
- the settings: every ``PARTNERPULSE_*`` environment variable;
- the warehouse and its outputs: the working DuckDB file (and its WAL), and every file under ``published/``,
  ``exports/`` and ``reports/`` — so a close-period, a run from the Dagster UI or the schedule, a failed or
  killed run, or a hand edit anywhere in them is seen.

The next ``partnerpulse refresh`` of the same week compares them first, holding the warehouse lock and before
Dagster is even imported: when all five are equal, everything the refresh would write is already there, and
it says so and stops (``--force`` refreshes anyway). Anything else (a backfill, a different week, one changed
file, serving to PostgreSQL switched on — that database is not fingerprinted) runs the refresh; the CLI
removes the receipt before its runs, so one that fails leaves none, and the inputs are fingerprinted before
the run (what arrives during it was not read by it) and the outputs after (decision 102).

File metadata, not contents: a file written again with the same bytes counts as changed (the refresh then
runs, and its ingest still skips tables whose files did not change); reading contents would cost as much as
the ingest it saves. This module imports neither Dagster nor DuckDB."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster_project.lib.weeks import WeekWindow
from dagster_project.settings import (
    DBT_PROJECT_DIR,
    EXPECTATIONS_DIR,
    MODELS_DIR,
    REPO_ROOT,
    Settings,
    serve_postgres_enabled,
)

RECEIPT_NAME = "last_refresh.json"
RECEIPT_VERSION = 1
# The packages whose versions can change a published number or file.
PACKAGES = (
    "dagster",
    "dagster-dbt",
    "dbt-core",
    "dbt-adapters",
    "dbt-duckdb",
    "duckdb",
    "great-expectations",
    "pandas",
    "pyarrow",
    "numpy",
)
# Folders of the code and project; build output, logs and caches inside them are not inputs.
NOT_INPUTS = frozenset({"target", "logs", "dbt_packages", "__pycache__", ".pytest_cache", ".ruff_cache"})
OUTPUT_FOLDERS = ("published", "exports", "reports")
FINGERPRINTS = ("week", "landing files", "code and project", "settings", "warehouse and outputs")


@dataclass(frozen=True)
class Receipt:
    """What the last successful refresh of a warehouse was made from and left behind."""

    run_id: str
    what: str  # "week 2024-03-04"
    log_path: str
    warnings: tuple[str, ...]
    fingerprints: dict[str, str]


@dataclass(frozen=True)
class Verdict:
    """``receipt`` when nothing changed since it was written; otherwise why a refresh is needed (``compared``:
    whether there was a receipt to compare with, i.e. whether the reason is worth telling)."""

    receipt: Receipt | None
    reason: str
    compared: bool = True


def receipt_path(settings: Settings) -> Path:
    return settings.warehouse_dir / RECEIPT_NAME


def _stat_line(name: str, stat: os.stat_result) -> str:
    # the change time and inode too: a copy that keeps the modification time (cp -p, rsync -a) still changes them
    return f"{name}\t{stat.st_size}\t{stat.st_mtime_ns}\t{stat.st_ctime_ns}\t{stat.st_ino}"


def _files(root: Path, skip: frozenset[str] = frozenset()) -> Iterator[str]:
    """One line per file under ``root`` (or ``root`` itself): relative path, size, times, inode. Linked
    folders are followed as the ingest follows them (once each: a link loop ends)."""
    if root.is_file():
        yield _stat_line(root.name, root.stat())
        return
    if not root.is_dir():
        yield f"{root}\tmissing"
        return
    seen: set[str] = set()
    for folder, subfolders, names in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            subfolders[:] = []
            continue
        seen.add(real)
        subfolders[:] = sorted(name for name in subfolders if name not in skip)
        for name in sorted(names):
            path = Path(folder, name)
            try:
                stat = path.stat()
            except FileNotFoundError:  # a dangling link
                yield f"{path.relative_to(root)}\tdangling"
                continue
            target = f"\t{path.resolve()}" if path.is_symlink() else ""
            yield _stat_line(str(path.relative_to(root)), stat) + target


def _digest(lines: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line.encode("utf-8", "surrogateescape") + b"\n")
    return digest.hexdigest()


def _package_versions() -> Iterator[str]:
    yield f"python {platform.python_version()}"
    for name in PACKAGES:
        try:
            yield f"{name} {installed_version(name)}"
        except PackageNotFoundError:
            yield f"{name} not installed"


def _code_lines() -> Iterator[str]:
    folders = [REPO_ROOT / "dagster_project", DBT_PROJECT_DIR, MODELS_DIR, REPO_ROOT / "seeds", EXPECTATIONS_DIR]
    if custom := os.environ.get("PARTNERPULSE_EXPECTATIONS_DIR", "").strip():
        folders.append(Path(custom).expanduser())
    for folder in folders:
        yield f"# {folder}"
        yield from _files(folder, NOT_INPUTS)
    yield from _package_versions()


def _settings_lines() -> Iterator[str]:
    for name in sorted(os.environ):
        if name.startswith("PARTNERPULSE_"):
            yield f"{name}={os.environ[name]}"


def _output_lines(settings: Settings) -> Iterator[str]:
    for path in (settings.duckdb_path, settings.duckdb_path.with_name(settings.duckdb_path.name + ".wal")):
        yield from _files(path)
    for name in OUTPUT_FOLDERS:
        yield f"# {name}"
        yield from _files(settings.warehouse_dir / name)


def input_fingerprints(settings: Settings, window: WeekWindow) -> dict[str, str]:
    """What a refresh of ``window`` is made from, as it is now: the first four fingerprints."""
    return {
        "week": f"{window.first} … {window.last}, as of {window.as_of_date}",
        "landing files": _digest(_files(settings.landing_dir)),
        "code and project": _digest(_code_lines()),
        "settings": _digest(_settings_lines()),
    }


def output_fingerprint(settings: Settings) -> str:
    return _digest(_output_lines(settings))


def fingerprints(settings: Settings, window: WeekWindow) -> dict[str, str]:
    """The five fingerprints of a refresh of ``window``, as they are now."""
    return {**input_fingerprints(settings, window), "warehouse and outputs": output_fingerprint(settings)}


def forget(settings: Settings) -> None:
    """Remove the receipt: a run is about to change the warehouse. One that cannot be removed is harmless:
    the run changes the outputs it fingerprints, so it no longer matches."""
    with contextlib.suppress(OSError):
        receipt_path(settings).unlink(missing_ok=True)


def record(
    settings: Settings, inputs: dict[str, str], run_id: str, what: str, log_path: Path, warnings: list[str]
) -> str | None:
    """After a successful refresh (its run has ended): the receipt, written whole or not at all. ``inputs``:
    ``input_fingerprints`` taken BEFORE the run (a landing file that arrives during the run was not read by
    it, so the next refresh must not find it recorded); the outputs are fingerprinted now. Returns a
    warning when the receipt could not be written (the next refresh then simply runs)."""
    path = receipt_path(settings)
    partial = path.with_name(path.name + ".partial")
    try:
        payload = {
            "version": RECEIPT_VERSION,
            "run_id": run_id,
            "what": what,
            "log_path": str(log_path),
            "warnings": list(warnings),
            "fingerprints": {**inputs, "warehouse and outputs": output_fingerprint(settings)},
        }
        partial.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        forget(settings)
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        return f"the receipt {path} was not written ({exc}); the next refresh of this week runs in full"
    return None


def _read(settings: Settings) -> Receipt | None:
    try:
        payload = json.loads(receipt_path(settings).read_text(encoding="utf-8"))
        if payload.get("version") != RECEIPT_VERSION or set(payload["fingerprints"]) != set(FINGERPRINTS):
            return None
        return Receipt(
            run_id=str(payload["run_id"]),
            what=str(payload["what"]),
            log_path=str(payload["log_path"]),
            warnings=tuple(str(w) for w in payload["warnings"]),
            fingerprints={str(k): str(v) for k, v in payload["fingerprints"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # none, or not one this version wrote: refresh


def up_to_date(settings: Settings, window: WeekWindow) -> Verdict:
    """Whether a refresh of ``window`` would only rebuild what the last successful refresh left (call it
    holding the warehouse lock)."""
    if serve_postgres_enabled():
        return Verdict(None, "serving to PostgreSQL is on (PARTNERPULSE_SERVE_POSTGRES)", compared=False)
    if settings.target != "duckdb":  # the engine's database is not fingerprinted either
        return Verdict(None, f"the warehouse is in {settings.target} (PARTNERPULSE_TARGET)", compared=False)
    receipt = _read(settings)
    if receipt is None:
        return Verdict(None, "no earlier refresh of this warehouse is on record", compared=False)
    try:
        now = fingerprints(settings, window)
    except OSError as exc:
        return Verdict(None, f"a file could not be read to compare ({exc})")
    for name in FINGERPRINTS:
        if now[name] != receipt.fingerprints[name]:
            if name == "week":
                return Verdict(None, f"the last refresh, run {receipt.run_id[:8]}, was of {receipt.fingerprints[name]}")
            return Verdict(None, f"the {name} changed since the last refresh, run {receipt.run_id[:8]}")
    return Verdict(receipt, "")
