"""Publishing the marts for BI: a serving DuckDB file and Parquet, each replaced atomically.

BI tools never open the working warehouse. Each successful refresh writes a complete new file
next to the old one and renames it over the old one (``os.replace``): a reader that has the old
file open keeps reading the old, complete snapshot; the next reader opens the new one.

In the serving file the tables live in its default schema, so ``select * from dim_accounts`` and
``select * from marts.dim_accounts`` (DuckDB names the attached file's catalog ``marts``) both work.

The new file starts as a copy of the last published one (a reader of that file is not disturbed):
each table's chunks (lib/chunks.py: a week, a month, a payout period; a table without such a column
whole) are compared with the warehouse's, and only the chunks that changed are deleted and inserted
again; a table that changed shape, or more than half of whose rows changed, is copied whole. A table
whose data its Parquet file already holds keeps that file (``parquet/.fingerprints.json``, removed
before any Parquet file is replaced and written after, says which data each file holds); a changed
table's file written while the checks ran (staging.py, decision 118) is moved in when it holds the data
published, else the file is written here. The chunks of the file a publish wrote are kept beside it
(``.marts-chunks.json``, with the identity of the file and of its write-ahead log: sizes, modification
and change times, inodes, and the DuckDB version): the next publish reads the old side of the comparison
from there instead of hashing the copy again, unless the file is no longer the one described; the new
side comes from the checks step when the working file was written since by its row counts only
(staging.py; decision 132). When a
quarter of the copied file's blocks are free (rows deleted over the weeks) the file is written from
scratch instead, so it does not grow.

The dbt docs site is swapped in the same way (``publish_docs``), and only regenerated when the dbt
project changed (``project_fingerprint``, warehouse/project.py).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.defs.publish.staging import (
    ParquetBase,
    StagedFile,
    clear_staging,
    read_staged,
    read_staged_chunks,
    write_parquet,
)
from dagster_project.lib.chunks import (
    ShapedChunks,
    chunk_filter,
    chunks_record,
    diff_chunks,
    duckdb_file_identity,
    fingerprint,
    recorded_chunks,
    shaped_from_json,
    shaped_to_json,
    table_chunks,
    table_shape,
)
from dagster_project.lib.engine import connect_engine, pull_tables
from dagster_project.lib.warehouse import PUBLISH_MEMORY_SHARE, configure, connect, quote_ident, quote_literal
from dagster_project.settings import Settings

PUBLISH_INFO_TABLE = "publish_info"
REWRITE_SHARE = 0.5  # a table more than this share of whose rows changed is copied whole
MAX_FREE_BLOCKS = 0.25  # a copied file with more free blocks than this share is written anew
PARQUET_MANIFEST = ".fingerprints.json"  # which data each published Parquet file holds
PUBLISHED_CHUNKS = ".marts-chunks.json"  # the chunks of each table of the published file (in published/)
# what a publish never writes into the serving file: tables outside main, views, sequences, macros
FOREIGN_OBJECTS = (
    "select (select count(*) from duckdb_tables() where database_name = current_database() "
    "and schema_name <> 'main') "
    "+ (select count(*) from duckdb_views() where not internal and database_name = current_database()) "
    "+ (select count(*) from duckdb_sequences() where database_name = current_database()) "
    "+ (select count(*) from duckdb_functions() where not internal and database_name = current_database())"
)


@dataclass(frozen=True)
class PublishResult:
    duckdb_path: Path
    parquet_dir: Path
    row_counts: dict[str, int]
    week_start: dt.date
    published_at: dt.datetime
    how: dict[str, str] = field(default_factory=dict)  # per table: unchanged / N chunks / copied


def _start_from_last(published: Path, tmp_db: Path, log: Callable[[str], None]) -> bool:
    """Copy the last published file to ``tmp_db``; False (nothing copied) when there is none, it cannot
    be read, or too much of it is free space."""
    if not published.is_file():
        return False
    shutil.copyfile(published, tmp_db)
    try:
        with duckdb.connect(str(tmp_db), read_only=True) as con:
            total, free = con.execute("select total_blocks, free_blocks from pragma_database_size()").fetchone()
            foreign = con.execute(FOREIGN_OBJECTS).fetchone()[0]
    except duckdb.Error as exc:
        log(f"the last published file cannot be reused ({exc}); writing a new one")
        tmp_db.unlink(missing_ok=True)
        return False
    if total and free > MAX_FREE_BLOCKS * total:
        log(f"the last published file is {free / total:.0%} free space; writing a new one")
        tmp_db.unlink(missing_ok=True)
        return False
    if foreign:  # e.g. a view someone added with a read-write CLI: never carried into the next file
        log(f"the last published file holds {foreign} object(s) a publish did not write; writing a new one")
        tmp_db.unlink(missing_ok=True)
        return False
    return True


def _publish_table(
    con: duckdb.DuckDBPyConnection,
    database: str,
    table: str,
    known: ShapedChunks | None = None,
    checked: ShapedChunks | None = None,
) -> tuple[str, str, ShapedChunks]:
    """Bring ``main.<table>`` of ``database`` (the new file) to what ``warehouse.marts.<table>`` holds:
    ("unchanged" | "N chunk(s)" (only those deleted and inserted again) | "copied" (whole), the table's
    fingerprint, the chunks it now holds). ``known``: the chunks of ``main.<table>`` as the last publish
    wrote it, if that file is the one copied (``_read_published_chunks``); ``checked``: the mart's chunks
    as the checks step computed them, if the working file was not written since (``read_staged_chunks``).
    Whatever is not given is computed."""
    name = quote_ident(table)
    source = f"select * from warehouse.marts.{name}"
    shape = table_shape(con, "warehouse", "marts", table)
    columns = tuple(column for column, _ in shape)
    # chunks given are used only for a table of that shape and row count (a count is cheap); else hashed
    if checked is not None and checked.shape == shape and checked.chunks.rows == _rows(con, f"warehouse.marts.{name}"):
        new = checked.chunks
    else:
        new = table_chunks(con, "marts", table, source, columns)
    now = ShapedChunks(shape, new)
    if table_shape(con, database, "main", table) == shape:
        if known is not None and known.shape == shape and known.chunks.rows == _rows(con, f"main.{name}"):
            old = known.chunks
        else:
            old = table_chunks(con, "main", table, f"select * from main.{name}", columns)
        delta = diff_chunks(new, old)
        if delta is None:
            return "unchanged", fingerprint(new, shape), now
        changed = delta.rows_deleted + delta.rows_written
        if delta.column is not None and changed <= REWRITE_SHARE * (old.rows + new.rows):
            condition, params = chunk_filter(delta.column, delta.keys, whole=False, alias=None)
            done = con.execute(f"delete from main.{name} where {condition}", params).fetchone()[0]
            condition, params = chunk_filter(delta.column, delta.keys, whole=False, alias="changed")
            added = con.execute(
                f"insert into main.{name} select * from warehouse.marts.{name} as changed where {condition}", params
            ).fetchone()[0]
            if (done, added) == (delta.rows_deleted, delta.rows_written):
                return f"{len(delta.keys)} chunk(s)", fingerprint(new, shape), now
    con.execute(f"create or replace table main.{name} as {source}")
    return "copied", fingerprint(new, shape), now


def _rows(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    return int(con.execute(f"select count(*) from {relation}").fetchone()[0])


def _read_published_chunks(settings: Settings) -> dict[str, ShapedChunks]:
    """The chunks of every table of the published file, as the publish that wrote it computed them; empty
    when they are not known, or the file is not that one any more (written since: a read-write session, a
    restored copy; another DuckDB version, whose hash may differ)."""
    try:
        record = json.loads((settings.published_dir / PUBLISHED_CHUNKS).read_text(encoding="utf-8"))
        return recorded_chunks(record, settings.published_duckdb, "main")
    except (OSError, ValueError):
        return {}


def _write_published_chunks(
    settings: Settings, known: dict[str, ShapedChunks], token: str, log: Callable[[str], None]
) -> None:
    """Describe the file just published: its identity and each table's chunks. Best effort (the file is
    published already): without the record, the next publish hashes the file's tables."""
    document = chunks_record(duckdb_file_identity(settings.published_duckdb), known)
    tmp = settings.published_dir / f".{PUBLISHED_CHUNKS}-{token}.tmp"
    try:
        tmp.write_text(json.dumps(document), encoding="utf-8")
        os.replace(tmp, settings.published_dir / PUBLISHED_CHUNKS)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        log(f"the published file's chunks were not recorded ({exc}); the next publish hashes its tables")


