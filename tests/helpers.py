"""Running the real CLI in-process (the same Dagster job the schedule runs)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.settings import Settings, load_settings


def refresh(week: dt.date | str, capsys=None, force: bool = False) -> tuple[int, str]:
    """`partnerpulse refresh --week W [--force]`; returns (exit code, stderr if capsys is given)."""
    code = main(["refresh", "--week", str(week), *(["--force"] if force else [])])
    err = capsys.readouterr().err if capsys is not None else ""
    return code, err


def newest_refresh_log(warehouse_dir: Path) -> Path:
    """The log of the warehouse's latest refresh (``<warehouse>/logs/refresh-*.log``)."""
    return max((warehouse_dir / "logs").glob("refresh-*.log"), key=lambda path: path.stat().st_mtime)


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@contextlib.contextmanager
def isolated_env(root: Path, first_week: dt.date, landing: Path | None = None, **extra: str) -> Iterator[Settings]:
    """Landing, warehouse and Dagster home under ``root`` for a module-scoped fixture; restored afterwards.

    ``landing`` defaults to ``root / "landing"``. ``extra`` sets further variables
    (``PARTNERPULSE_QUARANTINE_ERROR_SHARE="1"``); an alert webhook or expectations folder from the
    caller's environment is never inherited. The resolved settings are exported too, as the CLI
    does, so dbt sees the same absolute paths.
    """
    landing = landing or root / "landing"
    with pytest.MonkeyPatch.context() as mp:
        landing.mkdir(parents=True, exist_ok=True)
        mp.setenv("PARTNERPULSE_LANDING_DIR", str(landing))
        mp.delenv("PARTNERPULSE_ALERT_WEBHOOK_URL", raising=False)
        mp.delenv("PARTNERPULSE_EXPECTATIONS_DIR", raising=False)
        mp.setenv("PARTNERPULSE_WAREHOUSE_DIR", str(root / "warehouse"))
        mp.setenv("PARTNERPULSE_FIRST_WEEK", first_week.isoformat())
        mp.setenv("PARTNERPULSE_DUCKDB_MEMORY_LIMIT", "2GB")
        mp.setenv("PARTNERPULSE_TARGET", "duckdb")
        mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        for name, value in extra.items():
            mp.setenv(name, value)
        settings = load_settings()
        for name, value in settings.env().items():
            mp.setenv(name, value)
        yield settings
