"""Compare two refreshes' outputs table by table, row by row: are they the same?

    python bench/compare.py WAREHOUSE_A WAREHOUSE_B

Each argument is a warehouse folder (``$PARTNERPULSE_WAREHOUSE_DIR``). Compared:

- every table of ``published/marts.duckdb`` (``publish_info`` without its timestamp; not ``dq_check_results``,
  the record of the run's checks): the same
  columns with the same types, and the same multiset of rows (``except all`` both ways, so row
  order does not matter and duplicates count);
- every finance file under ``exports/payouts/`` byte for byte (``manifest.json`` without its
  ``as_of_date`` when the published weeks differ is still compared whole: it must be equal too);
- every partner feed file under ``exports/partners/`` byte for byte.

``--ratio-tolerance 1e-9`` (engines, SPEC §12): rows that differ only in ratio columns (doubles and
decimals with 8 or more places; money has at most 6) by at most that much count as equal; each side's
differing rows are paired off (at most 10,000 per table). Default: exact.

Prints one line per table / folder and exits 1 when anything differs. Used to prove that a
refactoring or a faster formulation changes nothing (issues 12 and 13) and that engines agree.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

import duckdb

# columns that change on every run by design (when and by which run), not with the data
SKIP_COLUMNS = {"publish_info": {"published_at", "run_id"}, "dq_refresh_log": {"refreshed_at"}}
# a record of the run, not data the landing files decide: which checks a refresh evaluates depends on what it
# rebuilt (a second refresh tests only the models it built again), and a check's wording on the engine's
SKIP_TABLES = {"dq_check_results"}


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = 'main' order by table_name, ordinal_position",
        [catalog],
    ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        if table not in SKIP_TABLES and column not in SKIP_COLUMNS.get(table, set()):
            tables.setdefault(table, []).append((column, data_type))
    return tables


MATCH_LIMIT = 10_000  # differing rows matched within the tolerance, per table and side; more: different


def _is_ratio(data_type: str) -> bool:
    """A ratio column: a double, or a decimal with at least 8 places (money has at most 6)."""
    if data_type in ("DOUBLE", "FLOAT"):
        return True
    match = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", data_type)
    return bool(match) and int(match[2]) >= 8


def _within(con, table: str, columns: list[tuple[str, str]], tolerance: float) -> int | None:
    """How many of the rows only in a pair off with rows only in b that differ by at most ``tolerance`` in
    ratio columns and not at all elsewhere; None when some row finds no partner."""
    names = ", ".join(f'"{c}"' for c, _ in columns)
    sides = [
        con.execute(
            f"select {names} from (select {names} from {x}.main.{table} except all "
            f"select {names} from {y}.main.{table}) limit {MATCH_LIMIT + 1}"
        ).fetchall()
        for x, y in (("a", "b"), ("b", "a"))
    ]
    if len(sides[0]) != len(sides[1]) or len(sides[0]) > MATCH_LIMIT:
        return None
    ratio = [i for i, (_, t) in enumerate(columns) if _is_ratio(t)]
    exact = [i for i in range(len(columns)) if i not in ratio]
    pool: dict[tuple, list[tuple]] = {}
    for row in sides[1]:
        pool.setdefault(tuple(row[i] for i in exact), []).append(row)
    for row in sides[0]:
        candidates = pool.get(tuple(row[i] for i in exact), [])
        partner = next(
            (
                other
                for other in candidates
                if all(
                    (row[i] is None) == (other[i] is None)
                    and (row[i] is None or abs(float(row[i]) - float(other[i])) <= tolerance)
                    for i in ratio
                )
            ),
            None,
        )
        if partner is None:
            return None
        candidates.remove(partner)
    return len(sides[0])


def compare_marts(a: Path, b: Path, tolerance: float = 0.0) -> list[str]:
    """Differences between two published marts files (empty when equal). With ``tolerance`` > 0, rows
    that differ only in ratio columns (doubles, decimals with 8+ places) by at most that much count as
    equal (SPEC §12: ratios to 1e-9 across engines)."""
    problems: list[str] = []
    con = duckdb.connect()
    con.execute(f"attach '{a}' as a (read_only)")
    con.execute(f"attach '{b}' as b (read_only)")
    left, right = _tables(con, "a"), _tables(con, "b")
    for table in sorted(set(left) | set(right)):
        if table not in left or table not in right:
            problems.append(f"{table}: only in {'a' if table in left else 'b'}")
            continue
        if left[table] != right[table]:
            problems.append(f"{table}: columns differ: {left[table]} vs {right[table]}")
            continue
        columns = ", ".join(f'"{c}"' for c, _ in left[table])
        rows = con.execute(f"select count(*) from a.main.{table}").fetchone()[0]
        only_a, only_b = (
            con.execute(
                f"select count(*) from (select {columns} from {x}.main.{table} "
                f"except all select {columns} from {y}.main.{table})"
            ).fetchone()[0]
            for x, y in (("a", "b"), ("b", "a"))
        )
        status = "equal" if only_a == only_b == 0 else f"DIFFERENT: {only_a} rows only in a, {only_b} only in b"
        if (only_a or only_b) and tolerance > 0:
            matched = _within(con, table, left[table], tolerance)
            if matched is not None:
                status, only_a, only_b = f"equal within {tolerance:g} ({matched} rows differ below it)", 0, 0
        print(f"  {table:<36} {rows:>12,} rows  {status}")
        if only_a or only_b:
            problems.append(f"{table}: {only_a} rows only in a, {only_b} only in b")
    con.close()
    return problems


def _digests(root: Path) -> dict[str, str]:
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def compare_files(a: Path, b: Path, label: str) -> list[str]:
    left, right = _digests(a), _digests(b)
    differing = sorted(name for name in set(left) | set(right) if left.get(name) != right.get(name))
    status = "equal" if not differing else f"DIFFERENT: {len(differing)} file(s), e.g. {differing[:3]}"
    print(f"  {label:<36} {len(left):>12,} files {status}")
    return [f"{label}: {name} differs" for name in differing]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path, help="warehouse folder A")
    parser.add_argument("b", type=Path, help="warehouse folder B")
    parser.add_argument("--marts-only", action="store_true", help="compare the published marts only")
    parser.add_argument(
        "--ratio-tolerance",
        type=float,
        default=0.0,
        help="ratio columns (doubles, decimals with 8+ places) may differ by this much (engines: 1e-9); default exact",
    )
    args = parser.parse_args(argv)
    print(f"a = {args.a}\nb = {args.b}")
    problems = compare_marts(
        args.a / "published" / "marts.duckdb", args.b / "published" / "marts.duckdb", args.ratio_tolerance
    )
    if not args.marts_only:
        problems += compare_files(args.a / "exports" / "payouts", args.b / "exports" / "payouts", "exports/payouts")
        problems += compare_files(args.a / "exports" / "partners", args.b / "exports" / "partners", "exports/partners")
    print("SAME" if not problems else f"{len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
