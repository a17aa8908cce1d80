"""The project's own lower bound for `make bench`: the compiled SQL of the core computations.

    python bench/compiled_bound.py WAREHOUSE SCRATCH --memory-limit 8GB --json OUT

The newest dbt run's compiled SQL of the weekly usage roll-up, the scorecard chain and the ARR bridge
chain, run as plain `create table … as` statements in one DuckDB connection on a copy of the
refreshed warehouse (in SCRATCH; removed afterwards). Writes seconds per computation to OUT (a
computation with a model that has no compiled SQL in the run is left out; those models are listed). A
model the run left out because its inputs had not changed (ops.models_built names an earlier run;
decision 115) costs the refresh nothing, so it is not run here either.
run.py starts it in its own process, so that the memory it uses is neither counted in nor left
behind for the refreshes measured after it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import duckdb

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


def newest_run_dir(warehouse: Path) -> Path:
    runs = [p for p in (warehouse / "dbt_runs").iterdir() if p.is_dir() and not p.name.startswith("docs")]
    return max(runs, key=lambda p: p.stat().st_mtime)


def compiled_sql(run_dir: Path, model: str) -> str | None:
    matches = list(run_dir.glob(f"compiled/**/{model}.sql"))
    return matches[0].read_text(encoding="utf-8") if matches else None


def left_out_by(con: duckdb.DuckDBPyConnection, run_dir: Path) -> set[str]:
    """The models that the run of ``run_dir`` (named after its run id's first 8 characters) left out."""
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'ops' and table_name = 'models_built'"
    ).fetchone()
    if not found or not found[0]:
        return set()
    run = run_dir.name.split("-")[0]
    rows = con.execute("select model_name, run_id from ops.models_built").fetchall()
    return {model for model, run_id in rows if not str(run_id).startswith(run)}


def compiled_bound(warehouse: Path, scratch: Path, memory_limit: str) -> dict:
    """Seconds per computation, the models without compiled SQL and those the run left out."""
    run_dir = newest_run_dir(warehouse)
    copy = scratch / "partnerpulse.duckdb"  # same file name: compiled SQL names the catalog
    size = (warehouse / "partnerpulse.duckdb").stat().st_size
    scratch.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(scratch).free
    if free < size * 1.2:  # the copy, and the tables the bound writes into it
        raise SystemExit(
            f"compiled_bound: copying {warehouse / 'partnerpulse.duckdb'} ({size / 2**30:.1f} GB) into {scratch} "
            f"needs about {size * 1.2 / 2**30:.1f} GB free there; {free / 2**30:.1f} GB are"
        )
    shutil.copyfile(warehouse / "partnerpulse.duckdb", copy)
    seconds: dict[str, float] = {}
    con = duckdb.connect(str(copy))
    try:
        left_out = left_out_by(con, run_dir)
        sql = {m: compiled_sql(run_dir, m) for models in CORE.values() for m in models if m not in left_out}
        con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute(f"set temp_directory = '{scratch / 'tmp'}'")
        con.execute("set preserve_insertion_order = false")
        con.execute("set TimeZone = 'UTC'")
        for group, models in CORE.items():
            run = [model for model in models if model not in left_out]
            if any(sql[model] is None for model in run):
                continue
            started = time.perf_counter()
            for model in run:
                con.execute(f"create or replace table intermediate.{model} as ({sql[model]})")
            seconds[group] = time.perf_counter() - started
    finally:
        con.close()
        copy.unlink(missing_ok=True)
        shutil.rmtree(scratch / "tmp", ignore_errors=True)
    return {
        "seconds": seconds,
        "missing": [model for model, text in sql.items() if text is None],
        "left_out": sorted(left_out & {model for models in CORE.values() for model in models}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("scratch", type=Path)
    parser.add_argument("--memory-limit", default="8GB")
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    args.json.write_text(json.dumps(compiled_bound(args.warehouse, args.scratch, args.memory_limit)))


if __name__ == "__main__":
    main()
