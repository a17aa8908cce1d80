"""`make bench`: how fast and how big, at 2,000 / 20,000 / 200,000 accounts (SPEC §11, issue 13).

For each scale (BENCH_SCALES, default "2000,20000,200000"):
1. demo data, cached in bench/cache/data-<n> (generated once; its time and memory are kept in
   bench/cache/generate-<n>.json and reported, marked cached, by later runs). The refreshes read a
   working copy, bench/cache/landing-<n>, whose files are hard links to the cache (changed_history.py);
2. a full refresh from an empty warehouse (the whole weekly history) of the week before the two next
   weeks of step 4;
3. the independent lower bound: ../shared/bench/lower_bound.py (plain DuckDB SQL written from the
   SPEC without the models: weekly usage roll-ups, the scorecard of every account-week, monthly ARR
   and the bridge) on the same landing data and the same weeks, in its own process with the same
   memory limit. The headline is the full refresh ÷ this bound;
4. two next-week refreshes, one week after the other: one of a week that holds a month's last day (a
   month-end week: the revenue chain is built again) and one of a week that does not, the latest such pair
   of the data (weeks.py); the full refresh is of the week before them;
5. a week with changed history: the payout period two months before the last refreshed week is closed
   (`partnerpulse close-period`, not timed), a late correction to that month lands (changed_history.py
   says what), and that week is refreshed again;
6. after each refresh, the project's own bound (compiled_bound.py, in its own process): the compiled
   SQL of the core computations (the weekly usage roll-up, the scorecard chain, the ARR bridge chain)
   as plain `create table … as` statements in one DuckDB connection on a copy of the refreshed warehouse;
7. rows per table, landing and published; the goals of issue 13, each with pass or fail.
Once per run (BENCH_FIXED=0 skips it), the fixed cost: the smallest demo folder (20 accounts) refreshed twice (the
second refresh of the unchanged folder is timed: nothing changed, so it starts no run), then a third time with
`--force` (the whole job on unchanged data), against `dbt build` of one trivial model (`select 1`) in a dbt
project of its own, same venv, same adapter: dbt's own floor.
Every refresh is `partnerpulse refresh` in its own process: wall time and peak RSS (the larger of the
sum over the process tree and the largest process's own peak, VmHWM, sampled every 0.2 s). DuckDB runs at
the product's default memory_limit, 8GB (PARTNERPULSE_DUCKDB_MEMORY_LIMIT to change). Results go to
bench/results.md (this run first; the runs before it are kept below it, dated). Progress is printed
as it goes. Before the first step the run estimates the free disk it needs (disk.py) and, when the disk
has less, stops with what it needs and what is free (BENCH_DISK_CHECK=0 runs anyway).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
from changed_history import correct_month, link_landing
from compiled_bound import CORE
from disk import describe, disk_plan, refusal
from engines import engines_from_env, fresh_database, postgres_server
from proctree import process_memory, process_tree
from weeks import MID_MONTH, MONTH_END, bench_weeks, kind_of_week

from dagster_project.demo.generator import MIN_ACCOUNTS
from dagster_project.settings import DBT_EXECUTABLE

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = ROOT / "bench" / "cache"
RESULTS = ROOT / "bench" / "results.md"
BIN = Path(sys.executable).parent
PRODUCT_MEMORY_LIMIT = "8GB"  # the default of dagster_project/settings.py and dbt_project/profiles.yml
MEMORY_LIMIT = os.environ.get("PARTNERPULSE_DUCKDB_MEMORY_LIMIT", PRODUCT_MEMORY_LIMIT)
INDEPENDENT_BOUND = Path(os.environ.get("BENCH_LOWER_BOUND", ROOT.parent / "shared" / "bench" / "lower_bound.py"))
SAMPLE_SECONDS = 0.2
GB = 1024**3

FULL, CHANGED = "full refresh", "changed-history refresh"
NEXT_KINDS = {MID_MONTH: "next-week refresh, mid-month", MONTH_END: "next-week refresh, a month-end week"}
# each case's log files in bench/cache: <slug>-<accounts>.log, <slug>-bound-<accounts>.log
SLUGS = {
    FULL: "full",
    NEXT_KINDS[MID_MONTH]: "next-week-mid-month",
    NEXT_KINDS[MONTH_END]: "next-week-month-end",
    CHANGED: "changed-history",
}


def next_week_case(week: dt.date) -> str:
    return NEXT_KINDS[kind_of_week(week)]


# issue 13, "Done when": what make bench checks (never a timed test)
GOAL_FULL_VS_BOUND = 4.0  # full refresh ≤ 4× the independent lower bound
GOAL_NEXT_VS_FULL = 0.2  # next week ≤ 0.2× the full refresh
GOAL_PEAK_GB, GOAL_PEAK_SCALE = 9.0, 200_000  # peak RSS ≤ 9 GB at 200,000 accounts with the default 8GB
# a second refresh of an unchanged tiny landing folder (the issue says 7 accounts; the demo generator's
# smallest is 20) ≤ 4× a trivial dbt build
GOAL_TINY_VS_TRIVIAL, TINY_ACCOUNTS = 4.0, MIN_ACCOUNTS


@dataclass
class Measured:
    seconds: float
    peak_rss_gb: float
    returncode: int
    cached_from: str = ""  # for cached demo data: the date it was generated (and measured)
    load: float | None = None  # 1-minute load average when it started (the machine is shared)
    largest_process_gb: float | None = None  # the peak of the largest single process (rusage)
    server_gb: float | None = None  # another engine's database server: its processes' peak, sampled alike


@dataclass
class Case:
    week: dt.date
    measured: Measured
    compiled_bound: dict[str, float] = field(default_factory=dict)  # group → seconds; empty: not measured
    compiled_missing: list[str] = field(default_factory=list)  # models without compiled SQL in the run
    breakdown: dict = field(default_factory=dict)  # refresh_breakdown(): the steps' times, dbt's slowest nodes


@dataclass
class Bound:
    """The independent lower bound's run: the process as measured, and what it reported (--json)."""

    first_week: str
    last_week: str
    measured: Measured
    report: dict
    skipped: str = ""  # why it did not run


