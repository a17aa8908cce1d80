"""The scripts' exit without the interpreter's teardown (lib/process_exit.py): what Python does at exit up to the
teardown still happens (threads joined, atexit handlers run, output flushed, the exit status), and dbt's
processes end without DuckDB's leak report."""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
from pathlib import Path

from dagster_project.settings import DBT_EXECUTABLE

PROGRAM = """
import atexit, io, sys, threading, time
from pathlib import Path
from dagster_project.lib.process_exit import exit_without_teardown

class Broken(io.RawIOBase):
    def writable(self):
        return True
    def write(self, data):
        raise BrokenPipeError(32, "Broken pipe")

folder, code, stdout = Path(sys.argv[1]), eval(sys.argv[2]), sys.argv[3]
atexit.register(lambda: (folder / "atexit").write_text("ran"))
threading.Thread(target=lambda: (time.sleep(0.3), (folder / "thread").write_text("joined"))).start()
if stdout == "broken":
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(Broken()))
    sys.stdout.write("output nobody can read")
elif stdout == "none":
    sys.stdout = None
else:
    sys.stdout.write("buffered output")
exit_without_teardown(code)
"""


def _exit(tmp_path: Path, code: str, stdout: str = "pipe") -> subprocess.CompletedProcess:
    # buffered, as a script's output to a pipe or file is: PYTHONUNBUFFERED would hide a missing flush
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    argv = [sys.executable, "-c", PROGRAM, str(tmp_path), code, stdout]
    return subprocess.run(argv, capture_output=True, text=True, env=env)


def test_the_private_names_it_relies_on_exist():
    assert callable(getattr(threading, "_shutdown", None))
    assert callable(getattr(atexit, "_run_exitfuncs", None))


def test_threads_atexit_handlers_output_and_status_survive(tmp_path: Path):
    done = _exit(tmp_path, "3")
    assert done.returncode == 3
    assert done.stdout == "buffered output"
    assert (tmp_path / "atexit").read_text() == "ran"
    assert (tmp_path / "thread").read_text() == "joined"


def test_none_is_success_and_a_message_is_printed_with_status_1(tmp_path: Path):
    assert _exit(tmp_path, "None").returncode == 0
    done = _exit(tmp_path, "'partnerpulse: something to say'")
    assert (done.returncode, done.stderr) == (1, "partnerpulse: something to say\n")


def test_a_failed_flush_is_reported_with_status_120_and_a_missing_stream_skipped(tmp_path: Path):
    """As the interpreter's own exit: output that cannot be written is an error, not a silent success."""
    broken = _exit(tmp_path, "0", stdout="broken")
    assert broken.returncode == 120
    assert "BrokenPipeError" in broken.stderr
    assert (tmp_path / "atexit").read_text() == "ran"
    assert _exit(tmp_path, "0", stdout="none").returncode == 0


def test_dbt_runs_through_the_script_and_exits_quietly():
    assert Path(DBT_EXECUTABLE).name == "partnerpulse-dbt"
    done = subprocess.run([DBT_EXECUTABLE, "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert "installed:" in done.stdout
    assert done.stderr == ""  # no "nanobind: leaked ..." from a teardown
    wrong = subprocess.run([DBT_EXECUTABLE, "no-such-command"], capture_output=True, text=True)
    assert wrong.returncode == 2
    assert "Usage: dbt" in wrong.stderr