def _read_parquet_manifest(parquet_dir: Path) -> dict[str, dict]:
    """Which data each Parquet file holds (table → fingerprint, the file's size and mtime, the DuckDB
    version that wrote it); empty when unknown."""
    try:
        manifest = json.loads((parquet_dir / PARQUET_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(manifest, dict):
        return {}
    return {str(table): entry for table, entry in manifest.items() if isinstance(entry, dict)}


def _file_identity(path: Path) -> dict:
    """What tells that a published Parquet file was not replaced or written since its manifest entry: its size,
    modification and change times (the change time cannot be set back), inode, and the DuckDB version."""
    stat = path.stat()
    return {
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "ctime_ns": stat.st_ctime_ns,
        "inode": stat.st_ino,
        "duckdb": duckdb.__version__,
    }


def _describes(entry: dict, path: Path) -> bool:
    """The manifest entry was written for this very file (``_file_identity``), which is there."""
    return path.is_file() and all(entry.get(key) == value for key, value in _file_identity(path).items())


def _parquet_is_current(
    con: duckdb.DuckDBPyConnection, path: Path, entry: dict | None, fingerprint_: str, rows: int
) -> bool:
    """The Parquet file holds the table's data: the manifest says so for this very file (size, mtime,
    writer) and its footer is readable and counts the table's rows."""
    if entry is None or entry.get("fingerprint") != fingerprint_ or not _describes(entry, path):
        return False
    try:
        counted = con.execute("select sum(num_rows) from parquet_file_metadata(?)", [str(path)]).fetchone()[0]
    except duckdb.Error:
        return False
    return counted == rows


@dataclass(frozen=True)
class _PublishedParquet:
    """The published Parquet files as their manifest describes them (staging.py ``PublishedParquet``)."""

    directory: Path
    written: dict[str, dict]

    def is_current(self, con: duckdb.DuckDBPyConnection, table: str, fingerprint_: str, rows: int) -> bool:
        """The published Parquet of ``table`` holds that data (only the others are written)."""
        path = self.directory / f"{table}.parquet"
        return _parquet_is_current(con, path, self.written.get(table), fingerprint_, rows)

    def base(self, table: str) -> ParquetBase | None:
        """The published file of ``table`` and the chunks it holds, when its manifest entry describes this very
        file and records chunks that give the fingerprint recorded for it; else None (it is written whole)."""
        path = self.directory / f"{table}.parquet"
        entry = self.written.get(table)
        if entry is None or "chunks" not in entry or not _describes(entry, path):
            return None
        try:
            known = shaped_from_json("main", table, entry["chunks"])
        except (KeyError, TypeError, ValueError):
            return None
        if fingerprint(known.chunks, known.shape) != entry.get("fingerprint"):
            return None
        return ParquetBase(path, known)


def parquet_check(settings: Settings) -> _PublishedParquet:
    """What the published Parquet files hold: for staging.py, which marts' files to write, and from which
    published file a next week's file can be made by appending (``write_parquet``)."""
    return _PublishedParquet(settings.published_parquet_dir, _read_parquet_manifest(settings.published_parquet_dir))


def _usable(staged: StagedFile, fingerprint_: str, rows: int, parquet_dir: Path) -> bool:
    """A file written while the checks ran holds this data and can be renamed into ``parquet_dir`` (it is
    there, and on the same file system: ``published/`` may be a link to another disk)."""
    if (staged.fingerprint, staged.rows) != (fingerprint_, rows):
        return False
    try:
        return staged.path.is_file() and staged.path.stat().st_dev == parquet_dir.stat().st_dev
    except OSError:
        return False


def _write_parquet_manifest(
    parquet_dir: Path, fingerprints: dict[str, str], chunks: dict[str, ShapedChunks], token: str
) -> None:
    """Per table: the fingerprint of the data its file holds, the file's identity, and the chunks (the next week
    appends its new chunks to a file whose chunks are all still in the table: staging.py ``write_parquet``)."""
    manifest = {
        table: {
            "fingerprint": value,
            **_file_identity(parquet_dir / f"{table}.parquet"),
            "chunks": shaped_to_json(chunks[table]),
        }
        for table, value in fingerprints.items()
    }
    tmp = parquet_dir / f".{PARQUET_MANIFEST}-{token}.tmp"
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, parquet_dir / PARQUET_MANIFEST)


@dataclass
class _Built:
    row_counts: dict[str, int] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    parquet: dict[str, Path] = field(default_factory=dict)  # the Parquet files written (temporary names)
    chunks: dict[str, ShapedChunks] = field(default_factory=dict)  # what each table of the new file holds


def _build(
    settings: Settings,
    tables: list[str],
    tmp_db: Path,
    token: str,
    info: list,
    log: Callable[[str], None],
    staged: dict[str, StagedFile],
    known: dict[str, ShapedChunks],
    checked: dict[str, ShapedChunks],
) -> _Built:
    """Bring ``tmp_db`` (a copy of the last published file, or empty) to the warehouse's marts and write
    the Parquet files whose data changed; the temporary Parquet files are listed even when it fails."""
    built = _Built()
    published = parquet_check(settings)
    written = published.written
    con = duckdb.connect(str(tmp_db))
    try:
        configure(con, settings, memory_share=PUBLISH_MEMORY_SHARE)  # in the refresh's process (decision 160)
        con.execute(f"attach {quote_literal(str(settings.duckdb_path))} as warehouse (read_only)")
        database = con.execute("select current_database()").fetchone()[0]  # the new file's catalog
        kept = {
            t
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where database_name = ?", [database]
            ).fetchall()
        }
        for stale in sorted(kept - set(tables)):
            con.execute(f"drop table main.{quote_ident(stale)}")
        for table in tables:
            name = quote_ident(table)
            built.how[table], built.fingerprints[table], built.chunks[table] = _publish_table(
                con, database, table, known.get(table), checked.get(table)
            )
            built.row_counts[table] = _rows(con, f"main.{name}")
            parquet = settings.published_parquet_dir / f"{table}.parquet"
            how = built.how[table]
            if not _parquet_is_current(
                con, parquet, written.get(table), built.fingerprints[table], built.row_counts[table]
            ):
                ready = staged.get(table)
                if ready and _usable(ready, built.fingerprints[table], built.row_counts[table], parquet.parent):
                    built.parquet[table] = ready.path  # written while the checks ran (staging.py)
                    how += "; its Parquet written while the checks ran"
                else:
                    built.parquet[table] = settings.published_parquet_dir / f".{table}-{token}.parquet.tmp"
                    appended = write_parquet(
                        con,
                        f"select * from main.{name}",
                        built.parquet[table],
                        built.chunks[table],
                        published.base(table),
                        log,
                    )
                    if appended:
                        how += f"; its Parquet: {appended} new chunk(s) appended to the published file"
            log(f"published {table}: {built.row_counts[table]:,} rows ({how})")
        con.execute(
            f"create table main.{PUBLISH_INFO_TABLE} as select "
            "cast(? as date) as week_start, cast(? as date) as as_of_date, "
            "cast(? as timestamp) as published_at, cast(? as varchar) as run_id, "
            "cast(? as integer) as tables_published",
            info,
        )
        con.execute("detach warehouse")
        con.execute("checkpoint")
    except BaseException:
        for path in built.parquet.values():
            if path.parent == settings.published_parquet_dir:  # this attempt's own files, never a staged one
                path.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    return built