def say(message: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {message}", flush=True)


# ------------------------------------------------------------------------------------------- measuring


def _tree_memory(root: int) -> tuple[int, int]:
    """(resident bytes now, summed; the largest peak so far of one process) over a process and all its
    descendants, from /proc. VmHWM, not rusage: a child's ru_maxrss starts at its parent's peak (Linux
    keeps the peak of the address space it replaces at exec), so it would count the bench's own memory."""
    total = largest = 0
    for pid in process_tree(root):
        if (memory := process_memory(pid)) is not None:
            total += memory[0]
            largest = max(largest, memory[1])
    return total, largest


def _sample_tree(root: int, stop: threading.Event, peaks: list[int]) -> None:
    while True:
        total, largest = _tree_memory(root)
        peaks[0], peaks[1] = max(peaks[0], total), max(peaks[1], largest)
        if stop.wait(SAMPLE_SECONDS):
            return


def run_measured(argv: list[str], env: dict[str, str], log: Path, server_pid: int | None = None) -> Measured:
    """Run a command: wall time, and peak RSS — the larger of the sum over the process tree and the
    largest single process's peak (VmHWM), sampled every 0.2 s while it runs; with ``server_pid``, the
    sum over that database server's processes too, apart (a server's shared buffers count in every one
    of its processes that touched them, so that sum overstates)."""
    load = os.getloadavg()[0]
    started = time.perf_counter()
    with log.open("w") as handle:
        process = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT
        )
        stop, peaks, server = threading.Event(), [0, 0], [0, 0]
        samplers = [threading.Thread(target=_sample_tree, args=(process.pid, stop, peaks), daemon=True)]
        if server_pid:
            samplers.append(threading.Thread(target=_sample_tree, args=(server_pid, stop, server), daemon=True))
        for sampler in samplers:
            sampler.start()
        returncode = process.wait()
        stop.set()
        for sampler in samplers:
            sampler.join()
    seconds = time.perf_counter() - started
    tree, largest = peaks[0] / GB, peaks[1] / GB
    return Measured(
        seconds,
        max(tree, largest),
        returncode,
        load=load,
        largest_process_gb=largest,
        server_gb=server[0] / GB if server_pid else None,
    )


# ---------------------------------------------------------------------------------------------- steps


# A step line of `partnerpulse refresh` ("   0:43  dbt build         357 nodes: … (41s)") and its run id
STEP_LINE = re.compile(r"^\s+\d+:\d{2}\s+(?P<step>\S.*?)\s{2,}.*\((?P<took>\d+m\d{2}s|\d+s)\)\s*$")
RUN_LINE = re.compile(r"^Refreshed week .* \(run (?P<run>[0-9a-f]{8})[0-9a-f-]*\)")
SLOWEST_NODES = 6


