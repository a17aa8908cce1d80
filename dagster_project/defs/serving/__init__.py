"""The serving area: the published marts and the partner feeds in PostgreSQL (SPEC §12, §11).

postgres.py     load (COPY) into new schemas and publish them in one transaction; partner access
                (grants, row-level security); the standalone load+swap timer
assets.py       ``published/postgres``, after publishing (PARTNERPULSE_SERVE_POSTGRES=1)
definitions.py  the area's Dagster definitions
"""
