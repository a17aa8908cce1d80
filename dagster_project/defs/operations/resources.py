"""Dagster resources every area's steps use: where the landing data and the warehouse are
(``partnerpulse``), and the warehouse's writer lock held for the whole run (``warehouse_lock``)."""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from dagster_project.defs.operations.locking import current_holder, warehouse_lock
from dagster_project.settings import Settings


class PartnerPulseConfig(dg.ConfigurableResource):
    """Locations and limits, taken from PARTNERPULSE_* when the definitions are built."""

    landing_dir: str
    warehouse_dir: str
    first_week: str
    duckdb_memory_limit: str = "8GB"
    target: str = "duckdb"

    @classmethod
    def from_settings(cls, settings: Settings) -> PartnerPulseConfig:
        return cls(
            landing_dir=str(settings.landing_dir),
            warehouse_dir=str(settings.warehouse_dir),
            first_week=settings.first_week.isoformat(),
            duckdb_memory_limit=settings.duckdb_memory_limit,
            target=settings.target,
        )

    def settings(self) -> Settings:
        return Settings(
            landing_dir=Path(self.landing_dir),
            warehouse_dir=Path(self.warehouse_dir),
            first_week=dt.date.fromisoformat(self.first_week),
            first_week_source="definitions",
            target=self.target,
            duckdb_memory_limit=self.duckdb_memory_limit,
        )


class WarehouseLock(dg.ConfigurableResource):
    """Holds the warehouse's writer lock for the whole run (resources live as long as the run in
    the in-process executor). Every asset and check of the refresh requires it (locking.py): those that
    write the warehouse, and those that write what a refresh or a close writes after it (exports, reports,
    docs, PostgreSQL), so that one of them materialised alone from the UI cannot interleave with a CLI run."""

    warehouse_dir: str

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[WarehouseLock]:
        from dagster_project.defs.operations.instance import HOST_TAG, PID_TAG, fail_abandoned_runs

        run = context.dagster_run
        holder = f"Dagster run {run.run_id} ({run.job_name})" if run else "Dagster run"
        warehouse_dir = Path(self.warehouse_dir)
        with warehouse_lock(warehouse_dir, holder=holder):
            instance = context.instance
            if run is not None and instance is not None:
                instance.add_run_tags(run.run_id, {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()})
                # the command that holds the lock (the CLI's, when it launched this run)
                by = (current_holder(warehouse_dir) or {}).get("holder") or holder
                if run.run_id not in by:
                    by += f" (run {run.run_id})"
                log = context.log.warning if context.log is not None else print
                fail_abandoned_runs(instance, run.run_id, by=by, warehouse_dir=warehouse_dir, log=log)
            yield self
