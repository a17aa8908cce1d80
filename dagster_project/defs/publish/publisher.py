"""Publishing the marts for BI: a serving DuckDB file and Parquet, each replaced atomically.

BI tools never open the working warehouse. Each successful refresh writes a complete new file
next to the old one and renames it over the old one (``os.replace``): a reader that has the old
file open keeps reading the old, complete snapshot; the next reader opens the new one.

In the serving file the tables live in its default schema, so ``select * from dim_accounts`` and
``select * from marts.dim_accounts`` (DuckDB names the attached file's catalog ``marts``) both work.

The dbt docs site is swapped in the same way (``publish_docs``), and only regenerated when the dbt
project changed (``project_fingerprint``, warehouse/project.py).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.lib.warehouse import configure, quote_ident, quote_literal
from dagster_project.settings import Settings

PUBLISH_INFO_TABLE = "publish_info"


@dataclass(frozen=True)
class PublishResult:
    duckdb_path: Path
    parquet_dir: Path
    row_counts: dict[str, int]
    week_start: dt.date
    published_at: dt.datetime


def publish_marts(
    settings: Settings,
    tables: list[str],
    week_start: dt.date,
    run_id: str,
    log: Callable[[str], None] = print,
) -> PublishResult:
    """Copy ``marts.<table>`` for every table into a new serving file and Parquet, then swap them in."""
    settings.published_dir.mkdir(parents=True, exist_ok=True)
    settings.published_parquet_dir.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    tmp_db = settings.published_dir / f".marts-{token}.duckdb.tmp"
    tmp_parquet = {t: settings.published_parquet_dir / f".{t}-{token}.parquet.tmp" for t in tables}
    published_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    row_counts: dict[str, int] = {}
    try:
        con = duckdb.connect(str(tmp_db))
        try:
            configure(con, settings)
            con.execute(f"attach {quote_literal(str(settings.duckdb_path))} as warehouse (read_only)")
            for table in tables:
                name = quote_ident(table)
                con.execute(f"create table main.{name} as select * from warehouse.marts.{name}")
                row_counts[table] = int(con.execute(f"select count(*) from main.{name}").fetchone()[0])
                con.execute(
                    f"copy main.{name} to {quote_literal(str(tmp_parquet[table]))} (format parquet, compression zstd)"
                )
                log(f"published {table}: {row_counts[table]:,} rows")
            con.execute(
                f"create table main.{PUBLISH_INFO_TABLE} as select "
                "cast(? as date) as week_start, cast(? as date) as as_of_date, "
                "cast(? as timestamp) as published_at, cast(? as varchar) as run_id, "
                "cast(? as integer) as tables_published",
                [week_start, week_start + dt.timedelta(days=6), published_at, run_id, len(tables)],
            )
            con.execute("detach warehouse")
            con.execute("checkpoint")
        finally:
            con.close()
        for table, path in tmp_parquet.items():
            os.replace(path, settings.published_parquet_dir / f"{table}.parquet")
        os.replace(tmp_db, settings.published_duckdb)
    finally:
        tmp_db.unlink(missing_ok=True)
        for path in tmp_parquet.values():
            path.unlink(missing_ok=True)
    for stale in settings.published_parquet_dir.glob("*.parquet"):
        if stale.stem not in tables:
            stale.unlink()
    return PublishResult(
        duckdb_path=settings.published_duckdb,
        parquet_dir=settings.published_parquet_dir,
        row_counts=row_counts,
        week_start=week_start,
        published_at=published_at,
    )


DOCS_FINGERPRINT_FILE = ".project-fingerprint"


def docs_are_current(destination: Path, fingerprint: str) -> bool:
    """True when the published docs site was generated from this very project."""
    marker = destination / DOCS_FINGERPRINT_FILE
    return (destination / "index.html").is_file() and marker.is_file() and marker.read_text().strip() == fingerprint


def publish_docs(target: Path, destination: Path, fingerprint: str) -> Path:
    """Swap in a new docs folder: the static page plus manifest and catalog for tools that read them."""
    staging = destination.with_name(f".docs-{uuid.uuid4().hex}")
    staging.mkdir(parents=True)
    shutil.copyfile(target / "static_index.html", staging / "index.html")
    for name in ("manifest.json", "catalog.json"):
        shutil.copyfile(target / name, staging / name)
    (staging / DOCS_FINGERPRINT_FILE).write_text(fingerprint + "\n")
    retired = destination.with_name(f".docs-old-{uuid.uuid4().hex}")
    if destination.exists():
        os.replace(destination, retired)
    os.replace(staging, destination)
    shutil.rmtree(retired, ignore_errors=True)
    return destination / "index.html"
