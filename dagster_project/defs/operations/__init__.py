"""The operations area: running the pipeline and keeping an eye on it.

jobs.py         the weekly refresh job (every asset and check of one weekly partition)
schedules.py    Mondays 06:00 UTC, for the week that just ended
sensors.py      an alert for every failed run
resources.py    ``partnerpulse`` (locations and limits) and ``warehouse_lock`` (held for the whole run)
locking.py      one writer at a time: the lock file next to the working warehouse
instance.py     the Dagster instance (dagster.yaml, run queue), the CLI's console logger, killed runs
alerts.py       alerts.jsonl, the log and the webhook; webhook URLs redacted
status.py       ``partnerpulse status``
backfill.py     a range of weeks as one run
runner.py       what the CLI runs: checks before any run, the lock, the run, alerts; the UI
definitions.py  the area's Dagster definitions
"""
