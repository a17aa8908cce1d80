"""Which landing files the raw tables already hold: the ingest manifest (``raw.ingest_files``).

Each loaded file is recorded with its size and SHA-256 checksum, its place in the table's load order
and the rows it gave. The next ingest compares the landing folder with it, table by table:

- every file the same (name, size, checksum, order) and the same contract columns: the raw table is
  kept as it is, nothing is read but the checksums;
- the loaded files unchanged and new files that sort after them (a new day's or week's usage file):
  only the new files are loaded, appended with the ``_ingest_seq`` numbers a full load would give them;
- anything else (a file changed, removed or renamed, a new file sorting before a loaded one, the
  contract's columns changed, no manifest yet): the table is reloaded whole.

So the raw tables always equal a load of the landing folder from scratch, row for row, including
``_ingest_seq`` (which keeps the first of duplicate rows), while the unchanged history is not re-read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.defs.landing.contract import RAW_SCHEMA, TableSpec

MANIFEST_TABLE = "ingest_files"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileFingerprint:
    """A landing file as found now: its name relative to the landing folder, size and checksum."""

    source_file: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class LoadedFile:
    """A file the raw table holds, with the data rows it gave (malformed CSV lines not counted)."""

    fingerprint: FileFingerprint
    rows_loaded: int


@dataclass(frozen=True)
class TableManifest:
    contract: str
    files: tuple[LoadedFile, ...]

    @property
    def rows(self) -> int:
        return sum(f.rows_loaded for f in self.files)


@dataclass(frozen=True)
class IngestDecision:
    """What to do with one table: ``unchanged``, ``append`` (load ``files[start:]``) or ``reload``."""

    mode: str
    start: int
    reason: str


def fingerprint(path: Path, source_file: str) -> FileFingerprint:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return FileFingerprint(source_file=source_file, size_bytes=path.stat().st_size, sha256=digest.hexdigest())


def contract_signature(spec: TableSpec) -> str:
    """The raw table's columns: a contract change (a column added or renamed) reloads the table."""
    return ",".join(spec.column_names)


def decide(previous: TableManifest | None, contract: str, current: list[FileFingerprint]) -> IngestDecision:
    """Compare the files found now (in load order) with what the raw table holds."""
    if previous is None:
        return IngestDecision("reload", 0, "first load")
    if previous.contract != contract:
        return IngestDecision("reload", 0, "the table's contract columns changed")
    loaded = [f.fingerprint for f in previous.files]
    now = {f.source_file: f for f in current}
    for index, before in enumerate(loaded):
        if index >= len(current) or current[index] != before:
            found = now.get(before.source_file)
            if found is None:
                why = f"{before.source_file} is no longer in the landing folder"
            elif found != before:
                why = f"{before.source_file} changed"
            else:
                first_new = next(f.source_file for f in current if f.source_file not in {b.source_file for b in loaded})
                why = f"new file {first_new} sorts before files already loaded"
            return IngestDecision("reload", 0, why)
    if len(current) == len(loaded):
        return IngestDecision("unchanged", len(loaded), "no file changed")
    return IngestDecision("append", len(loaded), f"{len(current) - len(loaded)} new file(s)")


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = ? and table_name = ?",
        [RAW_SCHEMA, name],
    ).fetchall()[0]
    return bool(found and found[0])


def read_manifest(con: duckdb.DuckDBPyConnection, bookkeeping: tuple[str, ...]) -> dict[str, TableManifest]:
    """The manifest by table; empty (everything reloads) when it or any bookkeeping table is missing."""
    if not all(_table_exists(con, name) for name in (MANIFEST_TABLE, *bookkeeping)):
        return {}
    rows = con.execute(
        f"select table_name, contract, source_file, size_bytes, sha256, rows_loaded "
        f"from {RAW_SCHEMA}.{MANIFEST_TABLE} order by table_name, load_order"
    ).fetchall()
    grouped: dict[str, tuple[str, list[LoadedFile]]] = {}
    for table, contract, source_file, size, sha, rows_loaded in rows:
        entry = grouped.setdefault(table, (contract, []))
        entry[1].append(LoadedFile(FileFingerprint(source_file, int(size), sha), int(rows_loaded)))
    return {
        table: TableManifest(contract, tuple(files))
        for table, (contract, files) in grouped.items()
        if _table_exists(con, table)
    }


def landed_rows(con: duckdb.DuckDBPyConnection) -> int:
    """The data rows the raw tables hold, as the manifest records them (0 before the first ingest)."""
    if not _table_exists(con, MANIFEST_TABLE):
        return 0
    return int(con.execute(f"select coalesce(sum(rows_loaded), 0) from {RAW_SCHEMA}.{MANIFEST_TABLE}").fetchone()[0])


def write_manifest(con: duckdb.DuckDBPyConnection, manifests: dict[str, TableManifest]) -> None:
    """Replace the manifest (inside the ingest's transaction)."""
    con.execute(
        f"create or replace table {RAW_SCHEMA}.{MANIFEST_TABLE} (table_name varchar, contract varchar, "
        "load_order integer, source_file varchar, size_bytes bigint, sha256 varchar, rows_loaded bigint)"
    )
    rows = [
        (
            table,
            manifest.contract,
            order,
            f.fingerprint.source_file,
            f.fingerprint.size_bytes,
            f.fingerprint.sha256,
            f.rows_loaded,
        )
        for table, manifest in manifests.items()
        for order, f in enumerate(manifest.files)
    ]
    if rows:
        con.executemany(f"insert into {RAW_SCHEMA}.{MANIFEST_TABLE} values (?, ?, ?, ?, ?, ?, ?)", rows)
