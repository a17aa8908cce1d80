"""The publish gate: nothing is published after an error-severity check failed in the run.

Checks are dbt tests (reconciliations among them), Great Expectations suites, landing freshness,
quarantine shares and row-count changes (defs/quality/checks.py). Failed checks of ERROR severity block
publishing; failed WARN checks are reported and do not block.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg

from dagster_project.defs.publish.check_results import CheckResult

_DESCRIPTION_CHARS = 240


@dataclass(frozen=True)
class CheckSummary:
    passed: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    results: list[CheckResult] = field(default_factory=list)  # every check's newest result, for dq_check_results

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


def run_lineage(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """This run, then the run it re-executes, and so on (Dagster's "re-execute from failure")."""
    lineage: list[str] = []
    current: str | None = run_id
    while current and current not in lineage:
        lineage.append(current)
        run = instance.get_run_by_id(current)
        current = run.parent_run_id if run is not None else None
    return lineage


def _latest_evaluations(instance: dg.DagsterInstance, run_id: str, follow_parents: bool) -> list:
    """The newest evaluation of each asset check recorded in the run (with ``follow_parents``: in it and the
    runs it re-executes)."""
    seen: set[tuple[str, str]] = set()
    latest = []
    for lineage_run_id in run_lineage(instance, run_id) if follow_parents else [run_id]:
        records = instance.get_records_for_run(
            run_id=lineage_run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=100_000
        ).records
        for record in reversed(records):  # newest first
            evaluation = record.event_log_entry.dagster_event.event_specific_data
            key = (evaluation.asset_key.to_user_string(), evaluation.check_name)
            if key not in seen:
                seen.add(key)
                latest.append(evaluation)
    return latest


def check_summary(instance: dg.DagsterInstance, run_id: str, follow_parents: bool = False) -> CheckSummary:
    """Asset-check results recorded so far in this run: passed count, failed errors and warnings.

    With ``follow_parents``, a re-execution also counts the results of the runs it re-executes, the
    newest result of each check winning: re-executing only the publish step of a run whose checks
    failed must not publish.
    """
    passed, errors, warnings, results = 0, [], [], []
    for evaluation in _latest_evaluations(instance, run_id, follow_parents):
        is_error = evaluation.severity == dg.AssetCheckSeverity.ERROR
        if evaluation.passed:
            passed += 1
        elif is_error:
            errors.append(_line(evaluation))
        else:
            warnings.append(_line(evaluation))
        results.append(
            CheckResult(
                asset_key=evaluation.asset_key.to_user_string(),
                check_name=evaluation.check_name,
                severity="error" if is_error else "warn",
                passed=bool(evaluation.passed),
                description=" ".join((evaluation.description or "").split()),
            )
        )
    return CheckSummary(passed=passed, errors=sorted(errors), warnings=sorted(warnings), results=results)


def failed_checks(instance: dg.DagsterInstance, run_id: str) -> tuple[list[str], list[str]]:
    """(errors, warnings): failed asset checks recorded so far in this run, as readable lines."""
    summary = check_summary(instance, run_id)
    return summary.errors, summary.warnings


def publish_blockers(instance: dg.DagsterInstance, run_id: str) -> tuple[list[str], list[str], list[CheckResult]]:
    """(reasons not to publish, warnings, every check's result) for the publish step of ``run_id``.

    Counts the checks of the runs this one re-executes too, and refuses when no check result exists
    at all (the publish step launched on its own, without the checks it is gated on).
    """
    summary = check_summary(instance, run_id, follow_parents=True)
    if summary.evaluated == 0:
        return (
            [
                "no data-quality check ran in this run (or in the run it re-executes): publishing is only "
                "allowed after the checks; run the whole refresh (`partnerpulse refresh --week …`)"
            ],
            [],
            [],
        )
    return summary.errors, summary.warnings, summary.results
