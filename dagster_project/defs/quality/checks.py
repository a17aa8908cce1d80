"""The quality checks as Dagster asset checks, in two steps of the refresh job.

``landing_freshness_checks`` (after ingest, before dbt): per landing table whose suite configures
``freshness``, the newest date vs the as-of date D. Blocking: configured as an error, a stale table
stops the build.

``data_quality_checks`` (after dbt, before publishing):
    landing/<table>  gx_suite           the table's suite on its staged rows (a passed result is reported
                                        again, not recomputed, while those rows and the suite are
                                        unchanged: reuse.py)
                     row_count_change   staged rows vs the previous week's refresh
                     quarantine_share   quarantined ÷ landed (error above the configured share)
    marts/<table>    gx_suite           the mart's suite (weekly marts: the refreshed weeks' rows)
                     row_count_change   rows vs the previous week
The mart checks are blocking, which is what orders the publish step after this one; the publish
gate (defs/publish/gate.py) then refuses to publish after any failed error-severity check of the run, blocking
or not. A table without a suite gets a failed *warning* telling how to add one.
"""

# No `from __future__ import annotations` here: Dagster inspects the `context` annotation of the checks.
import contextlib
import datetime as dt
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import dagster as dg
from dagster import AssetCheckExecutionContext

from dagster_project.defs.landing.assets import landing_asset_key
from dagster_project.defs.landing.contract import landing_tables
from dagster_project.defs.operations.resources import PartnerPulseConfig, WarehouseLock
from dagster_project.defs.partitions import run_window
from dagster_project.defs.publish.assets import PUBLISH_KEY
from dagster_project.defs.publish.publisher import parquet_check
from dagster_project.defs.publish.staging import ParquetStaging, start_staging
from dagster_project.defs.quality.config import QualityConfig, load_quality_config
from dagster_project.defs.quality.frames import count_rows, read_scope, relation_exists
from dagster_project.defs.quality.freshness import measure_freshness
from dagster_project.defs.quality.gx_suites import GxValidator
from dagster_project.defs.quality.quarantine import QuarantineShare, error_share_for, refresh_log_counts
from dagster_project.defs.quality.reuse import (
    GxVerdict,
    Recorded,
    fingerprint,
    input_keys,
    record_results,
    recorded_results,
    reusable_key,
)
from dagster_project.defs.quality.row_counts import RowCountBounds, RowCountChange, record_counts, recorded_count
from dagster_project.defs.quality.suites import Suite, default_relation, load_suites, suite_path
from dagster_project.lib.engine import connect_engine, engine_of
from dagster_project.lib.warehouse import connect
from dagster_project.lib.weeks import WeekWindow
from dagster_project.settings import Settings

GX_CHECK = "gx_suite"
ROW_COUNT_CHECK = "row_count_change"
QUARANTINE_CHECK = "quarantine_share"
FRESHNESS_CHECK = "freshness"
FRESHNESS_STEP = "landing_freshness_checks"
QUALITY_STEP = "data_quality_checks"

ERROR, WARN = dg.AssetCheckSeverity.ERROR, dg.AssetCheckSeverity.WARN


def _severity(gx_severity: str) -> dg.AssetCheckSeverity:
    return ERROR if gx_severity == "critical" else WARN


def _crashed(asset_key: dg.AssetKey, check_name: str, exc: BaseException) -> dg.AssetCheckResult:
    """A check that could not run is an error: an unknown state must not be published."""
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=False,
        severity=ERROR,
        description=f"could not run: {type(exc).__name__}: {exc}",
        metadata={"traceback": dg.MetadataValue.text("".join(traceback.format_exception(exc))[-4000:])},
    )


def _missing_suite(asset_key: dg.AssetKey, kind: str, table: str, directory: Path) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=GX_CHECK,
        passed=False,
        severity=WARN,
        description=(
            f"no Great Expectations suite for {kind}.{table}: add {suite_path(directory, kind, table)} "
            "(python -m dagster_project.defs.quality.scaffold writes a starter suite)"
        ),
    )


