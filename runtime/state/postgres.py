"""The shared state store for teams: the tables live in the schema `orchc` of a
PostgreSQL database (created on first open), reached through psycopg 3.

Each store keeps one connection in autocommit mode and opens an explicit transaction
per call. The state lock is the `locks` row, as in SQLite, with two additions:
- changes to a lock row are serialised by a transaction-level advisory lock, because
  READ COMMITTED alone would let two clients both see "no lock" and both insert;
- the holder also takes a session-level advisory lock, which PostgreSQL drops when the
  holder's connection ends. A client that finds a lock row but can take that advisory
  lock knows the holder is gone, even when it ran on another host. (After a
  `force_unlock` the old holder may still hold the advisory lock; then the new holder
  runs without one and liveness falls back to the host/pid check.)
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg

from .crypto import StateKey
from .errors import StateUnavailableError, StateUrlError
from .locking import ProcessIdentity
from .schema import POSTGRES
from .sql import KEY_FROM_ENVIRONMENT, SqlStateStore, Transaction, with_markers
from .url import PostgresLocation, parse_state_url, redact_url

SCHEMA = "orchc"
CONNECT_TIMEOUT_S = 10
# Advisory lock keys are (namespace, key) pairs; these namespaces are orchc's ("orch").
_MUTEX_NAMESPACE = 0x6F726368
_HOLDER_NAMESPACE = 0x6F726369
_ASYNC_COMMIT = "SET LOCAL synchronous_commit TO OFF"


class PostgresBackend:
    """The `postgresql` (or `postgres`) scheme: `postgresql://user@host:port/dbname`."""

    def open(self, url: str, project_root: Path) -> PostgresStateStore:
        return PostgresStateStore(_location(url))

    def exists(self, url: str, project_root: Path) -> bool:
        return True  # the tables are created on first open; there is nothing to avoid

    def location(self, url: str, project_root: Path) -> str:
        return _location(url).display


def _location(url: str) -> PostgresLocation:
    location = parse_state_url(url, Path("."))
    if not isinstance(location, PostgresLocation):
        raise StateUrlError(f"state URL '{redact_url(url)}' is not a postgresql:// URL")
    return location


class PostgresStateStore(SqlStateStore):
    """`StateStore` in a PostgreSQL database; creates its schema and tables if missing."""

    def __init__(
        self, location: PostgresLocation, key: StateKey | None = KEY_FROM_ENVIRONMENT
    ) -> None:
        super().__init__(POSTGRES, location.display, key)
        self.location = location
        self._mutex = threading.Lock()
        self._advisory_held: set[int] = set()
        self._connection = _connect(location)
        try:
            with self._transaction(write=True) as tx:
                tx.run("SELECT pg_advisory_xact_lock(?, 0)", (_MUTEX_NAMESPACE,))
                tx.run(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
                tx.run(f"SET search_path TO {SCHEMA}")
                self._create_schema(tx, may_create=True)  # DDL is transactional
        except BaseException:
            self._connection.close()
            raise

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Transaction]:
        # `write` needs nothing extra: row locks and the advisory locks taken inside
        # serialise what must be serialised, under the default READ COMMITTED.
        with self._mutex:
            try:
                with self._connection.transaction(), self._connection.cursor() as cursor:
                    yield Transaction(cursor, POSTGRES)
            except psycopg.Error as error:
                raise StateUnavailableError(
                    f"PostgreSQL state store {self.location.display}: {_first_line(error)}"
                ) from None

    def _write(self, sql: str, params: Sequence[object], *, durable: bool) -> int:
        # One round trip either way: a durable write is a single autocommitted statement;
        # a result is pipelined with BEGIN, SET LOCAL synchronous_commit and COMMIT, so its
        # commit does not wait for the WAL flush (the next durable commit flushes it).
        query = with_markers(sql, POSTGRES.param)
        with self._mutex:
            try:
                with self._connection.cursor() as cursor:
                    if durable:
                        cursor.execute(query, params)
                        return cursor.rowcount
                    with self._connection.pipeline(), self._connection.transaction():
                        cursor.execute(_ASYNC_COMMIT)
                        cursor.execute(query, params)
                    return cursor.rowcount
            except psycopg.Error as error:
                raise StateUnavailableError(
                    f"PostgreSQL state store {self.location.display}: {_first_line(error)}"
                ) from None

    def close(self) -> None:
        with self._mutex:
            self._connection.close()  # also drops every session advisory lock we hold

    def _after_import(self, tx: Transaction) -> None:
        # Copied deployments kept their ids; new ones must be numbered after them.
        tx.run(
            "SELECT setval(pg_get_serial_sequence('deployments', 'id'), "
            "COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM deployments"
        )

    def _serialize_all_locks(self, tx: Transaction) -> None:
        # Conflicts with the row locks INSERT and DELETE take: no lock row changes
        # until this transaction ends.
        tx.run("LOCK TABLE locks IN SHARE ROW EXCLUSIVE MODE")

    def _serialize_lock(self, tx: Transaction, app: str, env: str) -> None:
        tx.run("SELECT pg_advisory_xact_lock(?, ?)", (_MUTEX_NAMESPACE, _lock_key(app, env)))

    def _holder_is_gone(self, tx: Transaction, app: str, env: str, held: ProcessIdentity) -> bool:
        # Taking the holder's advisory lock succeeds only if no live session holds it.
        if self._try_advisory_lock(tx, _lock_key(app, env)):
            return True
        return super()._holder_is_gone(tx, app, env, held)

    def _lock_claimed(self, tx: Transaction, app: str, env: str) -> None:
        self._try_advisory_lock(tx, _lock_key(app, env))

    def _lock_released(self, app: str, env: str) -> None:
        key = _lock_key(app, env)
        if key in self._advisory_held:
            with self._transaction(write=False) as tx:
                tx.run("SELECT pg_advisory_unlock(?, ?)", (_HOLDER_NAMESPACE, key))
            self._advisory_held.discard(key)

    def _try_advisory_lock(self, tx: Transaction, key: int) -> bool:
        """Take the holder advisory lock for `key` unless this session has it already
        (session advisory locks nest; holding it twice would need two unlocks)."""
        if key in self._advisory_held:
            return False
        row = tx.one("SELECT pg_try_advisory_lock(?, ?)", (_HOLDER_NAMESPACE, key))
        if row is not None and row[0]:
            self._advisory_held.add(key)
            return True
        return False


def _connect(location: PostgresLocation) -> psycopg.Connection[tuple[object, ...]]:
    try:
        connection = psycopg.connect(
            location.conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
        )
        connection.prepare_threshold = 0  # every statement kind prepared on first use
        return connection
    except psycopg.Error as error:
        raise StateUnavailableError(
            f"cannot connect to the PostgreSQL state store {location.display}: {_first_line(error)}"
        ) from None


def _lock_key(app: str, env: str) -> int:
    """A stable signed 32-bit key for (app, env), as advisory lock functions take."""
    digest = hashlib.sha256(f"{app}\x00{env}".encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


def _first_line(error: Exception) -> str:
    # libpq messages carry DETAIL/HINT lines after the first; the first says it all.
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
