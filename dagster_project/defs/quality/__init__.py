"""Data-quality checks beyond dbt tests (SPEC §10): Great Expectations suites from ``expectations/``,
landing freshness, quarantine shares and week-over-week row counts, run as Dagster asset checks.
(The dbt tests are asset checks too, of the warehouse area's dbt assets.)

    config.py       thresholds from PARTNERPULSE_* (README "Configuration")
    suites.py       the suite files: loading, naming, per-suite settings in ``meta.partnerpulse``
    frames.py       reading a suite's rows from DuckDB (scope, deterministic sample for big tables)
    gx_suites.py    running a suite with Great Expectations 1.x (imported lazily)
    reuse.py        a landing suite's passed result, reused while its staged rows and suite are unchanged
    freshness.py    newest landing date vs the partition's as-of date
    row_counts.py   per-table row counts per refresh week, compared with the previous week
    quarantine.py   quarantined share per landing table from marts.dq_refresh_log
    checks.py       the Dagster asset checks that tie these together
    definitions.py  the area's Dagster definitions
    scaffold.py     ``python -m dagster_project.defs.quality.scaffold``: starter suites for new tables
"""
