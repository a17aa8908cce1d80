"""A landing table's suite result is reused while the rows it validated are unchanged (decision 141).

A landing suite validates the staged rows of its table (``staging.stg_<source>__<table>``), all of them or
a deterministic sample (frames.py): the same rows and the same suite give the same result. The refresh knows
when those rows are the same: the staged relation's *input key* in ``ops.models_built`` (models_state.py: a
hash of its landing files, the program settings, the dbt project and everything upstream) is the key it was
built from. So a passed result is kept in ``quality.gx_results`` with a fingerprint of

- the suite file (every expectation and setting) and the relation it reads,
- the staged relation's input key,
- the sample size (``PARTNERPULSE_GX_MAX_ROWS``) and the engine (its sample hash; PostgreSQL's server version),
- this code (the checks' modules, the engines' sample hash) and the installed versions of Great Expectations,
  DuckDB, pandas, numpy and psycopg2,

and a later run whose fingerprint for the check is the same reports that result again, saying which run
validated it, instead of reading the rows and validating them again. Anything else validates: a landing
file, a setting, a model or a suite that changed, a relation without a recorded key (a build that failed or
was interrupted forgets the keys of what it was writing), a result that did not pass (a failure is always
validated again, with today's sample values), a suite scoped to weeks or reading another relation than its
staged view, a relation that is gone, and every mart (a mart is rebuilt by every run). The record is a cache,
never a verdict of its own: deleting the table only costs time, and a record that cannot be used means
validating.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from dagster_project.defs.quality.frames import relation_exists
from dagster_project.defs.quality.suites import Suite, default_relation
from dagster_project.defs.warehouse.models_state import MODELS_TABLE
from dagster_project.lib.warehouse import transaction

RESULTS_TABLE = "quality.gx_results"
# the modules whose code decides what a suite's result is (reading the rows and their sample, validating,
# describing), relative to the package
_CODE = (
    "defs/quality/checks.py",
    "defs/quality/frames.py",
    "defs/quality/gx_suites.py",
    "defs/quality/reuse.py",
    "defs/quality/suites.py",
    "lib/engine.py",
)
_PACKAGE = Path(__file__).resolve().parents[2]
_PACKAGES = ("great_expectations", "duckdb", "pandas", "numpy", "psycopg2-binary")


@dataclass(frozen=True)
class GxVerdict:
    """What a suite's check says, in plain values (kept as JSON for a later run)."""

    passed: bool
    error: bool  # a failed expectation of severity critical
    description: str
    scope: str
    rows_validated: int
    rows_in_scope: int
    expectations: int
    failures: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_json(cls, text: str) -> GxVerdict:
        fields = json.loads(text)
        fields["failures"] = tuple(fields.get("failures") or ())
        return cls(**fields)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass(frozen=True)
class Recorded:
    fingerprint: str
    run_id: str
    verdict: GxVerdict


@functools.cache
def code_version() -> str:
    """A hash of the checks' code and the Great Expectations version (read from its metadata, not imported)."""
    digest = hashlib.sha256()
    for name in _CODE:
        digest.update(name.encode() + b"\0" + (_PACKAGE / name).read_bytes() + b"\0")
    for package in _PACKAGES:  # GX validates; DuckDB's hash() picks a big table's sample; pandas, numpy hold it
        try:
            digest.update(f"{package} {metadata.version(package)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package} not installed\0".encode())
    return digest.hexdigest()


def fingerprint(suite: Suite, input_key: str, max_rows: int, engine: str) -> str:
    """What a landing suite's result depends on (the module docstring lists it)."""
    payload = {
        "suite": suite.document,
        "relation": suite.relation,
        "input_key": input_key,
        "max_rows": max_rows,
        "engine": engine,
        "code": code_version(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def reusable_key(suite: Suite, input_keys: Mapping[str, str]) -> str | None:
    """The input key of the relation a landing suite reads, when its result may be reused; else None (a mart,
    a suite scoped to weeks, a suite reading another relation than its table's staged view)."""
    if suite.kind != "landing" or suite.week_column or suite.relation != default_relation(suite.kind, suite.table):
        return None
    _, _, model = suite.relation.rpartition(".")
    return input_keys.get(model)


def input_keys(con: Any) -> dict[str, str]:
    """model name -> the input key its relation was built from (ops.models_built; empty if none yet)."""
    if not relation_exists(con, MODELS_TABLE):
        return {}
    rows = con.execute(f"select model_name, input_key from {MODELS_TABLE}").fetchall()
    return {str(name): str(key) for name, key in rows}


def recorded_results(con: Any) -> dict[str, Recorded]:
    """check (``landing/<table>``) -> the passed result kept for it, with its fingerprint and run."""
    if not relation_exists(con, RESULTS_TABLE):
        return {}
    rows = con.execute(f"select check_key, fingerprint, run_id, verdict from {RESULTS_TABLE}").fetchall()
    kept: dict[str, Recorded] = {}
    for check, digest, run_id, verdict in rows:
        try:
            kept[str(check)] = Recorded(str(digest), str(run_id), GxVerdict.from_json(str(verdict)))
        except (ValueError, TypeError, AttributeError):  # a record this code cannot read: validated again, replaced
            continue
    return kept


def record_results(con: Any, results: Mapping[str, tuple[str, GxVerdict]], run_id: str) -> None:
    """After a check step: the results it computed replace the records of their checks (a result that did
    not pass only removes the record)."""
    if not results:
        return
    con.execute(f"create schema if not exists {RESULTS_TABLE.split('.')[0]}")
    con.execute(
        f"create table if not exists {RESULTS_TABLE} (check_key varchar not null, fingerprint varchar not null, "
        "run_id varchar not null, verdict varchar not null, recorded_at timestamp)"
    )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    kept = [[check, digest, run_id, v.to_json(), now] for check, (digest, v) in sorted(results.items()) if v.passed]
    with transaction(con):
        con.executemany(f"delete from {RESULTS_TABLE} where check_key = ?", [[check] for check in sorted(results)])
        if kept:
            con.executemany(f"insert into {RESULTS_TABLE} values (?, ?, ?, ?, ?)", kept)
