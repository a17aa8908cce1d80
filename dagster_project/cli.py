"""`partnerpulse` — the command line (SPEC §1). Every command runs through the same Dagster
definitions the schedule uses; exit code 0 on success, non-zero with a readable reason."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from dagster_project.settings import DEMO_MANIFEST_NAME, ConfigError, Settings, last_complete_week, load_settings


class CommandError(RuntimeError):
    """A failure to report to the user in one paragraph (no traceback)."""


def _say(message: str = "") -> None:
    print(message, flush=True)


# ---------------------------------------------------------------------------------------------- demo


def cmd_demo_data(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.demo import generate_demo_data

    out = Path(args.out).expanduser().resolve() if args.out else settings.landing_dir
    manifest_path = out / DEMO_MANIFEST_NAME
    if args.if_missing and manifest_path.is_file():
        existing = json.loads(manifest_path.read_text(encoding="utf-8"))
        _say(
            f"Reusing the demo landing data in {out} ({existing.get('accounts')} accounts, "
            f"ending {existing.get('end')}); delete it or run without --if-missing to regenerate."
        )
        return 0
    end = None
    if args.end:
        try:
            end = dt.date.fromisoformat(args.end)
        except ValueError as exc:
            raise CommandError(f"--end: '{args.end}' is not a date in the form YYYY-MM-DD") from exc
    started = dt.datetime.now()
    _say(f"Generating demo landing data: {args.accounts:,} accounts, seed {args.seed} → {out}")
    try:
        manifest = generate_demo_data(
            out, accounts=args.accounts, seed=args.seed, end=end, faults=args.faults, progress=_say
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    seconds = (dt.datetime.now() - started).total_seconds()
    total = sum(manifest.row_counts.values())
    _say(
        f"Done in {seconds:.1f}s: {total:,} rows in {len(manifest.row_counts)} tables, weeks "
        f"{manifest.first_week} … {manifest.end} (PARTNERPULSE_FIRST_WEEK defaults to {manifest.first_week})."
    )
    for table, rows in manifest.row_counts.items():
        _say(f"  {table:<22} {rows:>14,}")
    return 0


# ------------------------------------------------------------------------------------------- refresh


def _default_week(settings: Settings) -> dt.date:
    """The latest complete week, or the last week of the demo data when that ends earlier."""
    week = last_complete_week()
    manifest_path = settings.landing_dir / DEMO_MANIFEST_NAME
    if manifest_path.is_file():
        try:
            end = dt.date.fromisoformat(json.loads(manifest_path.read_text(encoding="utf-8"))["end"])
        except (ValueError, KeyError, TypeError):
            return week
        data_week = end - dt.timedelta(days=end.weekday())
        if data_week < week:
            _say(f"The demo landing data ends on {end}; refreshing its last week {data_week}.")
            return data_week
    return week


def _parse_week(value: str, settings: Settings) -> dt.date:
    from dagster_project.settings import parse_monday

    week = parse_monday(value, "--week")
    if week < settings.first_week:
        raise CommandError(
            f"--week {week} is before the first weekly partition {settings.first_week} "
            f"(PARTNERPULSE_FIRST_WEEK, from {settings.first_week_source})"
        )
    if week > last_complete_week():
        raise CommandError(f"--week {week} has not ended yet; the latest complete week is {last_complete_week()}")
    return week


def _run_summary(result, instance) -> tuple[bool, list[str]]:
    """Readable lines about a finished run: failed steps and failed checks."""
    import dagster as dg

    from dagster_project.gate import failed_checks

    lines: list[str] = []
    errors, warnings = failed_checks(instance, result.run_id)
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            data = event.step_failure_data
            message = data.user_failure_data.description if data.user_failure_data else None
            if not message and data.error:
                message = data.error.message.strip()
            if message and message.startswith("Not published:") and errors:
                message = message.splitlines()[0] + " (listed below)"  # the gate lists the same checks
            lines.append(f"step {event.step_key} failed: {message}")
    lines.extend(f"check failed (error): {e}" for e in errors)
    lines.extend(f"check warning: {w}" for w in warnings)
    return result.success, lines


def _console_logger() -> dict:
    """Dagster's console logger at PARTNERPULSE_LOG_LEVEL (INFO by default), for in-process runs."""
    return {"console": {"config": {"log_level": os.environ.get("PARTNERPULSE_LOG_LEVEL", "INFO")}}}


