"""The dbt project's shape, from the parsed manifest (no warehouse needed, a few seconds).

- Layers: an intermediate model never depends on a mart (facts a mart and an intermediate model
  both need live in the intermediate layer; the marts build on them).
- Size: no model over 250 lines; a model that grows past that does more than one job.
- Docs: every model has a description in its folder's ``_<folder>__models.yml``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dagster_project.defs.landing import contract
from dagster_project.defs.payouts import contract as payout_contract

MAX_MODEL_LINES = 250
MODELS_ROOT = Path(__file__).resolve().parents[1] / "models"


def _models(manifest_path: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["package_name"] == "partnerpulse"
    }


def _layer(node: dict[str, Any]) -> str:
    """staging / intermediate / marts: the folder under models/ (fqn = [project, layer, ...])."""
    return node["fqn"][1]


def test_intermediate_models_never_depend_on_marts(dbt_manifest: Path):
    models = _models(dbt_manifest)
    assert {_layer(node) for node in models.values()} == {"staging", "intermediate", "marts"}
    offending = sorted(
        f"{node['name']} -> {models[parent]['name']}"
        for node in models.values()
        if _layer(node) == "intermediate"
        for parent in node["depends_on"]["nodes"]
        if parent in models and _layer(models[parent]) == "marts"
    )
    assert offending == [], f"intermediate models that read a mart: {offending}"


def test_no_model_over_250_lines():
    sizes = {
        str(path.relative_to(MODELS_ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in MODELS_ROOT.rglob("*.sql")
    }
    assert len(sizes) > 100
    too_long = {path: lines for path, lines in sizes.items() if lines > MAX_MODEL_LINES}
    assert too_long == {}, f"models over {MAX_MODEL_LINES} lines: {too_long}"


def test_every_model_is_documented_in_its_folders_yaml(dbt_manifest: Path):
    undocumented = []
    for node in _models(dbt_manifest).values():
        model_folder = Path(node["original_file_path"]).parent
        patch = node.get("patch_path") or ""
        yaml_file = Path(patch.split("://", 1)[-1]) if patch else None
        # a base model (staging/<source>/base/) is documented with its source's staging models
        folders = {model_folder, model_folder.parent} if model_folder.name == "base" else {model_folder}
        if not node["description"].strip() or yaml_file is None or yaml_file.parent not in folders:
            undocumented.append(node["original_file_path"])
    assert sorted(undocumented) == []


def test_landing_table_list_matches_the_sources(dbt_manifest: Path):
    """macros/landing_tables.sql lists the landing tables literally (refs built from it must be
    known when dbt parses): dq_refresh_log reads every table of that list, and nothing else but
    the ingest's own tables, so its sources must be exactly the landing sources of the YAML."""
    manifest = json.loads(dbt_manifest.read_text(encoding="utf-8"))
    landing_sources = {
        unique_id
        for unique_id, source in manifest["sources"].items()
        if source["package_name"] == "partnerpulse" and source["source_name"] not in {"ingest", "ledger", "ops"}
    }
    refresh_log = manifest["nodes"]["model.partnerpulse.dq_refresh_log"]
    listed = {parent for parent in refresh_log["depends_on"]["nodes"] if parent.startswith("source.")}
    listed -= {parent for parent in listed if manifest["sources"][parent]["source_name"] == "ingest"}
    assert len(landing_sources) == 21
    assert listed == landing_sources


def test_landing_table_macro_is_generated_from_the_sources():
    """macros/landing_tables.sql is written by ``python -m dagster_project.defs.landing.contract``;
    after a landing table is added to a sources YAML, this fails until that command is run."""
    assert contract.DBT_LANDING_TABLES_MACRO.read_text(encoding="utf-8") == contract.landing_tables_macro()
    assert contract.main(["--check"]) == 0


def test_payout_line_and_incentive_types_are_read_from_the_ledger_contract():
    """The payout code reads a line's columns and the incentive types from fct_incentive_payouts'
    contract YAML (the one declaration; dbt renders the ledger SQL from the same YAML)."""
    assert payout_contract.payout_line_columns() == (
        "payout_line_id", "payout_period", "partner_id", "partner_tier", "incentive_type", "source_type",
        "source_id", "account_id", "earned_on", "basis_usd", "rate", "amount_usd", "plan_version",
        "description", "adjusts_payout_line_id", "adjusts_period",
    )  # fmt: skip
    assert [c.name for c in payout_contract.ledger_columns()][-1] == "period_status"
    assert payout_contract.incentive_types() == (
        "expansion_commission", "renewal_bonus", "multi_product_spiff", "nrr_performance_bonus",
        "health_improvement_reward", "clawback", "adjustment",
    )  # fmt: skip
