"""Configuration from the environment (README: "Configuration").

Every path is resolved to an absolute path once, here, and exported back into the environment
so that dbt (which reads ``profiles.yml``) and every subprocess see the same locations.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
MODELS_DIR = REPO_ROOT / "models"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"

DEMO_MANIFEST_NAME = "_demo_manifest.json"
# dbt from the same environment as this package (the venv), whatever PATH says: its `partnerpulse-dbt` script
# (dbt's command line without the interpreter's teardown, lib/process_exit.py), else its `dbt`.
_VENV_DBTS = [Path(sys.executable).with_name(name) for name in ("partnerpulse-dbt", "dbt")]
_VENV_DBT = next((path for path in _VENV_DBTS if path.exists()), None)
DBT_EXECUTABLE = str(_VENV_DBT) if _VENV_DBT else (shutil.which("dbt") or "dbt")
DEFAULT_HISTORY_WEEKS = 104
THREADS_ENV = "PARTNERPULSE_DBT_THREADS"  # dbt's threads (the profile's, default 2; defs/warehouse/threads.py)
DEFAULT_DBT_THREADS = 2


LOG_LEVEL_ENV = "PARTNERPULSE_LOG_LEVEL"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """A configuration value a person has to fix (message says which and how)."""


def console_log_level(default: str = "INFO") -> str:
    """PARTNERPULSE_LOG_LEVEL (the CLI's Dagster console log level), checked; ``default`` when unset."""
    level = os.environ.get(LOG_LEVEL_ENV, "").strip().upper() or default
    if level not in LOG_LEVELS:
        raise ConfigError(f"{LOG_LEVEL_ENV}: '{level}' is not a log level; use one of {', '.join(LOG_LEVELS)}")
    return level


SERVE_POSTGRES_ENV = "PARTNERPULSE_SERVE_POSTGRES"


def serve_postgres_enabled() -> bool:
    """PARTNERPULSE_SERVE_POSTGRES (1/0): also serve the marts and partner feeds from PostgreSQL, whose
    connection comes from libpq's own variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD)."""
    value = os.environ.get(SERVE_POSTGRES_ENV, "").strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"", "0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{SERVE_POSTGRES_ENV}: '{value}' is not 1 (serve from PostgreSQL) or 0 (do not)")


SERVE_POSTGRES_JOBS_ENV = "PARTNERPULSE_SERVE_POSTGRES_JOBS"
DEFAULT_SERVE_POSTGRES_JOBS = 2
MAX_SERVE_POSTGRES_JOBS = 16


