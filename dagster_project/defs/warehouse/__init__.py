"""The warehouse area: the dbt project (staging → intermediate → marts) as Dagster assets.

    project.py      one cached DbtProject; ``dbt parse`` when a model, macro, seed or test changed; the marts
    translator.py   asset keys and groups of dbt resources (sources on the landing, ledger and ops keys)
    assets.py       the dbt assets: one ``dbt build`` per run for its weeks; dbt tests as asset checks
    definitions.py  the area's Dagster definitions (the dbt assets, the ``dbt`` resource)

The SQL lives in ``models/`` and ``dbt_project/`` (macros, tests); seeds in ``seeds/``.
"""