def _run_weeks(settings: Settings, week: dt.date, last: dt.date | None = None) -> int:
    """Refresh ``week`` — or, with ``last``, every week from ``week`` to ``last`` in ONE run (backfill)."""
    import dagster as dg

    from dagster_project.alerts import failure_alert, record_alert
    from dagster_project.backfill import partition_run_args
    from dagster_project.definitions import build_definitions
    from dagster_project.instance import get_instance
    from dagster_project.locking import WarehouseBusy, warehouse_lock
    from dagster_project.partitions import WeekWindow
    from dagster_project.schedules import REFRESH_JOB

    window = WeekWindow(first=week, last=last or week)
    what = f"week {week}" if window.first == window.last else f"weeks {window.first} … {window.last}"
    instance = get_instance(settings)
    defs = build_definitions(settings)
    job = defs.resolve_job_def(REFRESH_JOB)
    started = dt.datetime.now()
    if window.first == window.last:
        _say(f"Refreshing {what} (as-of {window.as_of_date}) from {settings.landing_dir} into {settings.warehouse_dir}")
    else:
        _say(f"Backfilling {what} ({len(window.weeks)} weeks, one run, one dbt build) from {settings.landing_dir} …")
    try:
        holder = f"partnerpulse {'refresh' if last is None else 'backfill'} of {what}"
        with warehouse_lock(settings.warehouse_dir, holder=holder):
            result = job.execute_in_process(
                **partition_run_args(window),
                instance=instance,
                raise_on_error=False,
                run_config={"loggers": _console_logger()},
            )
    except WarehouseBusy as exc:
        raise CommandError(str(exc)) from exc
    seconds = (dt.datetime.now() - started).total_seconds()
    success, lines = _run_summary(result, instance)
    if not success:
        run = instance.get_run_by_id(result.run_id)
        if run is not None:
            record_alert(failure_alert(instance, run, source="cli"), settings.warehouse_dir, log=lambda _: None)
        detail = "\n".join(f"  - {line}" for line in lines) or "  - (no step reported an error)"
        published = any(
            event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION
            and event.asset_key == dg.AssetKey(["published", "marts_duckdb"])
            for event in result.all_events
        )
        outcome = (
            f"failed after {seconds:.0f}s after publishing: {settings.published_duckdb} holds this week, but a "
            "later output (finance files, partner feeds, executive page or docs) was not written"
            if published
            else f"failed after {seconds:.0f}s and nothing was published (the previous published files are unchanged)"
        )
        raise CommandError(
            f"The refresh of {what} {outcome}.\n{detail}\n"
            f"Details: run {result.run_id} in the Dagster UI (make ui; a failed check's metadata lists the "
            f"failing expectations with sample values) or `partnerpulse status`."
        )
    for line in lines:
        _say(f"warning: {line}")
    _say(f"Refreshed {what} in {seconds:.0f}s (run {result.run_id}).")
    _say("Outputs:")
    _say(f"  BI serving file (open read-only): {settings.published_duckdb}")
    _say(f"  Parquet, one file per table:     {settings.published_parquet_dir}/")
    _say(f"  Working warehouse (pipeline only): {settings.duckdb_path}")
    return 0


def cmd_refresh(args: argparse.Namespace, settings: Settings) -> int:
    week = _parse_week(args.week, settings) if args.week else _default_week(settings)
    return _run_weeks(settings, week)


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.backfill import backfill_window

    window = backfill_window(args.start, args.end, settings)
    return _run_weeks(settings, window.first, window.last)


# -------------------------------------------------------------------------------------- close-period