def whole_number_setting(
    name: str, default: int, *, minimum: int = 1, maximum: int | None = None, unit: str = "", meaning: str = ""
) -> int:
    """A whole-number setting from the environment: ``default`` when unset, a ConfigError naming the variable,
    the value and the allowed range otherwise (``unit``: "of runs " …; ``meaning``: why, in parentheses)."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    value = int(text) if text.isascii() and text.isdigit() else None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
        why = f" ({meaning})" if meaning else ""
        raise ConfigError(f"{name}: '{text}' is not a whole number {unit}{bounds}{why}")
    return value


SPARK_SWITCHES = {
    "PARTNERPULSE_SPARK_ADAPTIVE": "spark.sql.adaptive.enabled",
    "PARTNERPULSE_SPARK_CODEGEN": "spark.sql.codegen.wholeStage",
}


SPARK_JAVA_OPTIONS_ENV = "PARTNERPULSE_SPARK_JAVA_OPTIONS"
# JVM options of a local session's driver that other settings own: Spark refuses a heap size in the options
# (spark.driver.memory sets it), and the metastore's folder is PARTNERPULSE_SPARK_METASTORE, as is the JVM's
# temp directory (its scratch, decision 136).
_OWNED_JAVA_OPTIONS = {
    "-Xmx": "PARTNERPULSE_SPARK_DRIVER_MEMORY",
    "-Xms": "PARTNERPULSE_SPARK_DRIVER_MEMORY",
    "-Dderby.system.home": "PARTNERPULSE_SPARK_METASTORE",
    "-Djava.io.tmpdir": "PARTNERPULSE_SPARK_METASTORE",
}


def check_spark_java_options(text: str) -> None:
    """PARTNERPULSE_SPARK_JAVA_OPTIONS: JVM options added to a local session driver's own
    (spark.driver.extraJavaOptions), each starting with '-'; those another setting owns are refused."""
    if any(ord(character) < 32 for character in text):
        raise ConfigError(f"{SPARK_JAVA_OPTIONS_ENV}: holds a control character; give the options on one line")
    for option in text.split():
        if not option.startswith("-"):
            raise ConfigError(
                f"{SPARK_JAVA_OPTIONS_ENV}: '{option}' is not a JVM option (each starts with '-', e.g. -Xss4m)"
            )
        for prefix, owner in _OWNED_JAVA_OPTIONS.items():
            if option.startswith(prefix):
                raise ConfigError(f"{SPARK_JAVA_OPTIONS_ENV}: '{option}' is set by {owner}; use that instead")


def check_spark_session_settings() -> None:
    """The Spark settings dbt's profile passes on as they are (dbt_project/profiles.yml), checked here so that
    a typo is named before a refresh starts rather than by Spark half-way through one."""
    whole_number_setting(
        "PARTNERPULSE_SPARK_SHUFFLE_PARTITIONS", 4, unit="of partitions ", meaning="spark.sql.shuffle.partitions"
    )
    for name, conf in SPARK_SWITCHES.items():
        value = os.environ.get(name, "").strip()
        if value.lower() not in {"", "true", "false"}:
            raise ConfigError(f"{name}: '{value}' is not true or false ({conf}; unset: Spark's default, true)")
    check_spark_java_options(os.environ.get(SPARK_JAVA_OPTIONS_ENV, ""))


def serve_postgres_jobs() -> int:
    """PARTNERPULSE_SERVE_POSTGRES_JOBS: how many PostgreSQL connections load tables in parallel (default 2)."""
    return whole_number_setting(
        SERVE_POSTGRES_JOBS_ENV,
        DEFAULT_SERVE_POSTGRES_JOBS,
        maximum=MAX_SERVE_POSTGRES_JOBS,
        meaning=f"how many PostgreSQL connections load tables in parallel; default {DEFAULT_SERVE_POSTGRES_JOBS}",
    )


def last_complete_week(today: dt.date | None = None) -> dt.date:
    """Monday of the latest ISO week whose Sunday is before ``today``."""
    today = today or dt.datetime.now(dt.UTC).date()
    this_monday = today - dt.timedelta(days=today.weekday())
    return this_monday - dt.timedelta(days=7)


def parse_day(value: str, what: str) -> dt.date:
    """A date written YYYY-MM-DD, and only so (Python also reads 20240304 and 2024-W10-1)."""
    text = value.strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"{what}: '{value}' is not a date in the form YYYY-MM-DD") from exc


def parse_monday(value: str, what: str) -> dt.date:
    """Parse YYYY-MM-DD and insist on a Monday (weeks are named by their Monday)."""
    day = parse_day(value, what)
    if day.weekday() != 0:
        monday = day - dt.timedelta(days=day.weekday())
        raise ConfigError(
            f"{what}: {day.isoformat()} is a {day.strftime('%A')}; weeks are named by their Monday "
            f"(the week containing it starts on {monday.isoformat()})"
        )
    return day


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_dir: Path
    first_week: dt.date
    first_week_source: str
    target: str
    duckdb_memory_limit: str
    spark_method: str = "session"  # PARTNERPULSE_SPARK_METHOD: session (local, needs java) or thrift

    @property
    def duckdb_path(self) -> Path:
        return self.warehouse_dir / "partnerpulse.duckdb"

    @property
    def duckdb_temp_dir(self) -> Path:
        return self.warehouse_dir / "duckdb_tmp"

    @property
    def spark_dir(self) -> Path:
        """Spark (PARTNERPULSE_TARGET=spark): its metastore, scratch and exchange folders live here (its tables
        in ``<warehouse>/spark-warehouse``, SPEC §12)."""
        return self.warehouse_dir / "spark"

    def spark_env(self) -> dict[str, str]:
        """Spark's folders for dbt: each PARTNERPULSE_SPARK_* variable if set, else under ``spark_dir``."""
        defaults = {
            "PARTNERPULSE_SPARK_WAREHOUSE": self.warehouse_dir / "spark-warehouse",
            "PARTNERPULSE_SPARK_METASTORE": self.spark_dir,
            "PARTNERPULSE_SPARK_EXCHANGE_DIR": self.spark_dir / "exchange",
        }
        return {name: str(Path(os.environ.get(name, "").strip() or path).resolve()) for name, path in defaults.items()}

    @property
    def spark_exchange_dir(self) -> Path:
        return Path(self.spark_env()["PARTNERPULSE_SPARK_EXCHANGE_DIR"])

    @property
    def published_dir(self) -> Path:
        return self.warehouse_dir / "published"

    @property
    def published_duckdb(self) -> Path:
        return self.published_dir / "marts.duckdb"

    @property
    def published_parquet_dir(self) -> Path:
        return self.published_dir / "parquet"

    @property
    def exports_dir(self) -> Path:
        return self.warehouse_dir / "exports"

    @property
    def reports_dir(self) -> Path:
        return self.warehouse_dir / "reports"

    @property
    def dagster_home(self) -> Path:
        env = os.environ.get("DAGSTER_HOME")
        return Path(env).resolve() if env else self.warehouse_dir / "dagster_home"

    def env(self) -> dict[str, str]:
        """The environment dbt and child processes need to see these settings."""
        return {
            "PARTNERPULSE_LANDING_DIR": str(self.landing_dir),
            "PARTNERPULSE_WAREHOUSE_DIR": str(self.warehouse_dir),
            "PARTNERPULSE_FIRST_WEEK": self.first_week.isoformat(),
            "PARTNERPULSE_TARGET": self.target,
            "PARTNERPULSE_DUCKDB_PATH": str(self.duckdb_path),
            "PARTNERPULSE_DUCKDB_TEMP_DIR": str(self.duckdb_temp_dir),
            "PARTNERPULSE_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
            "DAGSTER_HOME": str(self.dagster_home),
            # dbt-spark matches its method case-sensitively: the checked, lower-cased value
            **({**self.spark_env(), "PARTNERPULSE_SPARK_METHOD": self.spark_method} if self.target == "spark" else {}),
        }

    def export_env(self) -> None:
        """Make the resolved settings visible to dbt and child processes."""
        os.environ.update(self.env())


