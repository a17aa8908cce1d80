"""Running the pipeline for the command line (``partnerpulse``): every command that changes something
runs through the same Dagster definitions the schedule uses, in this process.

What can be checked without a run is checked first, before Dagster is even imported (about 0.5 s
instead of 25-50 s): the landing folder and files, the month to close. A mistake is then answered
in one paragraph (``CommandError``) and no Dagster run is created. Then the warehouse's writer lock
is taken (locking.py) and held until the run has ended; the run's ``warehouse_lock`` resource marks
runs killed earlier as failed (instance.py). A failed refresh is alerted here (alerts.py): the
daemon's failure sensor does not see in-process runs. An error inside a run is reported as its
message; its stack trace is in the run's log file and event log.

What a run prints (``run_output``): one line per step as the run goes and the run's full log (Dagster's
records and dbt's output) in ``<warehouse>/logs/<command>-<weeks>-<run>.log`` (progress.py); with
``verbose`` the console shows the full log as before, and the file is written too. The duration a
command reports is the run's, from the Dagster instance (instance.py ``run_seconds``), the number
``partnerpulse status`` shows.

Dagster and everything heavy are imported inside the functions, after those checks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from dagster_project.defs.operations.retention import KEEP_RUN_LOGS, dbt_runs_to_keep, prune_run_logs
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


def run_log_path(settings: Settings, name: str, run_id: str) -> Path:
    """``<warehouse>/logs/<name>-<run id's first 8>.log``: the full log of one CLI run."""
    return settings.warehouse_dir / "logs" / f"{name}-{run_id[:8]}.log"


class _Tee:
    """Writes to the console and the log file (``verbose``: dbt's output in both)."""

    def __init__(self, *streams: IO[str]) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()

    def isatty(self) -> bool:
        return False


@dataclass(frozen=True)
class RunOutput:
    """Where a run's output goes: the console streams as they were before the run, the log file."""

    out: IO[str]
    err: IO[str]
    log: IO[str]
    path: Path
    verbose: bool


@contextlib.contextmanager
def run_output(path: Path, verbose: bool) -> Iterator[RunOutput]:
    """The run's log file, open; meanwhile standard output (where dagster-dbt prints dbt's log) and,
    unless ``verbose``, standard error (Python warnings) go to it instead of the console. Keeps the
    newest KEEP_RUN_LOGS files of the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    prune_run_logs(path.parent, keep=KEEP_RUN_LOGS - 1)
    out, err = sys.stdout, sys.stderr
    with path.open("w", encoding="utf-8") as log:
        log.write(f"# {path.stem}, started {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC\n")
        if verbose:
            with contextlib.redirect_stdout(_Tee(out, log)):
                yield RunOutput(out, err, log, path, verbose)
        else:
            with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
                yield RunOutput(out, err, log, path, verbose)


def _execute(
    job,
    instance,
    output: RunOutput,
    progress=None,
    log_at_least: str | None = None,
    run_config: dict | None = None,
    **kwargs: Any,
):
    """``execute_in_process`` with the CLI's loggers: every record to the log file and to ``progress``
    (progress.py); with ``output.verbose`` also Dagster's console logger, where an error shows as its
    message and its stack trace stays in the run's event log (instance.py ``console_logger``). The
    run's events are written the cheap way (sqlite_storage.py)."""
    from dagster_project.defs.operations.instance import console_logger, console_run_config
    from dagster_project.defs.operations.progress import RunLogFile, cli_run_logger, observed_by
    from dagster_project.defs.operations.sqlite_storage import cheap_event_writes

    handlers = [RunLogFile(output.log), *([progress] if progress is not None else [])]
    with observed_by(*handlers) as loggers, cheap_event_writes(instance):
        if output.verbose:
            loggers = {**loggers, **console_run_config(at_least=log_at_least)}
        return job.with_logger_defs({"console": console_logger, "cli": cli_run_logger}).execute_in_process(
            run_config={**(run_config or {}), "loggers": loggers}, instance=instance, raise_on_error=False, **kwargs
        )


# ------------------------------------------------------------------------------------------- refresh


