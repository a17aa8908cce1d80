"""`partnerpulse` — the command line (SPEC §1). Every command that changes something runs through
the same Dagster definitions the schedule uses; exit code 0 on success, non-zero with a readable reason.

What can be checked without a run is checked first, before Dagster is even imported (about 0.5 s
instead of 25-50 s): the week, the landing folder and files, the month to close. A mistake is then
answered in one paragraph and no Dagster run is created. An error inside a run is printed as its
message; its stack trace stays in the run's event log (instance.py ``console_logger``)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from dagster_project.settings import (
    DEMO_MANIFEST_NAME,
    ConfigError,
    Settings,
    console_log_level,
    last_complete_week,
    load_settings,
)


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

    from dagster_project.alerts import root_message
    from dagster_project.gate import failed_checks

    lines: list[str] = []
    errors, warnings = failed_checks(instance, result.run_id)
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            data = event.step_failure_data
            message = data.user_failure_data.description if data.user_failure_data else None
            if not message and data.error:
                message = root_message(data.error)
            if message and message.startswith("Not published:") and errors:
                message = message.splitlines()[0] + " (listed below)"  # the gate lists the same checks
            lines.append(f"step {event.step_key} failed: {message}")
    lines.extend(f"check failed (error): {e}" for e in errors)
    lines.extend(f"check warning: {w}" for w in warnings)
    return result.success, lines


def _check_landing(settings: Settings, what: str) -> None:
    """Before any run: the landing folder, every table's files, their headers and encoding.

    The same checks (and messages) as the ingest step, plus a look at the start of each CSV, so
    that a mistake is answered at once instead of after starting Dagster and a run. Deliberately
    imports neither Dagster nor dagster-dbt (seconds).
    """
    from dagster_project.ingest.files import IngestError, utf8_sample_problem
    from dagster_project.ingest.loader import plan_landing

    if settings.target != "duckdb":
        raise CommandError(
            f"PARTNERPULSE_TARGET={settings.target}: only the duckdb target can ingest landing files in this "
            f"version; the refresh of {what} did not start"
        )
    try:
        plans = plan_landing(settings.landing_dir)
        problems = [p for plan in plans for file in plan.files if (p := utf8_sample_problem(file))]
    except IngestError as exc:
        problems = exc.problems
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise CommandError(
            f"The refresh of {what} did not start: the landing data in {settings.landing_dir} cannot be used "
            f"({len(problems)} problem(s)); nothing was published:\n{listed}"
        )


def _execute(job, instance, log_at_least: str | None = None, run_config: dict | None = None, **kwargs):
    """``execute_in_process`` with the CLI's console logger: an error shows as its message, its stack
    trace stays in the run's event log (instance.py ``console_logger``)."""
    from dagster_project.instance import console_run_config, with_console_logger

    config = {**(run_config or {}), "loggers": console_run_config(at_least=log_at_least)}
    return with_console_logger(job).execute_in_process(
        run_config=config, instance=instance, raise_on_error=False, **kwargs
    )


def _run_weeks(settings: Settings, week: dt.date, last: dt.date | None = None) -> int:
    """Refresh ``week`` — or, with ``last``, every week from ``week`` to ``last`` in ONE run (backfill)."""
    what = f"week {week}" if last is None or last == week else f"weeks {week} … {last}"
    console_log_level()  # a wrong PARTNERPULSE_LOG_LEVEL is a mistake too: answered before the run
    _check_landing(settings, what)  # before Dagster is even imported: a mistake is answered in a second

    import dagster as dg

    from dagster_project.alerts import failure_alert, record_alert
    from dagster_project.backfill import partition_run_args
    from dagster_project.locking import WarehouseBusy, warehouse_lock
    from dagster_project.partitions import WeekWindow

    window = WeekWindow(first=week, last=last or week)

    started = dt.datetime.now()
    holder = f"partnerpulse {'refresh' if last is None else 'backfill'} of {what}"
    try:
        with warehouse_lock(settings.warehouse_dir, holder=holder):  # held until the run has ended
            from dagster_project.definitions import build_definitions
            from dagster_project.instance import get_instance
            from dagster_project.schedules import REFRESH_JOB

            if window.first == window.last:
                _say(
                    f"Refreshing {what} (as-of {window.as_of_date}) from {settings.landing_dir} "
                    f"into {settings.warehouse_dir}"
                )
            else:
                _say(
                    f"Backfilling {what} ({len(window.weeks)} weeks, one run, one dbt build) "
                    f"from {settings.landing_dir} …"
                )
            instance = get_instance(settings)
            job = build_definitions(settings).resolve_job_def(REFRESH_JOB)
            result = _execute(job, instance, **partition_run_args(window))
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
            f"failing expectations with sample values, a failed step its stack trace) or `partnerpulse status`."
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