# ------------------------------------------------------------------------------------------ freshness


def build_freshness_checks(directory: Path) -> dg.AssetChecksDefinition | None:
    rules = {
        suite.table: suite.freshness
        for suite in load_suites(directory).values()
        if suite.kind == "landing" and suite.freshness is not None
    }
    if not rules:
        return None
    specs = [
        dg.AssetCheckSpec(
            FRESHNESS_CHECK,
            asset=landing_asset_key(table),
            blocking=True,
            description=(
                f"Newest {rule.column} at most {rule.max_lag_days} day(s) before the week's as-of date "
                f"({'error' if rule.severity == 'critical' else 'warning'} when older; an empty table passes)."
            ),
        )
        for table, rule in sorted(rules.items())
    ]

    @dg.multi_asset_check(
        name=FRESHNESS_STEP,
        specs=specs,
        can_subset=True,
        description="Landing freshness: the newest date of each table vs the partition's as-of date.",
    )
    def landing_freshness_checks(
        context: AssetCheckExecutionContext, partnerpulse: PartnerPulseConfig, warehouse_lock: WarehouseLock
    ) -> Iterator[dg.AssetCheckResult]:
        window = run_window(context)
        suites = load_suites(directory)
        settings = partnerpulse.settings()
        with connect(settings, read_only=True) as con:
            for check_key in sorted(context.selected_asset_check_keys, key=lambda k: k.asset_key.path):
                table = check_key.asset_key.path[-1]
                rule = suites[f"landing.{table}"].freshness
                try:
                    fresh = measure_freshness(con, table, rule.column, window.as_of_date, rule.max_lag_days)
                except Exception as exc:
                    yield _crashed(check_key.asset_key, FRESHNESS_CHECK, exc)
                    continue
                yield dg.AssetCheckResult(
                    asset_key=check_key.asset_key,
                    check_name=FRESHNESS_CHECK,
                    passed=fresh.passed,
                    severity=_severity(rule.severity),
                    description=fresh.describe(),
                    metadata={
                        "as_of_date": dg.MetadataValue.text(window.as_of_date.isoformat()),
                        "newest": dg.MetadataValue.text(fresh.newest.isoformat() if fresh.newest else "(none)"),
                        "lag_days": dg.MetadataValue.int(fresh.lag_days if fresh.lag_days is not None else -1),
                        "max_lag_days": dg.MetadataValue.int(rule.max_lag_days),
                        "rows": dg.MetadataValue.int(fresh.rows),
                    },
                )

    return landing_freshness_checks


# --------------------------------------------------------------------------------------- data quality


