"""Great Expectations suites as JSON files in ``expectations/`` (SPEC §10).

One file per landing table (``landing.<table>.json``, validated on the staged rows
``staging.stg_<source>__<table>``, i.e. the rows that passed the contract) and one per published
mart (``marts.<table>.json``, validated on ``marts.<table>``). A file is an ordinary GX 1.x
ExpectationSuite document::

    {"name": "marts.dim_accounts",
     "meta": {"partnerpulse": {"key": ["account_id"], ...}},
     "expectations": [{"type": "expect_column_values_to_be_unique", "kwargs": {"column": "account_id"}},
                      {"type": "expect_column_values_to_not_be_null", "kwargs": {...}, "severity": "warning"}]}

Severity is GX's own per-expectation ``severity``: ``critical`` (the default) is an error that blocks
publishing, ``warning`` (or ``info``) is shown but does not block. ``meta.partnerpulse`` holds the
settings PartnerPulse needs around the suite:

    key             columns identifying a row (deterministic sampling of big tables)
    week_column     validate only the rows of the refreshed week(s) (weekly marts)
    relation        override the table validated (default: see above)
    row_count       {"min_ratio", "max_ratio", "min_change", "severity"}: week-over-week bounds
    freshness       landing only: {"column", "max_lag_days", "severity"}
    quarantine_error_share   landing only: overrides PARTNERPULSE_QUARANTINE_ERROR_SHARE
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster_project.defs.landing.contract import table_spec

SUITE_KINDS = ("landing", "marts")
SEVERITIES = ("critical", "warning", "info")
_SETTINGS_KEYS = {"key", "week_column", "relation", "row_count", "freshness", "quarantine_error_share"}
_ROW_COUNT_KEYS = {"min_ratio", "max_ratio", "min_change", "severity"}
_FRESHNESS_KEYS = {"column", "max_lag_days", "severity"}


class SuiteError(ValueError):
    """A suite file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class FreshnessRule:
    column: str
    max_lag_days: int
    severity: str = "warning"


@dataclass(frozen=True)
class Suite:
    kind: str  # landing | marts
    table: str
    path: Path
    document: dict[str, Any]
    relation: str
    key: tuple[str, ...] = ()
    week_column: str | None = None
    row_count: dict[str, Any] = field(default_factory=dict)
    freshness: FreshnessRule | None = None
    quarantine_error_share: float | None = None

    @property
    def name(self) -> str:
        return f"{self.kind}.{self.table}"

    @property
    def expectations(self) -> list[dict[str, Any]]:
        return list(self.document.get("expectations", []))


def suite_name(kind: str, table: str) -> str:
    return f"{kind}.{table}"


def suite_path(directory: Path, kind: str, table: str) -> Path:
    return directory / f"{suite_name(kind, table)}.json"


def default_relation(kind: str, table: str) -> str:
    if kind == "landing":
        return f"staging.stg_{table_spec(table).source}__{table}"
    return f"marts.{table}"


def _severity(value: Any, where: str) -> str:
    severity = str(value or "critical").lower()
    if severity not in SEVERITIES:
        raise SuiteError(f"{where}: severity '{value}' is not one of {', '.join(SEVERITIES)}")
    return severity


