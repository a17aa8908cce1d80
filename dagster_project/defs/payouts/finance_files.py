"""Finance files per payout period (SPEC §8): exports/payouts/<YYYY-MM>/.

payout_lines.csv / .parquet      every ledger line, amounts rounded to cents
partner_statements.csv / .parquet one row per partner: a column per incentive type and the total,
                                  each the sum of that partner's rounded lines (reconciles to the cent)
manifest.json                     period, status (open | final), line count, total, file checksums

Open periods are rewritten by every refresh; a closed period's files are written once, marked
final, and never rewritten. An open period's folder whose period has no line in the published ledger
any more (its lines moved, a refresh of an older week) is removed, so the folders always show one
ledger; only a folder the step wrote (its manifest says open, it holds nothing but the files above)
is removed, never a final one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from dagster_project.defs.payouts.contract import (
    LEDGER_MODEL,
    STATEMENT_MODEL,
    contract_columns,
    incentive_types,
    ledger_columns,
)
from dagster_project.lib.csvsafe import to_cents, write_csv_atomically
from dagster_project.lib.warehouse import records

FILE_MODELS = (LEDGER_MODEL, STATEMENT_MODEL)

PARTNER_NAME_AFTER = "partner_id"  # the lines file has the partner's name (dim_partners) right after its id


def line_columns() -> tuple[str, ...]:
    """payout_lines.*: the published ledger's columns (its contract), the partner's name after its id."""
    columns: list[str] = []
    for column in ledger_columns():
        columns.append(column.name)
        if column.name == PARTNER_NAME_AFTER:
            columns.append("partner_name")
    return tuple(columns)


def statement_columns() -> tuple[str, ...]:
    """partner_statements.*: one amount column per incentive type, in the contract's order."""
    return (
        "payout_period",
        "partner_id",
        "partner_name",
        "payout_lines",
        *(f"{t}_usd" for t in incentive_types()),
        "total_usd",
        "period_status",
    )


def _is_money(column: str) -> bool:
    """Amounts in USD (``*_usd``): rounded to cents in the files."""
    return column.endswith("_usd")


_DECIMAL = re.compile(r"decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)", re.IGNORECASE)


def _arrow_type(column: str, data_type: str) -> pa.DataType:
    """The Parquet type of a file column, from its type in the published table's contract."""
    if _is_money(column):
        return pa.decimal128(20, 2)
    if column == "payout_period":  # written as its label, YYYY-MM
        return pa.string()
    if data_type == "date":
        return pa.date32()
    if data_type == "bigint":
        return pa.int64()
    if match := _DECIMAL.fullmatch(data_type):
        return pa.decimal128(int(match[1]), int(match[2]))
    return pa.string()


@cache
def _file_data_types() -> dict[str, str]:
    """The contract type of every column of the finance files (they are the two published payout marts)."""
    return {column.name: column.data_type for model in FILE_MODELS for column in contract_columns(model)}


@dataclass(frozen=True)
class PeriodExport:
    period: dt.date
    status: str  # "open" or "final"
    lines: int
    total_usd: Decimal
    directory: Path
    written: bool  # false when final files already existed and were kept


def period_label(period: dt.date) -> str:
    return f"{period.year:04d}-{period.month:02d}"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest(directory: Path) -> dict | None:
    path = directory / "manifest.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def load_lines(con: duckdb.DuckDBPyConnection, periods: list[dt.date] | None = None) -> list[dict]:
    """Ledger lines with partner names from a published marts file (tables in its default schema)."""
    where = ""
    params: list = []
    if periods:
        where = f"where lines.payout_period in ({', '.join('?' for _ in periods)})"
        params = list(periods)
    selected = ", ".join("partners.partner_name" if c == "partner_name" else f"lines.{c}" for c in line_columns())
    cursor = con.execute(
        f"select {selected} from fct_incentive_payouts as lines "
        "left join dim_partners as partners on lines.partner_id = partners.partner_id "
        f"{where} order by lines.payout_period, lines.partner_id, lines.incentive_type, lines.payout_line_id",
        params,
    )
    return records(cursor)


def _rounded(line: dict) -> dict:
    out = {column: to_cents(value) if _is_money(column) else value for column, value in line.items()}
    out["payout_period"] = period_label(line["payout_period"])
    return out


def statements(lines: list[dict]) -> list[dict]:
    """One row per partner; every amount is the sum of the partner's lines rounded to cents."""
    by_partner: dict[str, dict] = {}
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line in lines:
        partner = line["partner_id"]
        row = by_partner.setdefault(
            partner,
            {
                "payout_period": line["payout_period"],
                "partner_id": partner,
                "partner_name": line["partner_name"],
                "payout_lines": 0,
                "period_status": line["period_status"],
            },
        )
        row["payout_lines"] += 1
        sums[partner][line["incentive_type"]] += line["amount_usd"]
    types = incentive_types()
    result = []
    for partner in sorted(by_partner):
        row = by_partner[partner]
        for incentive_type in types:
            row[f"{incentive_type}_usd"] = sums[partner][incentive_type].quantize(Decimal("0.01"))
        row["total_usd"] = sum((row[f"{t}_usd"] for t in types), Decimal("0.00"))
        result.append(row)
    return result


def _arrow_table(rows: list[dict], columns: tuple[str, ...]) -> pa.Table:
    data_types = _file_data_types()
    arrays = {}
    for column in columns:
        values = [row.get(column) for row in rows]
        arrow_type = _arrow_type(column, data_types[column])
        if arrow_type == pa.string():
            values = [None if v is None else str(v) for v in values]
        arrays[column] = pa.array(values, type=arrow_type)
    return pa.table(arrays)


