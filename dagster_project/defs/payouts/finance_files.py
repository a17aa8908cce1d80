"""Finance files per payout period (SPEC §8): exports/payouts/<YYYY-MM>/.

payout_lines.csv / .parquet      every ledger line, amounts rounded to cents
partner_statements.csv / .parquet one row per partner: a column per incentive type and the total,
                                  each the sum of that partner's rounded lines (reconciles to the cent)
manifest.json                     period, status (open | final), line count, total, file checksums

Open periods are rewritten by every refresh; a closed period's files are written once, marked
final, and never rewritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from dagster_project.lib.csvsafe import to_cents, write_csv_atomically
from dagster_project.lib.warehouse import records

INCENTIVE_TYPES = (
    "expansion_commission",
    "renewal_bonus",
    "multi_product_spiff",
    "nrr_performance_bonus",
    "health_improvement_reward",
    "clawback",
    "adjustment",
)
LINE_COLUMNS = (
    "payout_line_id",
    "payout_period",
    "partner_id",
    "partner_name",
    "partner_tier",
    "incentive_type",
    "source_type",
    "source_id",
    "account_id",
    "earned_on",
    "basis_usd",
    "rate",
    "amount_usd",
    "plan_version",
    "description",
    "adjusts_payout_line_id",
    "adjusts_period",
    "period_status",
)
STATEMENT_COLUMNS = (
    "payout_period",
    "partner_id",
    "partner_name",
    "payout_lines",
    *(f"{t}_usd" for t in INCENTIVE_TYPES),
    "total_usd",
    "period_status",
)
MONEY_COLUMNS = {"basis_usd", "amount_usd", *(f"{t}_usd" for t in INCENTIVE_TYPES), "total_usd"}


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
    cursor = con.execute(
        "select lines.payout_line_id, lines.payout_period, lines.partner_id, partners.partner_name, "
        "lines.partner_tier, lines.incentive_type, lines.source_type, lines.source_id, lines.account_id, "
        "lines.earned_on, lines.basis_usd, lines.rate, lines.amount_usd, lines.plan_version, lines.description, "
        "lines.adjusts_payout_line_id, lines.adjusts_period, lines.period_status "
        "from fct_incentive_payouts as lines "
        "left join dim_partners as partners on lines.partner_id = partners.partner_id "
        f"{where} order by lines.payout_period, lines.partner_id, lines.incentive_type, lines.payout_line_id",
        params,
    )
    return records(cursor)


def _rounded(line: dict) -> dict:
    out = dict(line)
    out["basis_usd"] = to_cents(line["basis_usd"])
    out["amount_usd"] = to_cents(line["amount_usd"])
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
    result = []
    for partner in sorted(by_partner):
        row = by_partner[partner]
        for incentive_type in INCENTIVE_TYPES:
            row[f"{incentive_type}_usd"] = sums[partner][incentive_type].quantize(Decimal("0.01"))
        row["total_usd"] = sum((row[f"{t}_usd"] for t in INCENTIVE_TYPES), Decimal("0.00"))
        result.append(row)
    return result


def _arrow_table(rows: list[dict], columns: tuple[str, ...]) -> pa.Table:
    arrays = {}
    for column in columns:
        values = [row.get(column) for row in rows]
        if column in MONEY_COLUMNS:
            arrays[column] = pa.array(values, type=pa.decimal128(20, 2))
        elif column == "rate":
            arrays[column] = pa.array(values, type=pa.decimal128(18, 8))
        elif column == "payout_lines":
            arrays[column] = pa.array(values, type=pa.int64())
        elif column in {"earned_on", "adjusts_period"}:
            arrays[column] = pa.array(values, type=pa.date32())
        else:
            arrays[column] = pa.array([None if v is None else str(v) for v in values], type=pa.string())
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
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "payout_lines.csv": lambda p: write_csv_atomically(
            p, LINE_COLUMNS, ([row[c] for c in LINE_COLUMNS] for row in rounded)
        ),
        "partner_statements.csv": lambda p: write_csv_atomically(
            p, STATEMENT_COLUMNS, ([row[c] for c in STATEMENT_COLUMNS] for row in statement_rows)
        ),
        "payout_lines.parquet": lambda p: _write_parquet_atomically(p, _arrow_table(rounded, LINE_COLUMNS)),
        "partner_statements.parquet": lambda p: _write_parquet_atomically(
            p, _arrow_table(statement_rows, STATEMENT_COLUMNS)
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


def export_all_periods(published_db: Path, root: Path) -> list[PeriodExport]:
    """Finance files for every period of the published ledger (closed periods are final)."""
    with duckdb.connect(str(published_db), read_only=True) as con:
        as_of_date = con.execute("select as_of_date from publish_info").fetchone()[0]
        lines = load_lines(con)
    by_period: dict[dt.date, list[dict]] = defaultdict(list)
    for line in lines:
        by_period[line["payout_period"]].append(line)
    return [
        write_period(
            root,
            period,
            period_lines,
            as_of_date,
            final=all(line["period_status"] == "closed" for line in period_lines),
        )
        for period, period_lines in sorted(by_period.items())
    ]