class _Evaluator:
    """Runs the checks of one step against one read-only connection; GX is started on first use."""

    def __init__(
        self,
        con,
        config: QualityConfig,
        window: WeekWindow,
        suites: dict[str, Suite],
        warn: Callable[[str], None] = print,
    ) -> None:
        self.con = con
        self.config = config
        self.window = window
        self.suites = suites
        self.counts: dict[str, int] = {}
        self._validator = None
        # landing suites: the staged relations' input keys and the results kept for them (reuse.py)
        self.input_keys: dict[str, str] = {}
        self.kept: dict[str, Recorded] = {}
        # for the fingerprint: the engine's sample hash, PostgreSQL's (``hashtext``) with the server's version
        self.engine = engine_of(con)
        try:
            self.input_keys, self.kept = input_keys(con), recorded_results(con)
            if self.engine != "duckdb":
                self.engine += " " + str(con.execute("show server_version_num").fetchone()[0])
        except Exception as exc:  # a cache: without it every suite is validated, never a failed check
            self.input_keys, self.kept = {}, {}
            warn(f"kept suite results not read ({type(exc).__name__}: {exc}); every suite is validated")
        self.computed: dict[str, tuple[str, GxVerdict]] = {}  # what this step validated, for the record

    def gx(self, asset_key: dg.AssetKey, suite: Suite) -> dg.AssetCheckResult:
        check = asset_key.to_user_string()
        digest = None
        try:
            relation_key = reusable_key(suite, self.input_keys)
            if relation_key is not None:
                digest = fingerprint(suite, relation_key, self.config.gx_max_rows, self.engine)
                kept = self.kept.get(check)
                # a relation that is gone fails validating: never reported as passed from the record
                if (
                    kept
                    and kept.fingerprint == digest
                    and kept.verdict.passed
                    and relation_exists(self.con, suite.relation)
                ):
                    return _gx_result(asset_key, suite, kept.verdict, reused_from=kept.run_id)
        except Exception:  # a kept result that cannot be used (reuse.py): the suite is validated
            digest = None
        verdict = self._validate(suite)
        if digest is not None:
            self.computed[check] = (digest, verdict)
        return _gx_result(asset_key, suite, verdict)

    def _validate(self, suite: Suite) -> GxVerdict:
        scoped = read_scope(
            self.con,
            suite.relation,
            key=suite.key,
            week_column=suite.week_column,
            window=self.window,
            max_rows=self.config.gx_max_rows,
        )
        if self._validator is None:
            self._validator = GxValidator()
        outcome = self._validator.validate(suite, scoped.frame)
        scope = scoped.describe() + (
            f" of {self.window.first} … {self.window.last} ({suite.week_column})" if suite.week_column else ""
        )
        return GxVerdict(
            passed=outcome.passed,
            error=bool(outcome.errors),
            description=f"{suite.name}: {outcome.summary()}",
            scope=scope,
            rows_validated=len(scoped.frame),
            rows_in_scope=scoped.rows_in_scope,
            expectations=outcome.evaluated,
            failures=tuple(f.as_dict() for f in outcome.failures),
        )

    def row_count(self, asset_key: dg.AssetKey, suite: Suite | None, relation: str) -> dg.AssetCheckResult:
        table_key = asset_key.to_user_string()
        week = self.window.last
        previous_week = week - dt.timedelta(weeks=1)
        week_column = suite.week_column if suite else None
        if week_column:
            one_week = WeekWindow(first=week, last=week)
            rows = count_rows(self.con, relation, week_column, one_week)
            previous = count_rows(self.con, relation, week_column, WeekWindow(previous_week, previous_week))
        else:
            rows = count_rows(self.con, relation)
            previous = recorded_count(self.con, table_key, previous_week)
        self.counts[table_key] = rows
        overrides = suite.row_count if suite else {}
        bounds = RowCountBounds(
            min_ratio=float(overrides.get("min_ratio", self.config.row_count_min_ratio)),
            max_ratio=float(overrides.get("max_ratio", self.config.row_count_max_ratio)),
            min_change=int(overrides.get("min_change", self.config.row_count_min_change)),
            severity=str(overrides.get("severity", "warning")),
        )
        change = RowCountChange(
            table=table_key, week=week, rows=rows, previous_week=previous_week, previous_rows=previous, bounds=bounds
        )
        return dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=ROW_COUNT_CHECK,
            passed=change.passed,
            severity=_severity(bounds.severity),
            description=change.describe(),
            metadata={
                "rows": dg.MetadataValue.int(rows),
                "previous_rows": dg.MetadataValue.int(previous if previous is not None else -1),
                "counted": dg.MetadataValue.text(f"rows with {week_column} = {week}" if week_column else "all rows"),
                "min_ratio": dg.MetadataValue.float(bounds.min_ratio),
                "max_ratio": dg.MetadataValue.float(bounds.max_ratio),
            },
        )

    def quarantine(self, asset_key: dg.AssetKey, table: str, log_counts: dict[str, tuple[int, int]]):
        error_share = error_share_for(table, self.suites, self.config.quarantine_error_share)
        week = self.window.last
        if table not in log_counts:
            return dg.AssetCheckResult(
                asset_key=asset_key,
                check_name=QUARANTINE_CHECK,
                passed=True,
                description=f"{table}: no row in marts.dq_refresh_log for {week}",
            )
        landed, quarantined = log_counts[table]
        share = QuarantineShare(table=table, landed=landed, quarantined=quarantined, error_share=error_share)
        return dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=QUARANTINE_CHECK,
            passed=share.passed,
            severity=ERROR if share.is_error else WARN,
            description=share.describe(week),
            metadata={
                "rows_landed": dg.MetadataValue.int(landed),
                "rows_quarantined": dg.MetadataValue.int(quarantined),
                "share": dg.MetadataValue.float(share.share),
                "error_share": dg.MetadataValue.float(error_share),
            },
        )


