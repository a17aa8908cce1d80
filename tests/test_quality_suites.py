"""Great Expectations suites and the quality rules around them, without a refresh (fast)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.defs.landing.contract import landing_tables
from dagster_project.defs.quality.config import load_quality_config
from dagster_project.defs.quality.frames import read_scope
from dagster_project.defs.quality.freshness import measure_freshness
from dagster_project.defs.quality.gx_suites import GxValidator
from dagster_project.defs.quality.quarantine import QuarantineShare
from dagster_project.defs.quality.reuse import (
    RESULTS_TABLE,
    GxVerdict,
    Recorded,
    fingerprint,
    input_keys,
    record_results,
    recorded_results,
    reusable_key,
)
from dagster_project.defs.quality.row_counts import RowCountBounds, RowCountChange, record_counts, recorded_count
from dagster_project.defs.quality.suites import (
    SuiteError,
    build_gx_suite,
    dump_suite,
    load_suite,
    load_suites,
    suite_path,
)
from dagster_project.defs.warehouse.project import get_dbt_project, mart_model_names
from dagster_project.lib.weeks import WeekWindow
from dagster_project.settings import EXPECTATIONS_DIR, REPO_ROOT, ConfigError


@pytest.fixture(scope="module")
def suites():
    return load_suites(EXPECTATIONS_DIR)


@pytest.fixture(scope="module")
def validator() -> GxValidator:
    return GxValidator()


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(get_dbt_project().manifest_path.read_text(encoding="utf-8"))


def _mart_columns(manifest: dict, name: str) -> set[str]:
    node = next(n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == name)
    return set(node["columns"])


def test_every_landing_table_and_every_mart_has_a_suite(suites):
    expected = {f"landing.{t.name}" for t in landing_tables()}
    expected |= {f"marts.{m}" for m in mart_model_names(get_dbt_project().manifest_path)}
    missing = sorted(expected - set(suites))
    assert not missing, (
        f"no suite for {missing}: run `python -m dagster_project.defs.quality.scaffold`, review and commit the files"
    )
    assert sorted(set(suites) - expected) == [], "suites for tables that no longer exist"


def test_suites_are_valid_gx_suites_with_keys_and_known_columns(suites, manifest):
    contract = {t.name: t for t in landing_tables()}
    for name, suite in suites.items():
        gx_suite = build_gx_suite(suite)  # GX accepts every expectation and its kwargs
        assert len(gx_suite.expectations) == len(suite.expectations) > 0, name
        assert suite.key, f"{name}: meta.partnerpulse.key is needed for deterministic sampling"
        columns = (
            set(contract[suite.table].column_names) if suite.kind == "landing" else _mart_columns(manifest, suite.table)
        )
        referenced = set(suite.key) | ({suite.week_column} if suite.week_column else set())
        for expectation in suite.expectations:
            kwargs = expectation["kwargs"]
            referenced |= {kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs}
            referenced |= set(kwargs.get("column_list", []))
        assert referenced <= columns, f"{name}: unknown column(s) {sorted(referenced - columns)}"
        if suite.kind == "landing":
            assert suite.key == contract[suite.table].primary_key, name
        # the files are kept in the one-expectation-per-line layout
        assert suite.path.read_text(encoding="utf-8") == dump_suite(suite.document), f"{name}: run dump_suite"


def test_severity_defaults_to_error_and_advisory_rules_are_warnings(suites):
    health = suites["marts.fct_account_health_weekly"]
    severities = {e.get("severity", "critical") for e in health.expectations}
    assert severities == {"critical", "warning"}
    null_shares = [e for s in suites.values() for e in s.expectations if "mostly" in e["kwargs"]]
    assert null_shares and all(e.get("severity") == "warning" for e in null_shares if e["kwargs"]["mostly"] < 0.99)
    assert {s.row_count.get("severity", "warning") for s in suites.values()} == {"warning"}


def _health_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "week_start": pd.to_datetime(["2024-06-17"] * 3),
            "account_id": ["A1", "A2", "A3"],
            "partner_id": ["P1", None, "P2"],
            "health_points": [3, 10, 15],
            "health_score": [20.0, 60.0, 95.0],
            "health_category": ["At Risk", "Healthy / Maintain", "Expansion Ready"],
            "previous_category": [None, "At Risk", "Healthy / Maintain"],
            "trend_direction": ["stable", "improving", "stable"],
            "lifecycle_phase": ["Adoption", "Onboarding", "Renewal & Expansion"],
            "renewal_plan_status": ["missing", "complete", "in_progress"],
            "license_utilization_value": [0.2, 0.6, 0.9],
            **{
                f"{m}_points": [0, 1, 2]
                for m in (
                    "license_utilization",
                    "feature_adoption",
                    "api_usage",
                    "executive_sponsorship",
                    "training_completion",
                    "support_trend",
                    "product_diversification",
                    "renewal_plan",
                )
            },
        }
    )


def test_a_deliberately_broken_mart_fails_its_suite_with_the_expectation_and_sample_values(suites, validator):
    suite = suites["marts.fct_account_health_weekly"]
    good = _health_rows()
    assert validator.validate(suite, good).passed

    broken = good.copy()
    broken.loc[0, "health_points"] = 17  # out of range 0-16
    broken.loc[1, "health_category"] = "Expansion Ready"  # 10 points are Healthy / Maintain
    broken.loc[2, "account_id"] = "A2"  # duplicate (week_start, account_id)
    outcome = validator.validate(suite, broken)
    assert not outcome.passed
    failed = {(f.expectation, f.target): f for f in outcome.errors}
    range_failure = failed[("expect_column_values_to_be_between", "health_points")]
    assert range_failure.sample == ("17",) and "1 of 3 rows unexpected" in range_failure.detail
    consistency = failed[
        ("expect_column_values_to_be_in_set", "health_category where health_points >= 8 and health_points <= 13")
    ]
    assert consistency.sample == ("Expansion Ready",)
    assert ("expect_compound_columns_to_be_unique", "week_start, account_id") in failed
    assert "expect_column_values_to_be_between(health_points)" in outcome.summary()


def test_warning_expectations_fail_without_errors(suites, validator):
    rows = _health_rows()
    rows["partner_id"] = None  # partner share is advisory
    outcome = validator.validate(suites["marts.fct_account_health_weekly"], rows)
    assert not outcome.passed and not outcome.errors
    assert [(f.expectation, f.severity) for f in outcome.warnings] == [
        ("expect_column_values_to_not_be_null", "warning")
    ]


def test_payouts_are_non_negative_except_clawbacks_and_adjustments(suites, validator):
    suite = suites["marts.fct_incentive_payouts"]
    rows = pd.DataFrame(
        {
            "payout_line_id": ["L1", "L2", "L3", "L4"],
            "payout_period": pd.to_datetime(["2024-05-01"] * 4),
            "partner_id": ["P1"] * 4,
            "partner_tier": ["Gold"] * 4,
            "incentive_type": ["expansion_commission", "clawback", "adjustment", "adjustment"],
            "amount_usd": [100.0, -40.0, -15.0, 20.0],
            "rate": [0.1, 0.1, 0.0, 0.0],
            "period_status": ["open"] * 4,
        }
    )
    assert validator.validate(suite, rows).passed
    rows.loc[0, "amount_usd"] = -1.0  # a negative commission
    rows.loc[1, "amount_usd"] = 40.0  # a positive clawback
    failures = {f.target: f for f in validator.validate(suite, rows).errors}
    assert failures["amount_usd where incentive_type not in ['clawback', 'adjustment']"].sample == ("-1.0",)
    assert failures["amount_usd where incentive_type == 'clawback'"].sample == ("40.0",)


def test_retention_ratios_must_be_plausible(suites, validator):
    suite = suites["marts.rpt_retention"]
    rows = pd.DataFrame(
        {
            "period_type": ["month", "month"],
            "period_start": pd.to_datetime(["2024-05-01"] * 2),
            "dimension": ["overall", "partner"],
            "dimension_value": ["all", "P1"],
            "nrr": [1.05, 0.9],
            "grr": [0.95, 1.2],  # GRR above 100% is impossible
        }
    )
    failures = [f for f in validator.validate(suite, rows).errors if "could not be evaluated" not in f.detail]
    assert {(f.expectation, f.target) for f in failures} == {
        ("expect_column_values_to_be_between", "grr"),
        ("expect_column_pair_values_a_to_be_greater_than_b", "nrr, grr"),
    }


def test_a_missing_column_is_reported_not_raised(suites, validator):
    outcome = validator.validate(suites["marts.dim_partners"], pd.DataFrame({"partner_id": ["P1"]}))
    details = [f.detail for f in outcome.errors]
    assert any("could not be evaluated" in d and "partner_tier" in d for d in details)


def test_validation_prints_no_progress_bars(suites, validator):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        validator.validate(suites["marts.fct_account_health_weekly"], _health_rows())
    assert "Calculating Metrics" not in out.getvalue() + err.getvalue()
    assert out.getvalue() == err.getvalue() == ""


def test_batches_are_not_fingerprinted(validator):
    """GX would hash every row of every batch for a marker no check reads (gx_suites._no_batch_fingerprint)."""
    frame = pd.DataFrame({"partner_id": [f"P{i}" for i in range(1000)], "amount": range(1000)})
    batch = validator._batch_definition.get_batch(batch_parameters={"dataframe": frame})
    assert "pandas_data_fingerprint" not in batch.batch_markers
    assert batch.batch_markers  # the other markers are still there (GX's ge_load_time)


def test_suite_files_with_mistakes_are_rejected_naming_the_file(tmp_path: Path):
    path = suite_path(tmp_path, "marts", "dim_accounts")
    path.write_text(json.dumps({"name": "marts.dim_accounts", "expectations": [{"type": "x"}]}), encoding="utf-8")
    with pytest.raises(SuiteError, match=r"marts\.dim_accounts\.json: expectation 1 needs a 'type'"):
        load_suite(path)
    path.write_text(
        json.dumps(
            {
                "name": "marts.dim_accounts",
                "expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "a"}, "severity": "fatal"}],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(SuiteError, match="severity 'fatal' is not one of critical, warning, info"):
        load_suite(path)
    wrong = tmp_path / "marts.other.json"
    wrong.write_text(json.dumps({"name": "marts.dim_accounts", "expectations": []}), encoding="utf-8")
    with pytest.raises(SuiteError, match="must match the file name"):
        load_suite(wrong)


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ([1], r"meta must be a JSON object, not \[1\]"),
        ({"partnerpulse": {"quarantine_error_share": "abc"}}, r"quarantine_error_share must be a number, not \"abc\""),
        ({"partnerpulse": {"key": "account_id"}}, r"key must be a list of column names, not \"account_id\""),
        (
            {"partnerpulse": {"freshness": {"column": "d", "max_lag_days": 2.5}}},
            r"freshness\.max_lag_days must be a whole number, not 2\.5",
        ),
        ({"partnerpulse": {"row_count": [0.5]}}, r"row_count must be a JSON object"),
    ],
)
def test_malformed_suite_settings_are_suite_errors(tmp_path: Path, meta, message: str):
    path = suite_path(tmp_path, "landing", "accounts")
    path.write_text(json.dumps({"name": "landing.accounts", "meta": meta, "expectations": []}), encoding="utf-8")
    with pytest.raises(SuiteError, match=r"landing\.accounts\.json: .*" + message):
        load_suite(path)


def test_big_tables_are_validated_on_a_deterministic_key_sample():
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.big as select i % 5000 as k, "
        "date '2024-06-17' + cast((i // 5000) * 7 as integer) as week_start, i as v from range(20000) t(i)"
    )
    con.execute("insert into marts.big select k, week_start, -1 from marts.big where k = 7 limit 1")  # a duplicate
    first = read_scope(con, "marts.big", key=("k", "week_start"), week_column=None, window=None, max_rows=2000)
    again = read_scope(con, "marts.big", key=("k", "week_start"), week_column=None, window=None, max_rows=2000)
    assert first.sampled and first.rows_in_scope == 20001 and first.sample_modulus == 11
    assert 1000 < len(first.frame) < 3000
    assert first.frame.sort_values(["k", "week_start", "v"]).equals(again.frame.sort_values(["k", "week_start", "v"]))
    sampled_keys = first.frame.groupby(["k", "week_start"]).size()
    assert (sampled_keys.max() == 2) == bool(((first.frame.k == 7) & (first.frame.v == -1)).any())  # kept together
    window = WeekWindow(dt.date(2024, 6, 24), dt.date(2024, 6, 24))
    one_week = read_scope(con, "marts.big", key=("k",), week_column="week_start", window=window, max_rows=10_000)
    assert not one_week.sampled and one_week.rows_in_scope == 5000


def test_a_table_without_a_key_is_sampled_on_whole_rows():
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.events as select i % 97 as a, i % 89 as b, i as c from range(20000) t(i)")
    first = read_scope(con, "raw.events", key=(), week_column=None, window=None, max_rows=2000)
    again = read_scope(con, "raw.events", key=(), week_column=None, window=None, max_rows=2000)
    assert first.sampled and first.sample_modulus == 10
    assert 1500 < len(first.frame) < 2500  # about one row in ten, not (almost) none
    ordered = [scope.frame.sort_values("c").reset_index(drop=True) for scope in (first, again)]
    assert ordered[0].equals(ordered[1])


def test_freshness_compares_the_newest_date_up_to_d_with_the_lag():
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.usage_daily (usage_date varchar)")
    d = dt.date(2024, 6, 23)
    empty = measure_freshness(con, "usage_daily", "usage_date", d, 3)
    assert empty.passed and "empty" in empty.describe()
    con.execute("insert into raw.usage_daily values ('2024-06-19'), ('2024-06-30'), ('not a date')")
    stale = measure_freshness(con, "usage_daily", "usage_date", d, 3)
    assert stale.newest == dt.date(2024, 6, 19) and stale.lag_days == 4 and not stale.passed  # 06-30 is after D
    assert "more than the allowed 3" in stale.describe()
    assert measure_freshness(con, "usage_daily", "usage_date", d, 4).passed
    con.execute("create table raw.support_tickets (opened_at varchar)")
    con.execute("insert into raw.support_tickets values ('2024-06-22T23:10:00Z')")
    assert measure_freshness(con, "support_tickets", "opened_at", d, 1).newest == dt.date(2024, 6, 22)
    old = measure_freshness(con, "usage_daily", "usage_date", dt.date(2024, 1, 7), 3)
    assert not old.passed and "no row has a usage_date on or before 2024-01-07" in old.describe()


def test_row_count_change_within_bounds_and_history_per_week():
    bounds = RowCountBounds(min_ratio=0.5, max_ratio=2.0, min_change=10, severity="warning")
    week, previous_week = dt.date(2024, 6, 17), dt.date(2024, 6, 10)

    def change(rows, previous):
        return RowCountChange("marts/x", week, rows, previous_week, previous, bounds)

    assert change(100, None).passed and "no count recorded" in change(100, None).describe()
    assert change(150, 100).passed and not change(201, 100).passed and not change(49, 100).passed
    assert change(15, 6).passed  # tiny tables: a change of at most 10 rows is never flagged
    assert not change(0, 40).passed
    assert "outside the allowed × 0.5 … × 2" in change(49, 100).describe()

    con = duckdb.connect()
    assert recorded_count(con, "marts/x", week) is None
    record_counts(con, week, {"marts/x": 5, "marts/y": 7}, "run-1")
    record_counts(con, week, {"marts/x": 6}, "run-2")  # re-running a week replaces its count
    assert recorded_count(con, "marts/x", week) == 6 and recorded_count(con, "marts/y", week) == 7
    assert con.execute("select count(*) from quality.row_counts").fetchone() == (2,)


def test_quarantine_share_above_the_configured_share_is_an_error():
    week = dt.date(2024, 6, 17)
    assert QuarantineShare("accounts", landed=100, quarantined=0, error_share=0.05).passed
    warning = QuarantineShare("accounts", landed=100, quarantined=5, error_share=0.05)
    assert not warning.passed and not warning.is_error and "within the allowed 5.00%" in warning.describe(week)
    error = QuarantineShare("accounts", landed=100, quarantined=6, error_share=0.05)
    assert error.is_error and "dq_quarantine where refresh_week = '2024-06-17'" in error.describe(week)
    assert QuarantineShare("empty", landed=0, quarantined=0, error_share=0.0).passed


def test_quality_configuration_is_checked(monkeypatch: pytest.MonkeyPatch):
    config = load_quality_config()
    assert (config.quarantine_error_share, config.row_count_min_ratio, config.row_count_max_ratio) == (0.05, 0.5, 2.0)
    monkeypatch.setenv("PARTNERPULSE_QUARANTINE_ERROR_SHARE", "5%")
    with pytest.raises(ConfigError, match="PARTNERPULSE_QUARANTINE_ERROR_SHARE: '5%' is not a number"):
        load_quality_config()
    monkeypatch.setenv("PARTNERPULSE_QUARANTINE_ERROR_SHARE", "0.1")
    monkeypatch.setenv("PARTNERPULSE_ROW_COUNT_MIN_RATIO", "3")
    with pytest.raises(ConfigError, match=r"MAX_RATIO .* is below PARTNERPULSE_ROW_COUNT_MIN_RATIO"):
        load_quality_config()


def test_gx_is_imported_once_in_the_background_and_quietly():
    """What the dbt step starts before dbt runs (warehouse/assets.py), in a process of its own: GX not
    imported before, nothing started for a build of more landed rows than the limit, one thread however often
    it is called, analytics off, and the checks' validator then
    works as without it."""
    script = """
