"""The Dagster definitions load, group assets by layer, surface dbt tests as checks, and schedule weekly.

``tests/snapshots/definitions.txt`` pins the whole graph: every asset (group, kinds, op, partitions,
backfill policy; for the assets written in Python also the description and dependencies), every asset
check (asset, name, blocking, op), the jobs, schedules, sensors and resources. A change to any of them
shows up as a diff of that file; after an intended change (a new model, check or asset) rewrite it with
``PARTNERPULSE_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_definitions.py`` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import os
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.definitions import build_definitions
from dagster_project.defs.operations.jobs import REFRESH_JOB
from dagster_project.defs.warehouse.translator import resource_description
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


def test_dbt_asset_descriptions_are_the_yaml_descriptions_without_sql(pp_env: Settings):
    graph = build_definitions(pp_env).resolve_asset_graph()
    dbt_keys = [key for key in graph.get_all_asset_keys() if "dbt" in graph.get(key).kinds]
    assert len(dbt_keys) > 100
    for key in dbt_keys:
        description = graph.get(key).description or ""
        assert description.strip(), key
        assert "Raw SQL" not in description and "```" not in description, f"{key}: {description[-200:]}"
    # as written in seeds/_seeds.yml and models/marts/core/_core__models.yml
    seed = graph.get(dg.AssetKey(["config", "executive_targets"]))
    assert seed.description == "Targets and windows of the executive dashboard (SPEC §7.4). One row."
    model = graph.get(dg.AssetKey(["marts", "dim_partners"]))
    assert model.description == "Partners of the program known on the refresh's as-of date D."
    # a resource without a YAML description is named, not shown as its SQL
    assert resource_description({"resource_type": "seed", "name": "x", "description": " "}) == "dbt seed x"


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


SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.txt"
UPDATE_ENV = "PARTNERPULSE_UPDATE_SNAPSHOTS"
DBT_OP = "partnerpulse_dbt"  # the dbt assets: descriptions and deps come from the dbt project's YAML and SQL


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _partitions(partitions_def: dg.PartitionsDefinition | None) -> str:
    if partitions_def is None:
        return "none"
    if isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
        return (
            f"time windows, cron {partitions_def.cron_schedule!r}, from {partitions_def.start:%Y-%m-%d}, "
            f"timezone {partitions_def.timezone}, keys {partitions_def.fmt}"
        )
    return type(partitions_def).__name__


def _backfill(policy: dg.BackfillPolicy | None) -> str:
    if policy is None:
        return "none"
    return "single_run" if policy.max_partitions_per_run is None else f"multi_run({policy.max_partitions_per_run})"


def render_definitions(defs: dg.Definitions) -> str:
    """The definitions as sorted text lines (no paths, no timestamps): what the snapshot pins."""
    graph = defs.resolve_asset_graph()
    labels: dict[str, str] = {}  # partitions definition → short name (P1, …), listed first

    def partitions(partitions_def: dg.PartitionsDefinition | None) -> str:
        text = _partitions(partitions_def)
        return "none" if text == "none" else labels.setdefault(text, f"P{len(labels) + 1}")

    lines = ["", "# assets: key | group | kinds | op | partitions | backfill policy (Python assets: description, deps)"]
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        if not node.is_materializable:
            lines.append(f"asset {key.to_user_string()} | group {node.group_name} | external (a dbt source)")
            continue
        op = node.assets_def.op.name
        lines.append(
            f"asset {key.to_user_string()} | group {node.group_name} | kinds {','.join(sorted(node.kinds))} | "
            f"op {op} | partitions {partitions(node.partitions_def)} | backfill {_backfill(node.backfill_policy)}"
        )
        if op != DBT_OP:
            lines.append(f"    description: {_one_line(node.description)}")
            lines.extend(f"    dep {parent.to_user_string()}" for parent in sorted(node.parent_keys, key=str))

    check_ops = {key: assets_def.op.name for assets_def in graph.assets_defs for key in assets_def.check_keys}
    lines += ["", "# asset checks: asset | name | blocking | op (checks written in Python: description)"]
    for check_key in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        spec = graph.get_check_spec(check_key)
        op = check_ops[check_key]
        lines.append(
            f"check {check_key.asset_key.to_user_string()} | {check_key.name} | "
            f"{'blocking' if spec.blocking else 'non-blocking'} | op {op}"
        )
        if op != DBT_OP:
            lines.append(f"    description: {_one_line(spec.description)}")

    lines += ["", "# jobs: name | partitions | executor | description; its ops in topological order"]
    for job in sorted(defs.resolve_all_job_defs(), key=lambda j: j.name):
        if job.name.startswith("__"):
            continue
        lines.append(
            f"job {job.name} | partitions {partitions(job.partitions_def)} | executor {job.executor_def.name} | "
            f"{_one_line(job.description)}"
        )
        lines.extend(f"    op {node.name}" for node in job.nodes_in_topological_order)

    lines += ["", "# schedules: name | job | cron | timezone | default status | description"]
    repository = defs.get_repository_def()
    for schedule in sorted(repository.schedule_defs, key=lambda s: s.name):
        lines.append(
            f"schedule {schedule.name} | job {schedule.job_name} | cron {schedule.cron_schedule!r} | "
            f"timezone {schedule.execution_timezone} | {schedule.default_status.value} | "
            f"{_one_line(schedule.description)}"
        )

    lines += ["", "# sensors: name | type | default status | description"]
    for sensor in sorted(repository.sensor_defs, key=lambda s: s.name):
        lines.append(
            f"sensor {sensor.name} | {sensor.sensor_type.value} | {sensor.default_status.value} | "
            f"{_one_line(sensor.description)}"
        )

    lines += ["", "# resources: key | class"]
    for name, resource in sorted((defs.resources or {}).items()):
        lines.append(f"resource {name} | {type(resource).__name__}")
    header = ["# partitions: name | definition"] + [f"partitions {name} | {text}" for text, name in labels.items()]
    return "\n".join(header + lines) + "\n"


def test_definitions_match_the_snapshot(pp_env: Settings):
    rendered = render_definitions(build_definitions(pp_env))
    if os.environ.get(UPDATE_ENV) == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(rendered, encoding="utf-8")
    expected = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
    if rendered != expected:
        diff = difflib.unified_diff(
            expected.splitlines(), rendered.splitlines(), "snapshot", "definitions now", n=0, lineterm=""
        )
        shown = list(itertools.islice(diff, 80))
        pytest.fail(
            f"the definitions differ from {SNAPSHOT.relative_to(Path(__file__).parents[1])}; after an intended "
            f"change rewrite it with {UPDATE_ENV}=1 and review the diff:\n" + "\n".join(shown),
            pytrace=False,
        )
