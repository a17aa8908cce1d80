"""CSV writing that is safe to open in a spreadsheet and exact for money.

``cell`` says how one value is written; ``column_cells`` writes a whole Arrow column the same way,
computed column-wise (the partner feeds: hundreds of thousands of values a week, where a Python call
per value was most of the step's time).
"""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

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
    if isinstance(value, Decimal):
        return format(value, "f")  # 0.0000000000, never str()'s 0E-10
    if isinstance(value, int | float):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return neutralize(str(value))


def column_cells(column: pa.Array | pa.ChunkedArray) -> list[str]:
    """``cell(value)`` of every value of ``column``, in order: text, integers, decimals, dates and
    booleans are converted by Arrow (a decimal Arrow would write in exponent notation, such as zero
    at scale 10, goes through ``cell``); other types value by value."""
    kind = column.type
    if pa.types.is_large_string(kind) or (pa.types.is_dictionary(kind) and pa.types.is_string(kind.value_type)):
        column, kind = column.cast(pa.string()), pa.string()  # the kernels below take plain strings
    if pa.types.is_string(kind):
        formula = pc.match_substring_regex(column, "^[=+\\-@\t\r]")
        text = pc.if_else(formula, pc.binary_join_element_wise("'", column, ""), column)
    elif pa.types.is_integer(kind) or pa.types.is_boolean(kind) or pa.types.is_date(kind) or pa.types.is_decimal(kind):
        text = column.cast(pa.string())
    else:
        return [cell(value) for value in column.to_pylist()]
    values = text.fill_null("").to_pylist()
    if pa.types.is_decimal(kind):
        for index in pc.indices_nonzero(pc.match_substring(text, "E")).to_pylist():
            values[index] = cell(Decimal(values[index]))
    return values


def write_csv_atomically(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write to a temporary file next to ``path`` and rename it over ``path``."""
    write_cells_atomically(path, header, ([cell(v) for v in row] for row in rows))


def write_cells_atomically(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """``write_csv_atomically`` of rows whose values are cells already (``cell``, ``column_cells``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
