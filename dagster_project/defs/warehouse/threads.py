"""How many models a refresh's dbt build runs at once (issue 13: memory at 200,000 accounts, decision 143)."""

from __future__ import annotations

import os

from dagster_project.settings import THREADS_ENV

# Above this many landed rows a DuckDB build runs one model at a time. The 200,000-account demo lands
# 155M rows, the 20,000-account one 15.5M.
ONE_AT_A_TIME_MIN_LANDED_ROWS = 50_000_000


def build_threads(target: str, landed_rows: int) -> int | None:
    """dbt's threads for a refresh's build where they differ from the profile's (``PARTNERPULSE_DBT_THREADS``,
    default 2), else None.

    On DuckDB the queries of all dbt threads share one memory limit (``PARTNERPULSE_DUCKDB_MEMORY_LIMIT``).
    With more than ``ONE_AT_A_TIME_MIN_LANDED_ROWS`` landed rows, two of the largest models built side by side
    ran out of memory at the default 8 GB — not always the same two — while each alone spills to disk
    within it (decision 143). So such a build runs one model at a time, each query with the whole limit;
    DuckDB still uses every core inside a query. PostgreSQL and Spark are left as they are (a PostgreSQL
    thread is a server process with its own memory; Spark's driver plans the memory of its jobs), and so is
    a build whose ``PARTNERPULSE_DBT_THREADS`` the user set."""
    if os.environ.get(THREADS_ENV) or target != "duckdb" or landed_rows <= ONE_AT_A_TIME_MIN_LANDED_ROWS:
        return None
    return 1
