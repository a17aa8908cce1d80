"""The Dagster definitions load, group assets by layer, surface dbt tests as checks, and schedule weekly."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from dagster_project.definitions import build_definitions
from dagster_project.schedules import REFRESH_JOB
from dagster_project.settings import Settings


def test_definitions_load_with_layers_and_checks(pp_env: Settings):
    defs = build_definitions(pp_env)
    graph = defs.resolve_asset_graph()
    groups: dict[str, set[str]] = {}
    for key in graph.get_all_asset_keys():
        groups.setdefault(graph.get(key).group_name, set()).add(key.to_user_string())
    assert {"landing", "staging", "intermediate", "marts", "publish"} <= set(groups)
    assert "landing/accounts" in groups["landing"]
    assert {"staging/stg_crm__accounts", "staging/base_crm__accounts"} <= groups["staging"]
    assert {"marts/dim_accounts", "marts/dq_quarantine", "marts/dq_refresh_log"} <= groups["marts"]
    assert groups["publish"] == {"published/marts_duckdb", "published/docs"}

    check_names = {key.name for key in graph.asset_check_keys}
    assert "assert_dq_refresh_log_reconciles" in check_names
    assert "unique_dim_accounts_account_id" in check_names

    publish = graph.get(dg.AssetKey(["published", "marts_duckdb"]))
    assert dg.AssetKey(["marts", "dq_quarantine"]) in publish.parent_keys
    assert dg.AssetKey(["marts", "dim_accounts"]) in publish.parent_keys

    job = defs.resolve_job_def(REFRESH_JOB)
    assert job.partitions_def.get_first_partition_key() == "2024-01-01"


def test_weekly_partitions_are_monday_weeks_from_the_first_week(pp_env: Settings):
    defs = build_definitions(pp_env)
    partitions = defs.resolve_job_def(REFRESH_JOB).partitions_def
    keys = partitions.get_partition_keys(current_time=dt.datetime(2024, 1, 24, tzinfo=dt.UTC))
    assert keys == ["2024-01-01", "2024-01-08", "2024-01-15"]  # the week of Jan 22 has not ended
    window = partitions.time_window_for_partition_key("2024-01-08")
    assert (window.start.date(), window.end.date()) == (dt.date(2024, 1, 8), dt.date(2024, 1, 15))


def test_schedule_runs_mondays_at_six_for_the_week_that_ended(pp_env: Settings):
    defs = build_definitions(pp_env)
    schedule = defs.resolve_schedule_def("weekly_refresh_schedule")
    assert schedule.cron_schedule == "0 6 * * 1"
    assert schedule.execution_timezone in (None, "UTC")
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2024, 3, 11, 6, 0, tzinfo=dt.UTC),
        repository_def=defs.get_repository_def(),
    )
    result = schedule.evaluate_tick(context)
    assert [request.partition_key for request in result.run_requests] == ["2024-03-04"]
