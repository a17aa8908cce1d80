"""The publish gate: nothing is published after an error-severity check failed in the run."""

from __future__ import annotations

import dagster as dg


def failed_checks(instance: dg.DagsterInstance, run_id: str) -> tuple[list[str], list[str]]:
    """(errors, warnings): failed asset checks recorded so far in this run, as readable lines."""
    records = instance.get_records_for_run(
        run_id=run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=100_000
    ).records
    errors: list[str] = []
    warnings: list[str] = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.passed:
            continue
        line = f"{evaluation.asset_key.to_user_string()}: {evaluation.check_name}"
        if evaluation.severity == dg.AssetCheckSeverity.ERROR:
            errors.append(line)
        else:
            warnings.append(line)
    return errors, warnings
