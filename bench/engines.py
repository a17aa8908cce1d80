"""`BENCH_ENGINES=duckdb,postgres,spark make bench`: the same refreshes on other engines (issue 14, SPEC §12).

For each scale and each engine other than DuckDB (whose refreshes are the main benchmark): a full
refresh from an empty warehouse and the next week's refresh, on the same landing data and weeks as the
DuckDB run, each in its own process: wall time, peak RSS of the pipeline's processes and, separately,
of the database server's processes (sampled the same way). Then every published output is compared
with the DuckDB run of the same week (bench/compare.py: marts row for row with their types, ratios to
1e-9 as SPEC §12 allows, finance files and partner feeds byte for byte).

PostgreSQL: the server of the PG* variables when PGHOST is set, else one of the bench's own, started in
bench/cache/pg (initdb on first use; as root it runs as the ``postgres`` user) on 127.0.0.1 with the
server's defaults but ``fsync=off`` (the data is scratch), and stopped at the end. Each scale uses a
database of its own, dropped and created again before its full refresh.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2

ENGINES = ("duckdb", "postgres", "spark")


def engines_from_env() -> list[str]:
    """BENCH_ENGINES (default duckdb), checked before anything runs."""
    names = [e.strip().lower() for e in os.environ.get("BENCH_ENGINES", "duckdb").split(",") if e.strip()]
    for name in names:
        if name not in ENGINES:
            raise SystemExit(f"BENCH_ENGINES: '{name}' is not an engine; use {', '.join(ENGINES)}")
    if names and "duckdb" not in names:
        raise SystemExit("BENCH_ENGINES: include duckdb (the other engines' outputs are compared with its run)")
    return names or ["duckdb"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def postgres_server(cache: Path, say: Callable[[str], None]) -> Iterator[tuple[dict[str, str], int | None]]:
    """(libpq variables, the postmaster's pid when the bench started it)."""
    if os.environ.get("PGHOST"):
        names = ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE")
        yield {name: os.environ[name] for name in names if os.environ.get(name)}, None
        return
    initdb = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not initdb:
        raise SystemExit("BENCH_ENGINES=postgres: no PostgreSQL server here (`make postgresql`), and PGHOST is unset")
    bin_dir = initdb[-1].parent
    root = cache / "pg"
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    data = root / "data"
    if not (data / "PG_VERSION").is_file():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        if as_postgres:
            shutil.chown(root, "postgres")
        say(f"PostgreSQL: initdb in {data}")
        initdb_args = ["-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"]
        subprocess.run(
            [*as_postgres, str(bin_dir / "initdb"), *initdb_args],
            check=True,
            capture_output=True,
        )
    port = _free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} -c fsync=off"
    pg_ctl = [*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log")]
    subprocess.run([*pg_ctl, "-w", "-o", options, "start"], check=True, capture_output=True)
    try:
        pid = int((data / "postmaster.pid").read_text().split()[0])
        yield {"PGHOST": "127.0.0.1", "PGPORT": str(port), "PGUSER": "postgres", "PGDATABASE": "postgres"}, pid
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "stop"], check=False, capture_output=True)


def fresh_database(env: dict[str, str], name: str) -> dict[str, str]:
    """Drop and create database ``name``; the libpq variables that reach it."""
    conn = psycopg2.connect(**{"host": env["PGHOST"], "port": env.get("PGPORT", "5432"), "user": env.get("PGUSER")})
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'drop database if exists "{name}"')
            cur.execute(f'create database "{name}"')
    finally:
        conn.close()
    return {**env, "PGDATABASE": name}
