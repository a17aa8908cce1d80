"""Where a refresh's memory peaks: run ``partnerpulse refresh`` with every process of its tree sampled, then
name the dbt nodes that were running at the highest samples.

    python bench/memtrace.py --landing bench/cache/landing-200000 --week 2026-11-16 --out /tmp/trace

``--out`` is a new folder: the warehouse goes to ``<out>/warehouse``, the samples to ``<out>/samples.tsv``
(time, sum of VmRSS in KiB, then ``pid:VmRSS:VmHWM:command`` per process), the refresh's output to
``<out>/refresh.txt``. The refresh runs with the product's defaults (memory_limit 8GB unless
``PARTNERPULSE_DUCKDB_MEMORY_LIMIT`` is set), nothing else of the caller's PartnerPulse settings. Prints the
peak of the sum over the tree, each process's own peak (VmHWM), and the dbt nodes with the highest samples
of the dbt process while they ran (run_results.json's execute timing). GB = 2^30 bytes, as in results.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from proctree import process_memory, process_tree

SAMPLE_SECONDS = 0.2
GIB_IN_KIB = 2**20


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since the epoch
    rss_kib: dict[int, int]  # VmRSS per process of the tree
    hwm_kib: dict[int, int]  # VmHWM per process
    command: dict[int, str]

    @property
    def total_kib(self) -> int:
        return sum(self.rss_kib.values())


def _sample(root: int) -> Sample:
    rss, hwm, command = {}, {}, {}
    for pid in process_tree(root):
        try:
            name = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80].strip()
        except OSError:
            continue
        if (memory := process_memory(pid)) is not None:
            rss[pid], hwm[pid] = memory[0] // 1024, memory[1] // 1024
            command[pid] = name
    return Sample(time.time(), rss, hwm, command)


def node_intervals(run_results: dict) -> list[tuple[float, float, str]]:
    """(start, end, node name) of each node's execution, from dbt's run_results.json."""
    intervals = []
    for result in run_results["results"]:
        for timing in result["timing"]:
            if timing["name"] == "execute" and timing.get("started_at") and timing.get("completed_at"):
                start, end = (
                    dt.datetime.fromisoformat(timing[key].replace("Z", "+00:00")).timestamp()
                    for key in ("started_at", "completed_at")
                )
                intervals.append((start, end, result["unique_id"].split(".")[-1]))
    return intervals


def peaks_by_node(samples: list[Sample], intervals: list[tuple[float, float, str]]) -> dict[str, int]:
    """The largest process's highest VmRSS sample while each node ran (KiB), highest first."""
    peaks: dict[str, int] = {}
    for sample in samples:
        largest = max(sample.rss_kib.values(), default=0)
        for start, end, name in intervals:
            if start <= sample.at <= end:
                peaks[name] = max(peaks.get(name, 0), largest)
    return dict(sorted(peaks.items(), key=lambda item: -item[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True, help="the landing folder to refresh from")
    parser.add_argument("--week", required=True, help="the week to refresh (a Monday)")
    parser.add_argument("--out", type=Path, required=True, help="a new folder for the warehouse and the samples")
    parser.add_argument("--top", type=int, default=10, help="how many dbt nodes to print (default 10)")
    args = parser.parse_args(argv)
    if args.out.exists():
        parser.error(f"--out {args.out} exists; give a new folder")
    args.out.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARTNERPULSE_", "DAGSTER_"))}
    env.update(
        PARTNERPULSE_LANDING_DIR=str(args.landing.resolve()),
        PARTNERPULSE_WAREHOUSE_DIR=str((args.out / "warehouse").resolve()),
        PARTNERPULSE_DUCKDB_MEMORY_LIMIT=os.environ.get("PARTNERPULSE_DUCKDB_MEMORY_LIMIT", "8GB"),
        PARTNERPULSE_LOG_LEVEL="WARNING",
    )
    partnerpulse = Path(sys.executable).with_name("partnerpulse")
    samples: list[Sample] = []
    started = time.time()
    with (args.out / "refresh.txt").open("w") as output, (args.out / "samples.tsv").open("w") as tsv:
        refresh = subprocess.Popen(
            [str(partnerpulse), "refresh", "--week", args.week], env=env, stdout=output, stderr=subprocess.STDOUT
        )
        while refresh.poll() is None:
            sample = _sample(refresh.pid)
            samples.append(sample)
            parts = "|".join(f"{p}:{sample.rss_kib[p]}:{sample.hwm_kib[p]}:{sample.command[p]}" for p in sample.rss_kib)
            tsv.write(f"{sample.at:.1f}\t{sample.total_kib}\t{parts}\n")
            time.sleep(SAMPLE_SECONDS)
    print(f"refresh exit code {refresh.returncode}, {time.time() - started:.1f} s, {len(samples)} samples")
    top = max(samples, key=lambda s: s.total_kib)
    print(f"sum of VmRSS over the tree at most {top.total_kib / GIB_IN_KIB:.2f} GB, {top.at - started:.0f} s in")
    own: dict[int, tuple[int, str]] = {}
    for sample in samples:
        for pid, hwm in sample.hwm_kib.items():
            own[pid] = (max(hwm, own.get(pid, (0, ""))[0]), sample.command[pid])
    for pid, (hwm, command) in sorted(own.items(), key=lambda item: -item[1][0])[:3]:
        print(f"  process {pid} VmHWM {hwm / GIB_IN_KIB:.2f} GB  {command}")
    results = sorted((args.out / "warehouse" / "dbt_runs").glob("*/run_results.json"))
    if results:
        peaks = peaks_by_node(samples, node_intervals(json.loads(results[-1].read_text())))
        print("the largest process while each dbt node ran (highest first):")
        for name, kib in list(peaks.items())[: args.top]:
            print(f"  {kib / GIB_IN_KIB:.2f} GB  {name}")
    return refresh.returncode


if __name__ == "__main__":
    sys.exit(main())
