"""The landing area: landing files → the warehouse's raw schema (SPEC §2, §10).

    contract.py     the landing contract, read from the dbt sources YAML (models/staging/*/_*__sources.yml)
    files.py        finding a table's files, checking headers and encoding; IngestError
    loader.py       loading every table into raw.<table> as text, malformed lines kept for quarantine
    isolated.py     a large landing folder loaded in a child process, so that its memory is freed before dbt
    assets.py       the ``ingest_landing`` multi-asset (one asset per landing table, group ``landing``)
    definitions.py  the area's Dagster definitions

The landing freshness checks are quality checks (defs/quality/checks.py): their rules live in the
landing tables' suite files, with the other suite settings.
"""