def _interactive() -> bool:
    """A person at a terminal (stdin is a TTY), as opposed to a script or a scheduler."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):  # no stdin, or a closed one
        return False


def _confirmed(question: str) -> bool:
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        answer = ""
    return answer.strip().lower() in {"y", "yes"}


def cmd_close_period(args: argparse.Namespace, settings: Settings) -> int:
    """Close a payout period: strict YYYY-MM, checks before any run, a summary first (``--dry-run``
    shows only that; a person at a terminal confirms it), then the Dagster job that freezes it."""
    from dagster_project.ledger import LedgerError, check_period, closed_period, parse_period, plan_close

    console_log_level()
    try:
        period = parse_period(args.period)
        check_period(settings, period)  # ended, not before the data: no lock, no Dagster needed
    except LedgerError as exc:
        raise CommandError(str(exc)) from exc
    label = args.period

    from dagster_project.locking import WarehouseBusy, warehouse_lock

    holder = f"partnerpulse close-period {label}" + (" --dry-run" if args.dry_run else "")
    try:
        with warehouse_lock(settings.warehouse_dir, holder=holder):  # to read the ledger in the working warehouse
            closed = closed_period(settings, period)
            plan = None if closed is not None else plan_close(settings, period)
    except WarehouseBusy as exc:
        raise CommandError(str(exc)) from exc
    except LedgerError as exc:
        raise CommandError(str(exc)) from exc

    summary = [closed.summary()] if closed is not None else plan.summary()
    if args.dry_run:
        for line in summary:
            _say(line)
        _say("Dry run: nothing was closed or written.")
        return 0
    if plan is not None and not args.yes and _interactive():
        for line in summary:
            _say(line)
        if not _confirmed(f"Close {label} for good?"):
            raise CommandError(f"{label} was not closed (not confirmed); nothing changed.")

    try:
        with warehouse_lock(settings.warehouse_dir, holder=holder):  # held until the run has ended
            still_open = plan is not None and closed_period(settings, period) is None
            if still_open and plan_close(settings, period).digest != plan.digest:
                raise CommandError(
                    f"{label} was not closed: a refresh published other lines for it since the summary "
                    "above; run close-period again to see them"
                )
            from dagster_project.definitions import build_definitions
            from dagster_project.instance import get_instance
            from dagster_project.jobs import CLOSE_PERIOD_JOB

            instance = get_instance(settings)
            job = build_definitions(settings).resolve_job_def(CLOSE_PERIOD_JOB)
            # the op logs its outcome at INFO, which is printed below: the console shows warnings and errors
            # (everything at PARTNERPULSE_LOG_LEVEL=DEBUG)
            result = _execute(
                job,
                instance,
                log_at_least="WARNING",
                run_config={"ops": {"close_payout_period_op": {"config": {"period": label}}}},
            )
    except WarehouseBusy as exc:
        raise CommandError(str(exc)) from exc
    except LedgerError as exc:
        raise CommandError(f"{label} was not closed: {exc}") from exc
    success, lines = _run_summary(result, instance)
    if not success:
        detail = "\n".join(f"  - {line}" for line in lines) or "  - (no step reported an error)"
        raise CommandError(f"{label} was not closed.\n{detail}\nDetails: run {result.run_id} in the Dagster UI.")
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
    close.add_argument(
        "--dry-run", action="store_true", help="show the lines and totals that would be frozen; change nothing"
    )
    close.add_argument("--yes", action="store_true", help="do not ask for confirmation at a terminal")
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
