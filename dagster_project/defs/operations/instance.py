"""The Dagster instance shared by the CLI, the schedule and `make ui` (runs, checks, logs).

Also what keeps the run list truthful:

- ``console_logger``: the console logger of the CLI's in-process runs. It prints what Dagster's
  colored console logger prints, but an error as its message only; the stack trace stays in the
  run's event log (the UI shows it), or on the console too at ``PARTNERPULSE_LOG_LEVEL=DEBUG``.
- ``fail_abandoned_runs``: a run whose process was killed (``kill -9``, out of memory, a reboot)
  stays STARTED in the run storage for ever. The next run that takes the warehouse lock looks for
  such runs of the writer jobs and marks them failed, saying why.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from dagster_project.defs.operations.alerts import root_message
from dagster_project.settings import LOG_LEVELS, Settings, console_log_level

_DAGSTER_YAML_BEFORE_NUX = """\
# Written by PartnerPulse on first use; edit freely.
telemetry:
  enabled: false
# One run writing the warehouse at a time: runs launched by the daemon (schedule, UI, backfills)
# wait in the run queue; in-process CLI runs are kept apart by the warehouse lock (locking.py).
concurrency:
  runs:
    max_concurrent_runs: 1
"""
DAGSTER_YAML = (
    _DAGSTER_YAML_BEFORE_NUX
    + """\
# No "join the Dagster community" pop-up on the first visit of the UI.
nux:
  enabled: false
"""
)
# Earlier defaults, upgraded in place when found unchanged.
_OLD_DAGSTER_YAMLS = (
    "# Written by PartnerPulse on first use; edit freely.\ntelemetry:\n  enabled: false\n",
    _DAGSTER_YAML_BEFORE_NUX,
)

# The one code location, named as in pyproject.toml ([tool.dagster]); `partnerpulse ui` loads it
# through DAGSTER_HOME/workspace.yaml (`dagster dev -m` would name it after the module).
CODE_LOCATION = "partnerpulse"
WORKSPACE_YAML = f"""\
# Written by PartnerPulse (rewritten by every `partnerpulse ui`): the code location `make ui` serves.
load_from:
  - python_module:
      module_name: dagster_project.definitions
      location_name: {CODE_LOCATION}
"""

# Tags a writer run gets when it takes the warehouse lock: which process on which machine runs it.
HOST_TAG = "partnerpulse/host"
PID_TAG = "partnerpulse/pid"
_UNFINISHED = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


def ensure_dagster_home(settings: Settings) -> None:
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text(encoding="utf-8") in _OLD_DAGSTER_YAMLS:
        config.write_text(DAGSTER_YAML, encoding="utf-8")


def ensure_workspace(settings: Settings) -> Path:
    """DAGSTER_HOME/workspace.yaml: the code location ``partnerpulse``, for ``dagster dev -w``."""
    ensure_dagster_home(settings)
    workspace = settings.dagster_home / "workspace.yaml"
    workspace.write_text(WORKSPACE_YAML, encoding="utf-8")
    return workspace


def get_instance(settings: Settings) -> dg.DagsterInstance:
    settings.export_env()
    ensure_dagster_home(settings)
    return dg.DagsterInstance.get()


# --------------------------------------------------------------------------------- console logger


def _readable(error) -> str:
    """What an error says to a person: the description of a ``dg.Failure`` our code raised (it names
    the file, the column, the check), else the innermost cause (``KeyError: 'x'``)."""
    cause = error
    while cause is not None:
        if cause.cls_name == "Failure":
            return cause.message.strip().split(": ", 1)[-1]
        cause = cause.cause
    return root_message(error) or error.message.strip()


class _ErrorsWithoutTraces(logging.Filter):
    """Replaces the error Dagster appends to an event's log line (message, stack trace, causes) by
    its message alone. Only this logger's record changes; the event log keeps the whole error."""

    def filter(self, record: logging.LogRecord) -> bool:
        event = (getattr(record, "dagster_meta", None) or {}).get("dagster_event")
        data = getattr(event, "event_specific_data", None)
        error = getattr(data, "error", None)
        if error is None:
            return True
        full = getattr(data, "error_display_string", None) or error.to_string()
        message = record.getMessage()
        if full and message.endswith(full):
            short = _readable(error).replace("\n", "\n    ")
            record.msg = (
                f"{message[: -len(full)].rstrip()} {short}\n"
                "    (the stack trace is in the run's event log: `make ui`, or PARTNERPULSE_LOG_LEVEL=DEBUG)"
            )
            record.args = ()
        return True


@dg.logger(
    config_schema={
        "log_level": dg.Field(str, is_required=False, default_value="INFO"),
        "name": dg.Field(str, is_required=False, default_value="dagster"),
    },
    description="Dagster's colored console logger; errors without their stack trace below DEBUG.",
)
def console_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = dg.colored_console_logger.logger_fn(init_context)
    if logger.level > logging.DEBUG:
        logger.addFilter(_ErrorsWithoutTraces())
    return logger


