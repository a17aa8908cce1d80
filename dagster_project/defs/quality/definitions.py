"""The quality area: the landing freshness checks (after ingest) and the data-quality checks (after dbt)."""

import dagster as dg

from dagster_project.defs.context import AreaContext
from dagster_project.defs.quality.checks import build_freshness_checks, build_quality_checks
from dagster_project.defs.quality.config import expectations_dir


def defs(ctx: AreaContext) -> dg.Definitions:
    suites_dir = expectations_dir()
    checks = [build_quality_checks(ctx.mart_tables, ctx.mart_keys, suites_dir)]
    freshness_checks = build_freshness_checks(suites_dir)
    if freshness_checks is not None:
        checks.append(freshness_checks)
    return dg.Definitions(asset_checks=checks)
