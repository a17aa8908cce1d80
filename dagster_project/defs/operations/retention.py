"""What the warehouse folder keeps of earlier runs, so that it stays bounded on re-runs.

- ``dbt_runs/``: dbt writes a target folder per run (manifest, run results, compiled SQL: about
  27 MB for the demo project); the dbt step keeps the newest ``PARTNERPULSE_KEEP_DBT_RUNS``
  (default 3, its own included: defs/warehouse/assets.py).
- ``logs/``: one log file per CLI run (the Dagster and dbt logs); the newest ``KEEP_RUN_LOGS``.

Plain module (no Dagster): the dbt step and the CLI's runner both use it.
"""

from __future__ import annotations

from pathlib import Path

from dagster_project.settings import whole_number_setting

KEEP_DBT_RUNS_ENV = "PARTNERPULSE_KEEP_DBT_RUNS"
DEFAULT_KEEP_DBT_RUNS = 3
KEEP_RUN_LOGS = 20


def dbt_runs_to_keep() -> int:
    """PARTNERPULSE_KEEP_DBT_RUNS: how many dbt target folders ``dbt_runs/`` keeps (the running one included)."""
    return whole_number_setting(KEEP_DBT_RUNS_ENV, DEFAULT_KEEP_DBT_RUNS, unit="of runs ")


def newest_first(paths: list[Path]) -> list[Path]:
    """``paths`` by modification time, newest first (a path removed meanwhile counts as oldest)."""

    def mtime(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    return sorted(paths, key=mtime, reverse=True)


def prune_run_logs(logs_dir: Path, keep: int = KEEP_RUN_LOGS) -> list[Path]:
    """Remove all but the newest ``keep`` ``*.log`` files of ``logs_dir``; returns the removed ones."""
    if not logs_dir.is_dir():
        return []
    removed = newest_first([p for p in logs_dir.glob("*.log") if p.is_file()])[keep:]
    for old in removed:
        old.unlink(missing_ok=True)
    return removed
