"""The operations area: the weekly refresh job and its schedule, the failure sensor, and the resources
every area's steps use."""

import dagster as dg

from dagster_project.defs.context import AreaContext
from dagster_project.defs.operations.jobs import build_refresh_job
from dagster_project.defs.operations.resources import PartnerPulseConfig, WarehouseLock
from dagster_project.defs.operations.schedules import build_schedule
from dagster_project.defs.operations.sensors import build_failure_sensor


def defs(ctx: AreaContext) -> dg.Definitions:
    refresh_job = build_refresh_job(ctx.partitions)
    return dg.Definitions(
        jobs=[refresh_job],
        schedules=[build_schedule(refresh_job)],
        sensors=[build_failure_sensor(ctx.settings.warehouse_dir)],
        resources={
            "partnerpulse": PartnerPulseConfig.from_settings(ctx.settings),
            "warehouse_lock": WarehouseLock(warehouse_dir=str(ctx.settings.warehouse_dir)),
        },
    )
