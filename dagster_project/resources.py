"""Dagster resources: where the landing data and the warehouse are."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg

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