import os, sys, threading
os.environ.pop("GX_ANALYTICS_ENABLED", None)
from dagster_project.defs.quality import gx_suites
assert "great_expectations" not in sys.modules
assert not gx_suites.import_in_background(gx_suites.PRELOAD_MAX_LANDED_ROWS + 1)  # a big build: no preload
assert not [t for t in threading.enumerate() if t.name == "partnerpulse-import-gx"]
assert "great_expectations" not in sys.modules
assert gx_suites.import_in_background(gx_suites.PRELOAD_MAX_LANDED_ROWS)
assert not gx_suites.import_in_background()
threads = [t for t in threading.enumerate() if t.name == "partnerpulse-import-gx"]
assert len(threads) == 1, threads
threads[0].join(120)
assert "great_expectations" in sys.modules
assert os.environ["GX_ANALYTICS_ENABLED"] == "false"
gx_suites.import_in_background()
assert not [t for t in threading.enumerate() if t.name == "partnerpulse-import-gx"]
gx_suites.GxValidator()
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO_ROOT, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_a_landing_suite_s_fingerprint_follows_everything_its_result_depends_on(suites):
    """reuse.py (decision 141): the suite, the staged relation's input key, the sample size and the engine."""
    suite = suites["landing.accounts"]
    base = fingerprint(suite, "key-1", 200_000, "duckdb")
    assert base == fingerprint(suite, "key-1", 200_000, "duckdb")
    document = json.loads(json.dumps(suite.document))
    document["expectations"][0]["kwargs"]["mostly"] = 0.99
    edited = dataclasses.replace(suite, document=document)
    assert (
        len(
            {
                base,
                fingerprint(edited, "key-1", 200_000, "duckdb"),
                fingerprint(suite, "key-2", 200_000, "duckdb"),
                fingerprint(suite, "key-1", 100_000, "duckdb"),
                fingerprint(suite, "key-1", 200_000, "postgres"),
            }
        )
        == 5
    )
    keys = {"stg_crm__accounts": "key-1", "fct_account_health_weekly": "key-3", "dim_accounts": "key-4"}
    assert suite.relation == "staging.stg_crm__accounts" and reusable_key(suite, keys) == "key-1"
    assert reusable_key(suite, {}) is None  # no recorded key (a failed build forgot it): validated
    assert reusable_key(suites["marts.dim_accounts"], keys) is None  # marts: always validated
    assert reusable_key(dataclasses.replace(suite, week_column="week_start"), keys) is None
    # a suite reading another relation than its table's staged view: validated
    assert reusable_key(dataclasses.replace(suite, relation="marts.stg_crm__accounts"), keys) is None


