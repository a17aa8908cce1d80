"""Running the pipeline for the command line (``partnerpulse``): every command that changes something
runs through the same Dagster definitions the schedule uses, in this process.

What can be checked without a run is checked first, before Dagster is even imported (about 0.5 s
instead of 25-50 s): the landing folder and files, the month to close. A mistake is then answered
in one paragraph (``CommandError``) and no Dagster run is created. Then the warehouse's writer lock
is taken (locking.py) and held until the run has ended; the run's ``warehouse_lock`` resource marks
runs killed earlier as failed (instance.py). A failed refresh is alerted here (alerts.py): the
daemon's failure sensor does not see in-process runs. An error inside a run is reported as its
message; its stack trace stays in the run's event log (instance.py ``console_logger``).

Dagster and everything heavy are imported inside the functions, after those checks.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dagster_project.lib.weeks import WeekWindow
from dagster_project.settings import Settings, console_log_level

if TYPE_CHECKING:
    from dagster_project.defs.payouts.ledger import ClosedPeriod, ClosePlan

Say = Callable[[str], None]


class CommandError(RuntimeError):
    """A failure to report to the user in one paragraph (no traceback)."""


# ------------------------------------------------------------------------------------------- shared


def _run_summary(result, instance) -> tuple[bool, list[str]]:
    """Readable lines about a finished run: failed steps and failed checks."""
    import dagster as dg

    from dagster_project.defs.operations.alerts import root_message
    from dagster_project.defs.publish.gate import failed_checks

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


def _execute(job, instance, log_at_least: str | None = None, run_config: dict | None = None, **kwargs):
    """``execute_in_process`` with the CLI's console logger: an error shows as its message, its stack
    trace stays in the run's event log (instance.py ``console_logger``)."""
    from dagster_project.defs.operations.instance import console_run_config, with_console_logger

    config = {**(run_config or {}), "loggers": console_run_config(at_least=log_at_least)}
    return with_console_logger(job).execute_in_process(
        run_config=config, instance=instance, raise_on_error=False, **kwargs
    )


# ------------------------------------------------------------------------------------------- refresh


def check_landing(settings: Settings, what: str) -> None:
    """Before any run: the landing folder, every table's files, their headers and encoding.

    The same checks (and messages) as the ingest step, plus a look at the start of each CSV, so
    that a mistake is answered at once instead of after starting Dagster and a run. Deliberately
    imports neither Dagster nor dagster-dbt (seconds).
    """
    from dagster_project.defs.landing.loader import pre_run_problems

    if settings.target != "duckdb":
        raise CommandError(
            f"PARTNERPULSE_TARGET={settings.target}: only the duckdb target can ingest landing files in this "
            f"version; the refresh of {what} did not start"
        )
    problems = pre_run_problems(settings.landing_dir)
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise CommandError(
            f"The refresh of {what} did not start: the landing data in {settings.landing_dir} cannot be used "
            f"({len(problems)} problem(s)); nothing was published:\n{listed}"
        )


@dataclass(frozen=True)
class Refreshed:
    """A successful refresh (or backfill) run."""

    what: str  # "week 2024-03-04" or "weeks 2024-03-04 … 2024-03-18"
    seconds: float
    run_id: str
    warnings: list[str] = field(default_factory=list)  # failed checks of warning severity


