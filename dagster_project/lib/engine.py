"""The warehouse engine dbt builds in (SPEC §12): one interface for the Python steps that read or
write the engine's own tables — the refresh window and seed state dbt reads, the checks, the payout
ledger, and the marts the publish step copies.

``duckdb`` (default): the working file ``partnerpulse.duckdb``; ``connect_engine`` yields a DuckDB
connection, exactly what these steps always used.

``postgres``: the database of the libpq variables (``PGHOST`` …). ``connect_engine`` yields a
``PostgresConnection``, which answers the small part of DuckDB's connection API these steps use
(``execute`` with ``?`` parameters, ``executemany``, ``fetchone``/``fetchall``, ``description``,
explicit ``begin transaction``/``commit``/``rollback``), so every step keeps one code path.
The working DuckDB file stays the pipeline's own: the ingest loads the landing files into its ``raw``
schema and ``push_tables`` copies the tables that changed into the engine; after the build
``pull_tables`` copies the marts back into it, from where the publish step writes the published file
as on DuckDB. Values travel as CSV through ``COPY`` (exact for text, integers, decimals, dates,
timestamps and booleans; PostgreSQL writes doubles with the shortest text that reads back the same).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import psycopg2.errors

from dagster_project.lib.warehouse import connect as connect_duckdb
from dagster_project.lib.warehouse import quote_ident, quote_literal
from dagster_project.settings import Settings

# A relation that does not exist, whatever the engine (the ledger before the first refresh, a check's table).
MISSING_RELATION_ERRORS: tuple[type[Exception], ...] = (duckdb.CatalogException, psycopg2.errors.UndefinedTable)

# DuckDB type of a PostgreSQL column (pg_type oid) for copying values back; numeric keeps its typmod.
_PG_TYPES = {
    16: "BOOLEAN",
    20: "BIGINT",
    21: "SMALLINT",
    23: "INTEGER",
    25: "VARCHAR",
    700: "FLOAT",
    701: "DOUBLE",
    1043: "VARCHAR",
    1042: "VARCHAR",
    1082: "DATE",
    1114: "TIMESTAMP",
    1184: "TIMESTAMP WITH TIME ZONE",
}
_NUMERIC = 1700

# PostgreSQL type (as format_type() spells it) of a DuckDB column type: the tables pushed into the engine
# and the marts served to PostgreSQL (defs/serving/postgres.py) use the same mapping.
POSTGRES_TYPES = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20,0)",
    "HUGEINT": "numeric(38,0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIME": "time without time zone",
    "TIMESTAMP": "timestamp without time zone",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "UUID": "uuid",
}


def postgres_type(duckdb_type: str) -> str | None:
    """The PostgreSQL type of a DuckDB column type; None when there is none here."""
    text = duckdb_type.strip().upper()
    if decimal := re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", text):
        return f"numeric({decimal.group(1)},{decimal.group(2)})"
    return POSTGRES_TYPES.get(text)


class EngineError(RuntimeError):
    """The engine cannot be reached or refused a statement; the message says why, for a person."""


def _placeholders(sql: str) -> str:
    """DuckDB's ``?`` parameters as psycopg2's ``%s``, outside quoted text; a literal ``%`` doubled."""
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if quote:
            out.append("%%" if char == "%" else char)
            if char == quote:
                quote = None
        elif char in ("'", '"'):
            quote = char
            out.append(char)
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out)


_TRANSACTION = re.compile(r"^\s*(begin(\s+transaction)?|commit|rollback)\s*;?\s*$", re.IGNORECASE)


class PostgresConnection:
    """DuckDB's connection API, as far as the pipeline uses it, over one psycopg2 connection.

    Outside an explicit ``begin transaction`` every statement commits on its own (autocommit), as
    in DuckDB."""

    engine = "postgres"

    def __init__(self, conn: psycopg2.extensions.connection, temp_dir: Path | None = None) -> None:
        self.temp_dir = temp_dir  # where copies pass through (the warehouse's temp folder)
        if temp_dir is not None:
            temp_dir.mkdir(parents=True, exist_ok=True)
        self._conn = conn
        self._conn.autocommit = True
        self._cursor = conn.cursor()

    # -- statements
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> PostgresConnection:
        if _TRANSACTION.match(sql):
            self._cursor.execute(sql.strip().rstrip(";").split()[0])  # begin / commit / rollback
            return self
        if params is None:  # psycopg2 reads % and ? as text then: nothing to convert
            self._cursor.execute(sql)
        else:
            self._cursor.execute(_placeholders(sql), _pg_params(params))
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> PostgresConnection:
        self._cursor.executemany(_placeholders(sql), [_pg_params(row) for row in rows])
        return self

    @property
    def description(self):
        return self._cursor.description

    def fetchone(self):
        return self._cursor.fetchone()

    def fetchall(self):
        return self._cursor.fetchall()

    def query_frame(self, sql: str, params: Sequence[Any] | None = None):
        """A query's rows as pandas, converted exactly as DuckDB's ``df()`` converts them: the rows are
        streamed with ``COPY … TO STDOUT`` into an in-memory DuckDB table of the same types, so checks
        see the same frame on every engine."""
        bound = sql if params is None else self._cursor.mogrify(_placeholders(sql), _pg_params(params)).decode()
        self._cursor.execute(f"select * from ({bound}) as query limit 0")
        # a decimal without a declared precision becomes float64 in the frame anyway (DuckDB's df())
        columns = [(d.name, _duckdb_type(d, exact=False)) for d in self._cursor.description]
        with tempfile.TemporaryDirectory(prefix="pp-engine-", dir=self.temp_dir) as folder, duckdb.connect() as local:
            path = Path(folder) / "rows.csv"
            with path.open("w", encoding="utf-8", newline="") as out:
                self._cursor.copy_expert(f"copy ({bound}) to stdout with (format csv, force_quote *)", out)
            return local.execute(_select_csv(path, columns)).df()

    def close(self) -> None:
        self._conn.close()

    @property
    def raw(self) -> psycopg2.extensions.connection:
        return self._conn


def _pg_params(params: Sequence[Any] | None) -> list[Any] | None:
    if params is None:
        return None
    # DuckDB binds a Python list as a LIST; the pipeline uses that only as ``in (select unnest(?))``,
    # which PostgreSQL reads from an array as well (psycopg2 adapts a list to an ARRAY).
    return list(params)


def _duckdb_type(column, exact: bool = True) -> str:
    if column.type_code == _NUMERIC:
        if column.precision and column.scale is not None and 0 < column.precision <= 38:
            return f"DECIMAL({column.precision},{column.scale})"
        if not exact:
            return "DOUBLE"
        raise EngineError(
            f"column {column.name}: a numeric without precision and scale (or above 38 digits) cannot be copied "
            "exactly; cast it in the model (decimal(p, s))"
        )
    try:
        return _PG_TYPES[column.type_code]
    except KeyError as exc:
        raise EngineError(f"column {column.name}: PostgreSQL type oid {column.type_code} has no DuckDB type") from exc


# The same defaults as the postgres output of dbt_project/profiles.yml: dbt and these steps must reach
# the same database when a PG* variable is unset.
PG_DEFAULTS = {"PGHOST": "127.0.0.1", "PGPORT": "5432", "PGUSER": "postgres", "PGDATABASE": "partnerpulse"}
# Text the copies can read back exactly whatever the server's or role's defaults: ISO dates, doubles with
# every digit, UTF-8, UTC.
SESSION_OPTIONS = "-c datestyle=ISO -c extra_float_digits=3 -c client_encoding=UTF8 -c timezone=UTC"


def connect_postgres(application_name: str = "partnerpulse-engine") -> psycopg2.extensions.connection:
    """A connection from the libpq variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD), with the
    defaults of profiles.yml; the server must store text as UTF-8 (as the landing files are)."""
    where = {name: os.environ.get(name) or default for name, default in PG_DEFAULTS.items()}
    try:
        conn = psycopg2.connect(
            host=where["PGHOST"],
            port=where["PGPORT"],
            user=where["PGUSER"],
            dbname=where["PGDATABASE"],
            application_name=application_name,
            connect_timeout=10,
            options=SESSION_OPTIONS,
        )
    except psycopg2.OperationalError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise EngineError(
            f"PARTNERPULSE_TARGET=postgres: cannot connect to PostgreSQL at {where['PGHOST']}:{where['PGPORT']} "
            f"(database {where['PGDATABASE']}, user {where['PGUSER']}): {reason}. Check that the server runs "
            "and PGHOST, PGPORT, PGDATABASE, PGUSER and PGPASSWORD."
        ) from None
    conn.autocommit = True  # before any statement: no transaction is left open by this check
    with conn.cursor() as cur:
        cur.execute("show server_encoding")
        encoding = cur.fetchone()[0]
    if encoding.upper() not in {"UTF8", "UTF-8"}:
        conn.close()
        raise EngineError(
            f"PARTNERPULSE_TARGET=postgres: database {where['PGDATABASE']} stores text as {encoding}; landed text is "
            "UTF-8 and would not survive: create the database with ENCODING 'UTF8'"
        )
    return conn


@contextmanager
def connect_engine(settings: Settings, read_only: bool = False) -> Iterator[Any]:
    """The engine's connection: DuckDB's own for ``duckdb``, a ``PostgresConnection`` for ``postgres``.

    ``spark``: the working DuckDB file too. The pipeline's own tables (raw, ops, ledger) stay there and go
    to Spark as Parquet before dbt runs; what Spark built (the marts, the staging views the checks
    read) comes back into it right after the build (lib/spark_exchange.py, decision 111)."""
    if settings.target in ("duckdb", "spark"):
        with connect_duckdb(settings, read_only=read_only) as con:
            yield con
        return
    con = PostgresConnection(connect_postgres(), temp_dir=settings.duckdb_temp_dir)
    try:
        if read_only:
            con.execute("set session characteristics as transaction read only")
        yield con
    finally:
        con.close()


def sample_hash(engine: str, columns: Sequence[str]) -> str:
    """A deterministic non-negative integer hash of ``columns`` (for check samples)."""
    quoted = [quote_ident(c) for c in columns]
    if engine == "duckdb":
        return f"hash({', '.join(quoted)})"
    parts = " || '|' || ".join(f"coalesce(cast({c} as text), '<null>')" for c in quoted)
    return f"abs(hashtext({parts})::bigint)"


# ------------------------------------------------------------------------------- copying tables


def push_tables(duck: duckdb.DuckDBPyConnection, pg: PostgresConnection, relations: Sequence[str], log=print) -> None:
    """Replace each ``schema.table`` of the engine with the working file's table of that name. Call it
    inside a transaction of ``pg`` (dbt never sees a half-copied raw schema)."""
    for relation in relations:
        schema, table = relation.split(".")
        columns = duck.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
        _refuse_nul_characters(duck, schema, table, [name for name, kind in columns if kind == "VARCHAR"])
        ddl = ", ".join(f"{quote_ident(name)} {_pg_type(name, kind)}" for name, kind in columns)
        target = f"{quote_ident(schema)}.{quote_ident(table)}"
        pg.execute(f"create schema if not exists {quote_ident(schema)}")
        pg.execute(f"drop table if exists {target}")
        pg.execute(f"create table {target} ({ddl})")
        rows = _copy_into_postgres(duck, pg, schema, table, [name for name, _ in columns])
        log(f"engine: {relation} copied to PostgreSQL ({rows:,} rows)")


def _refuse_nul_characters(duck: duckdb.DuckDBPyConnection, schema: str, table: str, text_columns: list[str]) -> None:
    """PostgreSQL text cannot hold U+0000 (DuckDB's can): name what would not survive, rather than fail in
    the middle of a COPY or change a value silently."""
    if not text_columns:
        return
    counts = ", ".join(f"count(*) filter (where contains({quote_ident(c)}, chr(0)))" for c in text_columns)
    found = duck.execute(f"select {counts} from {quote_ident(schema)}.{quote_ident(table)}").fetchone()
    bad = [f"{column} ({count:,} values)" for column, count in zip(text_columns, found or (), strict=False) if count]
    if bad:
        raise EngineError(
            f"{table}: PostgreSQL cannot store the character U+0000, which landed in {', '.join(bad)}; remove it "
            "from the export (or refresh with PARTNERPULSE_TARGET=duckdb)"
        )


def _pg_type(name: str, kind: str) -> str:
    found = postgres_type(kind)
    if found is None:
        raise EngineError(f"column {name}: DuckDB type {kind} has no PostgreSQL type here")
    return found


def _copy_into_postgres(
    duck: duckdb.DuckDBPyConnection, pg: PostgresConnection, schema: str, table: str, columns: list[str]
) -> int:
    """COPY the table's rows through a CSV file in the warehouse's temp folder (never all in memory)."""
    column_list = ", ".join(quote_ident(c) for c in columns)
    with tempfile.TemporaryDirectory(prefix="pp-engine-", dir=pg.temp_dir) as folder:
        path = Path(folder) / "rows.csv"
        duck.execute(
            f"copy (select {column_list} from {quote_ident(schema)}.{quote_ident(table)}) "
            f"to {quote_literal(str(path))} (format csv, header false, force_quote *)"
        )
        with path.open("rb") as rows:
            # force_quote: an empty text is "" and stays empty; an unquoted empty field is NULL
            pg.raw.cursor().copy_expert(
                f"copy {quote_ident(schema)}.{quote_ident(table)} ({column_list}) from stdin with (format csv)", rows
            )
    found = duck.execute(f"select count(*) from {quote_ident(schema)}.{quote_ident(table)}").fetchone()
    return int(found[0]) if found else 0


def _select_csv(path: Path, columns: list[tuple[str, str]]) -> str:
    """A query of a CSV that PostgreSQL's COPY wrote with every non-null value quoted (a quoted empty
    field is an empty text, an unquoted one NULL), with the columns' DuckDB types. Dates and timestamps
    are read as text first: PostgreSQL writes a date before year 1 as '0044-03-15 BC' (a timestamp as
    '0001-12-31 23:00:00 BC'), which DuckDB reads as '0044-03-15 (BC)' ('0001-12-31 (BC) 23:00:00');
    its CSV reader would drop the era."""
    temporal = {"DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE"}
    read_as = {n: ("VARCHAR" if t in temporal else t) for n, t in columns}
    types = "{" + ", ".join(f"{quote_literal(n)}: {quote_literal(t)}" for n, t in read_as.items()) + "}"
    era = "cast(regexp_replace({name}, '^([0-9-]+)(.*) BC$', '\\1 (BC)\\2') as {kind}) as {name}"
    select = ", ".join(era.format(name=quote_ident(n), kind=t) if t in temporal else quote_ident(n) for n, t in columns)
    return (
        f"select {select} from read_csv({quote_literal(str(path))}, header = false, columns = {types}, "
        "auto_detect = false, allow_quoted_nulls = false)"
    )


def query_frame(con: Any, sql: str, params: Sequence[Any] | None = None):
    """A bounded query's rows as pandas on any engine, with DuckDB's conversion (checks' samples)."""
    if engine_of(con) == "duckdb":
        return con.execute(sql, params).df()
    return con.query_frame(sql, params)


def pull_tables(pg: PostgresConnection, duck: duckdb.DuckDBPyConnection, relations: Sequence[str], log=print) -> None:
    """Replace each ``schema.table`` of the working file with the engine's table of that name (same
    columns, DuckDB types of the same values), in one DuckDB transaction."""
    with tempfile.TemporaryDirectory(prefix="pp-engine-", dir=pg.temp_dir) as folder:
        files: list[tuple[str, str, Path, list[tuple[str, str]]]] = []
        for index, relation in enumerate(relations):
            schema, table = relation.split(".")
            source = f"{quote_ident(schema)}.{quote_ident(table)}"
            pg.execute(f"select * from {source} limit 0")
            columns = [(d.name, _duckdb_type(d)) for d in pg.description]
            path = Path(folder) / f"{index}.csv"
            with path.open("w", encoding="utf-8", newline="") as out:
                pg.raw.cursor().copy_expert(
                    f"copy (select * from {source}) to stdout with (format csv, header false, force_quote *)", out
                )
            files.append((schema, table, path, columns))
        duck.execute("begin transaction")
        try:
            for schema, table, path, columns in files:
                target = f"{quote_ident(schema)}.{quote_ident(table)}"
                duck.execute(f"create schema if not exists {quote_ident(schema)}")
                duck.execute(f"create or replace table {target} as {_select_csv(path, columns)}")
                count = duck.execute(f"select count(*) from {target}").fetchone()
                log(f"engine: {schema}.{table} copied from PostgreSQL ({int(count[0]) if count else 0:,} rows)")
            duck.execute("commit")
        except BaseException:
            duck.execute("rollback")
            raise


def engine_of(con: Any) -> str:
    """``duckdb`` for a DuckDB connection, else the adapter's engine name."""
    return getattr(con, "engine", "duckdb")


def content_tokens(duck: duckdb.DuckDBPyConnection, schemas: Sequence[str]) -> dict[str, str]:
    """``schema.table`` → content token (row count and the sum of a hash of every row, by DuckDB) of
    every table of ``schemas`` in the working file: an export or copy is skipped while it is unchanged."""
    tokens = {}
    for schema, table in duck.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in (select unnest(?)) and table_type = 'BASE TABLE' order by all",
        [list(schemas)],
    ).fetchall():
        count, digest = duck.execute(
            f"select count(*), {row_hash_sum('duckdb', 't')} from {quote_ident(schema)}.{quote_ident(table)} as t"
        ).fetchone()
        tokens[f"{schema}.{table}"] = f"{count}:{digest}"
    return tokens


def row_hash_sum(engine: str, alias: str) -> str:
    """An aggregate over the rows of ``alias``: the sum of a hash of each whole row (a content checksum
    to compare with the same engine's earlier value, never across engines)."""
    if engine == "duckdb":
        return f"sum(hash({alias}))"
    return f"sum(cast(hashtext(cast({alias} as text)) as bigint))"
