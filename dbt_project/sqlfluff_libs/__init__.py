"""What dbt gives a model at compile time, for sqlfluff's jinja templater (``library_path`` in ``.sqlfluff``).

The jinja templater renders the models without dbt (fast: no manifest, no adapter, no database). Its dbt
builtins give ``ref``, ``source``, ``config``, ``this`` and ``is_incremental``; this package adds the rest
the models and ``dbt_project/macros`` use: the cross-database macros (``dbt.*``) rendered as dbt-duckdb
renders them, ``adapter.dispatch`` (to this project's ``duckdb__`` macros), ``var`` (its default), and
``execute = False`` as while dbt parses the project, so the macros that read dbt's graph render their
parse-time text. The macros that a model's SQL needs from the graph are stubbed in ``.sqlfluff``
(``[sqlfluff:templater:partnerpulse_jinja:macros]``). Only linting uses this: dbt never imports it.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

# dbt's `execute` is false while it parses the project: the graph-reading macros render their parse-time text.
execute = False

modules = SimpleNamespace(re=re, datetime=datetime)


def var(name: str, default: Any = None) -> Any:
    """A project var: its default (the run's week then comes from PARTNERPULSE_WEEK_START, unset here)."""
    return default


def env_var(name: str, default: str = "") -> str:
    return default


def _dateadd(datepart: str, interval: Any, from_date_or_timestamp: str) -> str:
    unit = datepart.lower()
    if unit == "quarter":
        return f"({from_date_or_timestamp} + (cast({interval} as bigint) * 3) * interval 1 month)"
    if unit == "week":
        return f"({from_date_or_timestamp} + (cast({interval} as bigint) * 7) * interval 1 day)"
    return f"({from_date_or_timestamp} + cast({interval} as bigint) * interval 1 {unit})"


def _datediff(first_date: str, second_date: str, datepart: str) -> str:
    return f"(date_diff('{datepart}', {first_date}::timestamp, {second_date}::timestamp))"


def _date_trunc(datepart: str, date: str) -> str:
    return f"date_trunc('{datepart}', {date})"


def _listagg(
    measure: str, delimiter_text: str = "','", order_by_clause: str | None = None, limit_num: Any = None
) -> str:
    order_by = f" {order_by_clause}" if order_by_clause else ""
    return f"string_agg({measure}, {delimiter_text}{order_by})"


def _generate_series(upper_bound: Any) -> str:
    return f"select generate_series as generated_number from generate_series(1, {upper_bound})"


dbt = SimpleNamespace(
    dateadd=_dateadd,
    datediff=_datediff,
    date_trunc=_date_trunc,
    listagg=_listagg,
    generate_series=_generate_series,
    hash=lambda field: f"md5(cast({field} as varchar))",
    length=lambda expression: f"length({expression})",
    type_string=lambda: "varchar",
    type_int=lambda: "integer",
    type_bigint=lambda: "bigint",
    type_numeric=lambda: "numeric(28, 6)",
    type_timestamp=lambda: "timestamp",
    type_boolean=lambda: "boolean",
    current_timestamp=lambda: "now()",
)


@pass_context
def _dispatch(context: Context, macro_name: str, macro_namespace: str | None = None) -> Callable[..., Any]:
    """``adapter.dispatch``: this project's ``duckdb__`` macro, else its ``default__`` one."""
    for name in (f"duckdb__{macro_name}", f"default__{macro_name}"):
        macro = context.resolve_or_missing(name)
        if callable(macro):
            return macro
    raise LookupError(f"sqlfluff: no duckdb__{macro_name} or default__{macro_name} macro in dbt_project/macros")


adapter = SimpleNamespace(dispatch=_dispatch, quote=lambda identifier: f'"{identifier}"')
