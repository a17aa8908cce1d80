"""The free disk `make bench` needs, checked before its first step.

A run that fills the disk fails late and leaves nothing: at 200,000 accounts the full refresh alone takes half
an hour, and the disk ran out at the compiled-SQL bound after it (2026-12-06, 18:35 UTC). So run.py asks
first. The estimate is linear in the accounts of each scale, from the DuckDB runs measured on this machine:

- **kept**: each scale's warehouse stays in bench/cache (``warehouse-<n>``) until the next run of that scale:
  2.6 GB at 20,000 accounts (``du -sh bench/cache/warehouse-20000``, 2026-12-06), 28 GB at 200,000 (the
  working file 21 GB and ``published/`` 6.9 GB, README "Benchmark"): 140 kB an account;
- **while a scale runs**, on top of its warehouse: DuckDB's spill files during the full refresh (19.6 GB at
  most at 200,000 accounts) or, after each refresh, the compiled-SQL bound's copy of the working file and the
  tables it writes (1.2 × the working file: 25 GB at 200,000); only one scale runs at a time: 130 kB an
  account, counted for the largest scale;
- **demo data** not cached yet: 1.9 GB at 200,000 accounts (``du -sh bench/cache/data-200000``), 10 kB an
  account.

A scale's warehouse from an earlier run is removed when that scale starts, so its size counts as free. Other
engines (``BENCH_ENGINES``) need more than this (Spark's warehouse held 40 GB at 200,000 accounts, README):
the estimate covers the DuckDB runs only, and says so.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

KEPT_BYTES_PER_ACCOUNT = 140_000
RUNNING_BYTES_PER_ACCOUNT = 130_000
DATA_BYTES_PER_ACCOUNT = 10_000
GB = 1024**3


@dataclass(frozen=True)
class DiskPlan:
    needed: int  # bytes the run adds to the disk at its peak, less what it removes first
    free: int  # bytes free on the file system of the cache folder
    reclaimed: int  # bytes of earlier warehouses the run replaces (already taken off ``needed``)

    @property
    def enough(self) -> bool:
        return self.free >= self.needed


def folder_bytes(folder: Path) -> int:
    """The bytes of the regular files under ``folder`` (0 when it does not exist); links are not followed,
    and a file counted by several hard links counts once."""
    total, seen = 0, set()
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                stat = os.lstat(os.path.join(root, name))
            except FileNotFoundError:
                continue
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_blocks * 512
    return total


def disk_plan(scales: Sequence[int], cache: Path) -> DiskPlan:
    """What a run of ``scales`` needs in ``cache`` (see the module's docstring)."""
    needed = reclaimed = 0
    for accounts in scales:
        needed += accounts * KEPT_BYTES_PER_ACCOUNT
        if not (cache / f"data-{accounts}").is_dir():
            needed += accounts * DATA_BYTES_PER_ACCOUNT
        reclaimed += folder_bytes(cache / f"warehouse-{accounts}")
    if scales:
        needed += max(scales) * RUNNING_BYTES_PER_ACCOUNT
    existing = cache if cache.exists() else cache.parent
    return DiskPlan(needed=max(0, needed - reclaimed), free=shutil.disk_usage(existing).free, reclaimed=reclaimed)


def describe(plan: DiskPlan, cache: Path, engines: Sequence[str]) -> str:
    others = [engine for engine in engines if engine != "duckdb"]
    line = (
        f"disk: this run needs about {plan.needed / GB:.1f} GB in {cache}"
        + (f" (after removing {plan.reclaimed / GB:.1f} GB of earlier warehouses)" if plan.reclaimed else "")
        + f"; {plan.free / GB:.1f} GB are free"
    )
    if others:
        line += f" (DuckDB only: {', '.join(others)} need more)"
    return line


def refusal(plan: DiskPlan, cache: Path) -> str:
    return (
        f"make bench: not started — it needs about {plan.needed / GB:.1f} GB free in {cache} and "
        f"{plan.free / GB:.1f} GB are (bench/disk.py says how it estimates). Free some space, run fewer "
        "scales (BENCH_SCALES=2000,20000), or set BENCH_DISK_CHECK=0 to run anyway."
    )
