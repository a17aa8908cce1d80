"""Quality thresholds from the environment (README "Configuration"), read when a check runs.

Per-table settings (freshness column and lag, row-count bounds, quarantine share) can override
these defaults in the table's suite file under ``meta.partnerpulse`` (see suites.py).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from dagster_project.settings import EXPECTATIONS_DIR, ConfigError


@dataclass(frozen=True)
class QualityConfig:
    expectations_dir: Path
    quarantine_error_share: float  # quarantined ÷ landed above this is an error, above 0 a warning
    row_count_min_ratio: float  # this week's rows ÷ last week's below this fails the row-count check
    row_count_max_ratio: float  # ... above this fails it
    row_count_min_change: int  # changes of at most this many rows are never flagged (tiny tables)
    gx_max_rows: int  # tables with more rows in scope are validated on a deterministic sample


def _number(name: str, default: float, low: float, high: float | None = None, *, whole: bool = False) -> float:
    """A number from the environment variable ``name`` (``default`` when unset), within [low, high]."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: '{raw}' is not a {'whole number' if whole else 'number'}") from exc
    if not math.isfinite(value):  # float() reads nan and inf, which no bound check would stop
        raise ConfigError(f"{name}: '{raw}' is not a finite number")
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ConfigError(f"{name}: {value} must be {bounds}")
    return value


def _float(name: str, default: float, low: float, high: float | None = None) -> float:
    return float(_number(name, default, low, high))


def _int(name: str, default: int, low: int) -> int:
    return int(_number(name, default, low, whole=True))


def expectations_dir() -> Path:
    raw = os.environ.get("PARTNERPULSE_EXPECTATIONS_DIR", "").strip()
    return Path(raw).expanduser().resolve() if raw else EXPECTATIONS_DIR


def load_quality_config() -> QualityConfig:
    min_ratio = _float("PARTNERPULSE_ROW_COUNT_MIN_RATIO", 0.5, 0.0)
    max_ratio = _float("PARTNERPULSE_ROW_COUNT_MAX_RATIO", 2.0, 0.0)
    if max_ratio < min_ratio:
        raise ConfigError(
            f"PARTNERPULSE_ROW_COUNT_MAX_RATIO ({max_ratio}) is below PARTNERPULSE_ROW_COUNT_MIN_RATIO ({min_ratio})"
        )
    return QualityConfig(
        expectations_dir=expectations_dir(),
        quarantine_error_share=_float("PARTNERPULSE_QUARANTINE_ERROR_SHARE", 0.05, 0.0, 1.0),
        row_count_min_ratio=min_ratio,
        row_count_max_ratio=max_ratio,
        row_count_min_change=_int("PARTNERPULSE_ROW_COUNT_MIN_CHANGE", 10, 0),
        gx_max_rows=_int("PARTNERPULSE_GX_MAX_ROWS", 200_000, 1_000),
    )
