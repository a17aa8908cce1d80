"""The landing area: the ingest multi-asset (landing files → ``raw.<table>``)."""

import dagster as dg

from dagster_project.defs.context import AreaContext
from dagster_project.defs.landing.assets import build_ingest_assets


def defs(ctx: AreaContext) -> dg.Definitions:
    return dg.Definitions(assets=[build_ingest_assets(ctx.partitions)])