def _first_week_from_landing(landing_dir: Path) -> dt.date | None:
    manifest = landing_dir / DEMO_MANIFEST_NAME
    if not manifest.is_file():
        return None
    try:
        value = json.loads(manifest.read_text(encoding="utf-8"))["first_week"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return parse_monday(str(value), f"{manifest}: first_week")


def load_settings() -> Settings:
    """Read PARTNERPULSE_* from the environment, with the documented defaults."""
    cwd = Path.cwd()
    landing = Path(os.environ.get("PARTNERPULSE_LANDING_DIR") or cwd / "data" / "landing")
    warehouse = Path(os.environ.get("PARTNERPULSE_WAREHOUSE_DIR") or cwd / "data" / "warehouse")
    landing = landing.expanduser().resolve()
    warehouse = warehouse.expanduser().resolve()

    env_first = os.environ.get("PARTNERPULSE_FIRST_WEEK", "").strip()
    if env_first:
        first_week = parse_monday(env_first, "PARTNERPULSE_FIRST_WEEK")
        source = "PARTNERPULSE_FIRST_WEEK"
    elif (from_demo := _first_week_from_landing(landing)) is not None:
        first_week, source = from_demo, f"{landing / DEMO_MANIFEST_NAME}"
    else:
        first_week = last_complete_week() - dt.timedelta(weeks=DEFAULT_HISTORY_WEEKS - 1)
        source = f"default: {DEFAULT_HISTORY_WEEKS} weeks before the latest complete week"

    serving = serve_postgres_enabled()  # wrong values are answered before any run
    # dbt's profile reads it with `| int` (a typo would be 0 threads, dbt's traceback half-way through a run)
    whole_number_setting(THREADS_ENV, DEFAULT_DBT_THREADS, maximum=64, meaning="how many models dbt builds at once")
    serve_postgres_jobs()
    target = os.environ.get("PARTNERPULSE_TARGET", "duckdb").strip().lower() or "duckdb"
    if target not in {"duckdb", "postgres", "spark"}:
        raise ConfigError(f"PARTNERPULSE_TARGET: '{target}' is not supported; use duckdb, postgres or spark")
    method = os.environ.get("PARTNERPULSE_SPARK_METHOD", "session").strip().lower() or "session"
    if target == "spark" and method not in {"session", "thrift"}:
        raise ConfigError(f"PARTNERPULSE_SPARK_METHOD: '{method}' is not supported; use session or thrift")
    if target == "spark":
        check_spark_session_settings()
        if method == "thrift":  # dbt's profile reads it with `| int`: a typo would be port 0
            whole_number_setting("PARTNERPULSE_SPARK_PORT", 10000, maximum=65535, meaning="the Thrift server's port")
    if target == "postgres":  # the same for dbt's PostgreSQL profile
        whole_number_setting("PGPORT", 5432, maximum=65535, meaning="the PostgreSQL server's port")
    if target == "postgres" and serving:
        raise ConfigError(
            "PARTNERPULSE_TARGET=postgres and PARTNERPULSE_SERVE_POSTGRES=1 name the same database (the PG* "
            "variables): the build's schema marts is already there for BI to read; turn serving off"
        )

    return Settings(
        landing_dir=landing,
        warehouse_dir=warehouse,
        first_week=first_week,
        first_week_source=source,
        target=target,
        duckdb_memory_limit=os.environ.get("PARTNERPULSE_DUCKDB_MEMORY_LIMIT", "8GB"),
        spark_method=method,
    )
