"""`partnerpulse ui` (what `make ui` runs) serves the Dagster UI with the project's definitions loaded,
as the code location `partnerpulse`, without the first-visit community pop-up."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from dagster_project.defs.operations.instance import DAGSTER_YAML, ensure_dagster_home, get_instance
from dagster_project.settings import Settings

QUERY = (
    "{ repositoriesOrError { ... on RepositoryConnection { nodes { jobs { name } "
    "schedules { name cronSchedule } } } } "
    "workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError { __typename "
    "... on PythonError { message } } } } } "
    "shouldShowNux }"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(port: int) -> dict | None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": QUERY}).encode(),
        headers={"content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())
    except OSError:
        return None


def test_ui_serves_the_definitions(pp_env, tmp_path: Path):
    port = _free_port()
    exe = Path(sys.executable).with_name("partnerpulse")
    scratch = tmp_path / "ui_tmp"  # where dagster dev puts its temporary workspace and code-server sockets
    scratch.mkdir()
    env = {**os.environ, "PATH": "/usr/bin:/bin", "TMPDIR": str(scratch)}  # the venv is not on PATH, as under `make ui`
    log = (tmp_path / "ui.log").open("w")
    # SIGINT ignored, as a script's `partnerpulse ui &` leaves it: the UI must still stop on SIGTERM (dagster
    # maps SIGTERM to SIGINT's handler, so an inherited ignored SIGINT made it unstoppable but by SIGKILL)
    process = subprocess.Popen(
        ["/bin/sh", "-c", 'trap "" INT; exec "$0" ui --port "$1"', str(exe), str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stopped = False
    try:
        deadline = time.monotonic() + 150
        answer = None
        while time.monotonic() < deadline:
            answer = _graphql(port)
            entries = (answer or {}).get("data", {}).get("workspaceOrError", {}).get("locationEntries") or []
            if entries and entries[0]["locationOrLoadError"]:
                break
            time.sleep(2)
        assert answer is not None, (tmp_path / "ui.log").read_text()[-3000:]
        location = answer["data"]["workspaceOrError"]["locationEntries"][0]["locationOrLoadError"]
        assert location["__typename"] == "RepositoryLocation", location
        assert [entry["name"] for entry in answer["data"]["workspaceOrError"]["locationEntries"]] == ["partnerpulse"]
        assert answer["data"]["shouldShowNux"] is False  # nux.enabled: false in DAGSTER_HOME/dagster.yaml
        repository = answer["data"]["repositoriesOrError"]["nodes"][0]
        assert "partnerpulse_weekly_refresh" in {job["name"] for job in repository["jobs"]}
        assert repository["schedules"] == [{"name": "weekly_refresh_schedule", "cronSchedule": "0 6 * * 1"}]

        # SIGTERM to the UI's own process only, as `kill PID` or a service manager's stop does: dagster dev
        # then stops its webserver, daemon and code servers, and removes its temporary files
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not _group_alive(process.pid), (tmp_path / "ui.log").read_text()[-3000:]
        stopped = True
        assert "Dagster services shut down." in (tmp_path / "ui.log").read_text()
        assert list(scratch.iterdir()) == []
    finally:
        if not stopped:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        log.close()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_instance_the_cli_creates_has_no_community_pop_up(pp_env: Settings):
    instance = get_instance(pp_env)
    assert (instance.nux_enabled, instance.telemetry_enabled) == (False, False)
    assert instance.get_settings("nux") == {"enabled": False}


PREVIOUS_DEFAULT = """\
# Written by PartnerPulse on first use; edit freely.
telemetry:
  enabled: false
# One run writing the warehouse at a time: runs launched by the daemon (schedule, UI, backfills)
# wait in the run queue; in-process CLI runs are kept apart by the warehouse lock (locking.py).
concurrency:
  runs:
    max_concurrent_runs: 1
"""


def test_an_unchanged_earlier_default_is_upgraded_and_an_edited_one_kept(pp_env: Settings):
    config = pp_env.dagster_home / "dagster.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(PREVIOUS_DEFAULT, encoding="utf-8")
    ensure_dagster_home(pp_env)
    assert config.read_text(encoding="utf-8") == DAGSTER_YAML
    assert config.read_text(encoding="utf-8").endswith("nux:\n  enabled: false\n")

    edited = "telemetry:\n  enabled: true\n"
    config.write_text(edited, encoding="utf-8")
    ensure_dagster_home(pp_env)
    assert config.read_text(encoding="utf-8") == edited
