"""One writer at a time: a lock file next to the working warehouse.

Every run that writes the warehouse holds ``<warehouse>/.warehouse.lock`` (an exclusive ``flock``)
from its start to its end, through the ``warehouse_lock`` resource (resources.py ``WarehouseLock``),
whoever launched it: the CLI, the schedule, a backfill or the UI. So does a run of only the steps after
publishing (finance files, partner feeds, the executive page, the docs, PostgreSQL): what they write, a
refresh or a ``close-period`` writes too. A second writer fails fast with a
message naming the holder, instead of waiting on DuckDB's file lock or corrupting a half-built
refresh. The operating system releases the lock when the holding process ends, so a crashed run
never leaves a stale lock.
Runs launched by the Dagster daemon (schedule, UI, backfills) are additionally queued one at a time
by the run queue (``concurrency.runs.max_concurrent_runs: 1`` in the dagster.yaml of instance.py).

The lock is re-entrant within a process: ``partnerpulse refresh`` takes it before starting the
run, and the run's resource, in the same process, then simply proceeds.

Whoever holds the lock is the only live writer. So a run that takes it also looks for runs of the
writer jobs that are still STARTED although their process has ended (killed, crashed) and marks
them failed, with why (instance.py ``fail_abandoned_runs``): the run list never shows a dead
refresh as running.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

LOCK_FILE = ".warehouse.lock"

_held: dict[str, tuple[int, int]] = {}  # lock path → (fd, depth) for locks this process holds
_guard = threading.Lock()


class WarehouseBusy(RuntimeError):
    """Another run is writing the warehouse; the message says which and what to do."""


def lock_path(warehouse_dir: Path) -> Path:
    return warehouse_dir / LOCK_FILE


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return json.loads(os.read(fd, 65536).decode("utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def describe_holder(holder: dict[str, Any]) -> str:
    if not holder:
        return "another process"
    parts = [holder.get("holder") or "a run"]
    if holder.get("pid"):
        parts.append(f"pid {holder['pid']} on {holder.get('host', '?')}")
    if holder.get("started_at"):
        parts.append(f"since {holder['started_at']} UTC")
    return ", ".join(parts)


@contextmanager
def warehouse_lock(warehouse_dir: Path, holder: str) -> Iterator[None]:
    """Hold the warehouse's writer lock; raise WarehouseBusy at once when someone else holds it."""
    path = lock_path(warehouse_dir)
    key = str(path)
    with _guard:
        if key in _held:
            fd, depth = _held[key]
            _held[key] = (fd, depth + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                fd, depth = _held[key]
                _held[key] = (fd, depth - 1)
        return

    warehouse_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        other = _read_holder(fd)
        os.close(fd)
        raise WarehouseBusy(
            f"Another run is writing the warehouse {warehouse_dir}: {describe_holder(other)}. "
            "Only one refresh or backfill may write it at a time; wait for that run to finish "
            "(`partnerpulse status` shows it) and start this one again."
        ) from None
    info = {
        "holder": holder,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
    }
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
    except OSError:  # could not record the holder (disk full, …): give the lock back, then fail
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        raise
    with _guard:
        _held[key] = (fd, 1)
    try:
        yield
    finally:
        with _guard:
            del _held[key]
        try:
            os.ftruncate(fd, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def current_holder(warehouse_dir: Path) -> dict[str, Any] | None:
    """Who holds the lock now (None when nobody does)."""
    path = lock_path(warehouse_dir)
    if not path.exists():
        return None
    with _guard:
        if str(path) in _held:
            return _read_holder(_held[str(path)][0])
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd) or {"holder": "unknown"}
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
