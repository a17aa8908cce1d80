"""Running a suite with Great Expectations 1.x on a pandas DataFrame, quietly.

GX is imported only here, when a check runs or, earlier, in the background while dbt builds
(``import_in_background``: importing it takes seconds). The context is
ephemeral (nothing is written to disk), usage statistics are off, and progress bars are disabled
through the context's ``progress_bars`` setting, so runs do not fill logs with tqdm lines.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dagster_project.defs.quality.suites import Suite, build_gx_suite

if TYPE_CHECKING:  # pandas is imported by the checks that use it: not in a refresh's process during dbt's build
    import pandas as pd

SAMPLE_VALUES = 5
_VALUE_CHARS = 80
_GX = "great_expectations"
_importing: list[threading.Thread] = []  # the background import, once per process
# Above this many landed rows the dbt build may fill DuckDB's whole memory_limit, and the ~0.1 GiB GX adds to
# this process would sit on top of it (decision 122; 200,000 demo accounts land 155M rows, and dbt's process
# reached ~8.4 GiB at the default 8GB). There the checks import GX themselves, ~3 s later; below it (20,000
# accounts: 15.5M rows, peak 6.1 GB) the import overlaps the build.
PRELOAD_MAX_LANDED_ROWS = 50_000_000


def _quiet_gx() -> None:
    """Before GX is imported: no usage statistics, and only its warnings in the logs."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger(_GX).setLevel(logging.WARNING)


def _import_gx() -> None:
    _quiet_gx()
    try:
        importlib.import_module(_GX)
    except Exception:  # the checks import it again and report what is wrong
        return


def import_in_background(landed_rows: int = 0) -> bool:
    """Start importing GX (4 s of CPU here) in a daemon thread, once per process; True if it started.

    Called when the dbt build starts: dbt runs in its own process, so this one mostly waits meanwhile, and
    the checks step that follows finds GX imported instead of importing it then. If the checks start first,
    their own import waits for this one (Python's import lock), never imports twice. Not for a build of
    more than ``PRELOAD_MAX_LANDED_ROWS`` landed rows: its memory would add to dbt's at the peak.
    """
    if _GX in sys.modules or _importing or landed_rows > PRELOAD_MAX_LANDED_ROWS:
        return False
    thread = threading.Thread(target=_import_gx, name="partnerpulse-import-gx", daemon=True)
    _importing.append(thread)
    thread.start()
    return True


@dataclass(frozen=True)
class ExpectationFailure:
    expectation: str  # GX type, e.g. expect_column_values_to_be_between
    target: str  # column(s) or "table"
    severity: str  # critical | warning | info
    detail: str  # what was observed, for a person
    sample: tuple[str, ...]  # a few failing values

    @property
    def is_error(self) -> bool:
        return self.severity == "critical"

    def line(self) -> str:
        text = f"{self.expectation}({self.target}): {self.detail}"
        if self.sample:
            text += f"; e.g. {', '.join(self.sample)}"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "expectation": self.expectation,
            "target": self.target,
            "severity": self.severity,
            "detail": self.detail,
            "sample": list(self.sample),
        }


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    evaluated: int
    failures: tuple[ExpectationFailure, ...]

    @property
    def errors(self) -> list[ExpectationFailure]:
        return [f for f in self.failures if f.is_error]

    @property
    def warnings(self) -> list[ExpectationFailure]:
        return [f for f in self.failures if not f.is_error]

    @property
    def passed(self) -> bool:
        return not self.failures

    def summary(self, limit: int = 3) -> str:
        if self.passed:
            return f"all {self.evaluated} expectations passed"
        head = (
            f"{len(self.failures)} of {self.evaluated} expectations failed "
            f"({len(self.errors)} error, {len(self.warnings)} warning): "
        )
        shown = sorted(self.failures, key=lambda f: not f.is_error)[:limit]
        more = f" (+{len(self.failures) - limit} more)" if len(self.failures) > limit else ""
        return head + "; ".join(f.line() for f in shown) + more


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 1] + "…"


