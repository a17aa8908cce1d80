"""The engine interface (lib/engine.py, decision 110) on a real PostgreSQL server of this module's own:
DuckDB's parameters and transactions over psycopg2, tables copied both ways without changing a value,
check frames identical to DuckDB's, and the settings and errors a user meets first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.lib.engine import (
    MISSING_RELATION_ERRORS,
    EngineError,
    PostgresConnection,
    _placeholders,
    connect_postgres,
    pull_tables,
    push_tables,
    query_frame,
    sample_hash,
)
from dagster_project.lib.warehouse import transaction
from dagster_project.settings import ConfigError, load_settings
from tests.postgres_server import free_port, postgres_server

ROWS = [
    ("", 1, Decimal("1.500000"), dt.date(2024, 1, 1), dt.datetime(2024, 1, 1, 10, 0), True, 0.1),
    (None, None, None, None, None, None, None),
    ('x,"y"\n;', -5, Decimal("-0.000001"), dt.date(1, 1, 1), dt.datetime(2024, 1, 1, 10, 0, 0, 123456), False, 1e-300),
    ("naïve ✓", 2**62, Decimal("123456789012.345678"), dt.date(9999, 12, 31), dt.datetime(2000, 2, 29), None, -2.5),
]
COLUMNS = "a varchar, b bigint, c decimal(18,6), d date, e timestamp, f boolean, g double"


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresConnection]:
    with postgres_server() as env, pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        con = PostgresConnection(connect_postgres())
        yield con
        con.close()


def _local() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"create schema s; create table s.t ({COLUMNS})")
    con.executemany("insert into s.t values (?, ?, ?, ?, ?, ?, ?)", [list(r) for r in ROWS])
    return con


def test_parameters_become_psycopg2_ones_outside_quoted_text():
    assert _placeholders("select ?, '?', \"a?\", 'it''s ?' where x like '5%' and y = ?") == (
        "select %s, '?', \"a?\", 'it''s ?' where x like '5%%' and y = %s"
    )


def test_tables_copy_both_ways_without_changing_a_value(pg):
    local = _local()
    with transaction(pg):
        push_tables(local, pg, ["s.t"], log=lambda _: None)
    assert pg.execute("select count(*) from s.t where a = ?", [""]).fetchone() == (1,)  # empty text stays empty
    assert pg.execute("select count(*) from s.t where a is null").fetchone() == (1,)
    back = duckdb.connect()
    pull_tables(pg, back, ["s.t"], log=lambda _: None)
    order = "order by b nulls last"
    assert (
        back.execute(f"select * from s.t {order}").fetchall() == local.execute(f"select * from s.t {order}").fetchall()
    )
    types = "select column_name, data_type from information_schema.columns where table_name = 't' order by 1"
    assert back.execute(types).fetchall() == local.execute(types).fetchall()


def test_a_check_frame_is_the_frame_duckdb_gives(pg):
    local = _local()
    with transaction(pg):
        push_tables(local, pg, ["s.t"], log=lambda _: None)
    ours = query_frame(pg, "select * from s.t where b is null or b > ? order by b nulls last", [-10])
    duck = query_frame(local, "select * from s.t where b is null or b > ? order by b nulls last", [-10])
    assert list(ours.dtypes) == list(duck.dtypes)
    assert ours.astype(str).equals(duck.astype(str))


def test_transactions_roll_back_and_missing_tables_are_one_error(pg):
    pg.execute("create table if not exists kept (n integer)")
    with pytest.raises(ZeroDivisionError), transaction(pg):
        pg.execute("insert into kept values (?)", [1])
        raise ZeroDivisionError
    assert pg.execute("select count(*) from kept").fetchone() == (0,)
    with pytest.raises(MISSING_RELATION_ERRORS):
        pg.execute("select * from ledger_missing.payout_periods")
    assert pg.execute("select 1").fetchone() == (1,)  # autocommit: the error did not poison the connection
    hashed = pg.execute(f"select {sample_hash('postgres', ['n', 'm'])} from (select 1 as n, null as m) x").fetchone()
    assert hashed[0] >= 0


def test_targets_a_user_cannot_combine_are_refused(monkeypatch):
    monkeypatch.setenv("PARTNERPULSE_TARGET", "spark")
    monkeypatch.setenv("PARTNERPULSE_SPARK_METHOD", "odbc")
    with pytest.raises(ConfigError, match="PARTNERPULSE_SPARK_METHOD: 'odbc' is not supported; use session or thrift"):
        load_settings()
    monkeypatch.setenv("PARTNERPULSE_SPARK_METHOD", " THRIFT")
    monkeypatch.setenv("PARTNERPULSE_SPARK_PORT", "10OOO")  # dbt's profile would read port 0
    with pytest.raises(ConfigError, match="PARTNERPULSE_SPARK_PORT: '10OOO' is not a whole number from 1 to 65535"):
        load_settings()
    monkeypatch.setenv("PARTNERPULSE_SPARK_PORT", "10001")
    # dbt-spark matches the method case-sensitively: dbt is handed the checked value
    assert load_settings().env()["PARTNERPULSE_SPARK_METHOD"] == "thrift"
    monkeypatch.setenv("PARTNERPULSE_SPARK_METHOD", "")
    assert load_settings().env()["PARTNERPULSE_SPARK_METHOD"] == "session"
    settings = load_settings()  # Spark's folders for dbt, under the warehouse unless set (SPEC §12)
    assert settings.env()["PARTNERPULSE_SPARK_EXCHANGE_DIR"] == str(settings.warehouse_dir / "spark" / "exchange")
    assert settings.env()["PARTNERPULSE_SPARK_WAREHOUSE"] == str(settings.warehouse_dir / "spark-warehouse")
    java = "PARTNERPULSE_SPARK_JAVA_OPTIONS"
    for name, wrong, right, refusal in (  # passed to Spark as written: checked first, each refused, then set right
        ("PARTNERPULSE_SPARK_ADAPTIVE", "flase", "False", "'flase' is not true or false"),
        ("PARTNERPULSE_SPARK_SHUFFLE_PARTITIONS", "0", "1", "'0' is not a whole number of"),
        ("PARTNERPULSE_SPARK_CODEGEN", "No", "true", "'No' is not true or false"),
        (java, "-Xss4m XX:+UseSerialGC", "-Xss4m", "'XX:\\+UseSerialGC' is not a JVM option"),
        (java, "-Xmx8g", "", "'-Xmx8g' is set by PARTNERPULSE_SPARK_DRIVER_MEMORY"),
        (java, "-Dderby.system.home=x", "", "'-Dderby.system.home=x' is set by PARTNERPULSE_SPARK_METASTORE"),
        (java, "-Djava.io.tmpdir=/tmp", "", "'-Djava.io.tmpdir=/tmp' is set by PARTNERPULSE_SPARK_METASTORE"),
        (java, "-Xss4m\n-Xss8m", "", "holds a control character; give the options on one line"),
    ):
        monkeypatch.setenv(name, wrong)
        with pytest.raises(ConfigError, match=f"{name}: {refusal}"):
            load_settings()
        monkeypatch.setenv(name, right)
    load_settings()
    monkeypatch.setenv("PARTNERPULSE_TARGET", "snowflake")
    with pytest.raises(ConfigError, match="'snowflake' is not supported; use duckdb, postgres or spark"):
        load_settings()
    monkeypatch.setenv("PARTNERPULSE_TARGET", "postgres")
    monkeypatch.setenv("PGPORT", "abc")
    with pytest.raises(ConfigError, match="PGPORT: 'abc' is not a whole number from 1 to 65535"):
        load_settings()
    monkeypatch.delenv("PGPORT")
    monkeypatch.setenv("PARTNERPULSE_SERVE_POSTGRES", "1")
    with pytest.raises(ConfigError, match="same database"):
        load_settings()


def test_an_unreachable_database_stops_the_refresh_before_it_starts(tmp_path, monkeypatch, capsys):
    from tests.landing import write_minimal_landing

    port = free_port()
    write_minimal_landing(tmp_path / "landing")
    for name, value in {
        "PARTNERPULSE_TARGET": "postgres",
        "PARTNERPULSE_LANDING_DIR": str(tmp_path / "landing"),
        "PARTNERPULSE_WAREHOUSE_DIR": str(tmp_path / "warehouse"),
        "PARTNERPULSE_FIRST_WEEK": "2024-03-04",
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "PGHOST": "127.0.0.1",
        "PGPORT": str(port),
        "PGDATABASE": "nowhere",
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["refresh", "--week", "2024-03-11"]) == 1
    err = capsys.readouterr().err
    assert f"cannot connect to PostgreSQL at 127.0.0.1:{port} (database nowhere, user postgres)" in err
    assert "did not start" in err
    assert not (tmp_path / "warehouse" / "dagster_home").exists()


def test_dates_before_year_one_keep_their_era(pg):
    local = duckdb.connect()
    local.execute("create schema s; create table s.era (d date, ts timestamp)")
    local.execute(
        "insert into s.era values (cast('0044-03-15 (BC)' as date), cast('0001-12-31 (BC) 23:00:00' as timestamp))"
    )
    with transaction(pg):
        push_tables(local, pg, ["s.era"], log=lambda _: None)
    back = duckdb.connect()
    pull_tables(pg, back, ["s.era"], log=lambda _: None)
    text = "select cast(d as varchar), cast(ts as varchar) from s.era"
    assert (
        back.execute(text).fetchall()
        == local.execute(text).fetchall()
        == [("0044-03-15 (BC)", "0001-12-31 (BC) 23:00:00")]
    )


def test_text_postgresql_cannot_hold_is_named_not_changed(pg):
    local = duckdb.connect()
    local.execute("create schema s; create table s.nul (id varchar, note varchar)")
    local.execute("insert into s.nul values ('a', 'fine'), ('b', 'bad' || chr(0) || 'byte')")
    with (
        pytest.raises(
            EngineError, match=r"nul: PostgreSQL cannot store the character U\+0000, which landed in note \(1 values\)"
        ),
        transaction(pg),
    ):
        push_tables(local, pg, ["s.nul"], log=lambda _: None)


def test_statements_without_parameters_are_sent_as_written(pg):
    assert pg.execute("select '100%', 7 % 2, '?'").fetchone() == ("100%", 1, "?")
    assert pg.execute("select ? || '%', 7 % ?", ["5", 4]).fetchone() == ("5%", 3)
