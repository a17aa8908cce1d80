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
        with cheap_event_writes(instance):
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
    with dg.DagsterInstance.from_config(str(home)) as instance, cheap_event_writes(instance):
        with engine.connect() as conn:
            conn.execute(sa.text("insert into t values (1)"))
            conn.commit()
        # no connection held to a file outside the instance: its last close checkpointed it
        assert not Path(f"{other}-wal").exists()
    engine.dispose()


def test_the_event_log_reuses_its_connections_during_a_run(tmp_path: Path) -> None:
    """Dagster's SQLite event log opens a connection per event; inside, a run's ~150 events reuse a
    few, and afterwards the storage is Dagster's own again."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    keys = [dg.AssetKey(f"a{i}") for i in range(40)]

    @dg.multi_asset(specs=[dg.AssetSpec(key) for key in keys], check_specs=[dg.AssetCheckSpec("ok", asset=keys[0])])
    def many():
        for key in keys:
            yield dg.MaterializeResult(asset_key=key)
        yield dg.AssetCheckResult(asset_key=keys[0], check_name="ok", passed=True)

    opened: list[str] = []

    def count(dbapi_connection, _record) -> None:
        opened.append(next(f for _, name, f in dbapi_connection.execute("pragma database_list") if name == "main"))

    def run(instance: dg.DagsterInstance) -> tuple[str, int]:
        before = len(opened)
        result = dg.materialize([many], instance=instance)
        assert result.success
        return result.run_id, sum(1 for f in opened[before:] if Path(f).parent.name == "runs")

    sa.event.listen(sa.engine.Engine, "connect", count)
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            storage = instance.event_log_storage
            _, dagsters_own = run(instance)
            with cheap_event_writes(instance):
                assert "_connect" in vars(storage)
                run_id, pooled = run(instance)
            assert "_connect" not in vars(storage) and "has_table" not in vars(storage)
            events = instance.all_logs(run_id)
    finally:
        sa.event.remove(sa.engine.Engine, "connect", count)

    assert len(events) > 90  # 40 planned, 40 materializations, step and run events
    assert dagsters_own > len(events)  # one or more connections per event
    assert pooled <= 8  # a few: the run's file and the index file, kept open, and their set-up
    materialized = [e for e in events if e.dagster_event_type == dg.DagsterEventType.ASSET_MATERIALIZATION]
    assert len(materialized) == 40
    with dg.DagsterInstance.from_config(str(home)) as reopened:
        assert reopened.get_latest_materialization_event(keys[-1]) is not None
        assert reopened.event_log_storage.get_latest_asset_check_execution_by_key  # the index file readable