def refresh_breakdown(log: Path, warehouse: Path) -> dict:
    """Where a refresh's time went: each step's time as the refresh printed it (its console log), and dbt's
    elapsed time and slowest nodes from the run_results.json of the run's build (empty when not kept)."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.is_file() else []
    steps = [(m["step"], m["took"]) for line in lines if (m := STEP_LINE.match(line))]
    runs = [m["run"] for line in lines if (m := RUN_LINE.match(line))]
    found = sorted((warehouse / "dbt_runs").glob(f"{runs[-1]}-*/run_results.json")) if runs else []
    if not found:
        return {"steps": steps, "dbt_elapsed": None, "slowest": []}
    results = json.loads(found[-1].read_text(encoding="utf-8"))
    timed = sorted(
        ((float(r["execution_time"]), r["unique_id"].split(".", 2)[-1]) for r in results.get("results", [])),
        reverse=True,
    )
    return {"steps": steps, "dbt_elapsed": results.get("elapsed_time"), "slowest": timed[:SLOWEST_NODES]}


def breakdown_lines(results: list[dict]) -> list[str]:
    """Where each refresh's time went (issue 13's note asks for it): the refresh's own step times, dbt's
    elapsed time and its slowest nodes."""
    rows = [(r["accounts"], name, c) for r in results for name, c in r["cases"].items() if c.breakdown.get("steps")]
    if not rows:
        return []
    lines = [
        "Where each refresh's time goes (the steps as the refresh printed them, in whole seconds, steps of 0 s "
        "left out; outside them: the wall time less the steps — the process starting, loading the definitions, "
        f"the summary; dbt's own elapsed time and its {SLOWEST_NODES} slowest nodes from the build's "
        "run_results.json):",
        "",
        "| accounts | refresh | steps | outside the steps | dbt elapsed | slowest dbt nodes |",
        "|---:|---|---|---:|---:|---|",
    ]
    for accounts, name, case in rows:
        b = case.breakdown
        steps = ", ".join(f"{step} {took}" for step, took in b["steps"] if took != "0s")
        outside = case.measured.seconds - sum(_step_seconds(took) for _, took in b["steps"])
        elapsed = _seconds(b["dbt_elapsed"]) if b["dbt_elapsed"] is not None else "not kept"
        slowest = ", ".join(f"{node} {seconds:,.1f} s" for seconds, node in b["slowest"])
        lines.append(f"| {accounts:,} | {name} | {steps} | {_seconds(outside)} | {elapsed} | {slowest} |")
    return [*lines, ""]


def _step_seconds(took: str) -> int:
    """'41s' → 41, '3m50s' → 230 (the refresh's own format, defs/operations/progress.py)."""
    minutes, _, seconds = took.removesuffix("s").rpartition("m")
    return int(minutes or 0) * 60 + int(seconds)


def refresh_env(landing: Path, warehouse: Path) -> dict[str, str]:
    """The environment of a benchmarked refresh: the caller's, without its PartnerPulse or Dagster settings,
    plus the landing and warehouse folders, the bench's memory limit and quiet logs."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PARTNERPULSE_", "DAGSTER_"))},
        "PARTNERPULSE_LANDING_DIR": str(landing),
        "PARTNERPULSE_WAREHOUSE_DIR": str(warehouse),
        "PARTNERPULSE_DUCKDB_MEMORY_LIMIT": MEMORY_LIMIT,
        "PARTNERPULSE_LOG_LEVEL": "WARNING",
    }


def ensure_data(accounts: int) -> tuple[Path, dict, Measured | None]:
    folder = CACHE / f"data-{accounts}"
    manifest_path = folder / "_demo_manifest.json"
    measured_path = CACHE / f"generate-{accounts}.json"
    generated = None
    if not manifest_path.is_file():
        say(f"generating {accounts:,} accounts into {folder} ...")
        shutil.rmtree(folder, ignore_errors=True)
        generated = run_measured(
            [str(BIN / "partnerpulse"), "demo-data", "--accounts", str(accounts), "--out", str(folder)],
            dict(os.environ),
            CACHE / f"generate-{accounts}.log",
        )
        if generated.returncode:
            raise SystemExit(f"demo-data failed, see {CACHE / f'generate-{accounts}.log'}")
        today = f"{dt.datetime.now(dt.UTC):%Y-%m-%d}"
        measured_path.write_text(json.dumps({**asdict(generated), "measured_at": today}))
    elif measured_path.is_file():  # cached: report the measurement taken when it was generated
        saved = json.loads(measured_path.read_text())
        generated = Measured(saved["seconds"], saved["peak_rss_gb"], saved["returncode"], saved.get("measured_at", ""))
    return folder, json.loads(manifest_path.read_text()), generated


def run_compiled_bound(warehouse: Path, scratch: Path, log: Path) -> tuple[dict[str, float], list[str]]:
    """The project's own bound (compiled_bound.py) on the warehouse just refreshed, in its own process."""
    report = scratch / "compiled_bound.json"
    argv = [sys.executable, str(HERE / "compiled_bound.py"), str(warehouse), str(scratch)]
    measured = run_measured([*argv, "--memory-limit", MEMORY_LIMIT, "--json", str(report)], dict(os.environ), log)
    if measured.returncode:
        free = shutil.disk_usage(scratch if scratch.exists() else scratch.parent).free / 2**30
        raise SystemExit(f"the compiled-SQL bound failed; see {log} ({free:.1f} GB free in {scratch})")
    found = json.loads(report.read_text())
    return found["seconds"], found["missing"]


def independent_bound(landing: Path, first_week: str, last_week: dt.date, scratch: Path, log: Path) -> Bound:
    """../shared/bench/lower_bound.py on the landing data, for the full refresh's weeks, in its own process."""
    if not INDEPENDENT_BOUND.is_file():
        return Bound(first_week, str(last_week), Measured(0, 0, 0), {}, f"{INDEPENDENT_BOUND} not found")
    report_path = scratch / "lower_bound.json"
    argv = [sys.executable, str(INDEPENDENT_BOUND), "--data", str(landing), "--db", str(scratch / "lower_bound.duckdb")]
    argv += ["--first-week", first_week] if first_week else []
    argv += ["--last-week", last_week.isoformat(), "--threads", str(os.cpu_count() or 1)]
    argv += ["--memory-limit", MEMORY_LIMIT, "--json", str(report_path)]
    measured = run_measured(argv, dict(os.environ), log)
    shutil.rmtree(landing.parent / "lb_tmp", ignore_errors=True)  # its spill folder, next to --data
    if measured.returncode:
        raise SystemExit(f"the independent lower bound failed; see {log}")
    return Bound(first_week, str(last_week), measured, json.loads(report_path.read_text()))


def published_rows(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse / "published" / "marts.duckdb"), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables order by 1").fetchall()]
        return {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}


def history_facts(warehouse: Path, month: dt.date) -> dict[str, float | int | None]:
    """What a correction of ``month`` should move, from the published marts (None where unreadable)."""
    queries = {
        "adjustment_lines": "select count(*) from fct_incentive_payouts where incentive_type = 'adjustment'",
        "adjustment_usd": "select coalesce(sum(amount_usd), 0) from fct_incentive_payouts "
        "where incentive_type = 'adjustment'",
        "month_arr_usd": "select sum(arr_usd) from fct_arr_monthly where month_start = ?",
        "quarantined": "select count(*) from dq_quarantine",
    }
    facts: dict[str, float | int | None] = {}
    with duckdb.connect(str(warehouse / "published" / "marts.duckdb"), read_only=True) as con:
        for name, query in queries.items():
            try:
                value = con.execute(query, [month] if "?" in query else []).fetchone()[0]
            except duckdb.Error:  # a renamed column: the bench reports n/a rather than stopping
                value = None
            facts[name] = float(value) if value is not None and name.endswith("_usd") else value
    return facts


def months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def bench_other_engines(
    accounts: int, landing: Path, duckdb_warehouse: Path, cases: dict[str, dt.date], servers: dict
) -> list[dict]:
    """The full and the first next-week refresh of the same data on each other engine (``cases``: case →
    week, in order), then every published output compared with the DuckDB run's (engines.py)."""
    runs: list[dict] = []
    for engine, (server_env, server_pid) in servers.items():
        warehouse = CACHE / f"warehouse-{accounts}-{engine}"
        shutil.rmtree(warehouse, ignore_errors=True)
        env = refresh_env(landing, warehouse)
        if engine == "postgres":
            env.update(fresh_database(server_env, f"partnerpulse_{accounts}"))
        env["PARTNERPULSE_TARGET"] = engine  # spark: a local session, its folders under the warehouse
        run: dict = {"engine": engine, "cases": {}}
        for case, week in cases.items():
            log = CACHE / f"{engine}-{SLUGS[case]}-{accounts}.log"
            say(f"{accounts:,} accounts on {engine}: {case} of week {week} ...")
            measured = run_measured(
                [str(BIN / "partnerpulse"), "refresh", "--week", week.isoformat()], env, log, server_pid
            )
            if measured.returncode:
                raise SystemExit(f"{engine} {case} failed at {accounts:,} accounts; see {log}")
            server = f", server {measured.server_gb:.2f} GB" if measured.server_gb is not None else ""
            say(f"  {measured.seconds:,.1f} s, peak RSS {measured.peak_rss_gb:.2f} GB{server}")
            run["cases"][case] = Case(week, measured)
        compare_log = CACHE / f"{engine}-compare-{accounts}.log"
        argv = [sys.executable, str(HERE / "compare.py"), str(duckdb_warehouse), str(warehouse)]
        with compare_log.open("w") as handle:
            compared = subprocess.run(
                [*argv, "--ratio-tolerance", "1e-9"],  # SPEC §12: money to the cent, ratios to 1e-9
                stdout=handle,
                stderr=subprocess.STDOUT,
                check=False,
                cwd=ROOT,
            )
        lines = compare_log.read_text(encoding="utf-8").splitlines()
        run["equal"] = sum(1 for line in lines if line.rstrip().endswith("equal"))
        run["differing"] = [line.split()[0] for line in lines if line.startswith("  ") and "equal" not in line]
        run["same"] = compared.returncode == 0
        say(
            f"  outputs vs DuckDB: {run['equal']} equal, {len(run['differing'])} differing"
            + (f" ({', '.join(run['differing'])})" if run["differing"] else "")
            + f"; see {compare_log}"
        )
        runs.append(run)
    return runs


def bench_scale(accounts: int, servers: dict | None = None) -> dict:
    data, manifest, generated = ensure_data(accounts)
    end = dt.date.fromisoformat(manifest["end"])
    chosen = bench_weeks(end - dt.timedelta(days=end.weekday()))
    full_week, last_week = chosen.full, chosen.last
    corrected_month = months_before(last_week, 2)
    landing = CACHE / f"landing-{accounts}"
    warehouse = CACHE / f"warehouse-{accounts}"
    scratch = CACHE / f"scratch-{accounts}"
    for folder in (warehouse, scratch):
        shutil.rmtree(folder, ignore_errors=True)
    scratch.mkdir(parents=True)
    link_landing(data, landing)
    env = refresh_env(landing, warehouse)
    result: dict = {"accounts": accounts, "landing_rows": manifest["row_counts"], "generated": generated}
    cases: dict[str, Case] = {}
    result["cases"] = cases

    def refresh(case: str, week: dt.date) -> None:
        log = CACHE / f"{SLUGS[case]}-{accounts}.log"
        say(f"{accounts:,} accounts: {case} of week {week} (load average {os.getloadavg()[0]:.1f}) ...")
        measured = run_measured([str(BIN / "partnerpulse"), "refresh", "--week", week.isoformat()], env, log)
        if measured.returncode:
            raise SystemExit(f"{case} failed at {accounts:,} accounts; see {log}")
        ratio = f" = {measured.seconds / cases[FULL].measured.seconds:.2f}× the full refresh" if cases else ""
        say(
            f"  {measured.seconds:,.1f} s{ratio}, peak RSS {measured.peak_rss_gb:.2f} GB (largest process "
            f"{measured.largest_process_gb:.2f} GB); compiled-SQL bound ..."
        )
        bound, missing = run_compiled_bound(warehouse, scratch, CACHE / f"{SLUGS[case]}-bound-{accounts}.log")
        cases[case] = Case(week, measured, bound, missing, refresh_breakdown(log, warehouse))
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in bound.items())
        say(
            f"  compiled-SQL bound {sum(bound.values()):,.1f} s ({parts})"
            + (f"; no SQL for {missing}" if missing else "")
        )

    refresh(FULL, full_week)
    result["published_after_full"] = published_rows(warehouse)

    say(f"{accounts:,} accounts: independent lower bound, weeks {manifest.get('first_week', '')} .. {full_week} ...")
    bound = independent_bound(landing, manifest.get("first_week", ""), full_week, scratch, CACHE / f"lb-{accounts}.log")
    result["independent"] = bound
    if bound.skipped:
        say(f"  not run: {bound.skipped}")
    else:
        say(
            f"  {bound.measured.seconds:,.1f} s, peak RSS {bound.measured.peak_rss_gb:.1f} GB: the full refresh is "
            f"{cases[FULL].measured.seconds / bound.measured.seconds:.1f}× it"
        )

    first_next, second_next = (next_week_case(week) for week in chosen.next_weeks)
    refresh(first_next, chosen.next_weeks[0])
    if servers:  # before the second next week, the close and the correction: the same landing data and weeks
        engine_cases = {FULL: full_week, first_next: chosen.next_weeks[0]}
        result["engines"] = bench_other_engines(accounts, landing, warehouse, engine_cases, servers)
    refresh(second_next, chosen.next_weeks[1])
    result["published_rows"] = published_rows(warehouse)
    before = history_facts(warehouse, corrected_month)

    period = f"{corrected_month:%Y-%m}"
    say(f"{accounts:,} accounts: closing payout period {period} (not timed) ...")
    closing = run_measured(
        [str(BIN / "partnerpulse"), "close-period", period, "--yes"], env, CACHE / f"close-{accounts}.log"
    )
    result["closed"] = {"period": period, "seconds": closing.seconds, "ok": closing.returncode == 0}
    if closing.returncode:
        say(f"  not closed (see {CACHE / f'close-{accounts}.log'}); the correction is measured all the same")
    changes = correct_month(landing, corrected_month)
    result["changes"] = changes
    say("  late correction landed: " + "; ".join(changes))
    refresh(CHANGED, last_week)
    result["history"] = {"before": before, "after": history_facts(warehouse, corrected_month), "month": period}
    for line in goal_lines(result):
        say(f"  goal: {line}")
    shutil.rmtree(scratch, ignore_errors=True)
    return result


