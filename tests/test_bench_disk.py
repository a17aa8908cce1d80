"""`make bench` asks for the free disk it needs before its first step (bench/disk.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.bench_modules import load_bench_module

REPO_ROOT = Path(__file__).resolve().parents[1]
disk = load_bench_module("disk")


def _file(path: Path, size: int) -> int:
    """Write ``size`` bytes to ``path``; the bytes it takes on disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return os.stat(path).st_blocks * 512


def test_an_empty_cache_needs_every_scale_kept_the_largest_running_and_the_demo_data(tmp_path):
    plan = disk.disk_plan([2_000, 20_000], tmp_path / "cache")
    # kept: (2,000 + 20,000) × 140 kB; running: 20,000 × 130 kB; demo data: 22,000 × 10 kB
    assert plan.needed == 22_000 * 140_000 + 20_000 * 130_000 + 22_000 * 10_000 == 5_900_000_000
    assert plan.reclaimed == 0


def test_cached_data_is_not_counted_and_an_earlier_warehouse_of_a_scale_counts_as_free(tmp_path):
    cache = tmp_path / "cache"
    (cache / "data-20000").mkdir(parents=True)
    taken = _file(cache / "warehouse-20000" / "partnerpulse.duckdb", 3 * 2**20)
    (cache / "warehouse-20000" / "published").mkdir()
    os.link(cache / "warehouse-20000" / "partnerpulse.duckdb", cache / "warehouse-20000" / "published" / "copy")
    outside = _file(tmp_path / "elsewhere.bin", 2**20)
    (cache / "warehouse-20000" / "link").symlink_to(tmp_path / "elsewhere.bin")
    other = _file(cache / "warehouse-2000" / "partnerpulse.duckdb", 2**20)  # not a scale of this run
    plan = disk.disk_plan([20_000], cache)
    assert taken >= 3 * 2**20 and outside and other
    link = os.lstat(cache / "warehouse-20000" / "link").st_blocks * 512  # the link's own block, if any
    assert plan.reclaimed == taken + link  # one file under two names counts once; the link's target not at all
    assert plan.needed == 20_000 * (140_000 + 130_000) - taken - link


def test_the_run_says_what_it_needs_and_refuses_when_the_disk_has_less(tmp_path):
    plan = disk.DiskPlan(needed=54 * 2**30, free=20 * 2**30, reclaimed=2**30)
    assert not plan.enough and disk.DiskPlan(needed=2**30, free=2**30, reclaimed=0).enough
    line = disk.describe(plan, tmp_path, ["duckdb", "spark"])
    assert "needs about 54.0 GB" in line and "20.0 GB are free" in line and "removing 1.0 GB" in line
    assert "spark need more" in line
    message = disk.refusal(plan, tmp_path)
    assert "not started" in message and "54.0 GB" in message and "BENCH_DISK_CHECK=0" in message


def test_make_bench_stops_before_its_first_step_when_the_disk_is_short(tmp_path):
    """bench/run.py with a scale no disk holds is refused at once: no demo data, no refresh, no results."""
    scale = 10**12  # 140 PB kept
    results = REPO_ROOT / "bench" / "results.md"
    before = results.read_bytes() if results.exists() else None
    env = {**os.environ, "BENCH_SCALES": str(scale), "BENCH_FIXED": "0", "BENCH_ENGINES": "duckdb"}
    env.pop("BENCH_DISK_CHECK", None)
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "run.py")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "make bench: not started" in output and "BENCH_DISK_CHECK=0" in output, output
    assert f"{scale:,} accounts" not in output  # no step announced
    assert not (REPO_ROOT / "bench" / "cache" / f"data-{scale}").exists()
    assert (results.read_bytes() if results.exists() else None) == before
