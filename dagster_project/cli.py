"""`partnerpulse` — the command line (SPEC §1): parses the arguments, calls the areas, prints.

Every command that changes something runs through the same Dagster definitions the schedule uses
(defs/operations/runner.py: checks before any run, the writer lock, the run, alerts); exit code 0 on
success, non-zero with a readable reason. A mistake is answered in one paragraph, before Dagster is
even imported; an error inside a run is printed as its message, its stack trace stays in the run's
event log."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from dagster_project.defs.operations.backfill import backfill_window
from dagster_project.defs.operations.runner import CommandError, close, refresh, review_close, serve_ui
from dagster_project.lib.process_exit import exit_without_teardown
from dagster_project.lib.weeks import WeekWindow
from dagster_project.settings import (
    DEMO_MANIFEST_NAME,
    ConfigError,
    Settings,
    last_complete_week,
    load_settings,
    parse_day,
    parse_monday,
)


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
    end = parse_day(args.end, "--end") if args.end is not None else None
    started = dt.datetime.now()
    _say(f"Generating demo landing data: {args.accounts:,} accounts, seed {args.seed} → {out}")
    try:
        manifest = generate_demo_data(
            out,
            accounts=args.accounts,
            seed=args.seed,
            end=end,
            faults=args.faults,
            progress=_say if args.verbose else None,
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    seconds = (dt.datetime.now() - started).total_seconds()
    total = sum(manifest.row_counts.values())
    _say(
        f"Done in {seconds:.1f}s: {total:,} rows in {len(manifest.row_counts)} tables, weeks "
        f"{manifest.first_week} … {manifest.end} (PARTNERPULSE_FIRST_WEEK defaults to {manifest.first_week})."
    )
    if not args.verbose:
        _say(f"Rows per table: {manifest_path} (--verbose lists them here).")
        return 0
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
    week = parse_monday(value, "--week")
    if week < settings.first_week:
        raise CommandError(
            f"--week {week} is before the first weekly partition {settings.first_week} "
            f"(PARTNERPULSE_FIRST_WEEK, from {settings.first_week_source})"
        )
    if week > last_complete_week():
        raise CommandError(f"--week {week} has not ended yet; the latest complete week is {last_complete_week()}")
    return week


MAX_WARNING_LINES = 10


def _refresh(settings: Settings, window: WeekWindow, command: str, verbose: bool, force: bool = False) -> int:
    import duckdb

    from dagster_project.defs.operations.summary import output_lines, read_headline
    from dagster_project.defs.quality.config import load_quality_config

    load_quality_config()  # the checks' thresholds: a wrong one is answered now, not by a failed run

    done = refresh(settings, window, command, say=_say, verbose=verbose, force=force)
    if done.up_to_date:
        _say(
            f"Up to date: run {done.run_id} refreshed {done.what} (as-of {window.as_of_date}) from the same landing "
            "files, code and settings, and the warehouse and its published files are as it left them. Nothing "
            "to do (--force refreshes anyway)."
        )
    for line in done.warnings[:MAX_WARNING_LINES]:
        _say(f"warning: {line}")
    if len(done.warnings) > MAX_WARNING_LINES:
        _say(f"… and {len(done.warnings) - MAX_WARNING_LINES} more warning(s): `partnerpulse status` lists them all")
    if not done.up_to_date:
        _say(f"Refreshed {done.what} in {done.seconds:.0f}s (run {done.run_id}).")
    week = None
    try:
        headline = read_headline(settings.published_duckdb)
    except duckdb.Error as exc:  # published, but a mart is not as this version expects
        _say(f"Headline numbers unavailable: {exc}")
    else:
        week = headline.week_start
        for line in headline.lines():
            _say(line)
    for line in output_lines(settings, week, log_path=done.log_path):
        _say(line)
    return 0


def cmd_refresh(args: argparse.Namespace, settings: Settings) -> int:
    if args.week is not None:
        week = _parse_week(args.week, settings)
    else:
        week = _default_week(settings)
        if week < settings.first_week:
            raise CommandError(
                f"the latest complete week {week} is before the first weekly partition {settings.first_week} "
                f"(PARTNERPULSE_FIRST_WEEK, from {settings.first_week_source}): nothing to refresh yet"
            )
    return _refresh(settings, WeekWindow(first=week, last=week), "refresh", args.verbose, force=args.force)


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    window = backfill_window(args.start, args.end, settings)
    return _refresh(settings, window, "backfill", args.verbose)


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
    holder = f"partnerpulse close-period {args.period}" + (" --dry-run" if args.dry_run else "")
    review = review_close(settings, args.period, holder)
    if args.dry_run:
        for line in review.summary():
            _say(line)
        _say("Dry run: nothing was closed or written.")
        return 0
    if review.plan is not None and not args.yes and _interactive():
        for line in review.summary():
            _say(line)
        if not _confirmed(f"Close {review.label} for good?"):
            raise CommandError(f"{review.label} was not closed (not confirmed); nothing changed.")
    _say(close(settings, review, holder, verbose=args.verbose))
    return 0


# -------------------------------------------------------------------------------------------- status


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.defs.operations.status import render_status

    _say(render_status(settings, limit=args.limit))
    return 0


# ------------------------------------------------------------------------------ PostgreSQL serving


def cmd_partner_access(args: argparse.Namespace, settings: Settings) -> int:
    """grant / revoke / list: which database role reads which partner's rows in partner_feeds."""
    from dagster_project.defs.serving import postgres

    try:
        if args.action == "grant":
            added = postgres.grant_partner_access(args.partner_id, args.role, settings.published_duckdb)
            _say(
                f"Role {args.role} {'may now read' if added else 'could already read'} partner "
                f"{args.partner_id}'s rows in schema {postgres.FEEDS_SCHEMA}."
            )
        elif args.action == "revoke":
            postgres.revoke_partner_access(args.partner_id, args.role)
            _say(
                f"Role {args.role} no longer reads partner {args.partner_id}'s rows in schema {postgres.FEEDS_SCHEMA}."
            )
        else:
            grants = postgres.list_partner_access()
            _say("partner_id\trole")
            for partner_id, role in grants:
                _say(f"{partner_id}\t{role}")
    except postgres.PartnerAccessError as exc:
        print(f"partnerpulse partner-access {args.action}: {exc}", file=sys.stderr, flush=True)
        return 2
    except postgres.ServingError as exc:
        raise CommandError(str(exc)) from None
    return 0