TRIVIAL_PROJECT = {
    "dbt_project.yml": "name: trivial\nversion: '1.0'\nprofile: trivial\nmodel-paths: [models]\n",
    "profiles.yml": "trivial:\n  target: duckdb\n  outputs:\n    duckdb:\n      type: duckdb\n"
    "      path: \"{{ env_var('BENCH_TRIVIAL_DB') }}\"\n      threads: 1\n",
    "models/one.sql": "select 1 as id\n",
}


def fixed_cost() -> dict:
    """A second refresh of an unchanged 7-account landing folder vs `dbt build` of one trivial model."""
    data, _, _ = ensure_data(TINY_ACCOUNTS)
    landing, warehouse = CACHE / f"landing-{TINY_ACCOUNTS}", CACHE / f"warehouse-{TINY_ACCOUNTS}"
    shutil.rmtree(warehouse, ignore_errors=True)
    link_landing(data, landing)
    env = refresh_env(landing, warehouse)
    measured: dict[str, Measured] = {}
    for run in ("first", "second", "forced"):
        say(f"{TINY_ACCOUNTS} accounts: {run} refresh of the same landing folder ...")
        log = CACHE / f"tiny-{run}.log"
        force = ["--force"] if run == "forced" else []  # the whole job again, though nothing changed
        measured[run] = run_measured([str(BIN / "partnerpulse"), "refresh", *force], env, log)
        if measured[run].returncode:
            raise SystemExit(f"the {run} {TINY_ACCOUNTS}-account refresh failed; see {log}")
        say(f"  {measured[run].seconds:,.1f} s")
    project = CACHE / "trivial-dbt"
    shutil.rmtree(project, ignore_errors=True)
    for name, text in TRIVIAL_PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    trivial_env = {**env, "BENCH_TRIVIAL_DB": str(project / "trivial.duckdb")}
    # the dbt the refreshes run (partnerpulse-dbt: dbt without the interpreter's teardown, decision 126), so the
    # floor is not raised by a cost the refreshes no longer pay
    argv = [DBT_EXECUTABLE, "build", "--project-dir", str(project), "--profiles-dir", str(project)]
    say(f"dbt build of one trivial model (dbt's floor, {Path(DBT_EXECUTABLE).name}) ...")
    measured["trivial"] = run_measured(argv, trivial_env, CACHE / "trivial-dbt.log")
    if measured["trivial"].returncode:
        raise SystemExit(f"the trivial dbt build failed; see {CACHE / 'trivial-dbt.log'}")
    ratio = measured["second"].seconds / measured["trivial"].seconds
    forced = measured["forced"].seconds / measured["trivial"].seconds
    trivial = measured["trivial"].seconds
    say(f"  {trivial:,.1f} s; the second tiny refresh is {ratio:.1f}× it, a forced one {forced:.1f}×")
    return {"measured": measured, "ratio": ratio, "forced_ratio": forced}


