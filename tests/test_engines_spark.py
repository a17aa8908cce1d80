"""The dbt project on Apache Spark (SPEC §12): a local Spark session (dbt-spark's ``session`` method)
builds, from the same landed rows and refresh window, the same marts as DuckDB — every mart row for
row, with the values cast to the DuckDB contract types (money to the cent, ratios exactly).

The data is tests/test_engines.py's: the hand-built payout set (every incentive type but the
adjustment, which needs a closed period), an Expansion Ready account, a churned and reactivated one,
and landed values outside the contract's shapes that both engines must quarantine alike. DuckDB runs
a real refresh; its raw, ops and ledger tables go to Spark through the exchange folder as the
pipeline's Spark mode hands them over (dagster_project/lib/spark_exchange.py), then dbt seeds and
builds the models on Spark (its own JVM, its own metastore and warehouse under the test's folder).
The refresh pipeline itself does not run on Spark yet: PARTNERPULSE_TARGET=spark is refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.spark_exchange import export_tables, spark_table_files
from dagster_project.lib.warehouse import quote_literal
from dagster_project.settings import REPO_ROOT
from tests.helpers import isolated_env, refresh
from tests.landing import write_minimal_landing
from tests.test_engines import HEALTH_CATEGORIES, MOVEMENT_TYPES, _landing
from tests.test_payouts import FIRST, WEEK

pytestmark = pytest.mark.slow

DBT_DIR = REPO_ROOT / "dbt_project"
SKIP_COLUMNS = {"dq_refresh_log": {"refreshed_at"}}  # when the build ran, not what it computed


def _dbt(args: list[str], env: dict[str, str], target_path: Path) -> None:
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [str(dbt), *args, "--target-path", str(target_path), "--profiles-dir", str(DBT_DIR)],
        cwd=DBT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-6000:]


def _differences(con: duckdb.DuckDBPyConnection, table: str, files: list[Path]) -> tuple[int, int, int]:
    """(rows only in DuckDB, rows only in Spark, DuckDB rows) of one mart, Spark's values cast to
    DuckDB's column types."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = 'duck' and table_schema = 'marts' and table_name = ? order by ordinal_position",
        [table],
    ).fetchall()
    select = ", ".join(
        f'cast("{name}" as {kind}) as "{name}"' for name, kind in columns if name not in SKIP_COLUMNS.get(table, ())
    )
    paths = ", ".join(quote_literal(str(f)) for f in files)
    con.execute(
        f"create or replace temp view spark_table as select * from read_parquet([{paths}], hive_partitioning = 1)"
    )
    duck_only, spark_only = (
        con.execute(f"select count(*) from (select {select} from {a} except all select {select} from {b})").fetchone()[
            0
        ]
        for a, b in ((f"duck.marts.{table}", "spark_table"), ("spark_table", f"duck.marts.{table}"))
    )
    total = con.execute(f"select count(*) from duck.marts.{table}").fetchone()[0]
    return duck_only, spark_only, total


def test_spark_session_builds_the_same_marts_as_duckdb(tmp_path):
    root = tmp_path / "duckdb"
    with isolated_env(root, FIRST, PARTNERPULSE_QUARANTINE_ERROR_SHARE="1") as settings:
        write_minimal_landing(root / "landing", overrides=_landing())
        assert refresh(WEEK)[0] == 0
        working = settings.duckdb_path

    exchange = tmp_path / "exchange"
    with duckdb.connect(str(working), read_only=True) as duck:
        relations = [
            f"{schema}.{table}"
            for schema, table in duck.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema in ('raw', 'ops', 'ledger') and table_type = 'BASE TABLE' order by all"
            ).fetchall()
        ]
        export_tables(duck, exchange, relations, log=lambda _: None)
        week = duck.execute("select max(refresh_week) from marts.dq_refresh_log").fetchone()[0]
    assert {"raw.usage_daily", "ops.refresh_window", "ledger.payout_periods"} <= set(relations)
    assert (exchange / "raw" / "usage_daily" / "data.parquet").is_file()

    spark = tmp_path / "spark"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PARTNERPULSE_", "PYSPARK_", "SPARK_"))},
        "PARTNERPULSE_TARGET": "spark",
        "PARTNERPULSE_SPARK_METHOD": "session",
        "PARTNERPULSE_SPARK_WAREHOUSE": str(spark / "warehouse"),
        "PARTNERPULSE_SPARK_METASTORE": str(spark),
        "PARTNERPULSE_SPARK_EXCHANGE_DIR": str(exchange),
        "PARTNERPULSE_WEEK_START": week.isoformat(),
        "DBT_LOG_PATH": str(spark / "logs"),
    }
    _dbt(["seed"], env, spark / "target")
    _dbt(["run"], env, spark / "target")

    con = duckdb.connect()
    con.execute("attach ? as duck (read_only)", [str(working)])
    marts = [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'duck' and table_schema = 'marts' "
            "order by 1"
        ).fetchall()
    ]
    assert len(marts) >= 20
    report = {}
    for table in marts:
        files = spark_table_files(spark / "warehouse", f"marts.{table}")
        if not files:  # Spark writes no file for an empty table
            report[table] = (con.execute(f"select count(*) from duck.marts.{table}").fetchone()[0], 0, 0)
            continue
        report[table] = _differences(con, table, files)
    differing = {t: r for t, r in report.items() if r[0] or r[1]}
    assert not differing, f"marts differing between DuckDB and Spark (duck-only, spark-only, rows): {differing}"
    assert report["fct_incentive_payouts"][2] > 0 and report["fct_arr_movements"][2] > 0

    # the data covers what the comparison must cover
    def distinct(column: str, table: str) -> set:
        return {row[0] for row in con.execute(f"select distinct {column} from duck.marts.{table}").fetchall()}

    assert distinct("health_category", "fct_account_health_weekly") == HEALTH_CATEGORIES
    assert distinct("movement_type", "fct_arr_movements") == MOVEMENT_TYPES
