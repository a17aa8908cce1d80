"""A model is left out of a build only when its inputs are those it was last built from (models_state.py,
decision 115): its landing tables' files, the program settings, the dbt project and every upstream model;
never a model that reads the run's week, the orchestrator's tables or the ingest's bookkeeping, never a
published mart. The end-to-end case (a next week that leaves them out and says so) is in
tests/test_refresh.py; that weekly-then-weekly equals a backfill from an empty warehouse is in
tests/test_gate_and_backfill.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from pathlib import Path

import duckdb
import pytest

from dagster_project.defs.landing.contract import landing_tables
from dagster_project.defs.warehouse.assets import forget_left_out
from dagster_project.defs.warehouse.models_state import (
    MODELS_TABLE,
    ModelsState,
    ensure_models_table,
    forget_models,
    input_keys,
    landing_keys,
    last_month_end,
    models_state,
    models_written,
    read_landing_keys,
    record_models_built,
    relations,
)
from dagster_project.defs.warehouse.project import get_dbt_project
from dagster_project.defs.warehouse.spark_sync import clear_spark_scratch, spark_relations_present, spark_scratch_dir
from dagster_project.lib.warehouse import connect
from tests.conftest import FIRST_WEEK
from tests.helpers import isolated_env

FINGERPRINT = "p" * 64
SEEDS = "s" * 64


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(get_dbt_project().manifest_path.read_text(encoding="utf-8"))


def _landing(**changed: str) -> dict[str, str]:
    """A key per landing table; ``changed`` gives some tables another one."""
    return {spec.name: changed.get(spec.name, f"key-of-{spec.name}") for spec in landing_tables()}


def test_which_models_can_be_left_out(manifest: dict):
    keys = input_keys(manifest, FINGERPRINT, _landing(), SEEDS)
    # the typed landing tables, their views, and what reads only them and the settings
    assert {"base_crm__accounts", "stg_crm__accounts", "base_usage__usage_daily", "stg_billing__products"} <= set(keys)
    assert "int_subscription_items_priced" in keys
    # the run's week (a macro), the refresh window or the closed payouts (the orchestrator's tables), the
    # ingest's bookkeeping, and every published mart: never
    for model in (
        "int_weeks_spined",
        "int_months_spined",
        "stg_ops__refresh_window",
        "stg_ledger__payout_lines_closed",
        "int_landing_rows_rejected",
        "int_opportunities_enriched",
        "dim_products",
        "fct_account_health_weekly",
    ):
        assert model not in keys, model
    assert not {name for name, node in _models(manifest).items() if node["schema"] == "marts"} & set(keys)


def test_a_changed_input_changes_the_keys_downstream_of_it_only(manifest: dict):
    before = input_keys(manifest, FINGERPRINT, _landing(), SEEDS)
    after = input_keys(manifest, FINGERPRINT, _landing(accounts="accounts-corrected"), SEEDS)
    changed = {name for name in before if before[name] != after.get(name)}
    assert {"base_crm__accounts", "stg_crm__accounts"} <= changed
    # base_crm__contacts checks its account_id against stg_crm__accounts: it reads the accounts too
    assert "base_crm__contacts" in changed
    assert {"base_billing__products", "stg_billing__fx_rates", "base_crm__partners", "base_usage__features"} <= (
        set(before) - changed
    )
    # every changed model reads the accounts, directly or through others
    for name in changed:
        assert _reads(manifest, name, "source.partnerpulse.crm.accounts"), name


def test_another_project_or_a_missing_landing_key_changes_the_keys(manifest: dict):
    before = input_keys(manifest, FINGERPRINT, _landing(), SEEDS)
    other_project = input_keys(manifest, "q" * 64, _landing(), SEEDS)
    assert set(other_project) == set(before) and not set(before.values()) & set(other_project.values())
    # a landing table without a manifest entry (no ingest yet): its models have no key
    landing = _landing()
    del landing["accounts"]
    assert "base_crm__accounts" not in input_keys(manifest, FINGERPRINT, landing, SEEDS)


def _node(name: str, parents: list[str], macros: list[str] = (), schema: str = "intermediate") -> dict:
    return {
        "unique_id": f"model.partnerpulse.{name}",
        "name": name,
        "resource_type": "model",
        "schema": schema,
        "depends_on": {"nodes": parents, "macros": list(macros)},
    }


def test_settings_being_reloaded_and_the_week_through_another_macro():
    """A small graph: a (landing table t), b (a and a seed), c (a macro that reads the run's week through
    another), d (a), e (a published mart)."""
    week = "macro.partnerpulse.refresh_as_of_date"
    manifest = {
        "sources": {"source.partnerpulse.crm.t": {"name": "t", "schema": "raw"}},
        "macros": {
            week: {"depends_on": {"macros": ["macro.partnerpulse.refresh_week"]}},
            "macro.partnerpulse.weeks_back": {"depends_on": {"macros": [week]}},
            "macro.partnerpulse.harmless": {"depends_on": {"macros": []}},
        },
        "nodes": {
            node["unique_id"]: node
            for node in (
                _node("a", ["source.partnerpulse.crm.t"], ["macro.partnerpulse.harmless"]),
                _node("b", ["model.partnerpulse.a", "seed.partnerpulse.bands"]),
                _node("c", ["model.partnerpulse.a"], ["macro.partnerpulse.weeks_back"]),
                _node("d", ["model.partnerpulse.a"]),
                _node("e", ["model.partnerpulse.a"], schema="marts"),
            )
        },
    }
    assert set(input_keys(manifest, FINGERPRINT, {"t": "k"}, SEEDS)) == {"a", "b", "d"}
    # the settings reload in this run (they changed): what reads them is built
    assert set(input_keys(manifest, FINGERPRINT, {"t": "k"}, None)) == {"a", "d"}


def test_landing_keys_follow_the_ingest_manifest_rows():
    rows = [("accounts", "c1", 0, "accounts.csv", 10, "a" * 64, 3), ("usage_daily", "c2", 0, "u/1.csv", 5, "b" * 64, 2)]
    keys = landing_keys(rows)
    assert set(keys) == {"accounts", "usage_daily"}
    appended = landing_keys([*rows, ("usage_daily", "c2", 1, "u/2.csv", 5, "c" * 64, 2)])
    assert appended["accounts"] == keys["accounts"] and appended["usage_daily"] != keys["usage_daily"]
    changed = landing_keys([("accounts", "c1", 0, "accounts.csv", 10, "d" * 64, 3), rows[1]])
    assert changed["accounts"] != keys["accounts"] and changed["usage_daily"] == keys["usage_daily"]


def test_left_out_only_with_the_same_key_on_record_and_the_relation_present(tmp_path: Path, manifest: dict):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        assert read_landing_keys(con) == {}  # no ingest yet
        ensure_models_table(con)
        con.execute("create schema staging")
        con.execute("create table staging.base_crm__accounts as select 1 as x")
        con.execute("create view staging.stg_crm__accounts as select 1 as x")
        keys = {"base_crm__accounts": "k1", "stg_crm__accounts": "k2", "base_crm__partners": "k3"}
        state = ModelsState(keys)
        record_models_built(con, state, ["base_crm__accounts", "stg_crm__accounts", "base_crm__partners"], "run-1")
        assert con.execute(f"select count(*) from {MODELS_TABLE}").fetchone() == (3,)

        # base_crm__partners has no table in the warehouse: rebuilt; stg_crm__accounts' key changed: rebuilt
        found = models_state(con, manifest, {**keys, "stg_crm__accounts": "k2-new"})
        assert dict(found.unchanged) == {"base_crm__accounts": "run-1"}
        assert found.exclude_args() == ["--exclude", "base_crm__accounts", "--indirect-selection", "cautious"]

        # a build about to write a model forgets it first: interrupted, it is rebuilt next time
        forget_models(con, ["base_crm__accounts"])
        assert "base_crm__accounts" not in models_state(con, manifest, keys).unchanged
        record_models_built(con, state, ["base_crm__accounts"], "run-2")
        unchanged = dict(models_state(con, manifest, keys).unchanged)
        assert unchanged == {"base_crm__accounts": "run-2", "stg_crm__accounts": "run-1"}
        assert ModelsState(keys).exclude_args() == []  # nothing left out: dbt's usual selection

        # stg_crm__partners loses its key (its optional landing file is gone, say) and is rebuilt: the build
        # forgets its record too, or a later build with the old key would leave out what the table now holds
        record_models_built(con, ModelsState({**keys, "stg_crm__partners": "k4"}), ["stg_crm__partners"], "run-2")
        without = ModelsState(keys, {"base_crm__accounts": "run-2"})
        written = models_written(manifest, without)
        assert "stg_crm__partners" in written and "stg_crm__partners" not in without.keys
        assert "base_crm__accounts" not in written and len(written) == len(relations(manifest)) - 1
        forget_models(con, written)
        recorded = {row[0] for row in con.execute(f"select model_name from {MODELS_TABLE}").fetchall()}
        assert recorded == {"base_crm__accounts"}
    finally:
        con.close()


ARR_CHAIN = {
    "int_months_completed",
    "int_periods_completed",
    "int_fx_rates_resolved_month_ends",
    "int_account_arr_line_months_aggregated",
    "int_account_months_partnered",
    "int_account_months_dimensioned",
    "int_account_line_periods_compared",
    "int_arr_movements_classified",
    "int_account_periods_retained",
    "int_retention_cohorts_aggregated",
    "int_active_account_periods_grouped",
}


def test_the_arr_chain_is_keyed_by_the_last_complete_month_not_by_the_week(manifest: dict):
    assert last_month_end(dt.date(2026, 11, 29)) == dt.date(2026, 10, 31)
    assert last_month_end(dt.date(2026, 11, 30)) == dt.date(2026, 11, 30)  # D is a month end: complete
    assert last_month_end(dt.date(2024, 3, 3)) == dt.date(2024, 2, 29)
    assert last_month_end(dt.date(2025, 1, 5)) == dt.date(2024, 12, 31)

    def keys(as_of: dt.date | None) -> dict[str, str]:
        return input_keys(manifest, FINGERPRINT, _landing(), SEEDS, last_month_end(as_of) if as_of else None)

    week_1, week_2, next_month = keys(dt.date(2026, 11, 22)), keys(dt.date(2026, 11, 29)), keys(dt.date(2026, 12, 6))
    assert set(week_1) >= ARR_CHAIN
    assert week_1 == week_2  # two weeks of November: the same complete months, nothing to rebuild
    assert {name for name in week_1 if week_1[name] != next_month[name]} == ARR_CHAIN  # November completed
    assert not ARR_CHAIN & set(keys(None))  # without the run's date: always built
    # the spine with the month in progress (measured at D) and what reads it still read the week
    assert not {"int_months_spined", "int_fx_rates_resolved_monthly", "int_payout_events_collected"} & set(week_1)


def test_on_spark_a_local_session_s_folders_and_metastore_say_which_relations_are_there(tmp_path: Path, manifest: dict):
    with isolated_env(tmp_path, FIRST_WEEK, PARTNERPULSE_TARGET="spark") as settings:
        wanted = relations(manifest)
        assert wanted["base_crm__accounts"] == ("staging", "base_crm__accounts", "table")
        assert wanted["stg_crm__accounts"] == ("staging", "stg_crm__accounts", "view")
        assert spark_relations_present(settings, wanted) == set()  # no metastore (yet, or removed by hand)
        spark = settings.spark_env()
        (Path(spark["PARTNERPULSE_SPARK_METASTORE"]) / "metastore_db").mkdir(parents=True)
        (Path(spark["PARTNERPULSE_SPARK_WAREHOUSE"]) / "staging.db" / "base_crm__accounts").mkdir(parents=True)
        present = spark_relations_present(settings, wanted)
        assert ("staging", "base_crm__accounts") in present
        assert ("staging", "base_crm__partners") not in present  # its folder is gone: built again
        assert ("staging", "stg_crm__accounts") in present  # a view has no folder: the metastore holds it
        # a cluster's warehouse cannot be seen from here: nothing is left out there
        assert spark_relations_present(dataclasses.replace(settings, spark_method="thrift"), wanted) is None

        # the records are in the working DuckDB file, as on DuckDB; present: what Spark holds
        with connect(settings) as con:
            ensure_models_table(con)
            keys = {"base_crm__accounts": "k1", "base_crm__partners": "k2", "stg_crm__accounts": "k3"}
            record_models_built(con, ModelsState(keys), list(keys), "run-1")
            found = models_state(con, manifest, keys, present)
            assert dict(found.unchanged) == {"base_crm__accounts": "run-1", "stg_crm__accounts": "run-1"}
        # a failed build forgets the models it left out too: the next one builds them
        forget_left_out(settings, found, logging.getLogger("test"))
        with connect(settings) as con:
            assert models_state(con, manifest, keys, present).unchanged == {}
            assert con.execute(f"select model_name from {MODELS_TABLE}").fetchall() == [("base_crm__partners",)]


def test_a_killed_spark_session_s_leftovers_in_its_scratch_go_before_the_next_build_and_nothing_else(tmp_path: Path):
    with isolated_env(tmp_path, FIRST_WEEK, PARTNERPULSE_TARGET="spark") as settings:
        scratch = spark_scratch_dir(settings)
        assert scratch == settings.spark_dir / "scratch"  # profiles.yml's spark.local.dir, in the warehouse
        said: list[str] = []
        assert clear_spark_scratch(settings, said.append) == []  # no scratch yet
        for name in ("blockmgr-1f0c", "spark-77aa/userFiles-3"):
            (scratch / name).mkdir(parents=True)
            (scratch / name / "shuffle_0_1_0.data").write_bytes(b"x" * 10)
        # the native libraries a killed JVM unpacked there (its temp directory, decision 136)
        for name in ("liblz4-java-1738.so", "liblz4-java-1738.so.lck", "snappy-1.1.10-10c1-libsnappyjava.so"):
            (scratch / name).write_bytes(b"\x7fELF")
        (scratch / "notes").mkdir()  # not Spark's: kept, as a file named like Spark's folders is
        (scratch / "spark-defaults.conf").write_text("kept", encoding="utf-8")
        (scratch / "liblz4-java-notes").mkdir()  # a folder named like a library: kept
        outside = tmp_path / "elsewhere"
        (outside / "keep").mkdir(parents=True)
        (scratch / "spark-link").symlink_to(outside, target_is_directory=True)  # a link is not followed
        # a cluster's scratch is the server's: nothing is touched here
        assert clear_spark_scratch(dataclasses.replace(settings, spark_method="thrift"), said.append) == []
        assert said == []
        assert (scratch / "blockmgr-1f0c").is_dir()
        removed = [
            "blockmgr-1f0c",
            "liblz4-java-1738.so",
            "liblz4-java-1738.so.lck",
            "snappy-1.1.10-10c1-libsnappyjava.so",
            "spark-77aa",
        ]
        assert clear_spark_scratch(settings, said.append) == removed
        assert said == [
            "removed 5 leftover(s) of a killed Spark session (shuffle and spill folders, unpacked native libraries) "
            f"in {scratch}: {', '.join(removed)}"
        ]
        kept = ["liblz4-java-notes", "notes", "spark-defaults.conf", "spark-link"]
        assert sorted(entry.name for entry in scratch.iterdir()) == kept
        assert (outside / "keep").is_dir()


def _models(manifest: dict) -> dict[str, dict]:
    return {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}


def _reads(manifest: dict, name: str, unique_id: str) -> bool:
    node = _models(manifest)[name]
    parents = node["depends_on"]["nodes"]
    return unique_id in parents or any(
        _reads(manifest, manifest["nodes"][parent]["name"], unique_id)
        for parent in parents
        if parent.startswith("model.")
    )
