"""Ending a command-line process without the interpreter's teardown (decision 126).

When a Python program ends, the interpreter (``Py_FinalizeEx``) first waits for its threads, runs the ``atexit``
handlers and flushes standard output, and then tears everything down: one more full garbage collection over every
object still alive, then every module. At the end of a refresh that is everything Dagster, dbt's manifest and GX
built. Measured: 2.3-2.5 s after `partnerpulse refresh` printed its summary (20,000 accounts), and 0.7-0.9 s at
the end of every `dbt` process. Nothing needs the teardown: the commands close their files and connections
themselves, the operating system takes the memory back.

So the two scripts end the way the interpreter would up to the teardown, then ``os._exit``: threads joined
(``threading._shutdown``, what the interpreter calls), ``atexit`` handlers run (logging's flush among them),
standard streams flushed (a failed flush makes the status 120, as the interpreter's does). The first two are
CPython's private names (3.11 here); without them the exit is the ordinary one, only slower
(tests/test_process_exit.py checks they exist). ``gc.freeze()`` would skip the
collection too, but the teardown then finds DuckDB's objects alive and its binding library prints a page of
"nanobind: leaked ..." on stderr.

Only for a process about to exit: ``cli.main`` itself returns normally (pytest calls it many times).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from typing import NoReturn


def _status(code: object) -> int:
    """The exit status ``sys.exit(code)`` gives: None is 0, an int itself, anything else printed and 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _flushed_standard_streams() -> bool:
    """Flushes stdout and stderr as the interpreter does at exit: a stream that is None or closed is skipped; a
    failed flush (a closed pipe, a full disk) is reported for stdout, and makes the status 120. False then."""
    flushed = True
    for stream in (sys.stdout, sys.stderr):
        if stream is None or getattr(stream, "closed", False):
            continue
        try:
            stream.flush()
        except Exception as exc:  # what the interpreter does: report it, exit with 120
            flushed = False
            if stream is sys.stdout and sys.stderr is not None:
                with contextlib.suppress(Exception):
                    print(f"Exception ignored in: {stream!r}\n{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
    return flushed


def exit_without_teardown(code: object) -> NoReturn:
    shutdown_threads = getattr(threading, "_shutdown", None)
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if shutdown_threads is None or run_exit_handlers is None:
        sys.exit(code)
    status = _status(code)
    shutdown_threads()
    run_exit_handlers()
    if not _flushed_standard_streams():
        status = 120  # as Py_Exit when the interpreter's own flush fails
    os._exit(status)


def dbt_main() -> NoReturn:
    """``partnerpulse-dbt``: dbt's own command line (``dbt.cli.main:cli``, what the ``dbt`` script runs), then
    the exit above. Every dbt process PartnerPulse starts runs this (settings.DBT_EXECUTABLE)."""
    from dbt.cli.main import cli

    code: object = 0
    try:
        cli(prog_name="dbt")  # click's standalone mode: always ends in SystemExit
    except SystemExit as exc:
        code = exc.code
    # outside the handler: the exception (and the frames its traceback holds, a DuckDB connection among them on
    # an error) is released before the atexit handlers run, as in the interpreter's own exit
    exit_without_teardown(code)
