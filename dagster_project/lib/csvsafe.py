"""CSV writing that is safe to open in a spreadsheet and exact for money."""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CENT = Decimal("0.01")


def neutralize(value: str) -> str:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection)."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def to_cents(amount: Decimal | int | None) -> Decimal | None:
    """Round half up to cents (finance files only; the marts keep exact amounts)."""
    if amount is None:
        return None
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def cell(value: object) -> str:
    """One CSV cell: numbers as plain decimals, dates ISO, text neutralized, null empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | int | float):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return neutralize(str(value))


def write_csv_atomically(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write to a temporary file next to ``path`` and rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            for row in rows:
                writer.writerow([cell(v) for v in row])
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