def test_only_passed_suite_results_are_kept_and_an_unreadable_record_is_ignored(tmp_path: Path):
    passed = GxVerdict(True, False, "landing.accounts: all 12 expectations passed", "all 7 rows in scope", 7, 7, 12)
    warned = GxVerdict(
        False,
        False,
        "landing.contacts: 1 of 6 expectations failed",
        "all 3 rows in scope",
        3,
        3,
        6,
        ({"expectation": "e", "target": "t", "severity": "warning", "detail": "d", "sample": ["x"]},),
    )
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert recorded_results(con) == {} and input_keys(con) == {}
        record_results(con, {"landing/accounts": ("f1", passed), "landing/contacts": ("f2", warned)}, "run-1")
        assert recorded_results(con) == {"landing/accounts": Recorded("f1", "run-1", passed)}
        assert GxVerdict.from_json(warned.to_json()) == warned
        # a result that no longer passes removes the record; another check's record stays
        record_results(con, {"landing/contacts": ("f2", passed)}, "run-2")
        record_results(con, {"landing/accounts": ("f3", warned)}, "run-3")
        assert recorded_results(con) == {"landing/contacts": Recorded("f2", "run-2", passed)}
        con.execute(f"update {RESULTS_TABLE} set verdict = '{{\"passed\": true}}'")
        assert recorded_results(con) == {}


def test_kept_results_that_cannot_be_read_mean_validating_everything_with_a_warning(tmp_path: Path, suites):
    from dagster_project.defs.quality.checks import _Evaluator

    said: list[str] = []
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create schema quality")
        con.execute("create table quality.gx_results (check_key varchar)")  # not the table reuse.py writes
        evaluator = _Evaluator(
            con, load_quality_config(), WeekWindow(dt.date(2024, 6, 17), dt.date(2024, 6, 17)), suites, warn=said.append
        )
    assert evaluator.kept == {} and evaluator.input_keys == {}
    assert len(said) == 1 and said[0].startswith("kept suite results not read (BinderException: ")
    assert said[0].endswith("every suite is validated")
