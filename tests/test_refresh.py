"""End to end through Dagster: generated data → published file; atomic replacement; failures keep the old file."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project.cli import main
from dagster_project.settings import Settings
from tests.helpers import query, refresh
from tests.landing import write_minimal_landing, write_table

DEMO_END = dt.date(2024, 6, 30)  # a Sunday
WEEK = dt.date(2024, 6, 17)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def demo_landing(pp_env: Settings) -> Settings:
    code = main(["demo-data", "--accounts", "60", "--seed", "7", "--end", DEMO_END.isoformat()])
    assert code == 0
    return pp_env


def test_refresh_of_generated_data_publishes_every_mart(demo_landing: Settings, capsys):
    code, _ = refresh(WEEK)
    out = capsys.readouterr().out
    assert code == 0
    assert f"BI serving file (open read-only): {demo_landing.published_duckdb}" in out

    published = demo_landing.published_duckdb
    tables = {name for (name,) in query(published, "select table_name from information_schema.tables")}
    assert {"dim_accounts", "dim_partners", "dim_products", "dq_quarantine", "dq_refresh_log", "publish_info"} <= tables
    assert query(published, "select week_start, as_of_date from publish_info") == [(WEEK, WEEK + dt.timedelta(days=6))]
    # the generator's accounts created after D are not in the week's dimension
    late = query(published, "select count(*) from dim_accounts where created_date > ?", [WEEK + dt.timedelta(days=6)])
    assert late == [(0,)]
    assert query(published, "select count(*) from dim_accounts")[0][0] > 0
    log = query(published, "select sum(rows_landed), sum(rows_staged), sum(rows_quarantined) from dq_refresh_log")
    landed, staged, quarantined = log[0]
    assert landed == staged + quarantined and quarantined == 0
    parquet = {p.stem for p in demo_landing.published_parquet_dir.glob("*.parquet")}
    assert parquet == tables - {"publish_info"}
    assert not list(demo_landing.published_dir.glob(".*tmp"))  # no temp files left behind


def test_published_file_is_replaced_while_a_reader_holds_the_old_one(demo_landing: Settings):
    assert refresh(WEEK)[0] == 0
    reader = duckdb.connect(str(demo_landing.published_duckdb), read_only=True)
    try:
        assert reader.execute("select week_start from publish_info").fetchone() == (WEEK,)
        next_week = WEEK + dt.timedelta(weeks=1)
        assert refresh(next_week)[0] == 0  # not blocked by the open reader
        # the open reader still sees its complete snapshot ...
        assert reader.execute("select week_start from publish_info").fetchone() == (WEEK,)
        assert reader.execute("select count(*) from dq_refresh_log").fetchone() == (21,)
    finally:
        reader.close()
    # ... and a new reader sees the new one
    assert query(demo_landing.published_duckdb, "select week_start from publish_info") == [(next_week,)]
    assert query(demo_landing.published_duckdb, "select count(*) from dq_refresh_log") == [(42,)]


def test_structural_error_stops_before_publishing_and_keeps_the_old_file(demo_landing: Settings, capsys):
    assert refresh(WEEK)[0] == 0
    before = _digest(demo_landing.published_duckdb)
    parquet_before = {p.name: _digest(p) for p in demo_landing.published_parquet_dir.iterdir()}
    subscriptions = demo_landing.landing_dir / "subscriptions.csv"
    header, *rows = subscriptions.read_text(encoding="utf-8").splitlines()
    columns = header.split(",")
    drop = columns.index("end_date")
    subscriptions.write_text(
        "\n".join(",".join(v for i, v in enumerate(line.split(",")) if i != drop) for line in [header, *rows]) + "\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    code, err = refresh(WEEK + dt.timedelta(weeks=1), capsys)
    assert code == 1
    assert "nothing was published" in err
    assert "subscriptions.csv: required column end_date is missing" in err
    assert _digest(demo_landing.published_duckdb) == before
    assert {p.name: _digest(p) for p in demo_landing.published_parquet_dir.iterdir()} == parquet_before


def test_a_new_user_with_hand_written_csvs_and_empty_optional_tables(tmp_path: Path):
    """The real `partnerpulse` executable, every location pointing elsewhere, data not from the generator."""
    landing = tmp_path / "exports"
    write_minimal_landing(
        landing, overrides={"business_events": [], "nps_responses": [], "milestones": []}, skip=["partner_assignments"]
    )
    write_table(landing, "training_enrollments", [])
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PARTNERPULSE_", "DAGSTER_"))},
        "PARTNERPULSE_LANDING_DIR": str(landing),
        "PARTNERPULSE_WAREHOUSE_DIR": str(tmp_path / "wh"),
        "PARTNERPULSE_FIRST_WEEK": "2024-01-01",
        "PARTNERPULSE_DUCKDB_MEMORY_LIMIT": "2GB",
    }
    exe = Path(sys.executable).with_name("partnerpulse")
    result = subprocess.run(
        [str(exe), "refresh", "--week", "2024-02-05"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    published = tmp_path / "wh" / "published" / "marts.duckdb"
    assert query(published, "select account_id, partner_id from dim_accounts order by 1") == [
        ("A1", "P1"),
        ("A2", "P2"),
        ("A3", None),
    ]
    log = dict(query(published, "select table_name, rows_staged from dq_refresh_log"))
    assert log["partner_assignments"] == 0 and log["business_events"] == 0 and log["accounts"] == 3

    status = subprocess.run([str(exe), "status"], env=env, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert status.returncode == 0, status.stderr
    assert "week 2024-02-05  SUCCESS" in status.stdout
    assert f"Published file: {published}" in status.stdout
    assert "no rows quarantined" in status.stdout


def test_generated_faults_are_quarantined_exactly(pp_env: Settings, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PARTNERPULSE_QUARANTINE_ERROR_SHARE", "0.25")  # 60 accounts: a few faults are a big share
    assert main(["demo-data", "--accounts", "60", "--seed", "3", "--end", DEMO_END.isoformat(), "--faults"]) == 0
    faults = json.loads((pp_env.landing_dir / "_faults.json").read_text(encoding="utf-8"))
    assert refresh(WEEK)[0] == 0
    quarantined = query(
        pp_env.duckdb_path,
        "select table_name, reason_code, record_key, source_file from marts.dq_quarantine where refresh_week = ?",
        [WEEK],
    )
    expected = [(r["table"], r["reason_code"], r["record_key"], r["file"]) for r in faults["rows"]]
    assert sorted(quarantined) == sorted(expected)
    assert len(quarantined) == faults["total"]
    assert {r[1] for r in quarantined} >= {
        "missing_key",
        "duplicate_key",
        "unknown_enum",
        "unparseable_value",
        "negative_amount",
        "orphan_foreign_key",
        "end_before_start",
    }
    log = query(
        pp_env.duckdb_path,
        "select sum(rows_landed), sum(rows_staged), sum(rows_quarantined) "
        "from marts.dq_refresh_log where refresh_week = ?",
        [WEEK],
    )
    assert log[0][0] == log[0][1] + log[0][2] and log[0][2] == faults["total"]
