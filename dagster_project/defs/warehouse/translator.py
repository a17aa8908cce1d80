"""How dbt resources become Dagster assets: groups by layer, dbt sources on the landing and ledger keys."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from dagster_project.defs.landing.assets import landing_asset_key

LAYERS = ("staging", "intermediate", "marts")


class LayeredTranslator(DagsterDbtTranslator):
    """Groups dbt assets by layer (staging / intermediate / marts; seeds in config) and maps dbt
    sources onto the ingest assets' keys (``landing/<table>``); the payout ledger's control tables
    (written by ``close-period``) are ``ledger/<table>``."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            if dbt_resource_props["source_name"] == "ledger":
                return dg.AssetKey(["ledger", dbt_resource_props["name"]])
            return landing_asset_key(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "config"
        fqn = dbt_resource_props.get("fqn") or []
        if len(fqn) > 1 and fqn[1] in LAYERS:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)