def _gx_result(
    asset_key: dg.AssetKey, suite: Suite, verdict: GxVerdict, reused_from: str | None = None
) -> dg.AssetCheckResult:
    metadata: dict[str, dg.MetadataValue] = {
        "suite": dg.MetadataValue.path(str(suite.path)),
        "relation": dg.MetadataValue.text(suite.relation),
        "scope": dg.MetadataValue.text(verdict.scope),
        "rows_validated": dg.MetadataValue.int(verdict.rows_validated),
        "rows_in_scope": dg.MetadataValue.int(verdict.rows_in_scope),
        "expectations": dg.MetadataValue.int(verdict.expectations),
        "failed_expectations": dg.MetadataValue.int(len(verdict.failures)),
    }
    if verdict.failures:
        rows = "\n".join(
            f"| {f['severity']} | `{f['expectation']}` | {f['target']} | {f['detail']} | "
            f"{', '.join(f['sample']) or '-'} |"
            for f in verdict.failures
        )
        metadata["failures"] = dg.MetadataValue.md(
            "| severity | expectation | column | observed | sample values |\n|---|---|---|---|---|\n" + rows
        )
        metadata["failures_json"] = dg.MetadataValue.json([dict(f) for f in verdict.failures])
    description = verdict.description
    if reused_from is not None:
        metadata["validated_in_run"] = dg.MetadataValue.text(reused_from)
        description += f" (validated by run {reused_from[:8]}; the staged rows and the suite are unchanged since)"
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=GX_CHECK,
        passed=verdict.passed,
        severity=ERROR if verdict.error else WARN,
        description=description,
        metadata=metadata,
    )


def _quality_specs(mart_tables: list[str], mart_keys: list[dg.AssetKey]) -> list[dg.AssetCheckSpec]:
    specs: list[dg.AssetCheckSpec] = []
    for spec in landing_tables():
        key = landing_asset_key(spec.name)
        specs += [
            dg.AssetCheckSpec(GX_CHECK, asset=key, description=f"Suite landing.{spec.name} on the staged rows."),
            dg.AssetCheckSpec(ROW_COUNT_CHECK, asset=key, description="Staged rows vs the previous week's refresh."),
            dg.AssetCheckSpec(
                QUARANTINE_CHECK,
                asset=key,
                description="Quarantined share of the landed rows: error above the configured share, else warning.",
            ),
        ]
    for table, key in zip(mart_tables, mart_keys, strict=True):
        specs += [
            dg.AssetCheckSpec(GX_CHECK, asset=key, blocking=True, description=f"Suite marts.{table}."),
            dg.AssetCheckSpec(ROW_COUNT_CHECK, asset=key, blocking=True, description="Rows vs the previous week."),
        ]
    return specs


