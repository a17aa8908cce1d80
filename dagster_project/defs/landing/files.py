"""Finding and checking landing files before anything is loaded.

A landing table arrives as ``<table>.csv``, ``<table>.parquet`` or a folder ``<table>/`` of such
files. Structural problems (missing required table or column, unreadable file) are collected
for every table and reported together, so one run tells a person everything they must fix.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from dagster_project.defs.landing.contract import TableSpec

DATA_SUFFIXES = (".csv", ".parquet")
UTF8_SAMPLE_BYTES = 1 << 20  # checked before a run starts (the load checks every byte)


class IngestError(RuntimeError):
    """Structurally unusable landing input; the message lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"The landing data cannot be used ({len(problems)} problem(s)); nothing was published:\n{lines}"
        )


@dataclass
class LandingFile:
    path: Path
    relative: str
    kind: str  # "csv" or "parquet"
    header: list[str] = field(default_factory=list)  # normalized (trimmed, lowercase) names
    original_header: list[str] = field(default_factory=list)  # names as written in the file
    is_empty: bool = False  # a 0-byte CSV: present, no header, no rows


@dataclass
class TablePlan:
    spec: TableSpec
    files: list[LandingFile]
    missing_optional: bool = False
    extra_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _relative(path: Path, landing_dir: Path) -> str:
    try:
        return path.relative_to(landing_dir).as_posix()
    except ValueError:
        return str(path)


def _locate(spec: TableSpec, landing_dir: Path) -> tuple[list[Path], list[str]]:
    """Return the data files for a table (sorted) and any problems locating them."""
    candidates = [landing_dir / f"{spec.name}{suffix}" for suffix in DATA_SUFFIXES]
    folder = landing_dir / spec.name
    found = [p for p in candidates if p.is_file()]
    if folder.is_dir():
        found.append(folder)
    if len(found) > 1:
        names = ", ".join(_relative(p, landing_dir) for p in found)
        return [], [f"{spec.name}: found more than one landing source ({names}); keep exactly one"]
    if not found:
        return [], []
    if found[0].is_dir():
        files = sorted(p for p in found[0].rglob("*") if p.is_file() and p.suffix.lower() in DATA_SUFFIXES)
        return files, []
    return found, []


def _read_csv_header(path: Path, relative: str) -> tuple[list[str], bool, list[str]]:
    """Header names of a CSV file as written, whether the file is empty, problems."""
    if path.stat().st_size == 0:
        return [], True, []
    try:
        with path.open("rb") as handle:
            line = handle.readline()
        first = next(csv.reader([line.decode("utf-8-sig")]), None)
    except UnicodeDecodeError as exc:
        return [], False, [f"{relative}: unreadable, the header is not valid UTF-8 ({exc.reason})"]
    except (OSError, csv.Error) as exc:
        return [], False, [f"{relative}: unreadable ({exc})"]
    if first is None:
        return [], True, []
    return first, False, []


def _read_parquet_header(path: Path, relative: str) -> tuple[list[str], list[str]]:
    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        return [], [f"{relative}: unreadable Parquet file ({type(exc).__name__}: {exc})"]
    return list(schema.names), []


def utf8_sample_problem(landing_file: LandingFile, sample_bytes: int = UTF8_SAMPLE_BYTES) -> str | None:
    """A quick look at the start of a CSV before a run: its first ``sample_bytes`` must be UTF-8.

    A file saved in another encoding (Latin-1, UTF-16 from a spreadsheet) is usually visible in its
    first rows; the load itself still checks every byte. None when the sample reads fine.
    """
    if landing_file.kind != "csv" or landing_file.is_empty:
        return None
    try:
        with landing_file.path.open("rb") as handle:
            sample = handle.read(sample_bytes)
    except OSError as exc:
        return f"{landing_file.relative}: unreadable ({exc.strerror or exc})"
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(sample, final=False)  # a cut character is fine
    except UnicodeDecodeError as exc:
        line = sample.count(b"\n", 0, exc.start) + 1
        return (
            f"{landing_file.relative}: unreadable, line {line} is not valid UTF-8 (byte 0x{sample[exc.start]:02x} "
            f"at offset {exc.start}); save the file as UTF-8"
        )
    return None


def plan_table(spec: TableSpec, landing_dir: Path) -> tuple[TablePlan, list[str]]:
    """Locate and check one table's files. Returns the plan and the structural problems."""
    paths, problems = _locate(spec, landing_dir)
    plan = TablePlan(spec=spec, files=[])
    if problems:
        return plan, problems
    if not paths:
        folder = landing_dir / spec.name
        if folder.is_dir():
            if spec.optional:
                plan.warnings.append(f"{spec.name}/: folder has no .csv or .parquet files; loaded as empty")
                return plan, []
            # a required table's export that produced no file is a missing file (SPEC §10)
            found = sorted(entry.name for entry in folder.iterdir())
            held = f"it holds {', '.join(found[:5])}{' …' if len(found) > 5 else ''}" if found else "it is empty"
            return plan, [
                f"{spec.name}/: the folder of a required landing table has no .csv or .parquet file ({held}); "
                f"expected {spec.file_hint}"
            ]
        if spec.optional:
            plan.missing_optional = True
            plan.warnings.append(f"{spec.name}: optional table not found ({spec.file_hint}); loaded as empty")
            return plan, []
        return plan, [f"{spec.name}: required landing table is missing; expected {spec.file_hint} in {landing_dir}"]

    expected = list(spec.column_names)
    extras: set[str] = set()
    for path in paths:
        relative = _relative(path, landing_dir)
        kind = path.suffix.lower().lstrip(".")
        if kind == "csv":
            header, empty, file_problems = _read_csv_header(path, relative)
        else:
            (header, file_problems), empty = _read_parquet_header(path, relative), False
        problems.extend(file_problems)
        if file_problems:
            continue
        landing_file = LandingFile(
            path=path,
            relative=relative,
            kind=kind,
            header=[name.strip().lower() for name in header],
            original_header=header,
            is_empty=empty,
        )
        header = landing_file.header
        plan.files.append(landing_file)
        if empty:
            plan.warnings.append(f"{relative}: empty file (no header, no rows); loaded as 0 rows")
            continue
        duplicated = sorted({h for h in header if header.count(h) > 1})
        if duplicated:
            problems.append(f"{relative}: column(s) {', '.join(duplicated)} appear more than once in the header")
        for column in expected:
            if column not in header:
                problems.append(
                    f"{relative}: required column {column} is missing "
                    f"(expected columns: {', '.join(expected)}; found: {', '.join(header) or 'none'})"
                )
        extras.update(h for h in header if h not in expected and h)
    plan.extra_columns = sorted(extras)
    if plan.extra_columns:
        plan.warnings.append(
            f"{spec.name}: extra column(s) {', '.join(plan.extra_columns)} are not in the contract and are ignored"
        )
    return plan, problems
