"""The payouts area: partner incentive payouts after the dbt models computed the lines (SPEC §8).

    contract.py       a payout line's columns and the incentive types, read from fct_incentive_payouts' contract YAML
    finance_files.py  exports/payouts/<YYYY-MM>/: payout lines and partner statements (CSV, Parquet), manifest
    ledger.py         closing a period: checks, the summary, freezing its lines in the ledger, final files
    assets.py         ``exports/payouts``: the finance files of every payout period, after publishing
    jobs.py           the ``close_payout_period`` job (``partnerpulse close-period``)
    definitions.py    the area's Dagster definitions

The payout lines themselves are computed in dbt (models/intermediate/payouts/, marts fct_incentive_payouts).
"""