def build_quality_checks(
    mart_tables: list[str], mart_keys: list[dg.AssetKey], directory: Path
) -> dg.AssetChecksDefinition:
    mart_by_key = dict(zip(mart_keys, mart_tables, strict=True))
    landing_names = [spec.name for spec in landing_tables()]

    @dg.multi_asset_check(
        name=QUALITY_STEP,
        specs=_quality_specs(mart_tables, mart_keys),
        can_subset=True,
        description=(
            "Great Expectations suites (expectations/*.json), quarantine shares and row-count changes of "
            "the landing tables and published marts, after the dbt build and before publishing."
        ),
    )
    def data_quality_checks(
        context: AssetCheckExecutionContext, partnerpulse: PartnerPulseConfig, warehouse_lock: WarehouseLock
    ) -> Iterator[dg.AssetCheckResult]:
        window = run_window(context)
        config = load_quality_config()
        suites = load_suites(directory)
        settings = partnerpulse.settings()
        selected = context.selected_asset_check_keys
        ordered = _ordered(selected, landing_names, mart_by_key)
        with connect_engine(settings, read_only=True) as con:
            staging = _start_staging(context, settings, con, sorted(mart_by_key.values()))
            evaluator = _Evaluator(con, config, window, suites, warn=context.log.warning)
            try:
                yield from _evaluate(evaluator, con, ordered, suites, window, directory)
            finally:
                if staging is not None:
                    staging.wait()  # before the connection its cursor reads through closes
            counts, computed = evaluator.counts, evaluator.computed
        with (
            staging.own_write() if staging is not None else contextlib.nullcontext(),
            connect_engine(settings) as con,
        ):
            record_counts(con, window.last, counts, context.run.run_id)
            try:
                record_results(con, computed, context.run.run_id)
            except Exception as exc:  # a cache: the next run validates these suites again
                context.log.warning(f"suite results not kept ({type(exc).__name__}: {exc}): validated again next run")
        context.log.info(f"recorded row counts of {len(counts)} table(s) for week {window.last}")

    return data_quality_checks


def _evaluate(
    evaluator: "_Evaluator",
    con,
    ordered: list[tuple[dg.AssetCheckKey, str, str]],
    suites: dict[str, Suite],
    window: WeekWindow,
    directory: Path,
) -> Iterator[dg.AssetCheckResult]:
    log_counts: dict[str, tuple[int, int]] | None = None
    for check_key, kind, table in ordered:
        asset_key, name = check_key.asset_key, check_key.name
        suite = suites.get(f"{kind}.{table}")
        try:
            if name == GX_CHECK:
                result = evaluator.gx(asset_key, suite) if suite else _missing_suite(asset_key, kind, table, directory)
            elif name == ROW_COUNT_CHECK:
                relation = suite.relation if suite else default_relation(kind, table)
                result = evaluator.row_count(asset_key, suite, relation)
            else:
                if log_counts is None:
                    log_counts = refresh_log_counts(con, window.last)
                result = evaluator.quarantine(asset_key, table, log_counts)
        except Exception as exc:
            result = _crashed(asset_key, name, exc)
        yield result


def _start_staging(
    context: AssetCheckExecutionContext, settings: Settings, con, marts: list[str]
) -> ParquetStaging | None:
    """While the checks run, the changed marts' Parquet for the publish step of this run (decision 118):
    only when the run publishes and the marts are in the working file (DuckDB, Spark)."""
    publishes = PUBLISH_KEY in context.job_def.asset_layer.selected_asset_keys
    if settings.target not in ("duckdb", "spark") or not publishes:
        return None
    try:
        return start_staging(settings, con, marts, context.run.run_id, parquet_check(settings), context.log.info)
    except Exception as exc:  # never a reason for the checks to fail: the publish step writes the files
        context.log.warning(f"Parquet not staged while the checks run ({exc}); the publish step writes it")
        return None


def _ordered(
    selected: Iterable[dg.AssetCheckKey], landing_names: list[str], mart_by_key: dict[dg.AssetKey, str]
) -> list[tuple[dg.AssetCheckKey, str, str]]:
    """Selected checks as (key, kind, table): landing tables in contract order, then marts."""
    order = {GX_CHECK: 0, ROW_COUNT_CHECK: 1, QUARANTINE_CHECK: 2}
    rows = []
    for key in selected:
        if key.asset_key in mart_by_key:
            rows.append(((1, mart_by_key[key.asset_key], order[key.name]), key, "marts", mart_by_key[key.asset_key]))
        else:
            table = key.asset_key.path[-1]
            rows.append(((0, f"{landing_names.index(table):04d}", order[key.name]), key, "landing", table))
    return [(key, kind, table) for _, key, kind, table in sorted(rows, key=lambda r: r[0])]
