"""Plain code shared by the areas: no Dagster here (tests/test_layout.py checks it).

warehouse.py   connections to the working DuckDB warehouse, quoting, rows as dicts
csvsafe.py     CSV cells that spreadsheets cannot run as formulas; money to cents
weeks.py       the weeks one run covers (WeekWindow)
dbt_manifest.py  dbt's manifest.json, parsed once per content of the file
child_process.py  stopping a child process (the dbt build) the parent can no longer follow: SIGINT, then SIGKILL
parquet_append.py  a Parquet file plus another's row groups as one new file, pages copied as they are
sqlfluff_templater.py  `make lint`'s jinja templater, a sqlfluff plugin (development only: imports sqlfluff)
"""