def cmd_serve_postgres(args: argparse.Namespace, settings: Settings) -> int:
    """Load + swap an already published file into PostgreSQL (what the refresh's serving step does)."""
    from dagster_project.defs.serving import postgres

    published = Path(args.published).expanduser().resolve() if args.published else settings.published_duckdb
    try:
        result = postgres.serve(published, log=_say if args.verbose else lambda _: None, full=args.full)
    except postgres.ServingError as exc:
        raise CommandError(str(exc)) from None
    _say(
        f"Served {published} to PostgreSQL at {result.server}: {sum(result.rows.values()):,} rows in "
        f"{len(result.rows)} tables, {sum(result.feed_rows.values()):,} partner feed rows "
        f"({result.rows_written:,} rows written); "
        f"load {result.load_seconds:.1f}s, swap {result.swap_seconds:.3f}s ({result.mode})."
    )
    return 0


# ------------------------------------------------------------------------------------------------ ui


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    serve_ui(settings, args.host, args.port, say=_say)
    return 0  # pragma: no cover - serve_ui replaces this process


# ---------------------------------------------------------------------------------------------- main


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive whole number (1, 2, 3, …)")
    return value


VERBOSE_HELP = "show the full Dagster and dbt logs on the console (they always go to the run's log file)"


def _command(sub, name: str, summary: str, description: str) -> argparse.ArgumentParser:
    """A subcommand: ``summary`` in `partnerpulse --help`, ``description`` in `partnerpulse NAME --help`."""
    return sub.add_parser(
        name, help=summary, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="partnerpulse",
        description="PartnerPulse: partner upsell & retention analytics (dbt + Dagster).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = _command(
        sub,
        "demo-data",
        "write deterministic demo landing files",
        "Write deterministic demo landing files (CSV, every table of the landing contract) into the\n"
        "landing folder: the same arguments give the same files, byte for byte.",
    )
    demo.add_argument("--accounts", type=int, default=2000, help="number of accounts (default 2000)")
    demo.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    demo.add_argument("--end", help="last day of the data, a Sunday (default: the last complete Sunday)")
    demo.add_argument("--faults", action="store_true", help="add a known number of bad rows of every kind")
    demo.add_argument("--out", help="output folder (default: PARTNERPULSE_LANDING_DIR)")
    demo.add_argument("--if-missing", action="store_true", help="do nothing when demo data is already there")
    demo.add_argument("-v", "--verbose", action="store_true", help="print each table as it is written")
    demo.set_defaults(func=cmd_demo_data)

    refresh = _command(
        sub,
        "refresh",
        "refresh and publish one weekly partition through Dagster",
        "Refresh one weekly partition: load the landing files, build the dbt models, run the checks,\n"
        "publish the marts (only when no blocking check failed), then write the finance files, the\n"
        "partner feeds, the executive page and the docs site. One run of the Dagster job the schedule\n"
        "runs, in this process. Prints one line per step and a summary; the full log goes to a file\n"
        "under <warehouse>/logs/. When nothing changed since the last refresh of the same week (landing\n"
        "files, code, settings, the warehouse and its outputs), it says so and starts no run.",
    )
    refresh.add_argument("--week", help="Monday of the week (default: the latest complete week)")
    refresh.add_argument(
        "--force", action="store_true", help="refresh even when nothing changed since the last refresh of the week"
    )
    refresh.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    refresh.set_defaults(func=cmd_refresh)

    backfill = _command(
        sub,
        "backfill",
        "refresh a range of weeks in one Dagster run (one dbt build)",
        "Refresh every week from --from to --to in ONE run of the refresh job (one dbt build for the\n"
        "whole range); the published files then hold the last week. Same output as refresh.",
    )
    backfill.add_argument("--from", dest="start", required=True, help="Monday of the first week")
    backfill.add_argument("--to", dest="end", required=True, help="Monday of the last week (inclusive)")
    backfill.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    backfill.set_defaults(func=cmd_backfill)

    close = _command(
        sub,
        "close-period",
        "freeze a payout period (YYYY-MM) and write its final files",
        "Close a payout month for good: freeze its published payout lines in the ledger and write its\n"
        "final finance files. Shows the lines and totals first (--dry-run shows only that); a person\n"
        "at a terminal confirms. Closing a closed month changes nothing.",
    )
    close.add_argument("period", help="the month to close, YYYY-MM (it must have ended)")
    close.add_argument(
        "--dry-run", action="store_true", help="show the lines and totals that would be frozen; change nothing"
    )
    close.add_argument("--yes", action="store_true", help="do not ask for confirmation at a terminal")
    close.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    close.set_defaults(func=cmd_close_period)

    status = _command(
        sub,
        "status",
        "last refreshes, check results, quarantine counts, published file",
        "Show the last refreshes (outcome, duration, check results), the latest refresh of each week,\n"
        "the quarantine counts, the published file and recent alerts. Changes nothing.",
    )
    status.add_argument("--limit", type=positive_int, default=5, help="refreshes to list, at least 1 (default 5)")
    status.set_defaults(func=cmd_status)

    access = _command(
        sub,
        "partner-access",
        "let a PostgreSQL role read one partner's rows in partner_feeds",
        "Which PostgreSQL role reads which partner's rows in schema partner_feeds (served with\n"
        "PARTNERPULSE_SERVE_POSTGRES=1; connection from PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD).\n"
        "The role must exist (partnerpulse never creates login roles); grants survive every refresh.",
    )
    actions = access.add_subparsers(
        dest="action", required=True, metavar="ACTION", help="grant, revoke or list (each has its own --help)"
    )
    grant = actions.add_parser("grant", help="let ROLE read PARTNER_ID's rows")
    revoke = actions.add_parser("revoke", help="take that back")
    for action in (grant, revoke):
        action.add_argument("partner_id", metavar="PARTNER_ID", help="a partner id of dim_partners (exact)")
        action.add_argument("role", metavar="ROLE", help="an existing PostgreSQL role")
    actions.add_parser("list", help="every grant: partner_id and role")
    access.set_defaults(func=cmd_partner_access)

    serve_pg = _command(
        sub,
        "serve-postgres",
        "load the published marts into PostgreSQL now (and time it)",
        "Load the published marts and the partner feeds into PostgreSQL and publish them in one\n"
        "transaction, as a refresh does with PARTNERPULSE_SERVE_POSTGRES=1; prints load and swap time.",
    )
    serve_pg.add_argument("--published", help="a published marts.duckdb (default: <warehouse>/published/marts.duckdb)")
    serve_pg.add_argument("-v", "--verbose", action="store_true", help="print each table as it is loaded")
    serve_pg.add_argument(
        "--full",
        action="store_true",
        help="load every table into new schemas and swap them in, even when only some weeks changed",
    )
    serve_pg.set_defaults(func=cmd_serve_postgres)

    ui = _command(
        sub,
        "ui",
        "serve the Dagster web UI",
        "Serve the Dagster web UI (dagster dev) on the same definitions and Dagster instance as the\n"
        "command line, so its runs show up there.",
    )
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ui.add_argument("--port", type=int, default=3000, help="port to listen on (default 3000)")
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
    except OSError as exc:  # e.g. a folder that cannot be created or written: as the system says it, no traceback
        reason = f"cannot use {exc.filename}: {exc.strerror or exc}" if exc.filename else str(exc)
        hint = " (PARTNERPULSE_WAREHOUSE_DIR and --out must be folders this user can create and write)"
        print(f"partnerpulse {args.command}: {reason}{hint if exc.filename else ''}", file=sys.stderr, flush=True)
        return 1


def run() -> NoReturn:
    """The ``partnerpulse`` script: ``main``, then the process ends without the interpreter's teardown
    (lib/process_exit.py: seconds after a refresh)."""
    exit_without_teardown(main())


if __name__ == "__main__":
    run()