def _object(value: Any, where: str) -> dict[str, Any]:
    """An optional JSON object setting: {} when absent, a SuiteError when it is something else."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SuiteError(f"{where} must be a JSON object, not {json.dumps(value)}")
    return value


def _number(value: Any, where: str, whole: bool = False) -> float:
    """A numeric setting, as a SuiteError naming the setting when it is not a number."""
    try:
        if isinstance(value, bool) or (whole and float(value) != int(value)):
            raise ValueError
        return int(value) if whole else float(value)
    except (TypeError, ValueError):
        kind = "a whole number" if whole else "a number"
        raise SuiteError(f"{where} must be {kind}, not {json.dumps(value)}") from None


def load_suite(path: Path) -> Suite:
    """Read and check one suite file (structure only; GX validates the expectations when it runs)."""
    where = str(path)
    kind, _, table = path.name.removesuffix(".json").partition(".")
    if kind not in SUITE_KINDS or not table:
        raise SuiteError(f"{where}: suite files are named landing.<table>.json or marts.<table>.json")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SuiteError(f"{where}: not readable as JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise SuiteError(f"{where}: expected a JSON object with name, meta and expectations")
    if document.get("name") != suite_name(kind, table):
        raise SuiteError(f"{where}: 'name' is {document.get('name')!r}; it must match the file name")
    expectations = document.get("expectations")
    if not isinstance(expectations, list):
        raise SuiteError(f"{where}: 'expectations' must be a list")
    for i, expectation in enumerate(expectations, start=1):
        if not isinstance(expectation, dict) or not str(expectation.get("type", "")).startswith("expect_"):
            raise SuiteError(f"{where}: expectation {i} needs a 'type' such as expect_column_values_to_be_unique")
        if not isinstance(expectation.get("kwargs", {}), dict):
            raise SuiteError(f"{where}: expectation {i} ({expectation['type']}): 'kwargs' must be an object")
        _severity(expectation.get("severity"), f"{where}: expectation {i} ({expectation['type']})")

    meta = _object(document.get("meta"), f"{where}: meta")
    settings = _object(meta.get("partnerpulse"), f"{where}: meta.partnerpulse")
    unknown = set(settings) - _SETTINGS_KEYS
    if unknown:
        raise SuiteError(
            f"{where}: unknown meta.partnerpulse setting(s) {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(_SETTINGS_KEYS))})"
        )
    row_count = dict(_object(settings.get("row_count"), f"{where}: meta.partnerpulse.row_count"))
    if set(row_count) - _ROW_COUNT_KEYS:
        raise SuiteError(f"{where}: meta.partnerpulse.row_count knows only {', '.join(sorted(_ROW_COUNT_KEYS))}")
    if "severity" in row_count:
        row_count["severity"] = _severity(row_count["severity"], f"{where}: row_count")
    freshness = None
    if settings.get("freshness"):
        raw = _object(settings["freshness"], f"{where}: meta.partnerpulse.freshness")
        if kind != "landing":
            raise SuiteError(f"{where}: freshness applies to landing tables only")
        if set(raw) - _FRESHNESS_KEYS or "column" not in raw or "max_lag_days" not in raw:
            raise SuiteError(f"{where}: meta.partnerpulse.freshness needs column, max_lag_days (and optional severity)")
        freshness = FreshnessRule(
            column=str(raw["column"]),
            max_lag_days=int(_number(raw["max_lag_days"], f"{where}: meta.partnerpulse.freshness.max_lag_days", True)),
            severity=_severity(raw.get("severity", "warning"), f"{where}: freshness"),
        )
    share = settings.get("quarantine_error_share")
    if share is not None:
        share = _number(share, f"{where}: quarantine_error_share")
        if not 0 <= share <= 1:
            raise SuiteError(f"{where}: quarantine_error_share must be between 0 and 1")
    key = settings.get("key") or []
    if not isinstance(key, list) or not all(isinstance(column, str) for column in key):
        raise SuiteError(f"{where}: meta.partnerpulse.key must be a list of column names, not {json.dumps(key)}")
    if kind == "landing":
        try:
            table_spec(table)
        except KeyError as exc:
            raise SuiteError(f"{where}: '{table}' is not a landing table of the contract") from exc
    return Suite(
        kind=kind,
        table=table,
        path=path,
        document=document,
        relation=str(settings.get("relation") or default_relation(kind, table)),
        key=tuple(key),
        week_column=settings.get("week_column"),
        row_count=row_count,
        freshness=freshness,
        quarantine_error_share=share,
    )


def load_suites(directory: Path) -> dict[str, Suite]:
    """Every suite file in ``directory`` by name (``landing.accounts``); a bad file raises SuiteError."""
    if not directory.is_dir():
        return {}
    suites = [load_suite(path) for path in sorted(directory.glob("*.json"))]
    return {suite.name: suite for suite in suites}


def build_gx_suite(suite: Suite):
    """The suite as a GX ``ExpectationSuite`` (GX is imported here, only when a check runs)."""
    from great_expectations.core.expectation_suite import ExpectationSuite

    document = copy.deepcopy(suite.document)  # GX adds its version to meta; keep the loaded document as is
    try:
        return ExpectationSuite(name=suite.name, expectations=document["expectations"], meta=document.get("meta") or {})
    except Exception as exc:  # GX raises several types for an unknown expectation or bad kwargs
        raise SuiteError(f"{suite.path}: Great Expectations rejected the suite: {exc}") from exc


def dump_suite(document: dict[str, Any]) -> str:
    """The suite as JSON with one expectation per line (diffs stay readable)."""
    head = {k: v for k, v in document.items() if k != "expectations"}
    lines = json.dumps(head, indent=2, ensure_ascii=False).rstrip("}").rstrip().rstrip(",")
    body = ",\n".join(f"    {json.dumps(e, ensure_ascii=False)}" for e in document.get("expectations", []))
    return f'{lines},\n  "expectations": [\n{body}\n  ]\n}}\n'