def check_landing(settings: Settings, what: str) -> None:
    """Before any run: the landing folder, every table's files, their headers and encoding.

    The same checks (and messages) as the ingest step, plus a look at the start of each CSV, so
    that a mistake is answered at once instead of after starting Dagster and a run. Deliberately
    imports neither Dagster nor dagster-dbt (seconds).
    """
    from dagster_project.defs.landing.loader import pre_run_problems

    if settings.target == "spark" and settings.spark_method == "session" and not shutil.which("java"):
        raise CommandError(
            f"PARTNERPULSE_TARGET=spark runs a local Spark session, which needs a Java runtime (OpenJDK 17: "
            f"apt-get install openjdk-17-jre-headless); none is on PATH; the refresh of {what} did not start"
        )
    if settings.target == "postgres":  # the engine answers before a run starts, not after the ingest
        from dagster_project.lib.engine import EngineError, connect_postgres

        try:
            connect_postgres().close()
        except EngineError as exc:
            raise CommandError(f"{exc}; the refresh of {what} did not start") from None
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
    seconds: float  # the run's, from the Dagster instance (what `partnerpulse status` shows)
    run_id: str
    log_path: Path
    warnings: list[str] = field(default_factory=list)  # failed checks of warning severity
    up_to_date: bool = False  # nothing changed since that run: no new run (up_to_date.py)


def _window_name(command: str, window: WeekWindow) -> str:
    weeks = window.first.isoformat() if window.first == window.last else f"{window.first}-to-{window.last}"
    return f"{command}-{weeks}"


def _expected_nodes(definitions) -> dict[str, int]:
    """Per step: its assets and checks (the dbt step: models, seeds and tests of the whole build)."""
    return {
        assets.node_def.name: len(list(assets.keys)) + len(list(assets.check_keys))
        for assets in definitions.resolve_asset_graph().assets_defs
        if assets.is_executable and assets.node_def is not None
    }


def refresh(
    settings: Settings, window: WeekWindow, command: str, say: Say, verbose: bool = False, force: bool = False
) -> Refreshed:
    """Refresh the weeks of ``window`` in ONE run of the refresh job (``command``: refresh or backfill).

    A ``refresh`` of the week the last successful refresh made, from the same landing files, code and
    settings, with the warehouse and its outputs as that run left them, starts no run (up_to_date.py;
    ``force``: refresh anyway). Prints one line per step (``verbose``: the full log) and writes the full
    log to a file. Raises CommandError with what failed and whether anything was published; a failed run
    is alerted."""
    week, last = window.first, window.last
    what = f"week {week}" if last == week else f"weeks {week} … {last}"
    console_log_level()  # a wrong setting is a mistake too: answered before the run
    dbt_runs_to_keep()
    check_landing(settings, what)  # before Dagster is even imported: a mistake is answered in a second

    from dagster_project.defs.operations import up_to_date
    from dagster_project.defs.operations.locking import WarehouseBusy, warehouse_lock

    holder = f"partnerpulse {command} of {what}"
    try:
        with warehouse_lock(settings.warehouse_dir, holder=holder):  # held until the run has ended
            if command == "refresh" and not force:
                verdict = up_to_date.up_to_date(settings, window)
                if verdict.receipt is not None:
                    done = verdict.receipt
                    return Refreshed(what, 0.0, done.run_id, Path(done.log_path), list(done.warnings), True)
                if verdict.compared:
                    say(f"Not up to date: {verdict.reason}.")
            up_to_date.forget(settings)  # the run changes the warehouse: a failed one leaves no receipt
            inputs = up_to_date.input_fingerprints(settings, window)  # what the run reads, taken before it
            done = _refresh_run(settings, window, command, say, what, verbose)
            if command == "refresh":
                problem = up_to_date.record(settings, inputs, done.run_id, what, done.log_path, done.warnings)
                if problem:
                    say(f"warning: {problem}")
            return done
    except WarehouseBusy as exc:
        raise CommandError(str(exc)) from exc


