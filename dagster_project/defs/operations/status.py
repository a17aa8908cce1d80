"""`partnerpulse status`: recent refreshes, their check results, quarantine counts, the published file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from dagster_project.defs.quality.config import load_quality_config
from dagster_project.defs.quality.quarantine import error_share_for
from dagster_project.defs.quality.suites import Suite, SuiteError, load_suites
from dagster_project.settings import ConfigError, Settings


def _age(since: dt.datetime) -> str:
    seconds = max(0, int((dt.datetime.now(dt.UTC).replace(tzinfo=None) - since).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _published_lines(settings: Settings) -> list[str]:
    path = settings.published_duckdb
    if not path.exists():
        return [f"Published file: none yet ({path})"]
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            week, as_of, published_at, tables = con.execute(
                "select week_start, as_of_date, published_at, tables_published from main.publish_info"
            ).fetchone()
        finally:
            con.close()
    except duckdb.Error as exc:
        return [f"Published file: {path} (unreadable: {exc})"]
    return [
        f"Published file: {path}",
        f"  week {week} (as-of {as_of}), {tables} tables, published {published_at} UTC ({_age(published_at)} ago)",
    ]


def _quarantine_lines(settings: Settings) -> list[str]:
    """Quarantine counts of the latest refresh: working warehouse if free, else the published copy."""
    from dagster_project.defs.operations.locking import current_holder

    sources: list[tuple[str, Path]] = [("published file", settings.published_duckdb)]
    if current_holder(settings.warehouse_dir) is None:
        # never open the working file while a run writes it: a reader there would make the run's
        # next step fail to open it for writing
        sources.insert(0, ("working warehouse", settings.duckdb_path))
    for label, path in sources:
        if not path.exists():
            continue
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error:
            continue  # locked by a running refresh: fall back to the published copy
        try:
            rows = con.execute(
                "select refresh_week, table_name, rows_landed, rows_staged, rows_quarantined, quarantine_share "
                "from marts.dq_refresh_log "
                "where refresh_week = (select max(refresh_week) from marts.dq_refresh_log) "
                "order by rows_quarantined desc, table_name"
            ).fetchall()
        except duckdb.Error:
            continue
        finally:
            con.close()
        if not rows:
            continue
        week = rows[0][0]
        landed = sum(r[2] for r in rows)
        quarantined = sum(r[4] for r in rows)
        lines = [
            f"Quarantine, refresh week {week} ({label}): {quarantined:,} of {landed:,} landed rows",
        ]
        thresholds = _quarantine_thresholds()
        for _, table, t_landed, t_staged, t_quarantined, share in rows:
            if t_quarantined:
                level = "warning"
                if thresholds is not None and share > error_share_for(table, *thresholds):
                    level = "error"
                lines.append(
                    f"  {table:<22} {t_quarantined:>8,} of {t_landed:>12,} ({share:.2%}, {level}); staged {t_staged:,}"
                )
        if quarantined == 0:
            lines.append("  no rows quarantined")
        lines.append("  details: select * from marts.dq_quarantine where refresh_week = '" + str(week) + "'")
        return lines
    return ["Quarantine: no refresh has completed the dbt build yet"]


def _quarantine_thresholds() -> tuple[dict[str, Suite], float] | None:
    """The suites (per-table overrides) and the default error share; None when the configuration
    cannot be read. A suite folder that does not load (an error the checks report) leaves the
    default for every table."""
    try:
        config = load_quality_config()
    except ConfigError:
        return None
    try:
        suites = load_suites(config.expectations_dir)
    except SuiteError:
        suites = {}
    return suites, config.quarantine_error_share


def _run_weeks_label(run) -> str:
    return run.tags.get("dagster/partition") or (
        f"{run.tags.get('dagster/asset_partition_range_start')}…{run.tags.get('dagster/asset_partition_range_end')}"
    )


def _week_outcome_lines(instance, records) -> list[str]:
    """The latest refresh of each week (a backfill counts for every week of its range)."""
    latest: dict[str, tuple[str, str]] = {}
    for record in records:  # newest first
        run = record.dagster_run
        start = run.tags.get("dagster/partition") or run.tags.get("dagster/asset_partition_range_start")
        end = run.tags.get("dagster/partition") or run.tags.get("dagster/asset_partition_range_end")
        if not start or not end:
            continue
        when = dt.datetime.fromtimestamp(record.start_time, dt.UTC) if record.start_time else None
        week = dt.date.fromisoformat(start)
        while week <= dt.date.fromisoformat(end):
            label = f"{run.status.value} ({when:%Y-%m-%d %H:%M} UTC" if when else f"{run.status.value} ("
            label += f", run {run.run_id[:8]})" if when else f"run {run.run_id[:8]})"
            latest.setdefault(week.isoformat(), (label, run.run_id))
            week += dt.timedelta(weeks=1)
    if not latest:
        return []
    lines = ["Latest refresh of each week:"]
    for week in sorted(latest, reverse=True)[:12]:
        lines.append(f"  {week}  {latest[week][0]}")
    return lines


def _alert_lines(settings: Settings, limit: int = 5) -> list[str]:
    from dagster_project.defs.operations.alerts import alerts_path, recent_alerts, redact

    alerts = recent_alerts(settings.warehouse_dir, limit=limit)
    if not alerts:
        return [f"Alerts: none ({alerts_path(settings.warehouse_dir)})"]
    lines = [f"Last {len(alerts)} alert(s) ({alerts_path(settings.warehouse_dir)}):"]
    for alert in reversed(alerts):
        lines.append(
            f"  {alert.get('recorded_at', '?')}  {alert.get('job', '?')} week {alert.get('weeks', '?')}  "
            f"run {str(alert.get('run_id', ''))[:8]}  webhook: {redact(str(alert.get('webhook', '-')))}"
        )
        for failure in alert.get("failures", [])[:3]:
            lines.append(f"      {failure}")
    return lines


def _lock_lines(settings: Settings) -> list[str]:
    from dagster_project.defs.operations.locking import current_holder, describe_holder

    holder = current_holder(settings.warehouse_dir)
    return [f"Running now: {describe_holder(holder)} is writing the warehouse"] if holder else []


def _run_lines(settings: Settings, limit: int) -> list[str]:
    import dagster as dg

    from dagster_project.defs.operations.instance import get_instance
    from dagster_project.defs.operations.jobs import REFRESH_JOB

    if not (settings.dagster_home / "dagster.yaml").exists():
        return ["Refreshes: none yet (run `partnerpulse refresh`)"]
    instance = get_instance(settings)
    records = instance.get_run_records(filters=dg.RunsFilter(job_name=REFRESH_JOB), limit=limit)
    if not records:
        return ["Refreshes: none yet (run `partnerpulse refresh`)"]
    lines = [f"Last {len(records)} refresh(es):"]
    for record in records:
        lines.extend(_run_record_lines(instance, record))
    week_lines = _week_outcome_lines(
        instance, instance.get_run_records(filters=dg.RunsFilter(job_name=REFRESH_JOB), limit=max(limit, 50))
    )
    return lines + (["", *week_lines] if week_lines else [])


def _run_record_lines(instance, record) -> list[str]:
    """One refresh: week, outcome, duration, checks; why it failed; a run whose process is gone."""
    import dagster as dg

    from dagster_project.defs.operations.alerts import failure_lines
    from dagster_project.defs.operations.instance import process_ended, run_process, run_seconds
    from dagster_project.defs.publish.gate import check_summary

    run = record.dagster_run
    week = _run_weeks_label(run)
    started = dt.datetime.fromtimestamp(record.start_time, dt.UTC) if record.start_time else None
    seconds = run_seconds(record)  # the duration the refresh printed
    took = f"{seconds:.0f}s" if seconds is not None else "-"
    summary = check_summary(instance, run.run_id)
    lines = [
        f"  week {week}  {run.status.value:<8} started {started:%Y-%m-%d %H:%M} UTC  took {took}  "
        f"checks: {summary.passed} passed, {len(summary.errors)} error(s), {len(summary.warnings)} warning(s)  "
        f"run {run.run_id[:8]}"
        if started
        else f"  week {week}  {run.status.value}  run {run.run_id[:8]}"
    ]
    lines.extend(f"      error: {line}" for line in summary.errors)
    lines.extend(f"      warning: {line}" for line in summary.warnings)
    if run.status == dg.DagsterRunStatus.FAILURE:  # failed steps, or why the run itself failed
        failures = [line for line in failure_lines(instance, run.run_id) if not line.startswith("check ")]
        lines.extend(f"      {line}" for line in failures[:3])
    elif run.status in (dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING):
        process = run_process(instance, run)
        if process is not None and process_ended(process, record.start_time):
            lines.append(
                f"      not running: its process ({process.describe()}) has ended — killed or crashed; "
                "the next refresh marks it failed"
            )
    return lines


def render_status(settings: Settings, limit: int = 5) -> str:
    sections = [
        [
            f"Landing: {settings.landing_dir}",
            f"Warehouse: {settings.warehouse_dir}",
            f"First week: {settings.first_week} ({settings.first_week_source})",
        ],
        _run_lines(settings, limit),
        _quarantine_lines(settings),
        _published_lines(settings),
        _alert_lines(settings),
    ]
    if lock := _lock_lines(settings):
        sections.insert(1, lock)
    return "\n\n".join("\n".join(section) for section in sections)
