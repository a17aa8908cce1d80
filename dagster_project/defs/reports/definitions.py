"""The reports area: the weekly executive page."""

import dagster as dg

from dagster_project.defs.context import AreaContext
from dagster_project.defs.reports.assets import build_executive_page_asset


def defs(ctx: AreaContext) -> dg.Definitions:
    return dg.Definitions(assets=[build_executive_page_asset(ctx.partitions)])
