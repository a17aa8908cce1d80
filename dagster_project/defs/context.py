"""What every area's ``defs(ctx)`` receives from ``dagster_project/definitions.py``."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from dagster_project.settings import Settings


@dataclass(frozen=True)
class AreaContext:
    """The settings, the weekly partitions every asset shares, and the dbt assets other areas build on."""

    settings: Settings
    partitions: dg.PartitionsDefinition
    dbt_assets: dg.AssetsDefinition  # the warehouse area's dbt models, seeds and tests
    mart_tables: list[str]  # the models published to BI (dbt schema ``marts``), sorted
    mart_keys: list[dg.AssetKey]  # their asset keys, in the same order
