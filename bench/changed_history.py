"""The "week with changed history" case of `make bench`: a late-arriving correction to a closed month.

The bench refreshes from a working copy of the cached demo landing data (`link_landing`): every file
hard-linked (copied where the file system cannot link), so the copy is nearly free and the cache is
never written. `correct_month` then replaces only the files it changes: it writes a new file next
to the link and renames it over the link, so the cached file keeps its bytes.

The correction of month M is late data that the SPEC's rules react to:
- subscription_items: one in ten of the items that became effective in M (by item_id) has one more
  unit (quantity + 1): ARR from M on, the ARR bridge, license utilization in the scorecard;
- opportunities: one in ten of the partner expansion deals (Upsell, Cross-sell, License Expansion)
  closed won in M has its amount_arr raised 10%: the expansion commission of M, which becomes an
  adjustment line in the open period when M is closed;
- usage_daily: in the first file (by name) holding usage of the 15th of M, one in ten of that day's
  rows is restated with 10% more API calls (+1): the API usage metric of the weeks whose trailing
  windows cover that day.
Each table may be one .csv or .parquet file or a folder of them (SPEC §2); a CSV is rewritten with
the demo generator's quoting (minimal; empty = null) and every other row keeps its text.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

DATA_SUFFIXES = (".csv", ".parquet")
SAMPLE = 10  # one in SAMPLE candidate rows is corrected
_NEEDS_QUOTES = re.compile(r'[",\r\n]|^\s|\s$')


@dataclass(frozen=True)
class Correction:
    table: str
    key: str  # the column that orders the candidates (the sample is every SAMPLE-th from the first)
    where: str  # SQL condition on the landed row: is it a candidate ($first, $last, $day are bound)
    column: str  # the corrected column
    value: str  # SQL expression of its new value (cast back to the column's type)
    what: str  # for people: what changed
    first_file_only: bool = False  # a folder: correct only the first file that has candidates


CORRECTIONS = (
    Correction(
        table="subscription_items",
        key="item_id",
        where="try_cast(effective_from as date) between $first and $last",
        column="quantity",
        value="try_cast(quantity as decimal(18, 4)) + 1",
        what="quantity + 1 on {picked} of the {candidates} items effective from {month}",
    ),
    Correction(
        table="opportunities",
        key="opportunity_id",
        where=(
            "lower(trim(stage)) = 'closed won' "
            "and lower(trim(opportunity_type)) in ('upsell', 'cross-sell', 'license expansion') "
            "and nullif(trim(partner_id), '') is not null "
            "and try_cast(close_date as date) between $first and $last"
        ),
        column="amount_arr",
        value="cast(try_cast(amount_arr as decimal(18, 2)) * 1.1 as decimal(18, 2))",
        what="amount_arr + 10% on {picked} of the {candidates} partner expansion deals closed won in {month}",
    ),
    Correction(
        table="usage_daily",
        key="account_id, product_id",
        where="try_cast(usage_date as date) = $day",
        column="api_calls",
        value="try_cast(api_calls as bigint) * 11 // 10 + 1",
        what="api_calls + 10% on {picked} of the {candidates} rows of {day}",
        first_file_only=True,
    ),
)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed: a real copy
        shutil.copy2(source, target)


def link_landing(source: Path, target: Path) -> None:
    """A working copy of a landing folder whose files are hard links to the originals."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, copy_function=_link_or_copy)


def table_files(landing: Path, table: str) -> list[Path]:
    """The data files of a landing table: <table>.csv, <table>.parquet or the files of a folder <table>/."""
    folder = landing / table
    if folder.is_dir():
        return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in DATA_SUFFIXES)
    return [p for p in (landing / f"{table}{suffix}" for suffix in DATA_SUFFIXES) if p.is_file()]


def _relation(path: Path) -> str:
    if path.suffix.lower() == ".csv":  # text as written: only the corrected cells change
        return "read_csv($path, header = true, all_varchar = true)"
    return "read_parquet($path)"


def _csv_field(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if _NEEDS_QUOTES.search(text) else text


def _write_csv(path: Path, columns: list[str], rows: Iterable[tuple]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(columns) + "\n")
        for row in rows:
            handle.write(",".join(_csv_field(v) for v in row) + "\n")


def _bound(query: str, params: dict) -> dict:
    """The parameters a query uses (DuckDB refuses named parameters it does not use)."""
    return {name: value for name, value in params.items() if f"${name}" in query}


def _rows(result: duckdb.DuckDBPyConnection, batch: int = 50_000) -> Iterator[tuple]:
    while rows := result.fetchmany(batch):
        yield from rows


def _correct_file(con: duckdb.DuckDBPyConnection, path: Path, fix: Correction, params: dict) -> tuple[int, int]:
    """Rewrite one file with the correction applied (a new file renamed over the old name); returns
    (candidates, corrected). A file without candidates is left as it is."""
    params = {**params, "path": str(path)}
    relation = _relation(path)
    count = f"select count(*) from {relation} where {fix.where}"
    candidates = con.execute(count, _bound(count, params)).fetchone()[0]
    if not candidates:
        return 0, 0
    columns = con.execute(f"describe select * from {relation}", {"path": params["path"]}).fetchall()
    column_type = {name: kind for name, kind, *_ in columns}[fix.column]
    value = f"cast({fix.value} as {column_type})"
    if column_type == "VARCHAR":  # CSV text: a number without trailing zeros (45, not 45.0000)
        value = f"case when contains({value}, '.') then rtrim(rtrim({value}, '0'), '.') else {value} end"
    query = f"""
        with landed as (
            select *, row_number() over () as _bench_row from {relation}
        ),
        picked as (
            select _bench_row from landed where {fix.where}
            qualify (row_number() over (order by {fix.key}, _bench_row) - 1) % {SAMPLE} = 0
        )
        select * exclude (_bench_row) replace (
            case when _bench_row in (select _bench_row from picked)
                then {value} else "{fix.column}" end as "{fix.column}"
        )
        from landed
        order by _bench_row"""
    replacement = path.with_name(f".{path.name}.corrected")
    if path.suffix.lower() == ".csv":
        result = con.execute(query, _bound(query, params))
        _write_csv(replacement, [d[0] for d in result.description], _rows(result))
    else:
        pq.write_table(con.sql(query, params=_bound(query, params)).to_arrow_table(), replacement, compression="zstd")
    os.replace(replacement, path)  # the link now names the new file; the cached original is untouched
    return candidates, (candidates + SAMPLE - 1) // SAMPLE


def correct_month(landing: Path, month: dt.date) -> list[str]:
    """Apply CORRECTIONS for the month starting at ``month`` to a working landing copy; what changed."""
    first = month.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    day = first.replace(day=15)
    params = {"first": first, "last": last, "day": day}
    changes: list[str] = []
    with duckdb.connect() as con:
        con.execute("set preserve_insertion_order = true")
        for fix in CORRECTIONS:
            for path in table_files(landing, fix.table):
                candidates, picked = _correct_file(con, path, fix, params)
                if picked:
                    what = fix.what.format(picked=picked, candidates=candidates, month=f"{first:%Y-%m}", day=day)
                    changes.append(f"{path.relative_to(landing).as_posix()}: {what}")
                    if fix.first_file_only:
                        break
    return changes
