"""The warehouse area: the dbt assets (built once by dagster_project/definitions.py, in ``ctx``) and the
``dbt`` resource."""

import dagster as dg

from dagster_project.defs.context import AreaContext
from dagster_project.defs.warehouse.project import get_dbt_project
from dagster_project.defs.warehouse.resource import PartnerPulseDbtCliResource
from dagster_project.settings import DBT_EXECUTABLE


def defs(ctx: AreaContext) -> dg.Definitions:
    return dg.Definitions(
        assets=[ctx.dbt_assets],
        resources={"dbt": PartnerPulseDbtCliResource(project_dir=get_dbt_project(), dbt_executable=DBT_EXECUTABLE)},
    )
