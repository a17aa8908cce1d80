"""The payouts area: the finance files of every refresh and the close-period job."""

import dagster as dg

from dagster_project.defs.context import AreaContext
from dagster_project.defs.payouts.assets import build_finance_exports_asset
from dagster_project.defs.payouts.jobs import close_payout_period_job


def defs(ctx: AreaContext) -> dg.Definitions:
    return dg.Definitions(assets=[build_finance_exports_asset(ctx.partitions)], jobs=[close_payout_period_job])
