"""The landing contract (SPEC §2), read from the dbt source files.

``models/staging/<source>/_<source>__sources.yml`` is the single source of truth: the ingest step
uses it to know which tables and columns to expect, the dbt base models use the same column
``meta`` to type and validate rows.

dbt's models that loop over every landing table (the quarantine, the refresh log) need the list
while dbt parses the project, before it has read any YAML, so it is written out for them in
``dbt_project/macros/landing_tables.sql``, generated from the sources by
``python -m dagster_project.defs.landing.contract`` (tests/test_dbt_project.py fails when it is
out of date; ``--check`` says so without writing).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dagster_project.lib.yamlfile import load_yaml
from dagster_project.settings import DBT_PROJECT_DIR, MODELS_DIR

RAW_SCHEMA = "raw"
DBT_LANDING_TABLES_MACRO = DBT_PROJECT_DIR / "macros" / "landing_tables.sql"
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
        doc = load_yaml(path) or {}
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


_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def landing_tables_macro(models_dir: Path = MODELS_DIR) -> str:
    """The text of ``dbt_project/macros/landing_tables.sql``: every landing table of the contract as
    ``[source, table]``, in contract order, as a literal dbt can read while it parses."""
    entries = []
    for spec in landing_tables(models_dir):
        for name in (spec.source, spec.name):
            if not _IDENTIFIER.fullmatch(name):
                raise ValueError(f"landing source or table name '{name}' is not a lowercase SQL identifier")
        entries.append(f"        ['{spec.source}', '{spec.name}'],")
    lines = [
        "{#- GENERATED from the landing sources (models/staging/*/_*__sources.yml, meta landing: true) by",
        "    `python -m dagster_project.defs.landing.contract`: do not edit; run that command after adding,",
        "    removing or renaming a landing table (tests/test_dbt_project.py fails until you do).",
        "    Every landing table as [source, table]. A literal, not read from the graph: the refs built",
        "    from it must be known while dbt parses the project, before it reads the sources. -#}",
        "{% macro landing_table_list() -%}",
        "    {{ return([",
        *entries,
        "    ]) }}",
        "{%- endmacro %}",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write dbt_project/macros/landing_tables.sql from the landing sources YAML."
    )
    parser.add_argument("--check", action="store_true", help="only say whether the file is up to date (exit 1 if not)")
    args = parser.parse_args(argv)
    expected = landing_tables_macro()
    current = DBT_LANDING_TABLES_MACRO.read_text(encoding="utf-8") if DBT_LANDING_TABLES_MACRO.exists() else None
    if current == expected:
        print(f"{DBT_LANDING_TABLES_MACRO} is up to date ({len(landing_tables())} landing tables).")
        return 0
    if args.check:
        print(f"{DBT_LANDING_TABLES_MACRO} is out of date: run `python -m dagster_project.defs.landing.contract`.")
        return 1
    DBT_LANDING_TABLES_MACRO.write_text(expected, encoding="utf-8")
    print(f"wrote {DBT_LANDING_TABLES_MACRO} ({len(landing_tables())} landing tables).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