def cmd_close_period(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.definitions import build_definitions
    from dagster_project.instance import get_instance
    from dagster_project.jobs import CLOSE_PERIOD_JOB
    from dagster_project.ledger import LedgerError, parse_period
    from dagster_project.locking import WarehouseBusy, warehouse_lock

    try:
        parse_period(args.period)
    except LedgerError as exc:
        raise CommandError(str(exc)) from exc
    instance = get_instance(settings)
    job = build_definitions(settings).resolve_job_def(CLOSE_PERIOD_JOB)
    try:
        with warehouse_lock(settings.warehouse_dir, holder=f"partnerpulse close-period {args.period}"):
            result = job.execute_in_process(
                run_config={
                    "ops": {"close_payout_period_op": {"config": {"period": args.period}}},
                    "loggers": _console_logger(),
                },
                instance=instance,
                raise_on_error=False,
            )
    except WarehouseBusy as exc:
        raise CommandError(str(exc)) from exc
    success, lines = _run_summary(result, instance)
    if not success:
        detail = "\n".join(f"  - {line}" for line in lines) or "  - (no step reported an error)"
        raise CommandError(f"{args.period} was not closed.\n{detail}")
    _say(result.output_for_node("close_payout_period_op"))
    return 0


# -------------------------------------------------------------------------------------------- status


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.status import render_status

    _say(render_status(settings, limit=args.limit))
    return 0


# ------------------------------------------------------------------------------------------------ ui


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.instance import ensure_dagster_home

    ensure_dagster_home(settings)
    bin_dir = Path(sys.executable).parent
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"  # dbt, dagster from this venv
    dagster = str(bin_dir / "dagster")
    argv = [dagster, "dev", "-m", "dagster_project.definitions", "-h", args.host, "-p", str(args.port)]
    _say(f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={settings.dagster_home})")
    os.execv(dagster, argv)
    return 0  # pragma: no cover - execv does not return


# ---------------------------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="partnerpulse",
        description="PartnerPulse: partner upsell & retention analytics (dbt + Dagster).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo-data", help="write deterministic demo landing files")
    demo.add_argument("--accounts", type=int, default=2000, help="number of accounts (default 2000)")
    demo.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    demo.add_argument("--end", help="last day of the data, a Sunday (default: the last complete Sunday)")
    demo.add_argument("--faults", action="store_true", help="add a known number of bad rows of every kind")
    demo.add_argument("--out", help="output folder (default: PARTNERPULSE_LANDING_DIR)")
    demo.add_argument("--if-missing", action="store_true", help="do nothing when demo data is already there")
    demo.set_defaults(func=cmd_demo_data)

    refresh = sub.add_parser("refresh", help="refresh and publish one weekly partition through Dagster")
    refresh.add_argument("--week", help="Monday of the week (default: the latest complete week)")
    refresh.set_defaults(func=cmd_refresh)

    backfill = sub.add_parser("backfill", help="refresh a range of weeks in one Dagster run (one dbt build)")
    backfill.add_argument("--from", dest="start", required=True, help="Monday of the first week")
    backfill.add_argument("--to", dest="end", required=True, help="Monday of the last week (inclusive)")
    backfill.set_defaults(func=cmd_backfill)

    close = sub.add_parser("close-period", help="freeze a payout period (YYYY-MM) and write its final files")
    close.add_argument("period", help="the month to close, YYYY-MM (it must have ended)")
    close.set_defaults(func=cmd_close_period)

    status = sub.add_parser("status", help="last refreshes, check results, quarantine counts, published file")
    status.add_argument("--limit", type=int, default=5, help="refreshes to list (default 5)")
    status.set_defaults(func=cmd_status)

    ui = sub.add_parser("ui", help="serve the Dagster web UI")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(func=cmd_ui)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        settings.export_env()
        return int(args.func(args, settings))
    except (CommandError, ConfigError) as exc:
        print(f"partnerpulse {args.command}: {exc}", file=sys.stderr, flush=True)
        return 2 if isinstance(exc, ConfigError) else 1


if __name__ == "__main__":
    sys.exit(main())
