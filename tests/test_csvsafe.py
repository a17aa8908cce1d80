"""CSV cells (lib/csvsafe.py): what a spreadsheet sees, value by value and column by column."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa

from dagster_project.lib.csvsafe import cell, column_cells, write_cells_atomically, write_csv_atomically

TEXT = [
    "plain",
    "=1+2",
    "+49 30",
    "-5",
    "@SUM(A1)",
    "\tx",
    "\rx",
    "a=b",
    "'quoted",
    "",
    None,
    'comma, and "quote"',
    "新",
]
TABLE = pa.table(
    {
        "text": pa.array(TEXT, pa.string()),
        "int": pa.array([0, -1, 2**63 - 1, -(2**63), None, 7, 8, 9, 10, 11, 12, 13, 14], pa.int64()),
        "small": pa.array([1, -2, None, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], pa.int32()),
        "ratio": pa.array(
            [Decimal("0"), Decimal("-0.0000000001"), Decimal("1.5"), None, Decimal("123456789.0123456789")]
            + [Decimal("0.0000001")] * 8,
            pa.decimal128(38, 10),
        ),
        "money": pa.array([Decimal("0.00"), Decimal("-3.10"), None] + [Decimal("12345.67")] * 10, pa.decimal128(18, 2)),
        "day": pa.array([dt.date(2026, 1, 5), None] + [dt.date(1, 1, 1)] * 11, pa.date32()),
        "flag": pa.array([True, False, None] + [True] * 10, pa.bool_()),
        "share": pa.array([0.1, 1.0, None, 1e-7] + [2.5] * 9, pa.float64()),
        "at": pa.array([dt.datetime(2026, 1, 5, 0, 0), None] + [dt.datetime(2026, 1, 5, 12, 30, 1)] * 11),
    }
)


def test_cells_by_hand() -> None:
    assert [cell(v) for v in ["=1+2", "-5", "a=b", None, True]] == ["'=1+2", "'-5", "a=b", "", "true"]
    assert cell(Decimal("0E-10")) == "0.0000000000"  # plain decimals, never exponent notation
    assert cell(Decimal("-1E-10")) == "-0.0000000001"
    assert cell(Decimal("12.50")) == "12.50"
    assert cell(-5) == "-5"  # a number is not text: no apostrophe
    assert cell(dt.date(2026, 1, 5)) == "2026-01-05"


def test_a_column_gives_the_cells_of_its_values() -> None:
    chunked = pa.concat_tables([TABLE, TABLE.slice(1, 3)])  # columns of two chunks, as a query returns them
    assert chunked.column("ratio").num_chunks == 2
    for table in (TABLE, chunked):
        for name in table.column_names:
            column = table.column(name)
            assert column_cells(column) == [cell(v) for v in column.to_pylist()], name
            assert column_cells(column.combine_chunks()) == column_cells(column), name
    assert column_cells(TABLE.column("ratio"))[:2] == ["0.0000000000", "-0.0000000001"]
    for other in (pa.large_string(), pa.dictionary(pa.int32(), pa.string())):  # other string layouts
        column = TABLE.column("text").cast(other)
        assert column_cells(column) == [cell(v) for v in column.to_pylist()], other
    assert column_cells(TABLE.column("text"))[1:7] == ["'=1+2", "'+49 30", "'-5", "'@SUM(A1)", "'\tx", "'\rx"]


def test_cells_are_written_as_the_values_would_be(tmp_path: Path) -> None:
    by_rows, by_columns = tmp_path / "rows.csv", tmp_path / "columns.csv"
    write_csv_atomically(by_rows, TABLE.column_names, zip(*(c.to_pylist() for c in TABLE.columns), strict=True))
    write_cells_atomically(by_columns, TABLE.column_names, zip(*(column_cells(c) for c in TABLE.columns), strict=True))
    assert by_columns.read_bytes() == by_rows.read_bytes()
    assert b'"comma, and ""quote"""' in by_columns.read_bytes()
    empty = tmp_path / "empty.csv"
    write_cells_atomically(empty, TABLE.column_names, [])
    assert empty.read_text(encoding="utf-8") == ",".join(TABLE.column_names) + "\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["columns.csv", "empty.csv", "rows.csv"]  # no temp files left