def _target(kwargs: dict[str, Any]) -> str:
    if "column" in kwargs:
        target = str(kwargs["column"])
    elif "column_list" in kwargs:
        target = ", ".join(map(str, kwargs["column_list"]))
    elif "column_A" in kwargs:
        target = f"{kwargs['column_A']}, {kwargs['column_B']}"
    else:
        target = "table"
    condition = kwargs.get("row_condition")
    if isinstance(condition, dict):
        condition = condition.get("pass_through_filter") or condition
    return f"{target} where {condition}" if condition else target


def _exception_message(info: Any) -> str | None:
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for nested in info.values():  # keyed by metric when a metric failed
        if isinstance(nested, dict) and nested.get("raised_exception"):
            return str(nested.get("exception_message"))
    return None


def _failure(result: Any) -> ExpectationFailure:
    config = result.expectation_config
    kwargs = dict(config.kwargs)
    severity = getattr(getattr(config, "severity", None), "value", None) or "critical"
    details = result.result or {}
    error = _exception_message(result.exception_info)
    sample: tuple[str, ...] = ()
    if error:
        detail = f"could not be evaluated: {error}"
    elif "unexpected_count" in details:
        detail = (
            f"{details['unexpected_count']:,} of {details.get('element_count', 0):,} rows unexpected "
            f"({float(details.get('unexpected_percent') or 0):.2f}%)"
        )
        sample = tuple(_short(v) for v in (details.get("partial_unexpected_list") or [])[:SAMPLE_VALUES])
    elif "observed_value" in details:
        detail = f"observed {_short(details['observed_value'])}"
    else:
        detail = "failed"
    return ExpectationFailure(
        expectation=str(config.type), target=_target(kwargs), severity=str(severity), detail=detail, sample=sample
    )


def _no_batch_fingerprint() -> None:
    """GX's pandas engine fingerprints every batch under 1e9 bytes (an md5 over pandas' hash of every row and
    column) only to list it among the batch's markers, which no check reads (GX 1.24: the markers are
    result metadata, and nothing else uses the fingerprint). It took 4.9 s of the 15 s quality step of
    a next-week refresh at 20,000 accounts (py-spy, decision 126). Its size threshold is the engine module's
    ``HASH_THRESHOLD``; 0 bytes turns the fingerprint off. If a GX upgrade drops the name, this says so
    instead of silently hashing again (tests/test_quality_suites.py)."""
    from great_expectations.execution_engine import pandas_execution_engine

    if not hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
        raise RuntimeError(
            "great_expectations.execution_engine.pandas_execution_engine has no HASH_THRESHOLD any more: "
            "see gx_suites._no_batch_fingerprint (the GX pin changed?)"
        )
    pandas_execution_engine.HASH_THRESHOLD = 0


class GxValidator:
    """One ephemeral GX context for all suites of a check step."""

    def __init__(self) -> None:
        _quiet_gx()
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        _no_batch_fingerprint()
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        asset = context.data_sources.add_pandas("partnerpulse").add_dataframe_asset("frame")
        self._batch_definition = asset.add_batch_definition_whole_dataframe("whole frame")

    def validate(self, suite: Suite, frame: pd.DataFrame) -> SuiteOutcome:
        """Validates ``frame``: first pass or fail only (half the time of computing counts and samples,
        measured over the 46 suites: 14 s → 7 s on the 20-account demo), then, only for a suite with a
        failure, again with the counts and sample values its check shows (decision 97)."""
        gx_suite = build_gx_suite(suite)
        batch = self._batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(gx_suite, result_format="BOOLEAN_ONLY")
        if not result.success:
            result = batch.validate(
                gx_suite, result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_VALUES}
            )
        failures = tuple(_failure(r) for r in result.results if not r.success)
        return SuiteOutcome(suite=suite.name, evaluated=len(result.results), failures=failures)
