"""What only the PostgreSQL backend promises: its schema, its errors, and a lock whose
holder's liveness is its connection."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from orchc.runtime.state import StateUnavailableError, open_state
from orchc.runtime.state.contract import LockedError
from orchc.runtime.state.postgres import PostgresStateStore
from orchc.runtime.state.sql import SqlStateStore

pytestmark = pytest.mark.services


@pytest.fixture
def state_url(postgres_url: str) -> str:
    """Overrides the two-backend fixture: these tests are PostgreSQL only."""
    return postgres_url


def test_the_tables_live_in_the_orchc_schema(store: SqlStateStore, state_url: str) -> None:
    assert isinstance(store, PostgresStateStore)
    with psycopg.connect(state_url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'orchc' ORDER BY table_name"
        ).fetchall()
    assert [name for (name,) in rows] == [
        "deployments",
        "lineages",
        "locks",
        "meta",
        "resources",
        "workloads",
    ]


def test_opening_twice_keeps_the_existing_tables(
    open_store: Callable[[], SqlStateStore],
) -> None:
    open_store().begin_deployment("shop", "dev", "sha256:p1", None, 0)
    assert open_store().snapshot("shop", "dev").serial == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "postgresql://ci:s3cret@127.0.0.1:1/orchc",
            "cannot connect to the PostgreSQL state store postgresql://ci:***@127.0.0.1:1/orchc: "
            'connection failed: connection to server at "127.0.0.1", port 1 failed: '
            "Connection refused",
        ),
        (
            "postgresql://postgres@127.0.0.1:5432/orchc_no_such_db",
            "cannot connect to the PostgreSQL state store "
            "postgresql://postgres@127.0.0.1:5432/orchc_no_such_db: connection failed: "
            'connection to server at "127.0.0.1", port 5432 failed: '
            'FATAL:  database "orchc_no_such_db" does not exist',
        ),
    ],
    ids=["unreachable", "no-database"],
)
def test_a_store_that_cannot_be_reached_is_a_clear_error(url: str, message: str) -> None:
    with pytest.raises(StateUnavailableError) as raised:
        open_state(url, Path("."))
    assert str(raised.value) == message
    assert "s3cret" not in str(raised.value)


def test_a_holder_on_another_host_keeps_the_lock_while_its_connection_lives(
    spawn: Callable[..., Any], store: SqlStateStore, state_url: str
) -> None:
    child = spawn("hold", "apply")
    child.line()
    with store._transaction(write=True) as tx:  # as if the holder ran on another machine
        tx.run("UPDATE locks SET host = 'build-7'")
    with pytest.raises(LockedError) as raised:
        store.acquire_lock("shop", "dev", "apply")
    assert raised.value.holder.host == "build-7"
    os.kill(child.process.pid, signal.SIGKILL)
    child.process.wait(timeout=60)
    _wait_until_no_other_session_holds_advisory_locks(state_url)
    assert store.acquire_lock("shop", "dev", "apply").pid == os.getpid()


def _wait_until_no_other_session_holds_advisory_locks(url: str) -> None:
    # The server ends a killed client's session when it reads the closed socket, which
    # is asynchronous; wait for that state, no timing is asserted.
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(6000):  # a bound, so a regression fails instead of hanging
            if conn.execute(_OTHER_ADVISORY_LOCKS).fetchone() == (0,):
                return
            conn.execute("SELECT pg_sleep(0.01)")
    pytest.fail("the killed holder's session never ended")


_OTHER_ADVISORY_LOCKS = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid() "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
