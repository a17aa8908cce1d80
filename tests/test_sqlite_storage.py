"""Dagster's SQLite storage during a CLI run (sqlite_storage.py): cheaper writes, nothing lost."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from dagster_project.defs.operations.sqlite_storage import cheap_event_writes

FULL, NORMAL = 2, 1  # PRAGMA synchronous values


def _synchronous(path: Path) -> int:
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=NullPool)
    with engine.connect() as conn:
        value = conn.execute(sa.text("pragma synchronous")).scalar_one()
    engine.dispose()
    return int(value)


def test_a_run_inside_writes_cheaply_and_leaves_its_history_whole(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    index_db = home / "history" / "runs" / "index.db"
    seen: dict[str, int] = {}

    @dg.op
    def observe() -> None:
        seen["synchronous"] = _synchronous(index_db)
        seen["wal_files"] = len(list(index_db.parent.glob("*.db-wal")))

    @dg.job
    def tiny() -> None:
        observe()

    with dg.DagsterInstance.from_config(str(home)) as instance:
        with cheap_event_writes(Path(instance.root_directory)):
            result = tiny.execute_in_process(instance=instance)
        assert result.success
        run_id = result.run_id

    assert seen["synchronous"] == NORMAL  # set on every connection opened inside
    assert seen["wal_files"] >= 1  # held open: the writes' closes do not checkpoint
    assert not list(home.rglob("*.db-wal"))  # closed at the end: everything checkpointed into the files
    assert _synchronous(index_db) == FULL  # outside, SQLite's defaults again

    with dg.DagsterInstance.from_config(str(home)) as reopened:
        record = reopened.get_run_record_by_id(run_id)
        assert record is not None and record.dagster_run.status == dg.DagsterRunStatus.SUCCESS
        steps = reopened.all_logs(run_id, of_type=dg.DagsterEventType.STEP_SUCCESS)
        assert [entry.step_key for entry in steps] == ["observe"]


def test_files_outside_the_instance_are_left_alone(tmp_path: Path) -> None:
    home, other = tmp_path / "home", tmp_path / "other.db"
    home.mkdir()
    engine = sa.create_engine(f"sqlite:///{other}", poolclass=NullPool)
    with engine.connect() as conn:
        conn.execute(sa.text("pragma journal_mode = wal"))
        conn.execute(sa.text("create table t (x integer)"))
        conn.commit()
    with cheap_event_writes(home):
        with engine.connect() as conn:
            conn.execute(sa.text("insert into t values (1)"))
            conn.commit()
        # no connection held to a file outside the instance: its last close checkpointed it
        assert not Path(f"{other}-wal").exists()
    engine.dispose()
