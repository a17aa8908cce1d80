"""The partner feeds area: one folder of data feeds per partner."""

import dagster as dg

from dagster_project.defs.context import AreaContext
from dagster_project.defs.partner_feeds.assets import build_partner_feeds_asset


def defs(ctx: AreaContext) -> dg.Definitions:
    return dg.Definitions(assets=[build_partner_feeds_asset(ctx.partitions)])