def fixed_cost_lines(fixed: dict) -> list[str]:
    m = fixed["measured"]
    verdict = "pass" if fixed["ratio"] <= GOAL_TINY_VS_TRIVIAL else "fail"
    return [
        f"Fixed cost (issue 13: a second refresh of an unchanged {TINY_ACCOUNTS}-account landing folder ≤ "
        f"{GOAL_TINY_VS_TRIVIAL:g}× `dbt build` of one trivial model in the same venv):",
        "",
        "| step | wall time | peak RSS | largest process | load |",
        "|---|---:|---:|---:|---:|",
        f"| first refresh, {TINY_ACCOUNTS} accounts (empty warehouse) | {_seconds(m['first'].seconds)} "
        f"| {_gb(m['first'])} |",
        f"| second refresh, same landing folder (nothing changed: up to date, no run) "
        f"| {_seconds(m['second'].seconds)} | {_gb(m['second'])} |",
        "| third refresh with `--force` "
        "(the whole job, nothing skipped but unchanged seeds, landing files and models) "
        f"| {_seconds(m['forced'].seconds)} | {_gb(m['forced'])} |",
        f"| `dbt build` of one trivial model | {_seconds(m['trivial'].seconds)} | {_gb(m['trivial'])} |",
        "",
        f"Second refresh ÷ trivial dbt build: {_ratio(fixed['ratio'])} (goal ≤ {GOAL_TINY_VS_TRIVIAL:g}×): {verdict}. "
        f"A forced refresh (the whole Dagster job and dbt build on unchanged data): {_ratio(fixed['forced_ratio'])}.",
        "",
    ]


