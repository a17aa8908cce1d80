"""Reading the rows a suite validates from DuckDB into pandas, without loading big tables whole.

The scope is the whole relation, or for weekly marts (``week_column``) the rows of the refreshed
week(s). When the scope holds more than ``max_rows`` rows, a deterministic sample is validated:
the rows whose key hashes into one of ⌈n / max_rows⌉ buckets. Hashing on the key keeps all rows of
one key together, so a duplicated key in the sample is still seen as duplicated, and the same data
always gives the same sample. Row counts (row-count change) are always exact, from SQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from dagster_project.lib.engine import engine_of, query_frame, sample_hash
from dagster_project.lib.warehouse import quote_ident
from dagster_project.lib.weeks import WeekWindow

if TYPE_CHECKING:  # the frames come from query_frame: pandas is not imported until a check reads one
    import pandas as pd


class RelationMissing(LookupError):
    """The table or view a suite validates does not exist in the warehouse."""


@dataclass(frozen=True)
class ScopedFrame:
    frame: pd.DataFrame
    rows_in_scope: int
    sample_modulus: int  # 1 = every row in scope was read

    @property
    def sampled(self) -> bool:
        return self.sample_modulus > 1

    def describe(self) -> str:
        if not self.sampled:
            return f"all {self.rows_in_scope:,} rows in scope"
        return (
            f"deterministic sample of {len(self.frame):,} of {self.rows_in_scope:,} rows "
            f"(rows whose key hash modulo {self.sample_modulus} = 0; the whole row is the key of a keyless suite)"
        )


def quote_relation(relation: str) -> str:
    return ".".join(quote_ident(part) for part in relation.split("."))


def relation_exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, _, name = relation.rpartition(".")
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema or "main", name],
    ).fetchone()
    return bool(found and found[0])


def relation_columns(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[str, ...]:
    schema, _, name = relation.rpartition(".")
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [schema or "main", name],
    ).fetchall()
    return tuple(row[0] for row in rows)


def scope_filter(week_column: str | None, window: WeekWindow | None) -> tuple[str, list]:
    if not week_column or window is None:
        return "", []
    return f"where {quote_ident(week_column)} between ? and ?", [window.first, window.last]


def count_rows(
    con: duckdb.DuckDBPyConnection, relation: str, week_column: str | None = None, window: WeekWindow | None = None
) -> int:
    if not relation_exists(con, relation):
        raise RelationMissing(f"{relation} does not exist in the warehouse")
    where, params = scope_filter(week_column, window)
    return int(con.execute(f"select count(*) from {quote_relation(relation)} {where}", params).fetchone()[0])


def read_scope(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    *,
    key: tuple[str, ...],
    week_column: str | None,
    window: WeekWindow | None,
    max_rows: int,
) -> ScopedFrame:
    total = count_rows(con, relation, week_column, window)
    where, params = scope_filter(week_column, window)
    modulus = max(1, math.ceil(total / max_rows))
    if modulus > 1:
        # Without a key, hash the whole row (every column in one hash; `columns(*)` would expand
        # into one condition per column, all of which would have to hold).
        condition = f"{sample_hash(engine_of(con), key or relation_columns(con, relation))} % {modulus} = 0"
        where = f"{where} and {condition}" if where else f"where {condition}"
    frame = query_frame(con, f"select * from {quote_relation(relation)} {where}", params)
    return ScopedFrame(frame=frame, rows_in_scope=total, sample_modulus=modulus)
