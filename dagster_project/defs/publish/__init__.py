"""The publish area: what BI tools read, written only when every blocking check of the run passed.

publisher.py    the serving DuckDB file and Parquet, and the dbt docs folder, each swapped in atomically
gate.py         the publish gate: the run's failed error-severity checks (and its parents' on re-execution)
assets.py       ``published/marts_duckdb`` (refuses after a failed error check) and ``published/docs``
definitions.py  the area's Dagster definitions
"""
