"""What only the SQLite backend promises: its file, its modes, its pragmas."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orchc.compiler.state import StateResource
from orchc.compiler.uid import ResourceUid
from orchc.runtime.state import DEFAULT_STATE_URL, StateUnavailableError, open_state
from orchc.runtime.state.contract import LockedError, ResourceRecord
from orchc.runtime.state.errors import StateCorruptError
from orchc.runtime.state.sqlite_store import SqliteStateStore


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqliteStateStore]:
    store = open_state(DEFAULT_STATE_URL, tmp_path)
    assert isinstance(store, SqliteStateStore)
    yield store
    store.close()


def test_the_default_url_creates_the_database_under_the_project_root(
    sqlite_store: SqliteStateStore, tmp_path: Path
) -> None:
    assert sqlite_store.path == tmp_path / ".orchc" / "state.db"
    assert sqlite_store.path.is_file()


def test_an_absolute_url_ignores_the_project_root(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "deep" / "orchc.db"
    store = open_state(f"sqlite:///{path}", Path("/nonexistent"))
    assert isinstance(store, SqliteStateStore) and store.path == path and path.is_file()
    store.close()


def test_the_database_and_its_wal_files_are_private(sqlite_store: SqliteStateStore) -> None:
    sqlite_store.put_workloads("shop", "dev", ())  # a write, so the WAL files exist
    for suffix in ("", "-wal", "-shm"):
        path = sqlite_store.path.with_name(sqlite_store.path.name + suffix)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_the_database_runs_in_wal_mode_with_normal_sync(
    sqlite_store: SqliteStateStore,
) -> None:
    with sqlite3.connect(sqlite_store.path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with sqlite_store._transaction(write=False) as tx:
        assert tx.one("PRAGMA synchronous") == (1,)  # NORMAL
        assert tx.one("PRAGMA busy_timeout") == (30000,)


def test_the_schema_is_versioned(sqlite_store: SqliteStateStore) -> None:
    with sqlite3.connect(sqlite_store.path) as other:
        rows = other.execute("SELECT key, value FROM meta").fetchall()
    assert rows == [("schema_version", "3")]


def test_a_lock_held_from_another_host_is_never_assumed_dead(
    sqlite_store: SqliteStateStore,
) -> None:
    with sqlite_store._transaction(write=True) as tx:
        tx.run(
            "INSERT INTO locks (app, env, host, pid, process, since, operation) "
            "VALUES ('shop', 'dev', 'build-7', 1, 'x/1', '2024-01-01T00:00:00Z', 'apply')"
        )
    with pytest.raises(LockedError) as raised:
        sqlite_store.acquire_lock("shop", "dev", "apply")
    assert str(raised.value) == (
        "state is locked: apply by pid 1 on build-7 since 2024-01-01T00:00:00Z"
    )


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("not a database, just some notes\n" * 100)
    with pytest.raises(StateCorruptError) as raised:
        open_state("sqlite:///notes.db", tmp_path)
    assert str(raised.value) == (
        f"the state at {tmp_path / 'notes.db'} is not an orchc state database: "
        "file is not a database"
    )


def test_a_new_store_is_made_despite_a_half_made_file_a_crashed_run_left(
    tmp_path: Path,
) -> None:
    # A run that died between making the new file and linking it into place left it;
    # a later run with the same pid (pids are reused) must not trip over it.
    SqliteStateStore(tmp_path / "other.db").close()
    leftover = tmp_path / f".state.db.{os.getpid()}.new"
    (tmp_path / "other.db").rename(leftover)
    store = open_state("sqlite:///state.db", tmp_path)
    try:
        assert list(store.records("app", "env")) == []
    finally:
        store.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_path_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where a directory should be\n")
    with pytest.raises(StateUnavailableError) as raised:
        open_state("sqlite:///blocker/state.db", tmp_path)
    assert str(raised.value) == (
        f"cannot open the state database {tmp_path / 'blocker' / 'state.db'}: "
        f"[Errno 17] File exists: '{tmp_path / 'blocker'}'"
    )


def _uids_seen_by_another_connection(store: SqliteStateStore) -> list[str]:
    with sqlite3.connect(store.path) as other:
        return [row[0] for row in other.execute("SELECT uid FROM resources ORDER BY uid")]


def test_grouped_writes_are_one_transaction(
    sqlite_store: SqliteStateStore,
    make_record: Callable[..., ResourceRecord],
    make_resource: Callable[..., StateResource],
) -> None:
    """The runtime groups one executor step's writes: nothing is visible to another
    process before the group ends, then all of it is."""
    with sqlite_store.grouped():
        sqlite_store.put("shop", "dev", make_record("postgres.default#a"))
        with sqlite_store.grouped():  # nested: the outer group commits
            sqlite_store.mark("shop", "dev", make_resource("postgres.default#b"))
        assert sqlite_store.record("shop", "dev", ResourceUid.parse("postgres.default#a"))
        assert _uids_seen_by_another_connection(sqlite_store) == []
    assert _uids_seen_by_another_connection(sqlite_store) == [
        "postgres.default#a",
        "postgres.default#b",
    ]


def test_a_grouped_block_that_fails_keeps_what_it_wrote(
    sqlite_store: SqliteStateStore, make_record: Callable[..., ResourceRecord]
) -> None:
    """An error that is not the database's (a bug in bookkeeping, ^C) commits the
    results written so far: they record calls drivers made."""
    with pytest.raises(KeyboardInterrupt), sqlite_store.grouped():
        sqlite_store.put("shop", "dev", make_record("postgres.default#a"))
        raise KeyboardInterrupt
    assert _uids_seen_by_another_connection(sqlite_store) == ["postgres.default#a"]