def copy_marts_from_engine(settings: Settings, tables: list[str], log: Callable[[str], None] = print) -> None:
    """Another engine than DuckDB built the marts: copy them into the working file's ``marts`` schema
    (one transaction), from which the publish step writes the published file as on DuckDB. Called only
    after every blocking check passed on the engine's own tables. Spark's marts came into the working
    file right after its build (lib/spark_exchange.py): nothing to copy."""
    if settings.target in ("duckdb", "spark"):
        return
    with connect_engine(settings, read_only=True) as engine, connect(settings) as working:
        pull_tables(engine, working, [f"marts.{table}" for table in tables], log=log)


def publish_marts(
    settings: Settings,
    tables: list[str],
    week_start: dt.date,
    run_id: str,
    log: Callable[[str], None] = print,
) -> PublishResult:
    """Bring a copy of the last serving file to what ``marts.<table>`` holds for every table (only the
    changed chunks rewritten), write the Parquet of the tables that changed, then swap them in."""
    settings.published_dir.mkdir(parents=True, exist_ok=True)
    settings.published_parquet_dir.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    tmp_db = settings.published_dir / f".marts-{token}.duckdb.tmp"
    published_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    info = [week_start, week_start + dt.timedelta(days=6), published_at, run_id, len(tables)]
    built = _Built()
    staged = read_staged(settings, run_id)
    checked = read_staged_chunks(settings, run_id)
    if checked:
        log(
            "the marts' chunks as the checks step computed them (nothing but its row counts was written into "
            "the working file since)"
        )
    try:
        before_copy = duckdb_file_identity(settings.published_duckdb)
        known = _read_published_chunks(settings)  # of the file as it is before the copy ...
        reused = _start_from_last(settings.published_duckdb, tmp_db, log)
        if duckdb_file_identity(settings.published_duckdb) != before_copy:  # ... and still after it
            known = {}
        if reused:
            log(
                "compared with the last published file's chunks as its publish recorded them"
                if known
                else "the last published file's chunks are not on record (or it was written since): hashing it"
            )
        try:
            built = _build(settings, tables, tmp_db, token, info, log, staged, known if reused else {}, checked)
        except duckdb.Error as exc:
            if not reused:
                raise
            log(f"the last published file could not be brought up to date ({exc}); writing a new one")
            tmp_db.unlink(missing_ok=True)
            built = _build(settings, tables, tmp_db, token, info, log, staged, {}, checked)
        # the manifests go first: a file replaced below is never described by an old entry, even if this
        # process dies half-way (then the next publish writes every Parquet file again, and hashes the
        # published file's tables again)
        (settings.published_parquet_dir / PARQUET_MANIFEST).unlink(missing_ok=True)
        (settings.published_dir / PUBLISHED_CHUNKS).unlink(missing_ok=True)
        for table, path in built.parquet.items():
            os.replace(path, settings.published_parquet_dir / f"{table}.parquet")
        # a write-ahead log a read-write session left beside the old file belongs to it: next to the new
        # file, every reader would fail ("WAL ... does not match the database file")
        settings.published_duckdb.with_name(settings.published_duckdb.name + ".wal").unlink(missing_ok=True)
        os.replace(tmp_db, settings.published_duckdb)
        _write_parquet_manifest(settings.published_parquet_dir, built.fingerprints, built.chunks, token)
        _write_published_chunks(settings, built.chunks, token, log)
    finally:
        tmp_db.unlink(missing_ok=True)
        for path in built.parquet.values():
            path.unlink(missing_ok=True)
        clear_staging(settings)
    for stale in settings.published_parquet_dir.glob("*.parquet"):
        if stale.stem not in tables:
            stale.unlink()
    return PublishResult(
        duckdb_path=settings.published_duckdb,
        parquet_dir=settings.published_parquet_dir,
        row_counts=built.row_counts,
        week_start=week_start,
        published_at=published_at,
        how=built.how,
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
