"""The landing contract (SPEC §2), read from the dbt source files.

``models/staging/<source>/_<source>__sources.yml`` is the single source of truth: the ingest step
uses it to know which tables and columns to expect, the dbt base models use the same column
``meta`` to type and validate rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from dagster_project.settings import MODELS_DIR

RAW_SCHEMA = "raw"
BOOKKEEPING_COLUMNS = ("_ingest_seq", "_source_file", "_source_row")


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    nullable: bool
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    source: str
    name: str
    columns: tuple[ColumnSpec, ...]
    primary_key: tuple[str, ...]
    optional: bool

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def file_hint(self) -> str:
        return f"{self.name}.csv, {self.name}.parquet or a folder {self.name}/ of such files"


def _read_sources(models_dir: Path) -> list[dict]:
    sources: list[dict] = []
    for path in sorted(models_dir.glob("staging/*/_*__sources.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        sources.extend(doc.get("sources", []))
    return sources


@cache
def landing_tables(models_dir: Path = MODELS_DIR) -> tuple[TableSpec, ...]:
    """All landing tables of the contract, in a stable order (source file, then table order)."""
    tables: list[TableSpec] = []
    for source in _read_sources(models_dir):
        if not (source.get("meta") or {}).get("landing"):
            continue
        for table in source.get("tables", []):
            meta = table.get("meta") or {}
            columns = tuple(
                ColumnSpec(
                    name=col["name"],
                    type=str((col.get("meta") or {}).get("type", "text")),
                    nullable=bool((col.get("meta") or {}).get("nullable", False)),
                    enum=tuple((col.get("meta") or {}).get("enum") or ()),
                )
                for col in table.get("columns", [])
            )
            tables.append(
                TableSpec(
                    source=source["name"],
                    name=table["name"],
                    columns=columns,
                    primary_key=tuple(meta.get("primary_key") or ()),
                    optional=bool(meta.get("optional", False)),
                )
            )
    return tuple(tables)


def table_spec(name: str) -> TableSpec:
    for spec in landing_tables():
        if spec.name == name:
            return spec
    raise KeyError(f"'{name}' is not a landing table of the contract")
