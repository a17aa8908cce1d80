"""Landing files → the warehouse's raw schema (SPEC §2, §10)."""

from dagster_project.ingest.files import IngestError
from dagster_project.ingest.loader import TableLoad, load_landing, plan_landing

__all__ = ["IngestError", "TableLoad", "load_landing", "plan_landing"]
