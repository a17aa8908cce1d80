"""The marts' Parquet, written while the checks run and published only if they pass (decision 118).

Publishing writes the Parquet file of every mart whose data changed, whole (SPEC §1: one file per table):
at 20,000 accounts a next week's five weekly marts were ~6 s of its ~8 s publish, after ~7 s of checks
that spend their time in Great Expectations' Python. The two kinds of work use different resources —
DuckDB's threads write Parquet without Python's lock, the checks mostly hold it — so the checks step writes
the changed marts' Parquet in a background thread, from the warehouse it is checking, into
``<warehouse>/publish_staging/`` (never into ``published/``: nothing a reader sees changes before the gate).
The thread reads through a cursor of the checks' own read-only connection and ends before the step does.

``staged.json`` there names the run and, per table, the data each file holds (the publish fingerprint of
the warehouse's mart, lib/chunks.py) and its rows. The publish step of the same run moves a staged file
into ``published/parquet/`` (the same file system: both under the warehouse folder) instead of writing it,
only when its fingerprint and rows are those of the mart it publishes; otherwise it writes the file as
before. ``staged.json`` also keeps every mart's chunks as the thread computed them, with the identity of the
working file (lib/chunks.py ``duckdb_file_identity``) taken while the checks' read-only connection still held
it: the publish step uses them instead of hashing the marts again when the file was not written since
(decision 132). Whatever is left (a publish refused, a run that stopped) is removed by the next staging or
publish. Only DuckDB and Spark stage (their marts are in the working file when the checks run; PostgreSQL's
come into it in the publish step).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb

from dagster_project.lib.chunks import (
    ShapedChunks,
    chunk_rows_query,
    chunks_record,
    duckdb_file_identity,
    fingerprint,
    recorded_chunks,
    table_chunks,
    table_shape,
)
from dagster_project.lib.parquet_append import ParquetLayoutError, append_row_groups
from dagster_project.lib.warehouse import quote_ident, quote_literal
from dagster_project.settings import Settings

STAGING_FOLDER = "publish_staging"
STAGED_MANIFEST = "staged.json"
MARTS_SCHEMA = "marts"
DUCKDB_ROW_GROUP_ROWS = 122_880  # DuckDB's default row group size when it writes Parquet
# row groups an appended file may have beyond those of a file written whole, before it is written whole again
# (each week appended adds at least one; ~half a year of weeks, then one full write compacts them)
MAX_APPENDED_ROW_GROUPS = 26
PARQUET_OPTIONS = "(format parquet, compression zstd)"  # every Parquet file a publish writes


@dataclass(frozen=True)
class StagedFile:
    path: Path
    fingerprint: str
    rows: int
    appended: int = 0  # chunks appended to the published file's pages (0: written whole)


@dataclass(frozen=True)
class ParquetBase:
    """A published Parquet file and the chunks it holds, as the manifest written with it says (checked by the
    caller: the file is the one described, and the chunks give the fingerprint recorded for it)."""

    path: Path
    known: ShapedChunks


class PublishedParquet(Protocol):
    """What the published Parquet files hold (publisher.py ``parquet_check``)."""

    def is_current(self, con: duckdb.DuckDBPyConnection, table: str, fingerprint_: str, rows: int) -> bool: ...

    def base(self, table: str) -> ParquetBase | None: ...


def _added_chunks(new: ShapedChunks, old: ShapedChunks) -> tuple[str, ...]:
    """The chunks ``new`` has beyond ``old`` when it holds every chunk of ``old`` unchanged (same columns, same
    chunk column); empty when the rows of ``old`` are not all still there as they were."""
    if new.shape != old.shape or new.chunks.column is None or new.chunks.column != old.chunks.column:
        return ()
    if any(new.chunks.chunks.get(key) != chunk for key, chunk in old.chunks.chunks.items()):
        return ()
    return tuple(sorted(new.chunks.chunks.keys() - old.chunks.chunks.keys()))


def _append(
    con: duckdb.DuckDBPyConnection,
    source: str,
    path: Path,
    new: ShapedChunks,
    base: ParquetBase,
    added: tuple[str, ...],
) -> None:
    """Write ``path`` as the published file's pages plus those of the rows of the ``added`` chunks, checking that
    DuckDB wrote exactly those rows and that the result counts the table's rows."""
    delta = path.with_name(f".{path.name}.new-chunks")
    query, params = chunk_rows_query(source, new.chunks.column, added, whole=False)
    try:
        con.execute(f"copy ({query}) to {quote_literal(str(delta))} {PARQUET_OPTIONS}", params)
        columns = tuple(column for column, _ in new.shape)
        read_back = f"select * from read_parquet({quote_literal(str(delta))})"
        got = table_chunks(con, new.chunks.schema, new.chunks.table, read_back, columns).chunks
        if got != {key: new.chunks.chunks[key] for key in added}:
            raise ParquetLayoutError("the new chunks' Parquet does not read back as those chunks")
        max_row_groups = -(-new.chunks.rows // DUCKDB_ROW_GROUP_ROWS) + MAX_APPENDED_ROW_GROUPS
        if append_row_groups(base.path, delta, path, max_row_groups) != new.chunks.rows:
            raise ParquetLayoutError("the appended file does not count the table's rows")  # removed by the caller
    finally:
        delta.unlink(missing_ok=True)


def write_parquet(
    con: duckdb.DuckDBPyConnection,
    source: str,
    path: Path,
    new: ShapedChunks,
    base: ParquetBase | None,
    log: Callable[[str], None],
) -> int:
    """Write the Parquet of ``source`` (whose columns and chunks are ``new``) to ``path``. When the published
    file (``base``) holds every chunk of the table unchanged and the table has new ones — a next week of a
    weekly mart — only the new chunks' rows are encoded, and appended to a copy of the published file's pages
    (lib/parquet_append.py); else, or if that cannot be done, the file is written whole. Returns the chunks
    appended (0: written whole)."""
    added = _added_chunks(new, base.known) if base is not None else ()
    if added and base is not None:
        try:
            _append(con, source, path, new, base, added)
            return len(added)
        except (ParquetLayoutError, OSError, ValueError, TypeError, duckdb.Error) as exc:
            # the published file moved or unreadable, a footer this module cannot read: the whole file instead
            # (whose own errors, a full disk say, are the step's)
            path.unlink(missing_ok=True)
            log(f"{new.chunks.table}: Parquet written whole ({exc})")
    con.execute(f"copy ({source}) to {quote_literal(str(path))} {PARQUET_OPTIONS}")
    return 0


def staging_dir(settings: Settings) -> Path:
    return settings.warehouse_dir / STAGING_FOLDER


def clear_staging(settings: Settings) -> None:
    """Remove what an earlier staging left (a real folder only, never through a symlink). Best effort: a
    folder that cannot be removed now is removed by the next staging or publish."""
    folder = staging_dir(settings)
    try:
        if folder.is_symlink():
            folder.unlink()
        elif folder.is_dir():
            shutil.rmtree(folder)
    except OSError:
        pass


def _stage(
    cursor: duckdb.DuckDBPyConnection,
    folder: Path,
    tables: list[str],
    published: PublishedParquet,
    computed: dict[str, ShapedChunks],
    log: Callable[[str], None],
) -> dict[str, StagedFile]:
    database = cursor.execute("select current_database()").fetchone()[0]
    staged: dict[str, StagedFile] = {}
    for table in tables:
        shape = table_shape(cursor, database, MARTS_SCHEMA, table)
        if not shape:
            continue
        source = f"select * from {MARTS_SCHEMA}.{quote_ident(table)}"
        chunks = table_chunks(cursor, MARTS_SCHEMA, table, source, tuple(column for column, _ in shape))
        computed[table] = ShapedChunks(shape, chunks)
        value = fingerprint(chunks, shape)
        if published.is_current(cursor, table, value, chunks.rows):
            continue
        path = folder / f"{table}.parquet"
        appended = write_parquet(cursor, source, path, computed[table], published.base(table), log)
        staged[table] = StagedFile(path, value, chunks.rows, appended)
    return staged


@dataclass
class ParquetStaging:
    """The background thread of one checks step; ``wait`` before the connection it reads through closes."""

    settings: Settings
    run_id: str
    log: Callable[[str], None]
    thread: threading.Thread | None = None
    staged: dict[str, StagedFile] = field(default_factory=dict)
    chunks: dict[str, ShapedChunks] = field(default_factory=dict)  # every mart's, staged or not
    warehouse: dict | None = None  # the working file's identity while the checks' connection held it
    error: BaseException | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # said by the thread, logged by ``wait`` in the step's thread

    def wait(self) -> dict[str, StagedFile]:
        if self.thread is None:
            return {}
        self.thread.join()
        self.thread = None
        for note in self.notes:
            self.log(note)
        self.warehouse = duckdb_file_identity(self.settings.duckdb_path)
        folder = staging_dir(self.settings)
        if self.error is None:
            try:
                self._write_manifest(folder)
            except OSError as exc:
                self.error = exc
        if self.error is not None:  # publishing then writes every file itself, as before
            self.log(f"Parquet not staged while the checks ran ({self.error}); the publish step writes it")
            clear_staging(self.settings)
            return {}
        appended = sorted(table for table, file in self.staged.items() if file.appended)
        how = f"; {len(appended)} by appending their new chunks to the published file" if appended else ""
        self.log(
            f"Parquet of {len(self.staged)} changed mart(s) written while the checks ran ({self.seconds:.1f} s{how}), "
            f"to {folder}: published only if the checks pass"
        )
        return self.staged

    @contextmanager
    def own_write(self) -> Iterator[None]:
        """Around the checks step's own write into the working file after ``wait`` — its row counts and kept
        suite results, into ``quality.row_counts`` and ``quality.gx_results`` only, under the run's warehouse
        lock: the marts are still those the thread hashed, so the file's identity after that write is recorded
        for the publish step (``read_staged_chunks``). Only if nothing else wrote the file between ``wait`` and
        this write: else the recorded identity stays the old one and the publish step hashes the marts itself."""
        unchanged = self.warehouse is not None and self.warehouse == duckdb_file_identity(self.settings.duckdb_path)
        yield
        folder = staging_dir(self.settings)
        if not unchanged or self.error is not None or not (folder / STAGED_MANIFEST).is_file():
            return
        self.warehouse = duckdb_file_identity(self.settings.duckdb_path)
        with contextlib.suppress(OSError):  # else the manifest written by wait() stays: its identity no longer matches
            self._write_manifest(folder)

    def _write_manifest(self, folder: Path) -> None:
        manifest = {
            "run_id": self.run_id,
            "tables": {
                table: {"file": file.path.name, "fingerprint": file.fingerprint, "rows": file.rows}
                for table, file in sorted(self.staged.items())
            },
            "chunks": chunks_record(self.warehouse, self.chunks),
        }
        tmp = folder / f".{STAGED_MANIFEST}.tmp"
        tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        os.replace(tmp, folder / STAGED_MANIFEST)


@contextmanager
def publish_step_write(settings: Settings, run_id: str) -> Iterator[None]:
    """Around the publish step's own write into the working file before it publishes (``dq_check_results``,
    a table the checks step did not hash): the staged manifest's file identity moves with that write, so the
    marts' chunks the checks step computed still serve the publish (``read_staged_chunks``). Only if the
    manifest named the file as it was just before the write; else it is left to fail its identity check."""
    path = staging_dir(settings) / STAGED_MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        current = manifest["run_id"] == run_id and manifest["chunks"]["file"] == duckdb_file_identity(
            settings.duckdb_path
        )
    except (OSError, ValueError, KeyError, TypeError):
        current = False
    yield
    if current:
        manifest["chunks"]["file"] = duckdb_file_identity(settings.duckdb_path)
        tmp = path.with_name(f".{STAGED_MANIFEST}.tmp")
        with contextlib.suppress(OSError):  # else the old identity stays: the publish step hashes the marts itself
            tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
            os.replace(tmp, path)


def start_staging(
    settings: Settings,
    con: duckdb.DuckDBPyConnection,
    tables: list[str],
    run_id: str,
    published: PublishedParquet,
    log: Callable[[str], None],
) -> ParquetStaging:
    """Start writing the Parquet of the marts among ``tables`` whose published file does not hold their data
    (``published.is_current``) through a cursor of ``con`` (the working DuckDB file); a mart whose published
    file holds all its chunks but new ones gets that file's pages and the new chunks' (``write_parquet``).
    When the folder cannot be made, nothing is started (the publish step then writes every file itself)."""
    staging = ParquetStaging(settings, run_id, log)
    clear_staging(settings)
    folder = staging_dir(settings)
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        log(f"Parquet not staged while the checks run ({folder}: {exc}); the publish step writes it")
        return staging
    cursor = con.cursor()

    def run() -> None:
        started = time.monotonic()
        try:
            staging.staged = _stage(cursor, folder, tables, published, staging.chunks, staging.notes.append)
        except BaseException as exc:  # reported by wait(), in the step's thread
            staging.error = exc
        finally:
            cursor.close()
            staging.seconds = time.monotonic() - started

    staging.thread = threading.Thread(target=run, name="partnerpulse-stage-parquet", daemon=True)
    staging.thread.start()
    return staging


def read_staged(settings: Settings, run_id: str) -> dict[str, StagedFile]:
    """The files the checks step of run ``run_id`` staged (none when another run staged them)."""
    folder = staging_dir(settings)
    try:
        manifest = json.loads((folder / STAGED_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(manifest, dict) or manifest.get("run_id") != run_id:
        return {}
    staged = {}
    for table, entry in (manifest.get("tables") or {}).items():
        try:
            path = folder / Path(str(entry["file"])).name
            staged[str(table)] = StagedFile(path, str(entry["fingerprint"]), int(entry["rows"]))
        except (KeyError, TypeError, ValueError):
            continue
    return staged


def read_staged_chunks(settings: Settings, run_id: str) -> dict[str, ShapedChunks]:
    """The marts' chunks the checks step of run ``run_id`` computed, if the working file was not written
    since (else none: the publish step hashes the marts itself)."""
    try:
        manifest = json.loads((staging_dir(settings) / STAGED_MANIFEST).read_text(encoding="utf-8"))
        if manifest["run_id"] != run_id:
            return {}
        return recorded_chunks(manifest["chunks"], settings.duckdb_path, MARTS_SCHEMA)
    except (OSError, ValueError, KeyError, TypeError):
        return {}
