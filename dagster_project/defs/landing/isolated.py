"""Loading a large landing folder in a process of its own (issue 13: memory at 200,000 accounts, decision 145).

A refresh runs its steps in one process, and the dbt build's process runs beside it. Loading 2 GB of landing
files leaves that process ~230 MB larger for the rest of the run even after its DuckDB connection has closed
(memory the allocators keep: 349 MB after the load against 119 MB before, measured with the 200,000-account
demo), and that memory adds to dbt's at the build's peak. Loaded in a child process, it is returned to the
system when the child ends. Small landing folders load in the refresh's own process: starting a Python
process costs more than the memory it would give back.
"""

from __future__ import annotations

import multiprocessing
import traceback
from multiprocessing.connection import Connection
from pathlib import Path

from dagster_project.defs.landing.files import IngestError
from dagster_project.defs.landing.loader import Log, TableLoad, load_landing, plan_landing
from dagster_project.lib.warehouse import connect
from dagster_project.settings import Settings

# Landing folders this large or larger load in a child process. The 20,000-account demo is 0.2 GB, the
# 200,000-account one 2.0 GB.
SUBPROCESS_MIN_BYTES = 512 * 2**20


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
    log(f"landing files: {size / 2**30:.1f} GB; loaded in a process of its own, whose memory is freed when it ends")
    return load_in_subprocess(settings, log)


def load_in_subprocess(settings: Settings, log: Log) -> list[TableLoad]:
    """Run the load in a spawned child (not forked: the parent has threads); its log lines come back as
    they happen, then the loads, or the IngestError's problems, or the traceback of anything else."""
    spawn = multiprocessing.get_context("spawn")
    receiver, sender = spawn.Pipe(duplex=False)
    child = spawn.Process(target=_child, args=(settings, sender), name="partnerpulse-landing", daemon=True)
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
        receiver.close()
        child.join()
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
    raise RuntimeError(f"the landing load failed in its process:\n{payload}")


def _child(settings: Settings, sender: Connection) -> None:
    try:
        with connect(settings) as con:
            loads = load_landing(con, settings.landing_dir, log=lambda message: sender.send(("log", message)))
        sender.send(("loaded", loads))
    except IngestError as exc:
        sender.send(("ingest_error", exc.problems))
    except BaseException:  # reported to the parent, which raises it as the step's failure
        sender.send(("error", traceback.format_exc()))
    finally:
        sender.close()
