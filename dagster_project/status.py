"""`partnerpulse status`: recent refreshes, their check results, quarantine counts, the published file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from dagster_project.settings import Settings


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
    sources: list[tuple[str, Path]] = [
        ("working warehouse", settings.duckdb_path),
        ("published file", settings.published_duckdb),
    ]
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
        for _, table, t_landed, t_staged, t_quarantined, share in rows:
            if t_quarantined:
                lines.append(f"  {table:<22} {t_quarantined:>8,} of {t_landed:>12,} ({share:.2%}); staged {t_staged:,}")
        if quarantined == 0:
            lines.append("  no rows quarantined")
        lines.append("  details: select * from marts.dq_quarantine where refresh_week = '" + str(week) + "'")
        return lines
    return ["Quarantine: no refresh has completed the dbt build yet"]


def _run_lines(settings: Settings, limit: int) -> list[str]:
    import dagster as dg

    from dagster_project.gate import failed_checks
    from dagster_project.instance import get_instance
    from dagster_project.schedules import REFRESH_JOB

    if not (settings.dagster_home / "dagster.yaml").exists():
        return ["Refreshes: none yet (run `partnerpulse refresh`)"]
    instance = get_instance(settings)
    records = instance.get_run_records(filters=dg.RunsFilter(job_name=REFRESH_JOB), limit=limit)
    if not records:
        return ["Refreshes: none yet (run `partnerpulse refresh`)"]
    lines = [f"Last {len(records)} refresh(es):"]
    for record in records:
        run = record.dagster_run
        week = run.tags.get("dagster/partition") or (
            f"{run.tags.get('dagster/asset_partition_range_start')}…{run.tags.get('dagster/asset_partition_range_end')}"
        )
        started = dt.datetime.fromtimestamp(record.start_time, dt.UTC) if record.start_time else None
        took = f"{record.end_time - record.start_time:.0f}s" if record.start_time and record.end_time else "-"
        errors, warnings = failed_checks(instance, run.run_id)
        lines.append(
            f"  week {week}  {run.status.value:<8} started {started:%Y-%m-%d %H:%M} UTC  took {took}  "
            f"checks: {len(errors)} error(s), {len(warnings)} warning(s)  run {run.run_id[:8]}"
            if started
            else f"  week {week}  {run.status.value}  run {run.run_id[:8]}"
        )
        for line in errors:
            lines.append(f"      error: {line}")
        for line in warnings:
            lines.append(f"      warning: {line}")
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
    ]
    return "\n\n".join("\n".join(section) for section in sections)
