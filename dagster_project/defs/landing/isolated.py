"""Loading a large landing folder in a process of its own (issue 13: memory at 200,000 accounts, decision 145).

A refresh runs its steps in one process, and the dbt build's process runs beside it. Loading 2 GB of landing
files leaves that process ~230 MB larger for the rest of the run even after its DuckDB connection has closed
(memory the allocators keep: 349 MB after the load against 119 MB before, measured with the 200,000-account
demo), and that memory adds to dbt's at the build's peak. Loaded in a child process, it is returned to the
system when the child ends. Small landing folders load in the refresh's own process: starting a Python
process costs more than the memory it would give back.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path

from dagster_project.defs.landing.files import IngestError
from dagster_project.defs.landing.loader import Log, TableLoad, load_landing, plan_landing
from dagster_project.lib.warehouse import connect
from dagster_project.settings import Settings

# Landing folders this large or larger load in a child process. The 20,000-account demo is 0.2 GB, the
# 200,000-account one 1.9 GB (GB here: 2**30 bytes).
SUBPROCESS_MIN_BYTES = 512 * 2**20

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def landing_bytes(landing_dir: Path) -> int:
    """The size of the files the contract's tables read (raises IngestError, as the load would, when the
    folder cannot be used)."""
    return sum(file.path.stat().st_size for plan in plan_landing(landing_dir) for file in plan.files)


def load_warehouse_raw(settings: Settings, log: Log) -> list[TableLoad]:
    """``load_landing`` on the working warehouse: in a child process when the landing folder is at least
    ``SUBPROCESS_MIN_BYTES``, else in this one. Same result, log lines and errors either way."""
    size = landing_bytes(settings.landing_dir)
    if size < SUBPROCESS_MIN_BYTES:
        with connect(settings) as con:
            return load_landing(con, settings.landing_dir, log=log)
    log(f"landing files: {size / 2**30:.1f} GB; loading in a process of its own, whose memory is freed when it ends")
    return load_in_subprocess(settings, log)


def load_in_subprocess(settings: Settings, log: Log) -> list[TableLoad]:
    """Run the load in a spawned child (not forked: the parent has threads); its log lines come back as
    they happen, then the loads, or the IngestError's problems, or the traceback of anything else."""
    spawn = multiprocessing.get_context("spawn")
    receiver, sender = spawn.Pipe(duplex=False)
    child = spawn.Process(target=_child, args=(settings, sender, os.getpid()), name="partnerpulse-landing", daemon=True)
    child.start()
    sender.close()  # the child's end: recv raises EOFError once the child has closed its copy
    outcome: tuple[str, object] | None = None
    try:
        while True:
            try:
                kind, payload = receiver.recv()
            except EOFError:
                break
            if kind == "log":
                log(str(payload))
            else:
                outcome = (kind, payload)
    except BaseException:  # interrupted or stopped: the child's uncommitted load goes with it
        child.terminate()
        raise
    finally:
        child.join()  # before the pipe closes: a terminated child is gone before it could meet the closed pipe
        receiver.close()
    if outcome is None:
        raise RuntimeError(
            f"the landing load's process ended (exit code {child.exitcode}) before reporting a result; the next "
            "refresh loads whatever it did not commit. A negative code is the signal that ended it (-9: killed, "
            "often by the system for lack of memory: lower PARTNERPULSE_DUCKDB_MEMORY_LIMIT)."
        )
    kind, payload = outcome
    if kind == "loaded":
        return payload  # type: ignore[return-value]
    if kind == "ingest_error":
        raise IngestError(payload)  # type: ignore[arg-type]
    error, trace = payload  # type: ignore[misc]
    log(f"the landing load's process failed:\n{trace}")
    raise RuntimeError(f"the landing load failed in its process: {error}")


def _exit_with_parent(parent_pid: int) -> None:
    """Stop this process (as ``terminate`` would) when the refresh's process is gone: killed, it cannot stop
    its child itself, and the child would load on, holding the warehouse's DuckDB lock. On Linux the kernel
    sends the signal as the parent dies (``PR_SET_PDEATHSIG``); elsewhere, or if that fails, a thread looks
    every second."""
    kernel_signals = False
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            kernel_signals = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM) == 0
    if os.getppid() != parent_pid:  # it died before that: no signal will come
        os.kill(os.getpid(), signal.SIGTERM)
    if not kernel_signals:
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def _child(settings: Settings, sender: Connection, parent_pid: int) -> None:
    # Ctrl-C reaches the whole process group: the refresh's process stops this one (terminate), so that an
    # interrupted load ends one way, not also through a KeyboardInterrupt here racing it
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # an ignored SIGTERM survives exec: a parent that ignores it (pytest-xdist's workers do) would make
    # terminate, and the stops below, do nothing
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _exit_with_parent(parent_pid)

    def send(message: tuple[str, object]) -> None:
        try:
            sender.send(message)
        except OSError:  # the refresh's process is gone (its end of the pipe closed): stop, as if terminated
            os.kill(os.getpid(), signal.SIGTERM)
            raise

    try:
        with connect(settings) as con:
            loads = load_landing(con, settings.landing_dir, log=lambda line: send(("log", line)))
        send(("loaded", loads))
    except IngestError as exc:
        send(("ingest_error", exc.problems))
    except BaseException as exc:  # reported to the parent, which raises it as the step's failure
        send(("error", (f"{type(exc).__name__}: {exc}", traceback.format_exc())))
    finally:
        sender.close()
