"""Loading landing files into the warehouse's ``raw`` schema, every column as text.

Text keeps every value exactly as landed, so the dbt base models can quarantine a row with the
offending value instead of failing the load. Only the contract's columns are loaded: columns beyond
them (names, emails …) are never read into the warehouse. Each row gets ``_ingest_seq`` (a global
order used to keep the first of duplicate rows), ``_source_file`` and ``_source_row`` (1 = first
data row). A CSV line with the wrong number of fields is recorded by its place and field counts
only, never its text: its values cannot be matched to columns safely (SPEC §9). Landing files are
only read, never modified.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from dagster_project.defs.landing.contract import RAW_SCHEMA, TableSpec, landing_tables
from dagster_project.defs.landing.files import IngestError, LandingFile, TablePlan, plan_table, utf8_sample_problem
from dagster_project.defs.landing.manifest import (
    LoadedFile,
    TableManifest,
    contract_signature,
    decide,
    fingerprint,
    read_manifest,
    write_manifest,
)
from dagster_project.lib.warehouse import quote_ident, quote_literal

MALFORMED_TABLE = "ingest_malformed_rows"
REPORT_TABLE = "ingest_report"
CSV_BLOCK_SIZE = 16 << 20  # bytes per parsed block
PROGRESS_EVERY_ROWS = 5_000_000

Log = Callable[[str], None]


@dataclass(frozen=True)
class MalformedLine:
    """A CSV line that could not be split into the header's columns: where it is, and its field counts."""

    line: int  # physical line number in the file (1 = the header)
    expected_fields: int
    found_fields: int

    @property
    def reason(self) -> str:
        return f"malformed CSV row: expected {self.expected_fields} fields, found {self.found_fields}"


@dataclass
class TableLoad:
    table: str
    files: list[str]
    rows_read: int
    rows_malformed: int
    extra_columns: list[str]
    missing_optional: bool
    warnings: list[str]
    mode: str = "reload"  # unchanged | append | reload (manifest.py)
    reason: str = ""
    files_loaded: int = 0


def plan_landing(landing_dir: Path, tables: tuple[TableSpec, ...] | None = None) -> list[TablePlan]:
    """Check every table's files; raise one IngestError listing every structural problem."""
    if not landing_dir.is_dir():
        raise IngestError([f"landing folder {landing_dir} does not exist (set PARTNERPULSE_LANDING_DIR)"])
    plans: list[TablePlan] = []
    problems: list[str] = []
    for spec in tables or landing_tables():
        plan, table_problems = plan_table(spec, landing_dir)
        plans.append(plan)
        problems.extend(table_problems)
    if problems:
        raise IngestError(problems)
    return plans


def pre_run_problems(landing_dir: Path) -> list[str]:
    """What can be found wrong before a run: the folder, every table's files and headers (the same
    checks and messages as the ingest step), plus a look at the start of each CSV's encoding."""
    try:
        plans = plan_landing(landing_dir)
    except IngestError as exc:
        return exc.problems
    return [problem for plan in plans for file in plan.files if (problem := utf8_sample_problem(file))]


class _CsvLineTracker:
    """Maps parsed records to data-row numbers, skipping rows the parser rejected.

    pyarrow reports malformed rows (wrong field count) through a handler, with their physical line
    number, possibly a block ahead of the batch that would have held them. Valid rows get the next
    line numbers that were not reported as malformed (exact when no record spans several lines).
    The line's text is dropped here: it may hold values of columns outside the contract.
    """

    def __init__(self) -> None:
        self.malformed: dict[int, MalformedLine] = {}
        self._next_line = 2  # line 1 is the header

    def handler(self, row: pacsv.InvalidRow) -> str:
        line = int(row.number) if row.number is not None else -1
        self.malformed[line] = MalformedLine(line, int(row.expected_columns), int(row.actual_columns))
        return "skip"

    def lines_for(self, n: int) -> np.ndarray:
        bad = sorted(line for line in self.malformed if line >= self._next_line)
        span = np.arange(self._next_line, self._next_line + n + len(bad), dtype=np.int64)
        if bad:
            span = span[~np.isin(span, np.asarray(bad, dtype=np.int64))]
        lines = span[:n]
        if n:
            self._next_line = int(lines[-1]) + 1
        return lines


