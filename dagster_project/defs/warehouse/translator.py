"""How dbt resources become Dagster assets: groups by layer, dbt sources on the landing, ledger and ops keys,
descriptions from the dbt YAML."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from dagster_project.defs.landing.assets import landing_asset_key

LAYERS = ("staging", "intermediate", "marts")


class LayeredTranslator(DagsterDbtTranslator):
    """Groups dbt assets by layer (staging / intermediate / marts; seeds in config) and maps dbt
    sources onto the ingest assets' keys (``landing/<table>``); the payout ledger's control tables
    (written by ``close-period``) are ``ledger/<table>``, the refresh window the orchestrator writes
    before dbt runs (defs/warehouse/refresh_window.py) ``ops/<table>``. A description is the one
    written in the dbt YAML, never dagster-dbt's default (that appends the raw SQL under a
    "#### Raw SQL" heading, an empty code block for a seed)."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            if dbt_resource_props["source_name"] in {"ledger", "ops"}:
                return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
            return landing_asset_key(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        return resource_description(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "config"
        fqn = dbt_resource_props.get("fqn") or []
        if len(fqn) > 1 and fqn[1] in LAYERS:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)


def resource_description(dbt_resource_props: Mapping[str, Any]) -> str:
    """The resource's YAML description, else a short fallback naming it (``dbt seed incentive_plan``)."""
    description = (dbt_resource_props.get("description") or "").strip()
    return description or f"dbt {dbt_resource_props['resource_type']} {dbt_resource_props['name']}"
