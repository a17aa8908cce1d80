"""The publish gate: nothing is published after an error-severity check failed in the run.

Checks are dbt tests (reconciliations among them), Great Expectations suites, landing freshness,
quarantine shares and row-count changes (quality/checks.py). Failed checks of ERROR severity block
publishing; failed WARN checks are reported and do not block.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg

_DESCRIPTION_CHARS = 240


@dataclass(frozen=True)
class CheckSummary:
    passed: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def evaluated(self) -> int:
        return self.passed + len(self.errors) + len(self.warnings)


def _line(evaluation) -> str:
    line = f"{evaluation.asset_key.to_user_string()}: {evaluation.check_name}"
    description = " ".join((evaluation.description or "").split())
    if description:
        if len(description) > _DESCRIPTION_CHARS:
            description = description[: _DESCRIPTION_CHARS - 1] + "…"
        line += f" — {description}"
    return line


def check_summary(instance: dg.DagsterInstance, run_id: str) -> CheckSummary:
    """Asset-check results recorded so far in this run: passed count, failed errors and warnings."""
    records = instance.get_records_for_run(
        run_id=run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=100_000
    ).records
    summary = CheckSummary()
    passed = 0
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.passed:
            passed += 1
        elif evaluation.severity == dg.AssetCheckSeverity.ERROR:
            summary.errors.append(_line(evaluation))
        else:
            summary.warnings.append(_line(evaluation))
    return CheckSummary(passed=passed, errors=summary.errors, warnings=summary.warnings)


def failed_checks(instance: dg.DagsterInstance, run_id: str) -> tuple[list[str], list[str]]:
    """(errors, warnings): failed asset checks recorded so far in this run, as readable lines."""
    summary = check_summary(instance, run_id)
    return summary.errors, summary.warnings