def _refresh_run(settings: Settings, window: WeekWindow, command: str, say: Say, what: str, verbose: bool) -> Refreshed:
    """The run of ``refresh``, holding the warehouse lock."""
    import dagster as dg

    from dagster_project.definitions import build_definitions
    from dagster_project.defs.operations.alerts import PUBLISHED_KEY, failure_alert, record_alert
    from dagster_project.defs.operations.backfill import partition_run_args
    from dagster_project.defs.operations.instance import get_instance
    from dagster_project.defs.operations.jobs import REFRESH_JOB
    from dagster_project.defs.operations.progress import StepProgress

    run_id = str(uuid.uuid4())  # known before the run: it names the log file
    log_path = run_log_path(settings, _window_name(command, window), run_id)
    progress = None
    if window.first == window.last:
        say(f"Refreshing {what} (as-of {window.as_of_date}) from {settings.landing_dir} into {settings.warehouse_dir}")
    else:
        say(f"Backfilling {what} ({len(window.weeks)} weeks, one run, one dbt build) from {settings.landing_dir} …")
    say(f"Full log: {log_path}" + ("" if verbose else " (--verbose shows it here)"))
    instance = get_instance(settings)
    definitions = build_definitions(settings)
    job = definitions.resolve_job_def(REFRESH_JOB)
    with run_output(log_path, verbose) as output:
        if not verbose:
            progress = StepProgress(output.out, output.err, _expected_nodes(definitions))
        result = _execute(job, instance, output, progress, run_id=run_id, **partition_run_args(window))
    seconds = _seconds(instance, result.run_id)
    success, lines = _run_summary(result, instance)
    if not success:
        if progress is not None and (missing := progress.not_run([node.name for node in job.graph.nodes])):
            say(missing)
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
            f"Full log, with the stack trace: {log_path}\n"
            f"Details: run {result.run_id} in the Dagster UI (make ui; a failed check's metadata lists the "
            f"failing expectations with sample values, a failed step its stack trace) or `partnerpulse status`."
        )
    return Refreshed(what=what, seconds=seconds, run_id=result.run_id, log_path=log_path, warnings=lines)


def _seconds(instance, run_id: str) -> float:
    """How long the run took, as the instance recorded it (``partnerpulse status`` shows the same)."""
    from dagster_project.defs.operations.instance import run_seconds

    seconds = run_seconds(instance.get_run_record_by_id(run_id))
    return seconds if seconds is not None else 0.0


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


def close(settings: Settings, review: CloseReview, holder: str, verbose: bool = False) -> str:
    """Run the close-period job for the reviewed period, holding the lock; returns what the job reports
    (the CLI prints it: the console shows no other line of the run but its warnings, the log file has
    everything; ``verbose``: the console shows warnings and errors, everything at
    PARTNERPULSE_LOG_LEVEL=DEBUG).

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
            from dagster_project.defs.operations.progress import StepProgress
            from dagster_project.defs.payouts.jobs import CLOSE_PERIOD_JOB

            instance = get_instance(settings)
            job = build_definitions(settings).resolve_job_def(CLOSE_PERIOD_JOB)
            run_id = str(uuid.uuid4())
            log_path = run_log_path(settings, f"close-period-{label}", run_id)
            with run_output(log_path, verbose) as output:
                # the op logs its outcome at INFO, which the CLI prints once: only warnings on the console
                warnings_only = None if verbose else StepProgress(output.out, output.err, show_steps=False)
                result = _execute(
                    job,
                    instance,
                    output,
                    warnings_only,
                    log_at_least="WARNING",
                    run_config={"ops": {"close_payout_period_op": {"config": {"period": label}}}},
                    run_id=run_id,
                )
    except WarehouseBusy as exc:
        raise CommandError(str(exc)) from exc
    except LedgerError as exc:
        raise CommandError(f"{label} was not closed: {exc}") from exc
    success, lines = _run_summary(result, instance)
    if not success:
        detail = "\n".join(f"  - {line}" for line in lines) or "  - (no step reported an error)"
        raise CommandError(
            f"{label} was not closed.\n{detail}\nFull log, with the stack trace: {log_path}\n"
            f"Details: run {result.run_id} in the Dagster UI."
        )
    return result.output_for_node("close_payout_period_op")


# ------------------------------------------------------------------------------------------------ ui


def serve_ui(settings: Settings, host: str, port: int, say: Say) -> None:
    """Replace this process by ``dagster dev`` on the same definitions and Dagster instance."""
    from dagster_project.defs.operations.instance import ensure_workspace

    workspace = ensure_workspace(settings)  # also the instance's dagster.yaml; code location `partnerpulse`
    bin_dir = Path(sys.executable).parent
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"  # dbt, dagster from this venv
    dagster = str(bin_dir / "dagster")
    argv = [dagster, "dev", "-w", str(workspace), "-h", host, "-p", str(port)]
    say(f"Dagster UI on http://{host}:{port} (DAGSTER_HOME={settings.dagster_home})")
    # `dagster dev` and its processes stop on SIGINT, and on SIGTERM only through SIGINT's handler
    # (dagster's setup_interrupt_handlers copies it). A parent that ignores SIGINT (a script's `cmd &`,
    # a test runner's worker) would leave both ignored across exec: the UI could then be stopped only
    # by SIGKILL, leaving its temporary workspace and code-server sockets behind. Restore the defaults (and
    # unblock both, should the parent have blocked them: the mask survives exec too).
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    for stop_signal in stop_signals:
        signal.signal(stop_signal, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
    os.execv(dagster, argv)
