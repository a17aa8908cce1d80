"""Serving from PostgreSQL (SPEC §12, §11): the marts and partner feeds in a real PostgreSQL server
that this module starts on 127.0.0.1 in a temp dir; row-level security per partner role; grants that
survive refreshes; a reader's open transaction; a failed load; the server down."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg2
import pytest
from psycopg2 import errors as pgerrors

from dagster_project.cli import main
from dagster_project.defs.partner_feeds.feeds import FEED_QUERIES
from dagster_project.defs.serving import postgres as postgres_serving
from dagster_project.defs.serving.postgres import PartnerAccessError, ServingError, grant_partner_access, serve
from dagster_project.settings import REPO_ROOT, serve_postgres_jobs
from tests.conftest import FIRST_WEEK
from tests.helpers import isolated_env, refresh
from tests.landing import MINIMAL, write_minimal_landing
from tests.postgres_server import free_port, postgres_server

WEEK1 = dt.date(2024, 3, 4)
WEEK2 = dt.date(2024, 3, 11)
FEEDS = ("usage", "expansion_alerts", "renewal_timelines", "health", "competitive_alerts")


@pytest.fixture(scope="module")
def pg_env() -> Iterator[dict[str, str]]:
    """A PostgreSQL server of our own (tests/postgres_server.py)."""
    with postgres_server() as env:
        yield env


def _connect(pg_env: dict[str, str], user: str = "postgres"):
    return psycopg2.connect(
        host=pg_env["PGHOST"], port=pg_env["PGPORT"], dbname=pg_env["PGDATABASE"], user=user, connect_timeout=5
    )


def _pg(pg_env: dict[str, str], sql: str, params: list | None = None, user: str = "postgres") -> list[tuple]:
    conn = _connect(pg_env, user)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall() if cur.description else []
        conn.commit()
        return rows
    finally:
        conn.close()


def _denied(pg_env: dict[str, str], sql: str, user: str) -> bool:
    try:
        _pg(pg_env, sql, user=user)
    except pgerrors.InsufficientPrivilege:
        return True
    return False


def _partner_view(pg_env: dict[str, str], user: str) -> dict[str, dict[str, object]]:
    """What ``user`` reads in every feed, however it asks."""
    seen = {}
    for feed in FEEDS:
        seen[feed] = {
            "partners": sorted(
                p for (p,) in _pg(pg_env, f"select distinct partner_id from partner_feeds.{feed}", user=user)
            ),
            "accounts": sorted(
                a for (a,) in _pg(pg_env, f"select distinct account_id from partner_feeds.{feed}", user=user)
            ),
            "count": _pg(pg_env, f"select count(*) from partner_feeds.{feed}", user=user)[0][0],
            "asked_for_p2": _pg(
                pg_env, f"select count(*) from partner_feeds.{feed} where partner_id = 'P2'", user=user
            )[0][0],
            "or_true": _pg(
                pg_env, f"select count(*) from partner_feeds.{feed} where true or partner_id <> 'P1'", user=user
            )[0][0],
        }
    return seen


def _published_counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()]
        return {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}


def _feed_counts(path: Path, partner_id: str) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            feed: con.execute(
                f"select count(*) from ({FEED_QUERIES[feed]}) where partner_id = ?", [partner_id]
            ).fetchone()[0]
            for feed in FEEDS
        }


def _served_counts(pg_env: dict[str, str]) -> dict[str, int]:
    tables = [t for (t,) in _pg(pg_env, "select tablename from pg_tables where schemaname = 'marts'")]
    return {t: _pg(pg_env, f'select count(*) from marts."{t}"')[0][0] for t in tables}


# a DBA's event trigger recording which session created which table when (superuser: it fires for the loader)
PROBE_LOAD = (
    "create table load_probe (pid integer, object text, at timestamp with time zone); "
    "create function probe_load() returns event_trigger language plpgsql as $$ begin "
    "insert into load_probe select pg_backend_pid(), object_identity, clock_timestamp() "
    "from pg_event_trigger_ddl_commands() where object_identity like '%%\\_\\_load\\_%%'; end $$; "
    "create event trigger probe_load on ddl_command_end when tag in ('CREATE TABLE') execute function probe_load()"
)

# O2 won on 2024-02-20: an influenced upsell of partner P2 (Silver: 12% × 0.7 expansion rate, half for
# influenced) of EUR 5,000 at 1.10 = USD 5,500 → USD 231.00 commission, payout period 2024-02
OPPORTUNITIES_WITH_A_PAYOUT = [
    MINIMAL["opportunities"][0],
    (*MINIMAL["opportunities"][1][:6], "Closed Won", *MINIMAL["opportunities"][1][7:11], "2024-02-20", None),
]

PAYOUT_TOTALS = {
    "fct_incentive_payouts": "select sum(amount_usd) from {}fct_incentive_payouts",
    "rpt_partner_payout_statement": "select sum(total_usd) from {}rpt_partner_payout_statement",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, pg_env: dict[str, str]):
    """Two refreshes serving PostgreSQL over 2 loading connections; P1 granted to p1_user in between; a BI
    reader's REPEATABLE READ transaction open across the second, whose table creations an event trigger
    records (which session, when). What each step saw is recorded for the tests below."""
    root = tmp_path_factory.mktemp("serving")
    seen: dict[str, object] = {}
    env = {"PARTNERPULSE_SERVE_POSTGRES": "1", "PARTNERPULSE_SERVE_POSTGRES_JOBS": "2", **pg_env}
    with isolated_env(root, FIRST_WEEK, **env) as settings:
        write_minimal_landing(settings.landing_dir, overrides={"opportunities": OPPORTUNITIES_WITH_A_PAYOUT})
        _pg(pg_env, PROBE_LOAD)  # the first serve loads everything: which sessions create the tables
        try:
            seen["refresh1"] = refresh(WEEK1)[0]
        finally:
            _pg(pg_env, "drop event trigger probe_load; drop function probe_load()")
        seen["created"] = _pg(pg_env, "select pid, object from load_probe order by at, object")
        _pg(pg_env, "drop table load_probe")
        seen["published1"] = _published_counts(settings.published_duckdb)
        seen["served1"] = _served_counts(pg_env)
        for user in ("p1_user", "p2_user", "bi_user"):
            _pg(pg_env, f"create role {user} login")
        _pg(pg_env, "grant partnerpulse_reader to bi_user")
        seen["grant"] = main(["partner-access", "grant", "P1", "p1_user"])
        seen["p1_before"] = _partner_view(pg_env, "p1_user")
        reader = _connect(pg_env, "bi_user")
        reader.set_session(isolation_level="REPEATABLE READ")
        with reader.cursor() as cur:
            cur.execute(
                "select week_start, (select count(*) from marts.fct_account_health_weekly) from marts.publish_info"
            )
            seen["reader_before"] = cur.fetchone()
            seen["oid_before"] = _pg(pg_env, "select 'marts.dim_accounts'::regclass::oid")[0][0]
            seen["refresh2"] = refresh(WEEK2)[0]
            cur.execute(
                "select week_start, (select count(*) from marts.fct_account_health_weekly) from marts.publish_info"
            )
            seen["reader_during"] = cur.fetchone()
            reader.rollback()
            cur.execute(
                "select week_start, (select count(*) from marts.fct_account_health_weekly) from marts.publish_info"
            )
            seen["reader_after"] = cur.fetchone()
        reader.close()
        seen["oid_after"] = _pg(pg_env, "select 'marts.dim_accounts'::regclass::oid")[0][0]
        seen["published2"] = _published_counts(settings.published_duckdb)
        seen["served2"] = _served_counts(pg_env)
        seen["p1_after"] = _partner_view(pg_env, "p1_user")
        seen["p1_expected"] = _feed_counts(settings.published_duckdb, "P1")
        yield settings, seen


def test_every_mart_is_served_with_the_published_rows_types_keys_and_comments(served, pg_env):
    settings, seen = served
    assert seen["refresh1"] == 0 and seen["refresh2"] == 0
    assert seen["served1"] == seen["published1"] and len(seen["served1"]) >= 26  # 25 marts + publish_info
    assert seen["served2"] == seen["published2"]
    assert seen["served2"]["fct_account_health_weekly"] > 0
    with duckdb.connect(str(settings.published_duckdb), read_only=True) as con:
        for total in PAYOUT_TOTALS.values():
            expected = con.execute(total.format("")).fetchone()[0]
            assert _pg(pg_env, total.format("marts."))[0][0] == expected  # Decimal == Decimal, to the cent and beyond
    types = dict(
        _pg(
            pg_env,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'fct_incentive_payouts'",
        )
    )
    assert types["amount_usd"] == "numeric" and types["payout_period"] in {"text", "date"}
    assert (
        dict(
            _pg(
                pg_env,
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'marts' and table_name = 'fct_account_health_weekly'",
            )
        )["week_start"]
        == "date"
    )
    keys = _pg(
        pg_env,
        "select pg_get_constraintdef(oid) from pg_constraint where contype = 'p' "
        "and conrelid = 'marts.fct_account_health_weekly'::regclass",
    )
    assert keys == [("PRIMARY KEY (week_start, account_id)",)]
    indexes = {
        i
        for (i,) in _pg(
            pg_env,
            "select indexdef from pg_indexes where schemaname = 'marts' and tablename = 'fct_account_health_weekly'",
        )
    }
    assert any("(partner_id)" in i for i in indexes) and any("(week_start)" in i for i in indexes)
    comment = _pg(pg_env, "select obj_description('marts.dim_accounts'::regclass, 'pg_class')")[0][0]
    assert comment and "account" in comment.lower()
    assert _pg(
        pg_env,
        "select count(*) from pg_namespace where nspname like '%%\\_\\_load\\_%%' "
        "or nspname like '%%\\_\\_retired\\_%%'",
    ) == [(0,)]


def test_tables_load_over_two_connections_largest_first_with_the_same_rows(served):
    _, seen = served
    assert seen["refresh1"] == 0 and seen["served1"] == seen["published1"]  # loaded in parallel, same rows
    created = seen["created"]
    tables = sorted(obj.split(".", 1)[1] for _, obj in created)
    assert tables == sorted([*seen["published1"], *FEEDS])  # every table once (and nothing else)
    assert len({pid for pid, _ in created}) == 2  # PARTNERPULSE_SERVE_POSTGRES_JOBS=2 sessions created them
    first_two = [obj.split(".", 1)[1] for _, obj in created[:2]]  # two workers start on the two largest tables
    assert max(seen["published1"].get(t, 0) for t in first_two) == max(seen["published1"].values())


def test_the_jobs_setting_is_checked_before_anything_runs(pp_env, monkeypatch, capsys):
    for value in ("0", "two", "-1", "2.5", "17"):
        monkeypatch.setenv("PARTNERPULSE_SERVE_POSTGRES_JOBS", value)
        assert main(["serve-postgres", "--published", str(pp_env.published_duckdb)]) == 2
        err = capsys.readouterr().err
        assert f"PARTNERPULSE_SERVE_POSTGRES_JOBS: '{value}' is not a whole number from 1 to 16" in err, err
        assert "Traceback" not in err and len(err.splitlines()) == 1
        with pytest.raises(ServingError, match=f"PARTNERPULSE_SERVE_POSTGRES_JOBS: '{value}'"):  # the asset's path
            serve(pp_env.published_duckdb)
    monkeypatch.setenv("PARTNERPULSE_SERVE_POSTGRES_JOBS", " 3 ")
    assert serve_postgres_jobs() == 3
    monkeypatch.delenv("PARTNERPULSE_SERVE_POSTGRES_JOBS")
    assert serve_postgres_jobs() == 2


def test_a_granted_role_reads_only_its_partners_rows_however_it_asks(served, pg_env):
    _, seen = served
    assert seen["grant"] == 0
    expected = seen["p1_expected"]
    assert expected["usage"] > 0 and expected["health"] > 0  # P1 (account A1) has rows to see
    for view in ("p1_before", "p1_after"):  # the grant survives the second refresh's swap
        for feed in FEEDS:
            got = seen[view][feed]
            assert got["partners"] in ([], ["P1"]), (view, feed)
            assert set(got["accounts"]) <= {"A1"}, (view, feed)
            assert got["asked_for_p2"] == 0, (view, feed)
        assert {feed: seen[view][feed]["or_true"] for feed in FEEDS} == {
            feed: seen[view][feed]["count"] for feed in FEEDS
        }
    assert {feed: seen["p1_after"][feed]["count"] for feed in FEEDS} == expected
    # the feeds themselves hold P2's rows: RLS, not an empty table, is what P1 runs into
    assert _pg(pg_env, "select count(*) from partner_feeds.usage where partner_id = 'P2'")[0][0] > 0


def test_a_partner_role_reads_nothing_else_and_cannot_learn_other_partners(served, pg_env):
    for table in ("marts.dim_accounts", "marts.dim_partners", "marts.fct_incentive_payouts"):
        assert _denied(pg_env, f"select count(*) from {table}", "p1_user"), table
    assert _denied(pg_env, "select * from partnerpulse_admin.partner_access", "p1_user")
    # the policies' function answers for the caller's own roles only
    assert _pg(pg_env, "select * from partnerpulse_admin.granted_partner_ids('p2_user')", user="p1_user") == []
    assert _pg(pg_env, "select * from partnerpulse_admin.granted_partner_ids('postgres')", user="p1_user") == []
    assert _pg(pg_env, "select * from partnerpulse_admin.granted_partner_ids(current_user)", user="p1_user") == [
        ("P1",)
    ]
    # statistics of the feeds (most common partner ids) are hidden from a role under RLS
    _pg(pg_env, "analyze partner_feeds.usage")
    assert _pg(pg_env, "select count(*) from pg_stats where schemaname = 'partner_feeds'", user="p1_user") == [(0,)]
    assert _denied(pg_env, "select count(*) from partner_feeds.usage", "p2_user")  # granted nothing
    assert _pg(pg_env, "select count(*) from marts.dim_accounts", user="bi_user") == [(3,)]  # the BI reader
    assert _denied(pg_env, "select count(*) from partner_feeds.usage", "bi_user")


def test_a_reader_in_an_open_transaction_keeps_its_snapshot_and_the_refresh_succeeds(served):
    _, seen = served
    assert seen["refresh2"] == 0
    before, during, after = seen["reader_before"], seen["reader_during"], seen["reader_after"]
    assert before[0] == WEEK1 and during == before  # last week's rows, all of them, inside its transaction
    assert after[0] == WEEK2 and after[1] > before[1]  # its next transaction sees this week
    assert seen["oid_after"] == seen["oid_before"]  # published in place (rows changed, tables kept)


def test_partner_access_cli_lists_revokes_and_answers_mistakes(served, pg_env, capsys):
    capsys.readouterr()
    assert main(["partner-access", "list"]) == 0
    assert capsys.readouterr().out.splitlines() == ["partner_id\trole", "P1\tp1_user"]
    assert main(["partner-access", "grant", "P9", "p1_user"]) == 2
    err = capsys.readouterr().err
    assert "no partner 'P9'" in err and "Traceback" not in err
    assert main(["partner-access", "grant", "P1", "nobody"]) == 2
    assert "no role 'nobody'" in capsys.readouterr().err
    assert main(["partner-access", "grant", "P1", "p1_user; drop table marts.dim_accounts"]) == 2
    assert _pg(pg_env, "select count(*) from marts.dim_accounts") == [(3,)]
    assert main(["partner-access", "revoke", "P2", "p1_user"]) == 2
    assert "has no access to partner 'P2'" in capsys.readouterr().err
    assert main(["partner-access", "revoke", "P1", "p1_user"]) == 0
    assert _denied(pg_env, "select count(*) from partner_feeds.usage", "p1_user")
    assert main(["partner-access", "grant", "P1", "p2_user"]) == 0  # then back, for p2_user
    assert _partner_view(pg_env, "p2_user")["usage"]["partners"] == ["P1"]
    capsys.readouterr()
    assert main(["partner-access", "list"]) == 0
    assert capsys.readouterr().out.splitlines() == ["partner_id\trole", "P1\tp2_user"]


def test_a_failed_load_leaves_the_served_schemas_untouched(served, pg_env, capsys):
    settings, _ = served
    before = _served_counts(pg_env)
    oid = _pg(pg_env, "select 'partner_feeds.usage'::regclass::oid")
    # a database administrator's event trigger that refuses row-level security policies: the marts load,
    # then the feeds' policies fail
    _pg(
        pg_env,
        "create function refuse_policies() returns event_trigger language plpgsql as $$ begin "
        "raise exception 'policies are frozen for maintenance'; end $$; "
        "create event trigger no_policies on ddl_command_start when tag in ('CREATE POLICY') "
        "execute function refuse_policies()",
    )
    try:
        code = main(["serve-postgres", "--published", str(settings.published_duckdb), "--full"])
    finally:
        _pg(pg_env, "drop event trigger no_policies; drop function refuse_policies()")
    err = capsys.readouterr().err
    assert code == 1
    assert "policies are frozen for maintenance" in err and "marts and partner_feeds are unchanged" in err
    assert f"127.0.0.1:{pg_env['PGPORT']}" in err and "Traceback" not in err
    assert _served_counts(pg_env) == before
    assert _pg(pg_env, "select 'partner_feeds.usage'::regclass::oid") == oid
    assert _pg(pg_env, "select count(*) from pg_namespace where nspname like '%%\\_\\_load\\_%%'") == [(0,)]
    # and the next load goes through, by renaming (no reader holds a table now)
    assert main(["serve-postgres", "--published", str(settings.published_duckdb), "--full"]) == 0
    assert "(rename)" in capsys.readouterr().out
    assert _served_counts(pg_env) == before


def test_postgresql_down_is_a_clear_error_naming_host_and_port(served, monkeypatch, capsys):
    port = free_port()
    monkeypatch.setenv("PGPORT", str(port))
    for command in (["partner-access", "list"], ["serve-postgres"]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert f"cannot connect to PostgreSQL at 127.0.0.1:{port}" in err, err
        assert "Traceback" not in err and len(err.splitlines()) <= 2


def test_decimal_values_arrive_exact(served, pg_env):
    settings, _ = served
    with duckdb.connect(str(settings.published_duckdb), read_only=True) as con:
        expected = con.execute("select account_id, arr_usd from fct_renewals order by subscription_id").fetchall()
    got = _pg(pg_env, "select account_id, arr_usd from marts.fct_renewals order by subscription_id")
    assert got == expected and all(isinstance(v, Decimal) for _, v in got if v is not None)


def _readme_snippet(tag: str) -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- snippet: {tag} -->\s*```\w*\n(.*?)```", readme, re.S)
    assert match, f"README has no snippet {tag}"
    return match.group(1)


def test_readme_postgresql_snippets_work_for_a_bi_role(served, pg_env, monkeypatch):
    """The README's psql and Python snippets, run as a login role of partnerpulse_reader (as the README says
    a DBA creates it), against the served marts."""
    _pg(pg_env, "drop role if exists tableau; create role tableau login in role partnerpulse_reader")
    shell = _readme_snippet("pg-psql").replace(
        "PGHOST=db.example.com PGDATABASE=analytics PGUSER=tableau",
        f"PGHOST={pg_env['PGHOST']} PGPORT={pg_env['PGPORT']} PGDATABASE={pg_env['PGDATABASE']} PGUSER=tableau",
    )
    assert "PGUSER=tableau" in shell
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "health_category" in done.stdout and "(5 rows)" in done.stdout
    for name, value in {**pg_env, "PGUSER": "tableau"}.items():
        monkeypatch.setenv(name, value)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # as the BI role: it reads marts
        exec(compile(_readme_snippet("pg-python"), "README pg-python", "exec"), {})
    assert printed.getvalue() == "[]\n"  # March 2024: nothing earned
    code = _readme_snippet("pg-python").replace('["2024-03-01"]', '["2024-02-01"]')
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README pg-python", "exec"), {})
    assert printed.getvalue() == "[('P2', Decimal('231.000000'))]\n"  # O2's commission, exact numeric


def _differing_tables(pg_env: dict[str, str], published: Path) -> list[str]:
    """The served tables whose rows are not exactly the published ones (every column, every row)."""
    with duckdb.connect(str(published), read_only=True) as con:
        tables = [t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()]
        sources = [("marts", t, f'select * from "{t}"') for t in tables] + [
            ("partner_feeds", feed, query) for feed, query in FEED_QUERIES.items()
        ]
        return [
            f"{schema}.{name}"
            for schema, name, query in sources
            if sorted(con.sql(query).fetchall(), key=repr)
            != sorted(_pg(pg_env, f'select * from {schema}."{name}"'), key=repr)
        ]


RECORDED = "select * from partnerpulse_admin.served_chunks order by schema_name, table_name, chunk"
HEALTH_OF_A1 = "select health_score from marts.fct_account_health_weekly where week_start = %s and account_id = 'A1'"
ROW_VERSIONS = "select account_id, xmin::text from marts.fct_account_health_weekly where week_start = %s order by 1"


def test_a_changed_week_is_rewritten_alone_in_one_transaction(served, pg_env, tmp_path):
    """Serving again rewrites only the chunks that changed (a week of a weekly table, a whole small table),
    row for row equal to the published file; a reader keeps its snapshot; a failure changes nothing."""
    settings, _ = served
    published = tmp_path / "marts.duckdb"
    shutil.copy(settings.published_duckdb, published)
    serve(published, log=lambda _: None)  # what is served now is this file, whatever the tests before did
    unchanged = serve(published, log=lambda _: None)
    assert (unchanged.mode, unchanged.rows_written) == ("delta", 0)
    week2_versions = _pg(pg_env, ROW_VERSIONS, [WEEK2])
    (score_before,) = _pg(pg_env, HEALTH_OF_A1, [WEEK1])[0]
    with duckdb.connect(str(published)) as con:  # next week's file: one score corrected, a week gone, a name
        con.execute(
            "update fct_account_health_weekly set health_score = health_score + 1 "
            "where week_start = ? and account_id = 'A1'",
            [WEEK1],
        )
        readiness_week1 = con.execute(
            "delete from fct_expansion_readiness_weekly where week_start = ?", [WEEK1]
        ).fetchone()[0]
        con.execute("update dim_accounts set account_name = 'Alpha Corporation' where account_id = 'A1'")
        weekly_rows = con.execute("select count(*) from fct_account_health_weekly where week_start = ?", [WEEK1])
        expected_written = weekly_rows.fetchone()[0] + 3  # week 1 of the scores, every dim_accounts row, ...
    assert readiness_week1 == 3

    reader = _connect(pg_env, "bi_user")
    reader.set_session(isolation_level="REPEATABLE READ")
    try:
        with reader.cursor() as cur:
            cur.execute(HEALTH_OF_A1, [WEEK1])  # its snapshot starts here
            result = serve(published, log=lambda _: None)
            cur.execute(HEALTH_OF_A1, [WEEK1])
            assert cur.fetchone() == (score_before,)  # last week's rows until its transaction ends
            cur.execute("select account_name from marts.dim_accounts where account_id = 'A1'")
            assert cur.fetchone() == ("Alpha Corp",)
            reader.rollback()
            cur.execute(HEALTH_OF_A1, [WEEK1])
            assert cur.fetchone() == (score_before + 1,)
    finally:
        reader.close()
    assert result.mode == "delta"
    assert _differing_tables(pg_env, published) == []
    assert _pg(pg_env, ROW_VERSIONS, [WEEK2]) == week2_versions  # week 2's rows were not rewritten
    feeds_written = result.rows_written - expected_written  # ... and the feeds that name the account
    assert 0 < feeds_written <= sum(result.feed_rows.values())
    assert result.rows_written < sum(result.rows.values()) / 2

    # a failure while rewriting (the health feed comes after the marts): the served rows, and what is
    # recorded of them, stay as they were
    before = tmp_path / "before.duckdb"
    shutil.copy(published, before)
    with duckdb.connect(str(published)) as con:
        con.execute("update dim_accounts set account_name = 'Beta AG' where account_id = 'A2'")
        con.execute("delete from fct_account_health_weekly where week_start = ?", [WEEK2])
    recorded = _pg(pg_env, RECORDED)
    _pg(
        pg_env,
        "create function refuse_rows() returns trigger language plpgsql as $$ begin "
        "raise exception 'the health feed is frozen for an audit'; end $$; "
        "create trigger frozen before insert on partner_feeds.health execute function refuse_rows()",
    )
    try:
        with pytest.raises(ServingError, match=r"the health feed is frozen for an audit.*are unchanged"):
            serve(published, log=lambda _: None)
    finally:
        _pg(pg_env, "drop trigger frozen on partner_feeds.health; drop function refuse_rows()")
    assert _differing_tables(pg_env, before) == []
    assert _pg(pg_env, RECORDED) == recorded
    retried = serve(published, log=lambda _: None)
    assert retried.mode == "delta" and _differing_tables(pg_env, published) == []
    assert _pg(pg_env, "select count(*) from marts.fct_account_health_weekly where week_start = %s", [WEEK2]) == [(0,)]
    serve(settings.published_duckdb, log=lambda _: None)  # back to the refresh's file for the tests after this


def test_serve_postgres_full_loads_everything_and_swaps(served, pg_env, capsys):
    settings, _ = served
    assert main(["serve-postgres", "--published", str(settings.published_duckdb)]) == 0
    out = capsys.readouterr().out
    assert "(0 rows written)" in out and "(delta)" in out
    assert main(["serve-postgres", "--published", str(settings.published_duckdb), "--full"]) == 0
    out = capsys.readouterr().out
    rows = sum(_published_counts(settings.published_duckdb).values())
    assert "(rename)" in out and f"{rows:,} rows in" in out
    assert _differing_tables(pg_env, settings.published_duckdb) == []
    # a served table replaced by something that keeps no record (an older version's swap, a DBA):
    # what was recorded no longer describes it, so the next serve loads everything
    _pg(
        pg_env,
        "alter table marts.dim_accounts rename to dim_accounts_old; "
        "create table marts.dim_accounts as select * from marts.dim_accounts_old where account_id <> 'A1'; "
        "drop table marts.dim_accounts_old",
    )
    assert main(["serve-postgres", "--published", str(settings.published_duckdb)]) == 0
    assert "(rename)" in capsys.readouterr().out
    assert _differing_tables(pg_env, settings.published_duckdb) == []
    # a feed whose protection was loosened by hand is loaded, and protected, anew
    _pg(pg_env, "alter table partner_feeds.usage no force row level security")
    assert main(["serve-postgres", "--published", str(settings.published_duckdb)]) == 0
    assert "(rename)" in capsys.readouterr().out
    assert _pg(pg_env, "select relforcerowsecurity from pg_class where oid = 'partner_feeds.usage'::regclass") == [
        (True,)
    ]


def test_served_rows_that_are_not_what_was_recorded_are_loaded_anew(served, pg_env, tmp_path, capsys):
    """A row deleted by hand from a week that then changes: the delta finds fewer rows than recorded,
    rolls back, and everything is loaded."""
    settings, _ = served
    published = tmp_path / "marts.duckdb"
    shutil.copy(settings.published_duckdb, published)
    serve(published, log=lambda _: None)
    (week1_rows,) = _pg(pg_env, "select count(*) from marts.fct_account_health_weekly where week_start = %s", [WEEK1])[
        0
    ]
    _pg(pg_env, "delete from marts.fct_account_health_weekly where week_start = %s and account_id = 'A2'", [WEEK1])
    with duckdb.connect(str(published)) as con:
        con.execute(
            "update fct_account_health_weekly set health_score = health_score + 1 where week_start = ?", [WEEK1]
        )
    said: list[str] = []
    result = serve(published, log=said.append)
    assert result.mode == "rename"
    mismatch = f"fct_account_health_weekly: {week1_rows - 1} rows deleted where {week1_rows} were recorded); loading"
    assert any(mismatch in line for line in said), said
    assert _differing_tables(pg_env, published) == []
    serve(settings.published_duckdb, log=lambda _: None)


def test_a_loading_role_that_is_no_superuser_serves_and_rewrites_the_protected_feeds(
    served, pg_env, tmp_path, monkeypatch
):
    """The usual production set-up: the loading role owns its database and nothing more. Row-level
    security is forced on the feeds' owner too, and COPY refuses such a table: the delta goes through
    a temporary table and the loader's own policy."""
    settings, _ = served
    admin = _connect(pg_env)
    admin.autocommit = True  # CREATE DATABASE runs outside a transaction
    with admin.cursor() as cur:
        cur.execute("drop database if exists pp_loader_db")
        cur.execute("drop role if exists pp_loader")
        cur.execute("create role pp_loader login")
        cur.execute("create database pp_loader_db owner pp_loader")
    admin.close()
    loader_env = {**pg_env, "PGDATABASE": "pp_loader_db"}
    monkeypatch.setenv("PGUSER", "pp_loader")
    monkeypatch.setenv("PGDATABASE", "pp_loader_db")
    published = tmp_path / "marts.duckdb"
    shutil.copy(settings.published_duckdb, published)
    assert serve(published, log=lambda _: None).mode == "rename"
    with duckdb.connect(str(published)) as con:
        con.execute("update dim_accounts set account_name = 'Alpha Corporation' where account_id = 'A1'")
    result = serve(published, log=lambda _: None)
    assert result.mode == "delta" and result.rows_written > 3  # dim_accounts and the feeds that name A1
    assert _pg(loader_env, "select rolsuper, rolbypassrls from pg_roles where rolname = 'pp_loader'") == [
        (False, False)
    ]
    assert _pg(loader_env, "select count(*) from partner_feeds.health", user="pp_loader")[0][0] > 0  # its policy
    assert _differing_tables(loader_env, published) == []
    with pytest.raises(pgerrors.FeatureNotSupported, match="row-level security"):  # why the temporary table
        conn = _connect(loader_env, "pp_loader")
        try:
            with conn.cursor() as cur:
                cur.copy_expert("copy partner_feeds.health (partner_id) from stdin with (format csv)", io.StringIO(""))
        finally:
            conn.close()
    # its policy lets it read every partner's rows: it (or a member of it) is no partner's role
    admin = _connect(pg_env)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("drop role if exists pp_loader_member")
        cur.execute("create role pp_loader_member in role pp_loader")
    admin.close()
    for role in ("pp_loader", "pp_loader_member"):
        with pytest.raises(PartnerAccessError, match=f"role '{role}' is the role partnerpulse loads PostgreSQL with"):
            grant_partner_access("P1", role, published)