# ------------------------------------------------------------------------------------------ reporting


def goals(result: dict) -> list[tuple[str, str, str]]:
    """(goal, measured, pass / fail / why not judged) for one scale."""
    cases: dict[str, Case] = result["cases"]
    rows: list[tuple[str, str, str]] = []
    full = cases[FULL].measured.seconds
    bound: Bound | None = result.get("independent")
    if bound is not None and not bound.skipped:
        ratio = full / bound.measured.seconds
        verdict = "pass" if ratio <= GOAL_FULL_VS_BOUND else "fail"
        rows.append((f"full refresh ≤ {GOAL_FULL_VS_BOUND:g}× the independent lower bound", f"{ratio:.1f}×", verdict))
    else:
        rows.append((f"full refresh ≤ {GOAL_FULL_VS_BOUND:g}× the independent lower bound", "", "not measured"))
    for kind, case in NEXT_KINDS.items():  # judged for each kind of week
        if case in cases:
            ratio = cases[case].measured.seconds / full
            verdict = "pass" if ratio <= GOAL_NEXT_VS_FULL else "fail"
            goal = f"next-week refresh ≤ {GOAL_NEXT_VS_FULL:g}× the full refresh ({kind})"
            rows.append((goal, f"{ratio:.2f}×", verdict))
    peak = max(c.measured.peak_rss_gb for c in cases.values())
    goal = f"peak RSS ≤ {GOAL_PEAK_GB:g} GB at {GOAL_PEAK_SCALE:,} accounts with the default {PRODUCT_MEMORY_LIMIT}"
    if result["accounts"] != GOAL_PEAK_SCALE:
        verdict = f"not judged at {result['accounts']:,} accounts"
    elif MEMORY_LIMIT != PRODUCT_MEMORY_LIMIT:
        verdict = f"not judged: memory_limit {MEMORY_LIMIT}"
    else:
        verdict = "pass" if peak <= GOAL_PEAK_GB else "fail"
    rows.append((goal, f"{peak:.1f} GB", verdict))
    return rows


def goal_lines(result: dict) -> list[str]:
    return [f"{goal}: {measured} — {verdict}" for goal, measured, verdict in goals(result)]


def _seconds(value: float) -> str:
    return f"{value:,.1f} s" if value < 100 else f"{value:,.0f} s"


def _ratio(value: float) -> str:
    return f"{value:.2f}×" if value < 10 else f"{value:,.1f}×"


