"""Running the real CLI in-process (the same Dagster job the schedule runs)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from dagster_project.cli import main


def refresh(week: dt.date | str, capsys=None) -> tuple[int, str]:
    """`partnerpulse refresh --week W`; returns (exit code, stderr if capsys is given)."""
    code = main(["refresh", "--week", str(week)])
    err = capsys.readouterr().err if capsys is not None else ""
    return code, err


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()