def test_a_second_serve_waits_for_the_running_one_instead_of_dropping_its_load(served, pg_env, tmp_path, monkeypatch):
    """A hand-run `serve-postgres` while a refresh's serve is loading: the second waits for the first (which
    would otherwise lose its load schemas to the second's cleanup of leftovers), then both succeed."""
    settings, _ = served
    published = tmp_path / "marts.duckdb"
    shutil.copy(settings.published_duckdb, published)
    real_load = postgres_serving._load
    loading, release = threading.Event(), threading.Event()

    def paused_load(*args, **kwargs):
        if threading.current_thread().name == "first":
            loading.set()
            release.wait(120)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(postgres_serving, "_load", paused_load)
    modes: dict[str, str] = {}
    said: list[str] = []
    first = threading.Thread(
        target=lambda: modes.update(first=serve(published, log=lambda _: None, full=True).mode), name="first"
    )
    second = threading.Thread(
        target=lambda: modes.update(second=serve(published, log=said.append, full=True).mode), name="second"
    )
    first.start()
    try:
        assert loading.wait(120)
        second.start()
        waiting = "PostgreSQL: another serve of this database is running; waiting for it to finish"
        for _ in range(600):
            if waiting in said:
                break
            time.sleep(0.05)
        assert said[:1] == [waiting]
        loads = "select count(*) from pg_namespace where nspname like 'marts\\_\\_load\\_%%'"
        assert _pg(pg_env, loads) == [(1,)]  # the first serve's, kept
    finally:
        release.set()
        first.join(120)
        second.join(120)
    assert modes == {"first": "rename", "second": "rename"}
    assert _pg(pg_env, loads) == [(0,)]
    assert _differing_tables(pg_env, published) == []
