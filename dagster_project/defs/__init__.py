"""The Dagster definitions, one package per business area. Each area owns its assets, checks, jobs,
schedules and sensors (wiring modules that import Dagster: ``assets.py``, ``checks.py``, ``jobs.py``,
``schedules.py``, ``sensors.py``, ``resources.py``, ``definitions.py``) next to its plain domain code
(no Dagster; tests/test_layout.py lists them and checks it). Each area's ``definitions.py`` has
``defs(ctx: AreaContext) -> dg.Definitions``; ``dagster_project/definitions.py`` merges them.

    landing/        landing files → raw.<table>: the contract (the dbt sources YAML), reading and loading files
    warehouse/      the dbt project as assets: staging → intermediate → marts, dbt tests as asset checks
    quality/        checks beyond dbt tests: GX suites, landing freshness, quarantine shares, row counts
    publish/        published/marts.duckdb + Parquet after the blocking checks (the gate), the dbt docs site
    payouts/        finance payout files; closing a payout period (the ledger, the close-period job)
    partner_feeds/  per-partner data feeds in encoded folders
    reports/        the weekly executive page
    operations/     the weekly refresh job, its schedule, the failure sensor and alerts, the resources,
                    the writer lock, the Dagster instance, status, backfills and running jobs for the CLI

    partitions.py   the weekly partitions every area shares; the weeks of a run
    context.py      AreaContext: what each area's defs(ctx) receives
"""
