"""Starter suites for tables that have none: ``python -m dagster_project.defs.quality.scaffold``.

Landing tables get their rules from the contract (``_<source>__sources.yml``): key not null and
unique, required columns not null, enumerations, ranges. Marts get theirs from the dbt manifest:
``not_null`` constraints, ``unique`` / ``unique_combination`` / ``accepted_values`` tests and
``expression_is_true: between a and b`` column tests; incremental marts with a ``week_start`` (or
``refresh_week``) column are validated per refreshed week. Existing files are never overwritten;
review what is written and add what only a person knows (plausible ranges, null shares, rules
across columns), then commit it.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from dagster_project.defs.landing.contract import TableSpec, landing_tables
from dagster_project.defs.quality.config import expectations_dir
from dagster_project.defs.quality.suites import dump_suite, suite_path
from dagster_project.lib.dbt_manifest import read_manifest

_BETWEEN = re.compile(r"^\s*between\s+(-?[\d.]+)\s+and\s+(-?[\d.]+)\s*$", re.IGNORECASE)
WEEK_COLUMNS = ("week_start", "refresh_week")


def _expectation(kind: str, severity: str = "critical", **kwargs: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"type": kind, "kwargs": kwargs}
    if severity != "critical":
        document["severity"] = severity
    return document


def _unique(columns: list[str]) -> dict[str, Any]:
    if len(columns) == 1:
        return _expectation("expect_column_values_to_be_unique", column=columns[0])
    return _expectation("expect_compound_columns_to_be_unique", column_list=columns)


def landing_suite(spec: TableSpec, meta_columns: dict[str, dict[str, Any]]) -> dict[str, Any]:
    key = list(spec.primary_key)
    expectations: list[dict[str, Any]] = [_expectation("expect_column_values_to_not_be_null", column=c) for c in key]
    if key:
        expectations.append(_unique(key))
    for column in spec.columns:
        meta = meta_columns.get(column.name, {})
        if not column.nullable and column.name not in key:
            expectations.append(_expectation("expect_column_values_to_not_be_null", column=column.name))
        if column.enum:
            expectations.append(
                _expectation("expect_column_values_to_be_in_set", column=column.name, value_set=list(column.enum))
            )
        if column.type == "currency":
            expectations.append(
                _expectation("expect_column_values_to_match_regex", column=column.name, regex="^[A-Z]{3}$")
            )
        bounds: dict[str, Any] = {}
        if "min" in meta:
            bounds["min_value"] = meta["min"]
        if "min_exclusive" in meta:
            bounds.update(min_value=meta["min_exclusive"], strict_min=True)
        if "max" in meta:
            bounds["max_value"] = meta["max"]
        if bounds:
            expectations.append(_expectation("expect_column_values_to_be_between", column=column.name, **bounds))
    return {
        "name": f"landing.{spec.name}",
        "meta": {
            "partnerpulse": {"key": key},
            "notes": f"Landing table {spec.name}, validated on its staged rows (the rows that passed the contract).",
        },
        "expectations": expectations,
    }


def _contract_column_meta() -> dict[str, dict[str, dict[str, Any]]]:
    from dagster_project.lib.yamlfile import load_yaml
    from dagster_project.settings import MODELS_DIR

    found: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted(MODELS_DIR.glob("staging/*/_*__sources.yml")):
        for source in (load_yaml(path) or {}).get("sources", []):
            for table in source.get("tables", []):
                found[table["name"]] = {c["name"]: c.get("meta") or {} for c in table.get("columns", [])}
    return found


def mart_suite(name: str, manifest: dict[str, Any]) -> dict[str, Any]:
    node = next(n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == name)
    expectations: list[dict[str, Any]] = []
    key: list[str] = []
    for column, props in node["columns"].items():
        if any(c.get("type") == "not_null" for c in props.get("constraints") or []):
            expectations.append(_expectation("expect_column_values_to_not_be_null", column=column))
    for test in manifest["nodes"].values():
        if test["resource_type"] != "test" or test.get("attached_node") != node["unique_id"]:
            continue
        meta = test.get("test_metadata") or {}
        kwargs = meta.get("kwargs") or {}
        column = test.get("column_name")
        if meta.get("name") == "unique" and column:
            expectations.append(_unique([column]))
            key = key or [column]
        elif meta.get("name") == "unique_combination":
            expectations.append(_unique(list(kwargs["columns"])))
            key = key or list(kwargs["columns"])
        elif meta.get("name") == "accepted_values" and column:
            expectations.append(
                _expectation("expect_column_values_to_be_in_set", column=column, value_set=list(kwargs["values"]))
            )
        elif meta.get("name") == "expression_is_true" and column and (m := _BETWEEN.match(kwargs["expression"])):
            low, high = (float(v) if "." in v else int(v) for v in m.groups())
            expectations.append(
                _expectation("expect_column_values_to_be_between", column=column, min_value=low, max_value=high)
            )
    settings: dict[str, Any] = {"key": key}
    week_column = next((c for c in WEEK_COLUMNS if c in node["columns"]), None)
    if node["config"].get("materialized") == "incremental" and week_column:
        settings["week_column"] = week_column
    return {
        "name": f"marts.{name}",
        "meta": {"partnerpulse": settings, "notes": f"Published mart {name}."},
        "expectations": expectations,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None, help="suite folder (default: expectations/)")
    args = parser.parse_args(argv)
    from dagster_project.defs.warehouse.project import get_dbt_project, mart_model_names

    directory = args.dir or expectations_dir()
    directory.mkdir(parents=True, exist_ok=True)
    project = get_dbt_project()
    manifest = read_manifest(project.manifest_path)
    meta = _contract_column_meta()
    written = []
    for spec in landing_tables():
        path = suite_path(directory, "landing", spec.name)
        if not path.exists():
            path.write_text(dump_suite(landing_suite(spec, meta.get(spec.name, {}))))
            written.append(path)
    for name in mart_model_names(project.manifest_path):
        path = suite_path(directory, "marts", name)
        if not path.exists():
            path.write_text(dump_suite(mart_suite(name, manifest)))
            written.append(path)
    for path in written:
        print(f"wrote {path}")
    print(f"{len(written)} starter suite(s) written; review them and add plausibility rules before committing.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