def _create_raw_table(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> str:
    target = f"{RAW_SCHEMA}.{quote_ident(spec.name)}"
    columns = ", ".join(f"{quote_ident(c)} varchar" for c in spec.column_names)
    con.execute(
        f"create or replace table {target} ({columns}, _ingest_seq bigint, _source_file varchar, _source_row bigint)"
    )
    return target


def _unreadable(landing_file: LandingFile, exc: Exception) -> IngestError:
    message = str(exc).strip().splitlines()[0]
    return IngestError([f"{landing_file.relative}: unreadable ({message})"])


def _load_csv(
    con: duckdb.DuckDBPyConnection,
    target: str,
    spec: TableSpec,
    landing_file: LandingFile,
    seq_offset: int,
    log: Log,
) -> tuple[int, list[MalformedLine]]:
    """Stream one CSV into the raw table. Returns rows loaded and the malformed lines.

    Quoted values may hold line breaks (RFC 4180). Blocks are cut at line breaks for speed; when a value's
    line break falls on a cut, Arrow cannot resynchronise and says so, and the file is read again from the
    start, its rows loaded so far removed, with values that may span lines (decision 156)."""
    try:
        return _stream_csv(con, target, spec, landing_file, seq_offset, log, newlines_in_values=False)
    except _BlockCutInValue:
        con.execute(f"delete from {target} where _ingest_seq > ?", [seq_offset])
        log(f"{landing_file.relative}: a quoted value spans lines across a parse block; read again as such")
        return _stream_csv(con, target, spec, landing_file, seq_offset, log, newlines_in_values=True)


class _BlockCutInValue(Exception):
    """Arrow's CSV reader lost the row boundaries at a block cut inside a quoted multi-line value."""


def _stream_csv(
    con: duckdb.DuckDBPyConnection,
    target: str,
    spec: TableSpec,
    landing_file: LandingFile,
    seq_offset: int,
    log: Log,
    *,
    newlines_in_values: bool,
) -> tuple[int, list[MalformedLine]]:
    tracker = _CsvLineTracker()
    names = landing_file.header
    wanted = [c for c in spec.column_names if c in names]

    def unreadable(exc: pa.ArrowInvalid) -> Exception:
        if not newlines_in_values and "newlines_in_values" in str(exc):
            return _BlockCutInValue()
        return _unreadable(landing_file, exc)

    try:
        reader = pacsv.open_csv(
            landing_file.path,
            read_options=pacsv.ReadOptions(
                use_threads=False, column_names=names, skip_rows=1, block_size=CSV_BLOCK_SIZE
            ),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=tracker.handler, newlines_in_values=newlines_in_values
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                include_columns=wanted,
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except pa.ArrowInvalid as exc:
        raise unreadable(exc) from exc
    loaded = 0
    last_column = names[-1] if names and names[-1] in wanted else None
    last_value, last_line = None, 0
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except pa.ArrowInvalid as exc:
            raise unreadable(exc) from exc
        n = batch.num_rows
        lines = tracker.lines_for(n)
        if n and last_column is not None:
            last_value, last_line = batch.column(last_column)[n - 1].as_py(), int(lines[-1])
        arrays = {c: batch.column(c) for c in wanted}
        chunk = pa.table(
            {
                **arrays,
                "_ingest_seq": pa.array(seq_offset + loaded + np.arange(1, n + 1, dtype=np.int64)),
                "_source_file": pa.array([landing_file.relative] * n, pa.string()),
                "_source_row": pa.array(lines - 1),
            }
        )
        con.register("_pp_batch", chunk)
        con.execute(f"insert into {target} by name select * from _pp_batch")
        con.unregister("_pp_batch")
        before, loaded = loaded, loaded + n
        if loaded // PROGRESS_EVERY_ROWS > before // PROGRESS_EVERY_ROWS:
            log(f"{landing_file.relative}: {loaded:,} rows loaded")
    if _ends_inside_a_quote(landing_file, last_value, last_line, tracker):
        raise IngestError(
            [
                f"{landing_file.relative}: unreadable, the value of {last_column} on data row {last_line - 1} opens a "
                "quote that is never closed, so the rest of the file would be read into it; close the quote or "
                "export the file again"
            ]
        )
    return loaded, [tracker.malformed[line] for line in sorted(tracker.malformed)]


def _ends_inside_a_quote(
    landing_file: LandingFile, last_value: object, last_line: int, tracker: _CsvLineTracker
) -> bool:
    """Whether the file ends inside a quoted value: Arrow reads the end of the file as the end of an open quote, so
    a truncated export's last rows would land, unseen, in the last value (SPEC §10: nothing is lost). Only a
    quoted value holds a line break; when the file's last row holds one in its last column, the file must end
    with the closing quote (decision 156)."""
    if not isinstance(last_value, str) or ("\n" not in last_value and "\r" not in last_value):
        return False
    if any(line > last_line for line in tracker.malformed):  # a malformed row comes after: not the last row
        return False
    with landing_file.path.open("rb") as handle:
        handle.seek(max(0, landing_file.path.stat().st_size - 64))
        tail = handle.read()
    return not tail.rstrip(b"\r\n \t").endswith(b'"')


def _load_parquet(
    con: duckdb.DuckDBPyConnection,
    target: str,
    spec: TableSpec,
    landing_file: LandingFile,
    seq_offset: int,
) -> int:
    originals = dict(zip(landing_file.header, landing_file.original_header, strict=True))
    select_list = ", ".join(
        f"cast({quote_ident(originals[c])} as varchar) as {quote_ident(c)}" for c in spec.column_names
    )
    path = quote_literal(str(landing_file.path))
    try:
        inserted = con.execute(
            f"insert into {target} by name "
            f"select {select_list}, {seq_offset} + file_row_number + 1 as _ingest_seq, "
            f"{quote_literal(landing_file.relative)} as _source_file, file_row_number + 1 as _source_row "
            f"from read_parquet({path}, file_row_number = true)"
        ).fetchall()[0]
    except duckdb.Error as exc:
        message = str(exc).splitlines()[0]
        raise IngestError([f"{landing_file.relative}: unreadable Parquet file ({message})"]) from exc
    return int(inserted[0]) if inserted else 0


def _load_table(
    con: duckdb.DuckDBPyConnection, plan: TablePlan, previous: TableManifest | None, log: Log
) -> tuple[TableLoad, TableManifest]:
    """Load what the raw table lacks: nothing, the new files, or everything (see manifest.py)."""
    spec = plan.spec
    contract = contract_signature(spec)
    found = [fingerprint(f.path, f.relative) for f in plan.files]
    decision = decide(previous, contract, found)
    target = f"{RAW_SCHEMA}.{quote_ident(spec.name)}"
    kept: tuple[LoadedFile, ...] = ()
    if decision.mode == "reload":
        _create_raw_table(con, spec)
        con.execute(f"delete from {RAW_SCHEMA}.{MALFORMED_TABLE} where table_name = ?", [spec.name]).fetchall()
    elif previous is not None:
        kept = previous.files
    loaded = sum(f.rows_loaded for f in kept)
    new_files: list[LoadedFile] = []
    malformed_rows: list[tuple] = []
    for landing_file, print_ in zip(plan.files[decision.start :], found[decision.start :], strict=True):
        rows = 0
        if landing_file.is_empty:
            pass
        elif landing_file.kind == "csv":
            rows, malformed = _load_csv(con, target, spec, landing_file, loaded, log)
            malformed_rows.extend(
                (spec.name, landing_file.relative, m.line - 1, m.expected_fields, m.found_fields, m.reason)
                for m in malformed
            )
        else:
            rows = _load_parquet(con, target, spec, landing_file, loaded)
        loaded += rows
        new_files.append(LoadedFile(print_, rows))
    if malformed_rows:
        con.executemany(f"insert into {RAW_SCHEMA}.{MALFORMED_TABLE} values (?, ?, ?, ?, ?, ?)", malformed_rows)
    malformed_total = con.execute(
        f"select count(*) from {RAW_SCHEMA}.{MALFORMED_TABLE} where table_name = ?", [spec.name]
    ).fetchall()[0][0]
    load = TableLoad(
        table=spec.name,
        files=[f.relative for f in plan.files],
        rows_read=loaded,
        rows_malformed=int(malformed_total),
        extra_columns=plan.extra_columns,
        missing_optional=plan.missing_optional,
        warnings=list(plan.warnings),
        mode=decision.mode,
        reason=decision.reason,
        files_loaded=len(new_files),
    )
    if malformed_total:
        load.warnings.append(f"{spec.name}: {malformed_total} malformed CSV row(s) quarantined")
    return load, TableManifest(contract, kept + tuple(new_files))


def _describe(load: TableLoad) -> str:
    total = f"{load.rows_read:,} rows from {len(load.files)} file(s)"
    if not load.files:
        return f"{load.table}: {total}"
    if load.mode == "unchanged":
        return f"{load.table}: {total}, unchanged since the last ingest (not re-read)"
    if load.mode == "append":
        return f"{load.table}: {total}; {load.files_loaded} new file(s) appended, the others unchanged"
    return f"{load.table}: {total} ({'loaded' if load.reason == 'first load' else 'reloaded: ' + load.reason})"


def load_landing(con: duckdb.DuckDBPyConnection, landing_dir: Path, log: Log = print) -> list[TableLoad]:
    """Check, then bring every landing table's raw copy up to date in one transaction.

    Structural problems are found for all tables before anything is written; a file that turns out
    to be unreadable while loading rolls the whole ingest back, leaving the previous raw data (and
    manifest). Files already loaded and unchanged are not read again (manifest.py).
    """
    plans = plan_landing(landing_dir)
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    con.execute("begin transaction")
    try:
        previous = read_manifest(con, (MALFORMED_TABLE, REPORT_TABLE))
        if not previous:
            _create_malformed_table(con)
        loads: list[TableLoad] = []
        manifests: dict[str, TableManifest] = {}
        for plan in plans:
            load, manifests[plan.spec.name] = _load_table(con, plan, previous.get(plan.spec.name), log)
            loads.append(load)
            log(_describe(load))
        con.execute(
            f"delete from {RAW_SCHEMA}.{MALFORMED_TABLE} where table_name not in (select unnest(?::varchar[]))",
            [[plan.spec.name for plan in plans]],
        ).fetchall()
        _write_report(con, loads)
        write_manifest(con, manifests)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return loads


def _create_malformed_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"create or replace table {RAW_SCHEMA}.{MALFORMED_TABLE} "
        "(table_name varchar, source_file varchar, source_row bigint, expected_fields bigint, found_fields bigint, "
        "reason varchar)"
    )


def _write_report(con: duckdb.DuckDBPyConnection, loads: list[TableLoad]) -> None:
    con.execute(
        f"create or replace table {RAW_SCHEMA}.{REPORT_TABLE} "
        "(table_name varchar, source_files varchar, rows_read bigint, rows_malformed bigint, "
        "extra_columns varchar, is_missing_optional boolean)"
    )
    con.executemany(
        f"insert into {RAW_SCHEMA}.{REPORT_TABLE} values (?, ?, ?, ?, ?, ?)",
        [
            (
                load.table,
                json.dumps(load.files),
                load.rows_read,
                load.rows_malformed,
                json.dumps(load.extra_columns),
                load.missing_optional,
            )
            for load in loads
        ],
    )