def _usd(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def _gb(m: Measured) -> str:
    """The peak RSS, largest process and load cells."""
    largest = "" if m.largest_process_gb is None else f"{m.largest_process_gb:.1f} GB"
    load = "" if m.load is None else f"{m.load:.1f}"
    return f"{m.peak_rss_gb:.1f} GB | {largest} | {load}"


def main_table(results: list[dict]) -> list[str]:
    lines = [
        "| accounts | step | week | wall time | peak RSS | largest process | load | ÷ full refresh "
        "| ÷ independent bound | compiled-SQL bound | ÷ compiled-SQL bound |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        n = f"{r['accounts']:,}"
        if g := r["generated"]:
            step = f"demo-data (cached; measured {g.cached_from})" if g.cached_from else "demo-data"
            lines.append(f"| {n} | {step} | | {_seconds(g.seconds)} | {_gb(g)} | | | | |")
        bound: Bound | None = r.get("independent")
        if bound is not None:
            if bound.skipped:
                lines.append(f"| {n} | independent lower bound | | not run: {bound.skipped} | | | | | | | |")
            else:
                m = bound.measured
                weeks = f"{bound.report.get('first_week', bound.first_week)} .. {bound.last_week}"
                lines.append(f"| {n} | independent lower bound | {weeks} | {_seconds(m.seconds)} | {_gb(m)} | | | | |")
        cases: dict[str, Case] = r["cases"]
        full = cases[FULL].measured.seconds if FULL in cases else None
        for name, c in cases.items():  # in the order they ran
            m = c.measured
            vs_full = _ratio(m.seconds / full) if full else ""
            vs_bound = (
                _ratio(m.seconds / bound.measured.seconds)
                if name == FULL and bound is not None and not bound.skipped
                else ""
            )
            compiled = sum(c.compiled_bound.values())
            complete = len(c.compiled_bound) == len(CORE)
            compiled_cell = _seconds(compiled) if complete else "incomplete"
            vs_compiled = _ratio(m.seconds / compiled) if complete and compiled else ""
            lines.append(
                f"| {n} | {name} | {c.week} | {_seconds(m.seconds)} | {_gb(m)} | "
                f"{vs_full} | {vs_bound} | {compiled_cell} | {vs_compiled} |"
            )
    return lines


def engine_lines(results: list[dict]) -> list[str]:
    """The other engines' refreshes (BENCH_ENGINES, engines.py) next to DuckDB's, and their outputs compared."""
    runs = [(r, run) for r in results for run in r.get("engines", [])]
    if not runs:
        return []
    lines = [
        "Engines (BENCH_ENGINES; issue 14): the same landing data and weeks; pipeline = the refresh's process "
        "tree, server = the database server's processes (their sum: shared buffers count once per process "
        "that touched them); outputs compared with the DuckDB run's after its first next-week "
        "refresh (bench/compare.py: marts, finance files, partner feeds).",
        "",
        "| accounts | engine | step | wall time | peak RSS (pipeline) | largest process | load | server "
        "| ÷ DuckDB | outputs vs DuckDB |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r, run in runs:
        for case, c in run["cases"].items():
            duck = r["cases"][case].measured.seconds
            server = f"{c.measured.server_gb:.1f} GB" if c.measured.server_gb is not None else "n/a"
            verdict = ""
            if case != FULL:  # the next week: the outputs compared after it
                differing = ", ".join(run["differing"])
                verdict = "all equal" if run["same"] else f"{len(run['differing'])} differ: {differing}"
                verdict = f"{run['equal']} tables/folders equal; {verdict}"
            lines.append(
                f"| {r['accounts']:,} | {run['engine']} | {case} | {_seconds(c.measured.seconds)} | "
                f"{_gb(c.measured)} | {server} | {c.measured.seconds / duck:.2f}× | {verdict} |"
            )
    return [*lines, ""]


def write_results(
    results: list[dict], earlier: str, started: dt.datetime, load: tuple[float, ...], fixed: dict | None = None
) -> None:
    lines = [
        f"# Benchmark — run of {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"`make bench` on {os.cpu_count()} cores, DuckDB {duckdb.__version__}, memory_limit {MEMORY_LIMIT}"
        + (" (the product default)" if MEMORY_LIMIT == PRODUCT_MEMORY_LIMIT else "")
        + f". Load average at the start {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min); the "
        "`load` column is the 1-minute load average when each step started: on a shared machine the figures "
        "are noisy.",
        "",
        "Each step runs in its own process. **Full refresh**: an empty warehouse, the whole weekly history, "
        "of the week before the next weeks. **Next-week refreshes**: the two weeks after it, one after the "
        "other: of the data's latest two consecutive weeks, the one that holds a month's last day (a "
        "month completes by its as-of date, so the monthly revenue chain is built again) and the one that does not "
        "(bench/weeks.py); each is judged against the goal. "
        "**Changed-history refresh**: the second next week again, after closing the payout period two months "
        "before it and landing a late correction to that month (below). **Independent lower bound**: "
        f"`{INDEPENDENT_BOUND.name}` (plain DuckDB SQL written from the SPEC without the models: weekly usage "
        "roll-ups, the scorecard of every account-week, monthly ARR and the bridge) on the same landing data "
        "and weeks as the full refresh, same memory limit; **full refresh ÷ independent bound is the "
        "headline**. **Compiled-SQL bound**: the project's own compiled SQL of the core computations (weekly "
        "usage roll-up, scorecard chain, ARR bridge chain) as plain `create table … as` in one DuckDB "
        "connection on a copy of the warehouse just refreshed. Peak RSS: the larger of the "
        "sum over the process tree and the largest single process's own peak (VmHWM), sampled every 0.2 s; "
        "largest process: that peak alone (earlier runs reported rusage's ru_maxrss, which also counts the "
        "bench's own peak: a child inherits its parent's at exec); GB = 2^30 bytes.",
        "",
        *main_table(results),
        "",
        "Goals (issue 13):",
        "",
        "| accounts | goal | measured | result |",
        "|---:|---|---:|---|",
    ]
    for r in results:
        lines += [f"| {r['accounts']:,} | {goal} | {measured} | {verdict} |" for goal, measured, verdict in goals(r)]
    lines += [""] + breakdown_lines(results) + (fixed_cost_lines(fixed) if fixed else [])
    lines += engine_lines(results)
    lines += ["Changed history:", ""]
    for r in results:
        if "history" not in r:
            continue
        closed = r["closed"]
        before, after = r["history"]["before"], r["history"]["after"]
        closing = (
            f"payout period {closed['period']} closed after the next-week refreshes ({_seconds(closed['seconds'])}, "
            "not counted)"
            if closed["ok"]
            else f"closing payout period {closed['period']} failed (see bench/cache/close-{r['accounts']}.log)"
        )
        lines.append(f"- {r['accounts']:,} accounts: {closing}; the late correction: " + "; ".join(r["changes"]) + ".")
        if None not in (before["adjustment_lines"], after["adjustment_lines"]):
            lines.append(
                f"  Effect: {after['adjustment_lines'] - before['adjustment_lines']:,} adjustment lines "
                f"(USD {_usd(after['adjustment_usd'])} in all, before {_usd(before['adjustment_usd'])}); ARR of "
                f"{r['history']['month']} USD {_usd(before['month_arr_usd'])} → {_usd(after['month_arr_usd'])}; "
                f"quarantined rows {after['quarantined']}."
            )
    lines += ["", "Independent lower bound by part (seconds; its own timing, without the process start):", ""]
    parts = [
        p["part"]
        for p in next((r["independent"].report.get("parts", []) for r in results if r["independent"].report), [])
    ]
    lines += ["| accounts | " + " | ".join(parts) + " | total |", "|---:|" + "---:|" * (len(parts) + 1)]
    for r in results:
        report = r["independent"].report
        if report:
            seconds = {p["part"]: p["seconds"] for p in report.get("parts", [])}
            cells = " | ".join(f"{seconds[p]:,.1f}" if p in seconds else "" for p in parts)
            lines.append(f"| {r['accounts']:,} | {cells} | {report.get('total_seconds', 0):,.1f} |")
    lines += ["", "Independent lower bound rows vs the published marts after the full refresh (the same weeks):", ""]
    lines += ["| accounts | account-weeks | fct_account_health_weekly | ARR movements | fct_arr_movements |"]
    lines += ["|---:|---:|---:|---:|---:|"]
    for r in results:
        report = r["independent"].report
        if report:
            rows = {t: n for p in report.get("parts", []) for t, n in p.get("rows", {}).items()}
            published = r["published_after_full"]
            lines.append(
                f"| {r['accounts']:,} | {rows.get('account_health_weekly', 0):,} | "
                f"{published.get('fct_account_health_weekly', 0):,} | {rows.get('arr_movements', 0):,} | "
                f"{published.get('fct_arr_movements', 0):,} |"
            )
    lines += [
        "",
        "Compiled-SQL bound by computation (seconds):",
        "",
        "| accounts | step | " + " | ".join(CORE) + " |",
        "|---:|---|" + "---:|" * len(CORE),
    ]
    for r in results:
        for name, c in r["cases"].items():
            cells = " | ".join(f"{c.compiled_bound[k]:,.1f}" if k in c.compiled_bound else "n/a" for k in CORE)
            lines.append(f"| {r['accounts']:,} | {name} | {cells} |")
    tables = sorted({t for r in results for t in r["landing_rows"]})
    lines += [
        "",
        "Landing rows:",
        "",
        "| table | " + " | ".join(f"{r['accounts']:,}" for r in results) + " |",
        "|---|" + "---:|" * len(results),
    ]
    lines += [f"| {t} | " + " | ".join(f"{r['landing_rows'].get(t, 0):,}" for r in results) + " |" for t in tables]
    done = [r for r in results if "published_rows" in r]
    marts = sorted({t for r in done for t in r["published_rows"]})
    lines += [
        "",
        "Published rows (after the second next-week refresh):",
        "",
        "| table | " + " | ".join(f"{r['accounts']:,}" for r in done) + " |",
        "|---|" + "---:|" * len(done),
    ]
    lines += [f"| {t} | " + " | ".join(f"{r['published_rows'].get(t, 0):,}" for r in done) + " |" for t in marts]
    if earlier:
        lines += ["", earlier.rstrip()]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")


EARLIER = "## Earlier runs"


def earlier_runs(previous: str) -> str:
    """The results file as it was before this run, as the "earlier runs" part of the new one: its latest
    run with its headings one level down, then the earlier runs it already kept (prune them by hand)."""
    if not previous.strip():
        return ""
    latest, _, kept = previous.partition(f"\n{EARLIER}\n")
    latest = re.sub(r"^# (.*)$", r"### \1", latest.strip(), flags=re.MULTILINE)
    return f"{EARLIER}\n\n{latest}\n" + (f"\n{kept.strip()}\n" if kept.strip() else "")


def switched_on(variable: str) -> bool:
    """A bench switch (BENCH_FIXED, BENCH_DISK_CHECK): on unless set to 0, false or no."""
    return os.environ.get(variable, "1").strip() not in {"0", "false", "no"}


def main() -> None:
    scales = [int(s) for s in os.environ.get("BENCH_SCALES", "2000,20000,200000").split(",") if s.strip()]
    engines = engines_from_env()
    started, load = dt.datetime.now(dt.UTC), os.getloadavg()
    say(f"memory_limit {MEMORY_LIMIT}; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    disk = disk_plan(scales, CACHE)
    say(describe(disk, CACHE, engines))
    if not disk.enough and switched_on("BENCH_DISK_CHECK"):
        raise SystemExit(refusal(disk, CACHE))  # before anything is written: a full disk would fail it an hour in
    CACHE.mkdir(parents=True, exist_ok=True)
    earlier = earlier_runs(RESULTS.read_text(encoding="utf-8") if RESULTS.is_file() else "")
    results: list[dict] = []
    fixed = None
    if switched_on("BENCH_FIXED"):
        fixed = fixed_cost()
        write_results(results, earlier, started, load, fixed)
    with contextlib.ExitStack() as stack:
        servers = {}
        if "postgres" in engines:
            servers["postgres"] = stack.enter_context(postgres_server(CACHE, say))
        if "spark" in engines:
            servers["spark"] = ({}, None)  # no server: dbt runs Spark in its own process (PARTNERPULSE_SPARK_*)
        for accounts in scales:
            results.append(bench_scale(accounts, servers))
            write_results(results, earlier, started, load, fixed)  # partial results survive a later failure
    say(f"results in {RESULTS}")


if __name__ == "__main__":
    main()
