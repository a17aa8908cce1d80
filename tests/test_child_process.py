"""Stopping a child process the parent can no longer follow (lib/child_process.py, decision 153): real processes,
one that ends on SIGINT as dbt does on Ctrl-C, one that ignores it, one already done."""

from __future__ import annotations

import subprocess
import sys
import time

from dagster_project.lib.child_process import stop

# prints "ready" once its SIGINT handling is in place, then sleeps until it is stopped. Python's own handler (a
# KeyboardInterrupt), set explicitly: a child inherits an ignored SIGINT, and a job a non-interactive shell starts
# in the background (`make test &` in a script) has SIGINT ignored — the child then ends only on the SIGKILL
ENDS_ON_SIGINT = (
    "import signal, time; signal.signal(signal.SIGINT, signal.default_int_handler); print('ready', flush=True); "
    "time.sleep(60)"
)
IGNORES_SIGINT = (
    "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
)


def _started(program: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    return process


def test_a_running_child_gets_sigint_and_ends():
    process, said = _started(ENDS_ON_SIGINT), []
    started = time.monotonic()
    stop(process, said.append, grace_seconds=30)
    assert process.returncode is not None and process.returncode != 0  # KeyboardInterrupt: exit status 1
    assert process.returncode != -9  # not killed: it ended on SIGINT
    assert time.monotonic() - started < 30
    assert said == [f"stopping the child process {process.pid} (SIGINT; SIGKILL after 30 s)"]


def test_a_child_that_ignores_sigint_is_killed_after_the_grace_period():
    process, said = _started(IGNORES_SIGINT), []
    stop(process, said.append, grace_seconds=0.5)
    assert process.returncode == -9
    assert said == [
        f"stopping the child process {process.pid} (SIGINT; SIGKILL after 0.5 s)",
        f"the child process {process.pid} did not end within 0.5 s of SIGINT: killed",
    ]


def test_a_child_that_already_ended_is_left_alone():
    process, said = subprocess.Popen([sys.executable, "-c", "pass"]), []
    process.wait()
    stop(process, said.append)
    assert process.returncode == 0
    assert said == []
