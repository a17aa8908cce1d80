"""`make bench`: how fast and how big, at 2,000 / 20,000 / 200,000 accounts (SPEC §11).

For each scale (BENCH_SCALES, default "2000,20000,200000"):
1. demo data, cached in bench/cache/data-<n> (generated once; its time and memory are kept in
   bench/cache/generate-<n>.json and reported, marked cached, by later runs);
2. a full refresh from an empty warehouse (the whole weekly history) of the week before the data's
   last week, then an incremental refresh of the last week, each as `partnerpulse refresh` in its
   own process: wall time and peak RSS (the process and its dbt child);
3. the lower bound: the compiled SQL of the core computations — the weekly usage roll-up, the
   scorecard chain and the ARR bridge chain — run as plain `create table … as` statements in one
   DuckDB connection on a copy of the refreshed warehouse; each refresh is reported as a ratio to it;
4. rows per table, landing and published.
Results go to bench/results.md. Progress is printed as it goes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / "cache"
RESULTS = ROOT / "bench" / "results.md"
BIN = Path(sys.executable).parent
MEMORY_LIMIT = os.environ.get("PARTNERPULSE_DUCKDB_MEMORY_LIMIT", "12GB")

CORE = {
    "weekly usage roll-up": ["int_usage_weekly_rolled_up", "int_account_usage_days_rolled_up"],
    "ARR bridge": [
        "int_months_spined",
        "int_fx_rates_resolved_monthly",
        "int_subscription_items_priced",
        "int_account_arr_line_months_aggregated",
        "int_arr_movements_classified",
    ],
    "scorecard": [
        "int_weeks_spined",
        "int_fx_rates_resolved_weekly",
        "int_account_partner_intervals",
        "int_account_product_weeks_held",
        "int_account_weeks_active",
        "int_account_weeks_usage_measured",
        "int_account_weeks_engagement_measured",
        "int_account_weeks_features_measured",
        "int_account_weeks_business_measured",
        "int_account_weeks_measured",
        "int_account_weeks_scored",
    ],
}


@dataclass
class Measured:
    seconds: float
    peak_rss_gb: float
    returncode: int
    cached_from: str = ""  # for cached demo data: the date it was generated (and measured)


def say(message: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {message}", flush=True)


def run_measured(argv: list[str], env: dict[str, str], log: Path) -> Measured:
    """Run a command, returning wall time and the peak RSS of it and its waited-for children."""
    started = time.perf_counter()
    with log.open("w") as handle:
        process = subprocess.Popen(argv, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    return Measured(seconds, usage.ru_maxrss / 1024 / 1024, os.waitstatus_to_exitcode(status))


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


def newest_run_dir(warehouse: Path) -> Path:
    runs = [p for p in (warehouse / "dbt_runs").iterdir() if p.is_dir() and not p.name.startswith("docs")]
    return max(runs, key=lambda p: p.stat().st_mtime)


def compiled_sql(run_dir: Path, model: str) -> str:
    matches = list(run_dir.glob(f"compiled/**/{model}.sql"))
    if not matches:
        raise FileNotFoundError(f"no compiled SQL for {model} in {run_dir}")
    return matches[0].read_text(encoding="utf-8")


def lower_bound(warehouse: Path, run_dir: Path, scratch: Path) -> dict[str, float]:
    """Core computations as plain SQL in one connection, on a copy of the refreshed warehouse."""
    copy = scratch / "partnerpulse.duckdb"  # same file name: compiled SQL names the catalog
    shutil.copyfile(warehouse / "partnerpulse.duckdb", copy)
    timings: dict[str, float] = {}
    con = duckdb.connect(str(copy))
    try:
        con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
        con.execute(f"set temp_directory = '{scratch / 'tmp'}'")
        con.execute("set preserve_insertion_order = false")
        con.execute("set TimeZone = 'UTC'")
        for group, models in CORE.items():
            started = time.perf_counter()
            for model in models:
                con.execute(f"create or replace table intermediate.{model} as ({compiled_sql(run_dir, model)})")
            timings[group] = time.perf_counter() - started
    finally:
        con.close()
        copy.unlink(missing_ok=True)
    return timings


def published_rows(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse / "published" / "marts.duckdb"), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables order by 1").fetchall()]
        return {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}


def bench_scale(accounts: int) -> dict:
    data, manifest, generated = ensure_data(accounts)
    end = dt.date.fromisoformat(manifest["end"])
    last_week = end - dt.timedelta(days=end.weekday())
    warehouse = CACHE / f"warehouse-{accounts}"
    shutil.rmtree(warehouse, ignore_errors=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PARTNERPULSE_", "DAGSTER_"))},
        "PARTNERPULSE_LANDING_DIR": str(data),
        "PARTNERPULSE_WAREHOUSE_DIR": str(warehouse),
        "PARTNERPULSE_DUCKDB_MEMORY_LIMIT": MEMORY_LIMIT,
        "PARTNERPULSE_LOG_LEVEL": "WARNING",
    }
    result: dict = {"accounts": accounts, "landing_rows": manifest["row_counts"], "generated": generated}
    scratch = CACHE / f"scratch-{accounts}"
    scratch.mkdir(parents=True, exist_ok=True)
    for step, week in (("full refresh", last_week - dt.timedelta(weeks=1)), ("incremental refresh", last_week)):
        say(f"{accounts:,} accounts: {step} of week {week} ...")
        measured = run_measured(
            [str(BIN / "partnerpulse"), "refresh", "--week", week.isoformat()],
            env,
            CACHE / f"{step.split()[0]}-{accounts}.log",
        )
        if measured.returncode:
            raise SystemExit(f"{step} failed at {accounts} accounts; see {CACHE / f'{step.split()[0]}-{accounts}.log'}")
        say(f"  {measured.seconds:,.0f}s, peak {measured.peak_rss_gb:.1f} GB; lower bound ...")
        bound = lower_bound(warehouse, newest_run_dir(warehouse), scratch)
        result[step] = {"measured": measured, "lower_bound": bound}
        say(f"  lower bound {sum(bound.values()):,.0f}s ({', '.join(f'{k} {v:.0f}s' for k, v in bound.items())})")
    result["published_rows"] = published_rows(warehouse)
    shutil.rmtree(scratch, ignore_errors=True)
    return result


def write_results(results: list[dict]) -> None:
    lines = [
        "# Benchmark",
        "",
        f"`make bench` on {os.cpu_count()} cores, DuckDB memory_limit {MEMORY_LIMIT}, "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Lower bound = the core computations (weekly usage "
        "roll-up, scorecard chain, ARR bridge chain) as plain SQL in one DuckDB connection on the same data.",
        "",
        "| accounts | step | wall time | peak memory | lower bound | ratio |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        if r["generated"]:
            g = r["generated"]
            step = f"demo-data (cached; measured {g.cached_from})" if g.cached_from else "demo-data"
            lines.append(f"| {r['accounts']:,} | {step} | {g.seconds:,.0f} s | {g.peak_rss_gb:.1f} GB | | |")
        for step in ("full refresh", "incremental refresh"):
            m, bound = r[step]["measured"], sum(r[step]["lower_bound"].values())
            lines.append(
                f"| {r['accounts']:,} | {step} | {m.seconds:,.0f} s | {m.peak_rss_gb:.1f} GB | {bound:,.1f} s | "
                f"{m.seconds / bound:,.1f}× |"
            )
    lines += [
        "",
        "Lower bound by computation (seconds):",
        "",
        "| accounts | step | " + " | ".join(CORE) + " |",
        "|---:|---|" + "---:|" * len(CORE),
    ]
    for r in results:
        for step in ("full refresh", "incremental refresh"):
            bound = r[step]["lower_bound"]
            lines.append(f"| {r['accounts']:,} | {step} | " + " | ".join(f"{bound[k]:,.1f}" for k in CORE) + " |")
    tables = sorted({t for r in results for t in r["landing_rows"]})
    lines += [
        "",
        "Landing rows:",
        "",
        "| table | " + " | ".join(f"{r['accounts']:,}" for r in results) + " |",
        "|---|" + "---:|" * len(results),
    ]
    lines += [f"| {t} | " + " | ".join(f"{r['landing_rows'].get(t, 0):,}" for r in results) + " |" for t in tables]
    marts = sorted({t for r in results for t in r["published_rows"]})
    lines += [
        "",
        "Published rows:",
        "",
        "| table | " + " | ".join(f"{r['accounts']:,}" for r in results) + " |",
        "|---|" + "---:|" * len(results),
    ]
    lines += [f"| {t} | " + " | ".join(f"{r['published_rows'].get(t, 0):,}" for r in results) + " |" for t in marts]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    scales = [int(s) for s in os.environ.get("BENCH_SCALES", "2000,20000,200000").split(",") if s.strip()]
    CACHE.mkdir(parents=True, exist_ok=True)
    results = []
    for accounts in scales:
        results.append(bench_scale(accounts))
        write_results(results)  # partial results survive a later failure
    say(f"results in {RESULTS}")


if __name__ == "__main__":
    main()
