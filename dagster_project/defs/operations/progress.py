"""What the command line shows while a Dagster run executes in its process: one line per step, and
the run's full log in a file.

The CLI's in-process runs get one more Dagster logger, ``cli_run_logger``. It sees every record of
the run, Dagster's events included (step started and finished, each asset materialized, each check
evaluated; dagster-dbt turns every dbt model, seed and test into such an event as dbt finishes it),
and hands them to the handlers the runner registered for that run:

- ``RunLogFile`` writes every record, at DEBUG, to the run's log file (the runner also sends dbt's
  own output there: dagster-dbt prints it on standard output);
- ``StepProgress`` prints one line per step when it ends, with the time since the run started, what
  it did (dbt: nodes done of the build's total) and how long it took; at a terminal the running
  step's line is updated in place. Warnings logged by a step are printed as they come.

The handlers reach the logger through a registry keyed by a token in the logger's run config
(loggers are built by Dagster from config, and configuration cannot carry Python objects).
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

import dagster as dg

from dagster_project.defs.quality.checks import FRESHNESS_STEP, QUALITY_STEP

DBT_STEP = "partnerpulse_dbt"
# A person's name for each step of the refresh job, in the order they run.
STEP_LABELS = {
    "ingest_landing": "landing",
    FRESHNESS_STEP: "freshness checks",
    DBT_STEP: "dbt build",
    QUALITY_STEP: "quality checks",
    "published__marts_duckdb": "publish",
    "exports__payouts": "finance files",
    "exports__partner_feeds": "partner feeds",
    "reports__executive_page": "executive page",
    "published__docs": "docs site",
    "published__postgres": "PostgreSQL",
    "close_payout_period_op": "close period",
}
# Logged by the publish step for every failed warning-severity check; the summary lists those checks.
CHECK_WARNING_PREFIX = "check warning (does not block)"
LABEL_WIDTH = max(len(label) for label in STEP_LABELS.values())
LIVE_UPDATE_SECONDS = 0.5

_HANDLERS: dict[str, list[logging.Handler]] = {}


@dg.logger(
    config_schema={"token": dg.Field(str, description="which registered handlers receive the records")},
    description="The CLI's run log file and progress lines (in-process runs of `partnerpulse`).",
)
def cli_run_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    token = init_context.logger_config["token"]
    logger = logging.Logger(f"partnerpulse.run.{token}", logging.DEBUG)  # outside the logging tree
    for handler in _HANDLERS.get(token, []):
        logger.addHandler(handler)
    return logger


@contextlib.contextmanager
def observed_by(*handlers: logging.Handler) -> Iterator[dict[str, Any]]:
    """Register ``handlers`` for one run; yields the ``loggers`` run config entry that reaches them."""
    token = uuid.uuid4().hex
    _HANDLERS[token] = list(handlers)
    try:
        yield {"cli": {"config": {"token": token}}}
    finally:
        _HANDLERS.pop(token, None)


def _event(record: logging.LogRecord) -> dg.DagsterEvent | None:
    return (getattr(record, "dagster_meta", None) or {}).get("dagster_event")


def _message(record: logging.LogRecord) -> str:
    return (getattr(record, "dagster_meta", None) or {}).get("orig_message") or record.getMessage()


# ------------------------------------------------------------------------------------------- log file


class RunLogFile(logging.Handler):
    """Every record of the run, as Dagster's console shows it (errors with their stack trace)."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__(logging.DEBUG)
        self.stream = stream
        self.setFormatter(logging.Formatter("%(asctime)s - dagster - %(levelname)s - %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write(self.format(record) + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # a closed or full disk: the run goes on
            self.handleError(record)


# ------------------------------------------------------------------------------------ progress lines


def duration(seconds: float) -> str:
    """4s, 1m07s."""
    whole = round(seconds)
    return f"{whole}s" if whole < 60 else f"{whole // 60}m{whole % 60:02d}s"


def clock(seconds: float) -> str:
    """Time since the run started: 0:04, 12:31."""
    whole = max(0, round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


@dataclass
class Step:
    """What one step did so far, from its events."""

    key: str
    label: str
    expected_nodes: int = 0  # dbt: models, seeds and tests of the build
    started: float | None = None
    ended: float | None = None
    outcome: str = ""  # "done", "failed"
    # metadata values by asset key; an asset materialized for several weeks (history weeks a build wrote
    # along with the run's, as extra events) counts once
    materialized: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    passed: int = 0
    warned: int = 0
    failed: int = 0
    unchanged: int = 0  # dbt: seeds the build left out, unchanged since they were loaded (seeds_state.py)
    unchanged_models: int = 0  # dbt: models the build left out, their inputs unchanged (models_state.py)

    @property
    def checks(self) -> int:
        return self.passed + self.warned + self.failed

    def checks_text(self, noun: str = "passed") -> str:
        parts = [f"{self.passed:,} {noun}"]
        if self.warned:
            parts.append(f"{self.warned:,} warning(s)")
        if self.failed:
            parts.append(f"{self.failed:,} failed")
        return ", ".join(parts)

    def detail(self) -> str:
        """What the step did, in a few words."""
        values = list(self.materialized.values())
        if self.key == DBT_STEP:
            done = len(values) + self.checks
            left_out = [f"{self.unchanged:,} seeds unchanged, not reloaded"] if self.unchanged else []
            if self.unchanged_models:
                left_out.append(f"{self.unchanged_models:,} models unchanged, not rebuilt")
            if left_out:
                return f"{done:,} nodes: {len(values):,} models, tests {self.checks_text()}; {'; '.join(left_out)}"
            total = f"/{self.expected_nodes:,}" if self.expected_nodes else ""
            return f"{done:,}{total} nodes: {len(values):,} models and seeds, tests {self.checks_text()}"
        if self.key == "ingest_landing":
            tables = [v for v in values if "files" in v]
            rows = sum(int(v.get("rows") or 0) for v in tables)
            kept = sum(1 for v in tables if str(v.get("ingest", "")).startswith("unchanged"))
            if kept:
                return f"{len(tables)} tables, {rows:,} rows ({kept} unchanged since the last ingest, not re-read)"
            return f"{len(tables)} tables, {rows:,} rows loaded"
        if self.key == "published__marts_duckdb" and values:
            return f"{values[-1].get('tables', '?')} tables published"
        if self.key == "exports__payouts" and values:
            periods, final = values[-1].get("periods", 0), values[-1].get("final_periods", 0)
            return f"{periods} payout period(s) ({final} final, kept as they are)"
        if self.key == "exports__partner_feeds" and values:
            return f"{values[-1].get('partners', '?')} partners"
        if self.key == "published__docs" and values and values[-1].get("skipped"):
            return "not regenerated (PARTNERPULSE_PUBLISH_DOCS=0)"
        if self.key == "published__postgres" and values:
            if values[-1].get("skipped"):
                return "not served (PARTNERPULSE_SERVE_POSTGRES is off)"
            last = values[-1]
            return (
                f"{last.get('tables', '?')} tables served ({last.get('mode', '?')}): load "
                f"{last.get('load_seconds', 0):.1f}s, swap {last.get('swap_seconds', 0):.3f}s"
            )
        if self.key == "published__docs" and values and values[-1].get("regenerated") is False:
            return "unchanged (the dbt project did not change)"
        if self.checks and not values:
            if self.passed == self.checks:
                return f"{self.checks:,} checks passed"
            return f"{self.checks:,} checks: {self.checks_text()}"
        return "written" if values else ""


def _metadata(event: dg.DagsterEvent) -> Mapping[str, Any]:
    materialization = getattr(event.event_specific_data, "materialization", None)
    metadata = getattr(materialization, "metadata", None) or {}
    return {key: getattr(value, "value", value) for key, value in metadata.items()}


class StepProgress(logging.Handler):
    """One line per step on ``out`` as the run goes; warnings logged by a step on ``err``."""

    def __init__(
        self,
        out: IO[str],
        err: IO[str],
        expected_nodes: Mapping[str, int] | None = None,
        clock_fn: Callable[[], float] = time.time,
        show_steps: bool = True,
    ) -> None:
        super().__init__(logging.DEBUG)
        self.out, self.err = out, err
        self.show_steps = show_steps
        self.expected_nodes = dict(expected_nodes or {})
        self.steps: dict[str, Step] = {}
        self.run_started: float | None = None
        self.lines_written = 0
        self._live = show_steps and _is_terminal(out)
        self._live_shown = False
        self._last_update = 0.0
        self._clock = clock_fn

    # -- events

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._handle(record)
        except Exception:  # never let the display break a run
            self.handleError(record)

    def _handle(self, record: logging.LogRecord) -> None:
        event = _event(record)
        now = record.created
        if event is None:
            # warnings a step logs (an abandoned run marked failed, a landing file's extra column) as they
            # come; errors are the failed steps the command reports at the end, and Dagster's "not
            # executing" lines after them are the one "not run" line
            if logging.WARNING <= record.levelno < logging.ERROR and not _message(record).startswith(
                CHECK_WARNING_PREFIX
            ):
                self._write(self.err, f"warning: {_message(record)}")
            return
        kind = event.event_type
        if kind == dg.DagsterEventType.RUN_START:
            self.run_started = now
            return
        key = event.step_key
        if key is None:
            return
        step = self.steps.get(key)
        if step is None:
            step = self.steps[key] = Step(key, STEP_LABELS.get(key, key), self.expected_nodes.get(key, 0))
        if kind == dg.DagsterEventType.STEP_START:
            step.started = now
            self._show_live(step, force=True)
        elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            step.materialized.setdefault(event.asset_key.to_user_string(), _metadata(event))
            self._show_live(step)
        elif kind == dg.DagsterEventType.ASSET_OBSERVATION:
            observation = getattr(event.event_specific_data, "asset_observation", None)
            metadata = getattr(observation, "metadata", None) or {}
            if "unchanged_since_run" in metadata:
                if "input_key" in metadata:  # a model (models_state.py), else a seed
                    step.unchanged_models += 1
                else:
                    step.unchanged += 1
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if getattr(evaluation, "passed", True):
                step.passed += 1
            elif getattr(evaluation, "severity", None) == dg.AssetCheckSeverity.WARN:
                step.warned += 1
            else:
                step.failed += 1
            self._show_live(step)
        elif kind in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            step.ended = now
            step.outcome = "done" if kind == dg.DagsterEventType.STEP_SUCCESS else "failed"
            if self.show_steps:
                self._write(self.out, self.line(step))

    # -- lines

    def line(self, step: Step) -> str:
        start = self.run_started if self.run_started is not None else (step.started or 0.0)
        at = (step.ended or self._clock()) - start
        took = f" ({duration(step.ended - step.started)})" if step.ended and step.started else ""
        detail = step.detail() if step.materialized or step.checks or step.key == DBT_STEP else ""
        if step.outcome == "failed":
            detail = f"FAILED{': ' + detail if detail else ''}"
        elif not step.outcome:
            detail = f"running… {detail}".rstrip()
        return f"  {clock(at):>5}  {step.label:<{LABEL_WIDTH}}  {detail}{took}"

    def not_run(self, all_steps: list[str]) -> str | None:
        """The steps of the job that never started (after a failure), in one line."""
        order = list(STEP_LABELS)
        keys = sorted(all_steps, key=lambda key: order.index(key) if key in order else len(order))
        missing = [STEP_LABELS.get(key, key) for key in keys if key not in self.steps]
        return f"  not run: {', '.join(missing)}" if missing else None

    def _show_live(self, step: Step, force: bool = False) -> None:
        if not self._live:
            return
        now = self._clock()
        if not force and now - self._last_update < LIVE_UPDATE_SECONDS:
            return
        self._last_update = now
        self.out.write(f"\r\x1b[K{self.line(step)}")
        self.out.flush()
        self._live_shown = True

    def _write(self, stream: IO[str], line: str) -> None:
        if self._live_shown:
            self.out.write("\r\x1b[K")
            self._live_shown = False
        stream.write(line + "\n")
        stream.flush()
        if stream is self.out:
            self.lines_written += 1


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
