"""bench/memtrace.py names the dbt nodes that ran at a refresh's highest memory samples: each sample's
largest process, counted for every node whose execution holds the sample's time. By hand: model a runs
10.0–20.0 s, model b 15.0–30.0 s (dbt threads overlap), test t 40.0–41.0 s."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

from tests.bench_modules import BENCH_DIR, load_bench_module

memtrace = load_bench_module("memtrace")
T0 = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC).timestamp()


def _at(seconds: float) -> str:
    return dt.datetime.fromtimestamp(T0 + seconds, dt.UTC).isoformat().replace("+00:00", "Z")


def _result(node: str, start: float, end: float) -> dict:
    return {
        "unique_id": node,
        "timing": [
            {"name": "compile", "started_at": _at(start - 1), "completed_at": _at(start)},
            {"name": "execute", "started_at": _at(start), "completed_at": _at(end)},
        ],
    }


def test_each_node_gets_the_largest_process_s_highest_sample_while_it_ran():
    results = {
        "results": [
            _result("model.partnerpulse.a", 10, 20),
            _result("model.partnerpulse.b", 15, 30),
            _result("test.partnerpulse.t", 40, 41),
            {"unique_id": "model.partnerpulse.skipped", "timing": []},
        ]
    }
    intervals = memtrace.node_intervals(results)
    assert [(round(s - T0, 1), round(e - T0, 1), n) for s, e, n in intervals] == [
        (10.0, 20.0, "a"),
        (15.0, 30.0, "b"),
        (40.0, 41.0, "t"),
    ]
    samples = [  # (seconds, {pid: VmRSS KiB}): the parent (1) and dbt (2)
        memtrace.Sample(T0 + 12, {1: 300, 2: 5_000}, {1: 300, 2: 5_000}, {1: "refresh", 2: "dbt"}),
        memtrace.Sample(T0 + 16, {1: 300, 2: 8_000}, {1: 300, 2: 8_000}, {1: "refresh", 2: "dbt"}),
        memtrace.Sample(T0 + 25, {1: 900, 2: 6_000}, {1: 900, 2: 8_000}, {1: "refresh", 2: "dbt"}),
        memtrace.Sample(T0 + 35, {1: 300, 2: 9_000}, {1: 900, 2: 9_000}, {1: "refresh", 2: "dbt"}),  # no node
        memtrace.Sample(T0 + 40.5, {1: 7_000, 2: 100}, {1: 7_000, 2: 9_000}, {1: "refresh", 2: "dbt"}),
    ]
    assert samples[2].total_kib == 6_900
    assert memtrace.peaks_by_node(samples, intervals) == {"b": 8_000, "a": 8_000, "t": 7_000}


def test_an_existing_out_folder_is_refused_before_anything_runs(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH_DIR / "memtrace.py"),
            "--landing",
            str(tmp_path),
            "--week",
            "2024-03-04",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and f"--out {tmp_path} exists; give a new folder" in done.stderr
    assert list(tmp_path.iterdir()) == []