def console_run_config(default_level: str = "INFO", at_least: str | None = None) -> dict:
    """The ``loggers`` run config of an in-process CLI run: PARTNERPULSE_LOG_LEVEL (else
    ``default_level``), raised to ``at_least`` unless it is DEBUG."""
    level = console_log_level(default_level)
    if at_least and level != "DEBUG" and LOG_LEVELS.index(level) < LOG_LEVELS.index(at_least):
        level = at_least
    return {"console": {"config": {"log_level": level}}}


def run_seconds(record: dg.RunRecord | None) -> float | None:
    """How long a run took: from its start to its end as the run storage recorded them (the RUN_START
    and RUN_SUCCESS/RUN_FAILURE events). The one duration the CLI and ``partnerpulse status`` show;
    loading the definitions and waiting for the lock come before the run and are not in it. None
    while the run has not started or not ended."""
    if record is None or not record.start_time or not record.end_time:
        return None
    return record.end_time - record.start_time


# ------------------------------------------------------------------------------- abandoned runs


@dataclass(frozen=True)
class RunProcess:
    """The process that executes a run, as far as the instance knows it."""

    pid: int
    host: str | None  # None: not recorded (a run killed before it took the lock); assumed this machine

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host or socket.gethostname()}"


def run_process(instance: dg.DagsterInstance, run: dg.DagsterRun) -> RunProcess | None:
    """Who executes ``run``: the process that started it (the pid of its RUN_START event), on the
    machine its tags name once it took the warehouse lock. None while it has not started."""
    for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_START):
        if entry.dagster_event is not None and entry.dagster_event.pid:
            pid = int(entry.dagster_event.pid)
            # tags copied from a re-executed run name another process: only trust them for this pid
            host = run.tags.get(HOST_TAG) if run.tags.get(PID_TAG) == str(pid) else None
            return RunProcess(pid, host)
    return None


def _process_start_time(pid: int) -> float | None:
    """When the process started (epoch seconds; Linux), to tell a reused pid from the run's process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22 of proc(5)
        boot = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text(encoding="utf-8").splitlines()
            if line.startswith("btime ")
        )
        return boot + start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def process_ended(process: RunProcess, run_started: float | None) -> bool | None:
    """True when the run's process is gone (or its pid now belongs to a process started after the
    run); False when it still runs; None when it cannot be told from here (another machine)."""
    if process.host is not None and process.host != socket.gethostname():
        return None
    try:
        os.kill(process.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # exists, another user's
    if _is_zombie(process.pid):
        return True
    started = _process_start_time(process.pid)
    return bool(started is not None and run_started is not None and started > run_started + 2)


def writer_jobs() -> set[str]:
    from dagster_project.defs.operations.jobs import REFRESH_JOB
    from dagster_project.defs.payouts.jobs import CLOSE_PERIOD_JOB

    return {REFRESH_JOB, CLOSE_PERIOD_JOB}


def abandoned_runs(instance: dg.DagsterInstance, exclude: str | None = None) -> list[tuple[dg.DagsterRun, RunProcess]]:
    """Writer runs still STARTING/STARTED whose process has ended: killed or crashed mid-run."""
    found = []
    jobs = writer_jobs()
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=_UNFINISHED)):
        run = record.dagster_run
        if run.run_id == exclude or run.job_name not in jobs:
            continue
        process = run_process(instance, run)
        if process is not None and process_ended(process, record.start_time):
            found.append((run, process))
    return found


def fail_abandoned_runs(
    instance: dg.DagsterInstance,
    own_run_id: str | None,
    by: str,
    warehouse_dir: Path,
    log: Callable[[str], None],
) -> list[str]:
    """Mark abandoned writer runs failed (FAILURE in the UI, with why), alert each once; returns their ids.

    Called by whoever has just taken the warehouse lock: no other live process writes the warehouse
    then, and a run counts as abandoned only when its own process is gone.
    """
    from dagster_project.defs.operations.alerts import failure_alert, record_alert

    failed = []
    for run, process in abandoned_runs(instance, exclude=own_run_id):
        now = dt.datetime.now(dt.UTC)
        message = (
            f"The process ({process.describe()}) ended without finishing the run — killed or crashed; "
            f"marked failed by {by} at {now:%Y-%m-%d %H:%M:%S} UTC."
        )
        instance.report_run_failed(run, message)
        log(f"run {run.run_id} ({run.job_name}) was still {run.status.value}: {message}")
        alert = failure_alert(instance, instance.get_run_by_id(run.run_id) or run, source="abandoned-run check")
        record_alert(alert, warehouse_dir, log)
        failed.append(run.run_id)
    return failed
