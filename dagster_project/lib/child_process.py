"""Stopping a child process whose output the parent can no longer follow (decision 153).

The dbt build runs in its own process; the refresh follows its events. dagster-dbt forwards an *interrupt* of the
run to dbt (SIGINT, then waits), but any other error while the events are followed — a node the definitions do
not know because a model file was added after they were loaded, a failure in the step's own bookkeeping —
leaves the step failed and the dbt process running on its own, still writing the warehouse. The refresh's
process then ends, its warehouse lock with it, and the next refresh starts beside a build nobody waits for.

``stop`` ends such a process the way a person at the terminal would: SIGINT first (dbt cancels its
queries, closes its connections and writes its run results, as on Ctrl-C), SIGKILL after a grace period. A
process that ignores SIGINT — it inherits an ignored SIGINT, e.g. from a refresh a script started in the background
(a non-interactive shell's `cmd &`) — ends only on the SIGKILL.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable

GRACE_SECONDS = 30.0  # dbt's Ctrl-C: cancelling the running queries and writing run_results.json


def stop(process: subprocess.Popen, log: Callable[[str], object], grace_seconds: float = GRACE_SECONDS) -> None:
    """End ``process`` if it is still running: SIGINT, then SIGKILL after ``grace_seconds``; it is reaped."""
    if process.poll() is not None:
        return
    log(f"stopping the child process {process.pid} (SIGINT; SIGKILL after {grace_seconds:g} s)")
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        log(f"the child process {process.pid} did not end within {grace_seconds:g} s of SIGINT: killed")
        process.kill()
        process.wait()