def _write_parquet_atomically(path: Path, table: pa.Table) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def final_files_intact(directory: Path) -> bool:
    """The folder holds a final manifest and every file it lists, unchanged (same SHA-256)."""
    try:
        manifest = read_manifest(directory)
    except (OSError, ValueError):
        return False
    if not manifest or manifest.get("status") != "final" or not isinstance(manifest.get("files"), dict):
        return False
    return all(
        (directory / name).is_file() and _sha256(directory / name) == digest
        for name, digest in manifest["files"].items()
    )


def write_period(
    root: Path, period: dt.date, lines: list[dict], as_of_date: dt.date, final: bool, force: bool = False
) -> PeriodExport:
    """Write one period's files; a period already marked final is kept as it is (unless ``force``)."""
    directory = root / period_label(period)
    existing = None if force else read_manifest(directory)
    if existing and existing.get("status") == "final":
        return PeriodExport(
            period=period,
            status="final",
            lines=int(existing["lines"]),
            total_usd=Decimal(existing["total_usd"]),
            directory=directory,
            written=False,
        )
    rounded = [_rounded(line) for line in lines]
    statement_rows = statements(rounded)
    line_cols, statement_cols = line_columns(), statement_columns()
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "payout_lines.csv": lambda p: write_csv_atomically(
            p, line_cols, ([row[c] for c in line_cols] for row in rounded)
        ),
        "partner_statements.csv": lambda p: write_csv_atomically(
            p, statement_cols, ([row[c] for c in statement_cols] for row in statement_rows)
        ),
        "payout_lines.parquet": lambda p: _write_parquet_atomically(p, _arrow_table(rounded, line_cols)),
        "partner_statements.parquet": lambda p: _write_parquet_atomically(
            p, _arrow_table(statement_rows, statement_cols)
        ),
    }
    for name, write in files.items():
        write(directory / name)
    total = sum((row["amount_usd"] for row in rounded), Decimal("0.00"))
    manifest = {
        "payout_period": period_label(period),
        "status": "final" if final else "open",
        "as_of_date": as_of_date.isoformat(),
        "lines": len(rounded),
        "partners": len(statement_rows),
        "total_usd": str(total),
        "files": {name: _sha256(directory / name) for name in files},
    }
    manifest_path = directory / "manifest.json"
    tmp = manifest_path.with_name(f".manifest.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, manifest_path)
    return PeriodExport(
        period=period, status=manifest["status"], lines=len(rounded), total_usd=total, directory=directory, written=True
    )


PERIOD_FOLDER = re.compile(r"[0-9]{4}-[0-9]{2}")
DATA_FILES = ("payout_lines.csv", "partner_statements.csv", "payout_lines.parquet", "partner_statements.parquet")
PERIOD_FILES = frozenset({"manifest.json", *DATA_FILES})  # every file write_period writes
# an interrupted write's temporary file (csvsafe.write_csv_atomically, _write_parquet_atomically, the manifest's)
WORK_FILE = re.compile(
    r"\.(?:manifest|payout_lines\.(?:csv|parquet)|partner_statements\.(?:csv|parquet))\.[0-9a-f]{32}\.tmp"
)


def _only_period_files(folder: Path) -> bool:
    """Nothing in ``folder`` but regular files (not links, not folders) a period's export writes."""
    for child in folder.iterdir():
        if child.is_symlink() or not child.is_file():
            return False
        if child.name not in PERIOD_FILES and not WORK_FILE.fullmatch(child.name):
            return False
    return True


def remove_stale_open_folders(root: Path, keep: set[str]) -> list[str]:
    """Remove the open periods' folders under ``root`` not named in ``keep``: real directories named like a
    period whose manifest says open and that hold nothing but a period's files. Returns their names; a folder
    that cannot be read is left as it is."""
    removed: list[str] = []
    if not root.is_dir():
        return removed
    for entry in sorted(root.iterdir()):
        if entry.name in keep or not PERIOD_FOLDER.fullmatch(entry.name):
            continue
        if entry.is_symlink() or not entry.is_dir():
            continue
        try:
            manifest = read_manifest(entry)
            if not isinstance(manifest, dict) or manifest.get("status") != "open":
                continue  # a final period, or a folder this step did not write
            if not _only_period_files(entry):
                continue
        except (OSError, ValueError):
            continue
        shutil.rmtree(entry)
        removed.append(entry.name)
    return removed


@dataclass(frozen=True)
class ExportedPeriods:
    periods: list[PeriodExport]
    removed: list[str]  # open periods' folders removed: no line of theirs in the published ledger any more


def export_all_periods(published_db: Path, root: Path) -> ExportedPeriods:
    """Finance files for every period of the published ledger (closed periods are final); the folders of
    open periods without lines in it any more are removed."""
    with duckdb.connect(str(published_db), read_only=True) as con:
        as_of_date = con.execute("select as_of_date from publish_info").fetchone()[0]
        lines = load_lines(con)
    by_period: dict[dt.date, list[dict]] = defaultdict(list)
    for line in lines:
        by_period[line["payout_period"]].append(line)
    periods = [
        write_period(
            root,
            period,
            period_lines,
            as_of_date,
            final=all(line["period_status"] == "closed" for line in period_lines),
        )
        for period, period_lines in sorted(by_period.items())
    ]
    removed = remove_stale_open_folders(root, keep={period_label(period) for period in by_period})
    return ExportedPeriods(periods=periods, removed=removed)