def refresh(settings: Settings, window: WeekWindow, command: str, say: Say) -> Refreshed:
    """Refresh the weeks of ``window`` in ONE run of the refresh job (``command``: refresh or backfill).

    Raises CommandError with what failed and whether anything was published; a failed run is alerted."""
    week, last = window.first, window.last
    what = f"week {week}" if last == week else f"weeks {week} … {last}"
    console_log_level()  # a wrong PARTNERPULSE_LOG_LEVEL is a mistake too: answered before the run
    check_landing(settings, what)  # before Dagster is even imported: a mistake is answered in a second

    import dagster as dg

    from dagster_project.defs.operations.alerts import PUBLISHED_KEY, failure_alert, record_alert
    from dagster_project.defs.operations.backfill import partition_run_args
    from dagster_project.defs.operations.locking import WarehouseBusy, warehouse_lock

    started = dt.datetime.now()
    holder = f"partnerpulse {command} of {what}"
    try:
        with warehouse_lock(settings.warehouse_dir, holder=holder):  # held until the run has ended
            from dagster_project.definitions import build_definitions
            from dagster_project.defs.operations.instance import get_instance
            from dagster_project.defs.operations.jobs import REFRESH_JOB

            if window.first == window.last:
                say(
                    f"Refreshing {what} (as-of {window.as_of_date}) from {settings.landing_dir} "
                    f"into {settings.warehouse_dir}"
                )
            else:
                say(
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
            event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION and event.asset_key == PUBLISHED_KEY
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
    return Refreshed(what=what, seconds=seconds, run_id=result.run_id, warnings=lines)


# -------------------------------------------------------------------------------------- close-period


@dataclass(frozen=True)
class CloseReview:
    """A period to close as found before closing it: already closed, or the lines a close would freeze."""

    period: dt.date
    label: str  # YYYY-MM
    closed: ClosedPeriod | None
    plan: ClosePlan | None  # None when already closed

    def summary(self) -> list[str]:
        return [self.closed.summary()] if self.closed is not None else self.plan.summary()


def review_close(settings: Settings, period_text: str, holder: str) -> CloseReview:
    """Strict YYYY-MM, the month ended and not before the data (no lock, no Dagster needed), then, holding
    the lock to read the ledger in the working warehouse: closed already, or what a close would freeze."""
    from dagster_project.defs.payouts.ledger import LedgerError, check_period, closed_period, parse_period, plan_close

    console_log_level()
    try:
        period = parse_period(period_text)
        check_period(settings, period)  # ended, not before the data: no lock, no Dagster needed
    except LedgerError as exc:
        raise CommandError(str(exc)) from exc

    from dagster_project.defs.operations.locking import WarehouseBusy, warehouse_lock

    try:
        with warehouse_lock(settings.warehouse_dir, holder=holder):  # to read the ledger in the working warehouse
            closed = closed_period(settings, period)
            plan = None if closed is not None else plan_close(settings, period)
    except WarehouseBusy as exc:
        raise CommandError(str(exc)) from exc
    except LedgerError as exc:
        raise CommandError(str(exc)) from exc
    return CloseReview(period=period, label=period_text, closed=closed, plan=plan)


def close(settings: Settings, review: CloseReview, holder: str) -> str:
    """Run the close-period job for the reviewed period, holding the lock; returns what the job reports.

    Refuses when a refresh published other lines for the period since the review (the summary a person
    confirmed would no longer be what is frozen)."""
    from dagster_project.defs.operations.locking import WarehouseBusy, warehouse_lock
    from dagster_project.defs.payouts.ledger import LedgerError, closed_period, plan_close

    label, period, plan = review.label, review.period, review.plan
    try:
        with warehouse_lock(settings.warehouse_dir, holder=holder):  # held until the run has ended
            still_open = plan is not None and closed_period(settings, period) is None
            if still_open and plan_close(settings, period).digest != plan.digest:
                raise CommandError(
                    f"{label} was not closed: a refresh published other lines for it since the summary "
                    "above; run close-period again to see them"
                )
            from dagster_project.definitions import build_definitions
            from dagster_project.defs.operations.instance import get_instance
            from dagster_project.defs.payouts.jobs import CLOSE_PERIOD_JOB

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
    return result.output_for_node("close_payout_period_op")


# ------------------------------------------------------------------------------------------------ ui


def serve_ui(settings: Settings, host: str, port: int, say: Say) -> None:
    """Replace this process by ``dagster dev`` on the same definitions and Dagster instance."""
    from dagster_project.defs.operations.instance import ensure_dagster_home

    ensure_dagster_home(settings)
    bin_dir = Path(sys.executable).parent
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"  # dbt, dagster from this venv
    dagster = str(bin_dir / "dagster")
    argv = [dagster, "dev", "-m", "dagster_project.definitions", "-h", host, "-p", str(port)]
    say(f"Dagster UI on http://{host}:{port} (DAGSTER_HOME={settings.dagster_home})")
    os.execv(dagster, argv)
