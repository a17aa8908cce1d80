"""`partnerpulse ui` (what `make ui` runs) serves the Dagster UI with the project's definitions loaded."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

QUERY = (
    "{ repositoriesOrError { ... on RepositoryConnection { nodes { jobs { name } "
    "schedules { name cronSchedule } } } } "
    "workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError { __typename "
    "... on PythonError { message } } } } } }"
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
    env = {**os.environ, "PATH": "/usr/bin:/bin"}  # the venv is not on PATH, as under `make ui`
    log = (tmp_path / "ui.log").open("w")
    process = subprocess.Popen(
        [str(exe), "ui", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
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
        repository = answer["data"]["repositoriesOrError"]["nodes"][0]
        assert "partnerpulse_weekly_refresh" in {job["name"] for job in repository["jobs"]}
        assert repository["schedules"] == [{"name": "weekly_refresh_schedule", "cronSchedule": "0 6 * * 1"}]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
