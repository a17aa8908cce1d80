"""The payout ledger's declaration (SPEC §8), read from the dbt model YAML.

The enforced contract of ``fct_incentive_payouts`` (``models/marts/payouts/_payouts__models.yml``)
is the one place that lists

- a payout line's columns, names and types in order: every column of the contract but those marked
  ``meta: {payout_line: false}`` (``period_status``, the state of the line's period);
- the incentive types, in the order of the statement columns: the ``accepted_values`` of its
  ``incentive_type`` column.

dbt renders the ledger's SQL from the same YAML (``dbt_project/macros/ledger.sql``); the close and
the finance files read it here. It is read from the YAML file itself (as the landing contract is),
so that it needs neither dbt nor a parsed manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from dagster_project.lib.yamlfile import load_yaml
from dagster_project.settings import MODELS_DIR

LEDGER_MODEL = "fct_incentive_payouts"
STATEMENT_MODEL = "rpt_partner_payout_statement"


class ContractError(ValueError):
    """The model YAML does not declare what the payout code needs; the message says where and what."""


@dataclass(frozen=True)
class ContractColumn:
    name: str
    data_type: str
    payout_line: bool  # a column of the line itself (False: period_status, the state of its period)


@cache
def _model_entries(models_dir: Path) -> tuple[dict[str, Any], ...]:
    """Every entry under ``models:`` in the ``models/**/*.yml`` files (read once per process)."""
    entries: list[dict[str, Any]] = []
    for path in sorted(models_dir.rglob("*.yml")):
        document = load_yaml(path) or {}
        entries.extend(entry for entry in document.get("models") or [] if isinstance(entry, dict))
    return tuple(entries)


def model_properties(model: str, models_dir: Path = MODELS_DIR) -> dict[str, Any]:
    """The YAML properties of ``model`` (its entry under ``models:`` in a ``models/**/*.yml`` file)."""
    found = [entry for entry in _model_entries(models_dir) if entry.get("name") == model]
    if len(found) != 1:
        raise ContractError(f"model {model} is described {len(found)} times in {models_dir}/**/*.yml; expected once")
    return found[0]


def contract_columns(model: str, models_dir: Path = MODELS_DIR) -> tuple[ContractColumn, ...]:
    """The columns of ``model``'s contract, in order, each with its data_type."""
    columns = []
    for column in model_properties(model, models_dir).get("columns") or []:
        if not column.get("data_type"):
            raise ContractError(f"column {model}.{column.get('name')} has no data_type in its contract")
        meta = column.get("meta") or (column.get("config") or {}).get("meta") or {}
        columns.append(ContractColumn(column["name"], str(column["data_type"]), bool(meta.get("payout_line", True))))
    return tuple(columns)


def accepted_values(model: str, column: str, models_dir: Path = MODELS_DIR) -> tuple[str, ...]:
    """The values of the ``accepted_values`` test on ``model.column``, in their YAML order."""
    for entry in model_properties(model, models_dir).get("columns") or []:
        if entry.get("name") != column:
            continue
        for test in entry.get("data_tests") or entry.get("tests") or []:
            if isinstance(test, dict) and "accepted_values" in test:
                settings = test["accepted_values"] or {}
                values = (settings.get("arguments") or settings).get("values")
                if values:
                    return tuple(str(value) for value in values)
    raise ContractError(f"{model}.{column} has no accepted_values test listing its values")


def ledger_columns(models_dir: Path = MODELS_DIR) -> tuple[ContractColumn, ...]:
    """Every column of the published ledger (the payout line's and period_status), in order."""
    return contract_columns(LEDGER_MODEL, models_dir)


def payout_line_columns(models_dir: Path = MODELS_DIR) -> tuple[str, ...]:
    """A payout line's columns, as stored in ``ledger.payout_lines_closed`` (before ``closed_at``)."""
    return tuple(column.name for column in ledger_columns(models_dir) if column.payout_line)


def incentive_types(models_dir: Path = MODELS_DIR) -> tuple[str, ...]:
    """The incentive types, in statement column order."""
    return accepted_values(LEDGER_MODEL, "incentive_type", models_dir)


def ledger_table_columns(table: str, models_dir: Path = MODELS_DIR) -> tuple[tuple[str, str], ...]:
    """(name, data_type) of a ledger control table, as dbt's on-run-start creates it
    (``create_ledger_table`` in dbt_project/macros/ledger.sql): ``payout_periods`` from its source
    declaration; ``payout_lines_closed`` a payout line's columns, then its source's (closed_at)."""
    path = models_dir / "staging" / "ledger" / "_ledger__sources.yml"
    sources = (load_yaml(path) or {}).get("sources") or []
    declared = {
        entry["name"]: tuple((column["name"], str(column["data_type"])) for column in entry.get("columns") or [])
        for source in sources
        if source.get("name") == "ledger"
        for entry in source.get("tables") or []
    }
    if table not in declared:
        raise ContractError(f"{path}: the ledger source declares no table {table}")
    if table == "payout_lines_closed":
        line = tuple((column.name, column.data_type) for column in ledger_columns(models_dir) if column.payout_line)
        return line + declared[table]
    return declared[table]
