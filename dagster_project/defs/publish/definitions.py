"""The publish area: the published marts (after the gate) and the dbt docs site."""

import dagster as dg

from dagster_project.defs.context import AreaContext
from dagster_project.defs.publish.assets import build_docs_asset, build_publish_asset


def defs(ctx: AreaContext) -> dg.Definitions:
    return dg.Definitions(
        assets=[build_publish_asset(ctx.partitions, ctx.mart_keys, ctx.mart_tables), build_docs_asset(ctx.partitions)]
    )
