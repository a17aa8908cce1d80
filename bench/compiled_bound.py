"""The project's own lower bound for `make bench`: the compiled SQL of the core computations.

    python bench/compiled_bound.py WAREHOUSE SCRATCH --memory-limit 8GB --json OUT

The newest dbt run's compiled SQL of the weekly usage roll-up, the scorecard chain and the ARR bridge
chain, run as plain `create table … as` statements in one DuckDB connection on a copy of the
refreshed warehouse (in SCRATCH; removed afterwards). Writes seconds per computation to OUT (a
computation with a model that has no compiled SQL in the run is left out; those models are listed).
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


def compiled_bound(warehouse: Path, scratch: Path, memory_limit: str) -> dict:
    """Seconds per computation and the models without compiled SQL."""
    run_dir = newest_run_dir(warehouse)
    sql = {model: compiled_sql(run_dir, model) for models in CORE.values() for model in models}
    copy = scratch / "partnerpulse.duckdb"  # same file name: compiled SQL names the catalog
    shutil.copyfile(warehouse / "partnerpulse.duckdb", copy)
    seconds: dict[str, float] = {}
    con = duckdb.connect(str(copy))
    try:
        con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute(f"set temp_directory = '{scratch / 'tmp'}'")
        con.execute("set preserve_insertion_order = false")
        con.execute("set TimeZone = 'UTC'")
        for group, models in CORE.items():
            if any(sql[model] is None for model in models):
                continue
            started = time.perf_counter()
            for model in models:
                con.execute(f"create or replace table intermediate.{model} as ({sql[model]})")
            seconds[group] = time.perf_counter() - started
    finally:
        con.close()
        copy.unlink(missing_ok=True)
        shutil.rmtree(scratch / "tmp", ignore_errors=True)
    return {"seconds": seconds, "missing": [model for model, text in sql.items() if text is None]}


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
