"""The serving area: the published marts and partner feeds in PostgreSQL."""

import dagster as dg

from dagster_project.defs.context import AreaContext
from dagster_project.defs.serving.assets import build_postgres_asset


def defs(ctx: AreaContext) -> dg.Definitions:
    return dg.Definitions(assets=[build_postgres_asset(ctx.partitions)])
