"""The usage tables' base models are incremental (macros/landing_validation.sql, decision 103): a build types
and checks only the rows whose label can change, and the result equals a full build row for row.

Real ingest (landing/loader.py) and real dbt on a DuckDB file of this module. Each step changes the landing
folder, ingests, builds incrementally, checks the labels by hand, checks that an untouched row was not
rewritten (a marker written into it survives), then builds the same tables whole and compares every column
of every row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunner
from dbt.contracts.graph.manifest import Manifest

from dagster_project.defs.landing.contract import table_spec
from dagster_project.defs.landing.loader import load_landing
from dagster_project.defs.warehouse.refresh_window import REBUILD_STAGING_ENV
from dagster_project.settings import DBT_PROJECT_DIR, Settings
from tests.helpers import isolated_env
from tests.landing import MINIMAL, write_minimal_landing, write_table

pytestmark = pytest.mark.slow

BASE = ("base_usage__usage_daily", "base_usage__feature_usage_weekly")
USAGE = "staging.base_usage__usage_daily"
MARKER = "marker: not rewritten"
FIRST_WEEK = dt.date(2024, 1, 1)
W1 = "usage_daily/w1.csv"
W2 = "usage_daily/w2.csv"


def _usage_file(settings: Settings, name: str, rows: list[tuple]) -> None:
    columns = list(table_spec("usage_daily").column_names)
    write_table(
        settings.landing_dir / "usage_daily", name, [(*row, "5", "6", "7", "8", "1.5", "2") for row in rows], columns
    )


@dataclass
class Warehouse:
    settings: Settings
    target: Path
    manifest: Manifest | None = None

    def ingest(self) -> None:
        with duckdb.connect(str(self.settings.duckdb_path)) as con:
            load_landing(con, self.settings.landing_dir, log=lambda _: None)

    def build(self, rebuild: bool) -> None:
        """dbt run of the two base models and what they read, in this process (dbt's programmatic runner:
        no new Python, one parse). ``rebuild``: as a refresh after a project change, with
        ``PARTNERPULSE_REBUILD_STAGING=1``, which dbt reads when the models run (macros/staging_rebuild.sql)."""
        args = ["--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(self.target)]
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(REBUILD_STAGING_ENV, "1" if rebuild else "0")
            if self.manifest is None:
                parsed = dbtRunner().invoke(["parse", "--quiet", *args], project_dir=str(DBT_PROJECT_DIR))
                assert parsed.success, parsed.exception
                self.manifest = parsed.result
            done = dbtRunner(manifest=self.manifest).invoke(
                ["run", "--quiet", "--select", *(f"+{model}" for model in BASE), *args],
                project_dir=str(DBT_PROJECT_DIR),
            )
        failed = [f"{r.node.name}: {r.message}" for r in (done.result or []) if str(r.status) != "success"]
        assert done.success, done.exception or failed

    def sql(self, statement: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.settings.duckdb_path)) as con:
            return con.execute(statement, params or []).fetchall()

    def labels(self) -> dict[tuple, tuple]:
        """(file, row) → (account, date as landed, reject code, reason) of usage_daily."""
        rows = self.sql(
            f"select _source_file, _source_row, account_id, usage_date, _reject_code, _reject_reason from {USAGE}"
        )
        return {(r[0], r[1]): r[2:] for r in rows}

    def mark(self, source_file: str, source_row: int) -> None:
        self.sql(
            f"update {USAGE} set _reject_reason = ? where _source_file = ? and _source_row = ?",
            [MARKER, source_file, source_row],
        )

    def unmark(self) -> None:
        self.sql(f"update {USAGE} set _reject_reason = null where _reject_reason = ?", [MARKER])

    def equals_a_full_build(self) -> None:
        """Copies the incremental result, builds the tables whole, compares every column of every row."""
        self.sql("create schema if not exists incremental")
        for model in BASE:
            self.sql(f"create or replace table incremental.{model} as select * from staging.{model}")
        self.sql(f"update {USAGE} set _reject_reason = ?", [MARKER])
        self.build(rebuild=True)
        assert self.sql(f"select count(*) from {USAGE} where _reject_reason = ?", [MARKER]) == [(0,)]  # all new
        for model in BASE:
            only_one = self.sql(
                f"select count(*) from ((select * from incremental.{model} except all select * from staging.{model})"
                f" union all (select * from staging.{model} except all select * from incremental.{model}))"
            )
            assert only_one == [(0,)], model
            assert self.sql(f"select count(*) from staging.{model}") == self.sql(
                f"select count(*) from raw.{model.removeprefix('base_usage__')}"
            )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    root = tmp_path_factory.mktemp("incremental")
    with isolated_env(root, FIRST_WEEK) as settings:
        settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
        write_minimal_landing(settings.landing_dir, skip=["usage_daily"])
        yield Warehouse(settings, root / "dbt_target")


def test_new_files_parents_that_arrive_or_go_and_removed_files(warehouse: Warehouse):
    # 1. the first build: every row
    _usage_file(
        warehouse.settings,
        "w1",
        [
            ("A1", "PR-CORE-1", "2024-02-01"),  # row 1: staged
            ("A2", "PR-CORE-1", "2024-02-01"),  # row 2: staged
            ("A1", "PR-CORE-1", "2024-02-01"),  # row 3: the key of row 1 again
            ("A4", "PR-CORE-1", "2024-02-01"),  # row 4: no account A4 (yet)
            ("A3", "PR-CORE-1", "2024-02-3x"),  # row 5: not a date
            ("A3", "PR-SEC-1", "2024-02-02"),  # row 6: staged
        ],
    )
    warehouse.ingest()
    warehouse.build(rebuild=False)  # no table yet: built whole
    codes = {key: value[2] for key, value in warehouse.labels().items()}
    assert codes == {
        (W1, 1): None,
        (W1, 2): None,
        (W1, 3): "duplicate_key",
        (W1, 4): "orphan_foreign_key",
        (W1, 5): "unparseable_value",
        (W1, 6): None,
    }

    # 2. a new file (a new row, the key of row 6 again) and account A4 arrives
    _usage_file(warehouse.settings, "w2", [("A2", "PR-CORE-1", "2024-02-02"), ("A3", "PR-SEC-1", "2024-02-02")])
    write_table(
        warehouse.settings.landing_dir,
        "accounts",
        [*MINIMAL["accounts"], ("A4", "Delta Ltd", "P1", "SMB", "Software", "NA", "US", "2023-09-01")],
    )
    warehouse.mark(W1, 2)  # untouched: must keep the marker
    warehouse.mark(W1, 6)  # its key gets a new row: checked again
    warehouse.ingest()
    warehouse.build(rebuild=False)
    labels = warehouse.labels()
    assert labels[(W1, 2)][3] == MARKER  # not rewritten
    assert labels[(W1, 6)][2:] == (None, None)  # rewritten, still the first row of its key
    assert labels[(W1, 4)][2] is None  # its account arrived: staged now
    assert labels[(W2, 1)][2] is None
    assert labels[(W2, 2)][2] == "duplicate_key"
    assert labels[(W1, 3)][2] == "duplicate_key"
    warehouse.unmark()
    warehouse.equals_a_full_build()

    # 3. account A2 is gone: its staged rows become orphans; A4's row (no other row of its key) is not
    # rewritten (A1's is: its key has a quarantined duplicate, whose group is always checked again)
    write_table(
        warehouse.settings.landing_dir,
        "accounts",
        [a for a in MINIMAL["accounts"] if a[0] != "A2"]
        + [("A4", "Delta Ltd", "P1", "SMB", "Software", "NA", "US", "2023-09-01")],
    )
    warehouse.mark(W1, 4)
    warehouse.mark(W1, 1)
    warehouse.ingest()
    warehouse.build(rebuild=False)
    labels = warehouse.labels()
    assert labels[(W1, 4)][3] == MARKER
    assert labels[(W1, 1)][2:] == (None, None)
    assert labels[(W1, 2)][2] == labels[(W2, 1)][2] == "orphan_foreign_key"
    assert labels[(W1, 2)][3] == "orphan foreign key: account_id='A2' not found in stg_crm__accounts"
    warehouse.unmark()
    warehouse.equals_a_full_build()

    # 4. the first file is removed: its rows go, and the later row of row 6's key is staged now
    (warehouse.settings.landing_dir / W1).unlink()
    warehouse.ingest()
    warehouse.build(rebuild=False)
    labels = warehouse.labels()
    assert sorted(labels) == [(W2, 1), (W2, 2)]
    assert labels[(W2, 2)][2] is None and labels[(W2, 1)][2] == "orphan_foreign_key"
    warehouse.equals_a_full_build()

    # 5. the file is sent again corrected, the same size and rows: a reload gives its rows the same numbers
    _usage_file(warehouse.settings, "w2", [("A1", "PR-CORE-1", "2024-02-02"), ("A3", "PR-SEC-1", "2024-02-02")])
    warehouse.ingest()
    warehouse.build(rebuild=False)
    labels = warehouse.labels()
    assert labels[(W2, 1)][:3] == ("A1", dt.date(2024, 2, 2), None)  # the corrected row, staged
    warehouse.equals_a_full_build()

    # 6. a late file sorts before it: the reload numbers every row anew, the old numbers now hold other rows
    _usage_file(warehouse.settings, "w1b", [("A3", "PR-CORE-1", "2024-02-05"), ("A1", "PR-SEC-1", "2024-02-05")])
    warehouse.ingest()
    warehouse.build(rebuild=False)
    seqs = dict(warehouse.sql(f"select _source_file || ':' || _source_row, _ingest_seq from {USAGE}"))
    assert seqs["usage_daily/w1b.csv:1"] < seqs[f"{W2}:1"]  # w2's rows were renumbered after w1b's
    assert {key: value[:3] for key, value in warehouse.labels().items()} == {
        ("usage_daily/w1b.csv", 1): ("A3", dt.date(2024, 2, 5), None),
        ("usage_daily/w1b.csv", 2): ("A1", dt.date(2024, 2, 5), None),
        (W2, 1): ("A1", dt.date(2024, 2, 2), None),
        (W2, 2): ("A3", dt.date(2024, 2, 2), None),
    }
    warehouse.equals_a_full_build()

    # 7. a new file lands and the first file (clean rows) is removed: the numbers shift down
    _usage_file(warehouse.settings, "w3", [("A3", "PR-CORE-1", "2024-02-12")])
    (warehouse.settings.landing_dir / "usage_daily" / "w1b.csv").unlink()
    warehouse.ingest()
    warehouse.build(rebuild=False)
    assert sorted(warehouse.labels()) == [(W2, 1), (W2, 2), ("usage_daily/w3.csv", 1)]
    warehouse.equals_a_full_build()
