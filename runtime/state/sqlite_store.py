"""The embedded state store: one SQLite file per project (default `.orchc/state.db`),
opened through the `sqlite` backend (runtime/state/sqlite.py).

The file holds secrets, so it is created with mode 0600 before SQLite opens it (SQLite
gives its `-wal` and `-shm` files the mode of the database file). It runs in WAL mode
with `synchronous=NORMAL`: a committed transaction is in the WAL, i.e. handed to the
kernel, before `COMMIT` returns, so killing the process (even SIGKILL) never loses a
committed resource result; only an OS crash or power loss can drop the last commits
since a checkpoint. FULL would fsync every commit and make each of the thousands of
transactions of a large apply (one per executor step, `grouped`) cost a disk flush.

Writers take the database lock up front (`BEGIN IMMEDIATE`) and wait up to
`BUSY_TIMEOUT_MS` for another writer, so a read-then-write (the state lock, the serial
compare-and-set) is atomic across processes. One connection per store, shared by
threads through a mutex.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .crypto import StateKey
from .errors import StateCorruptError, StateStoreError, StateUnavailableError
from .schema import SQLITE, new_store_statements
from .sql import KEY_FROM_ENVIRONMENT, SqlStateStore, Transaction

BUSY_TIMEOUT_MS = 30_000  # transactions are short; a long wait means a stuck writer


class SqliteStateStore(SqlStateStore):
    """`StateStore` in a SQLite file; the file and its directory are created if missing."""

    def __init__(self, path: Path, key: StateKey | None = KEY_FROM_ENVIRONMENT) -> None:
        super().__init__(SQLITE, str(path), key)
        self.path = path
        self._mutex = threading.Lock()
        self._group: Transaction | None = None  # the transaction `grouped` holds open
        self._group_thread: int | None = None  # and the thread it groups the writes of
        if not path.exists():
            _create_store_file(path)
        elif path.is_file() and path.stat().st_size == 0:
            raise StateCorruptError(
                f"the state at {path} is an empty file (0 bytes), not an orchc state "
                "database; if nothing was ever applied with it, remove it"
            )
        self._connection = _connect(path)
        try:
            # Nothing is written before the file is known to be an orchc state.
            with self._transaction(write=True) as tx:
                self._create_schema(tx, may_create=False)
            self._connection.execute("PRAGMA journal_mode = WAL")
        except sqlite3.Error as error:
            self._connection.close()
            raise _store_error(path, error) from None
        except BaseException:
            self._connection.close()
            raise

    @contextmanager
    def grouped(self) -> Iterator[None]:
        """Make every statement this thread runs until the block ends one transaction.
        The runtime groups the bookkeeping of one executor step: the intents before any
        of their drivers is called, the results before anything that waits for them
        starts. A transaction per resource write cost more than the rest of an apply of
        static resources. A crash inside the block loses its writes as a crash between
        a driver's call and its result would: the intents before it are committed, and
        the next plan repeats their calls. An error that is not the database's commits
        what was written, then propagates. Other threads' statements wait for the block.
        """
        if self._group_thread == threading.get_ident():
            yield  # nested: the outer block commits
            return
        with self._transaction(write=True) as group:
            self._group, self._group_thread = group, threading.get_ident()
            try:
                yield
            except (sqlite3.Error, StateStoreError):
                raise  # rolled back
            except BaseException:
                self._commit_open()
                raise
            finally:
                self._group = self._group_thread = None

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Transaction]:
        if self._group is not None and self._group_thread == threading.get_ident():
            try:
                yield self._group
            except sqlite3.Error as error:
                raise _store_error(self.path, error) from None
            return
        with self._mutex:
            cursor = self._connection.cursor()
            try:
                # A deferred BEGIN still gives readers one consistent snapshot.
                cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                yield Transaction(cursor, SQLITE)
                cursor.execute("COMMIT")
            except sqlite3.Error as error:
                self._rollback()
                raise _store_error(self.path, error) from None
            except BaseException:
                self._rollback()
                raise
            finally:
                cursor.close()

    def close(self) -> None:
        with self._mutex:
            self._connection.close()

    def _rollback(self) -> None:
        if self._connection.in_transaction:
            self._connection.rollback()

    def _commit_open(self) -> None:
        """Commit what a `grouped` block wrote before an error that was not SQLite's."""
        if self._connection.in_transaction:
            self._connection.commit()


def _store_error(path: Path, error: sqlite3.Error) -> StateStoreError:
    if getattr(error, "sqlite_errorcode", None) in _NOT_A_STATE:
        return StateCorruptError(f"the state at {path} is not an orchc state database: {error}")
    return StateUnavailableError(f"state database {path}: {error}")


# "file is not a database", "database disk image is malformed"
_NOT_A_STATE = frozenset({sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT})


def _create_store_file(path: Path) -> None:
    """Create a new state file whole: its tables are made in a temporary file beside it,
    which is then linked into place. A crash leaves no empty or half-made file at `path`
    (one would be refused as damaged: an empty database is not taken for a new store)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StateUnavailableError(f"cannot open the state database {path}: {error}") from None
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    _remove_with_wal(temporary)  # left by a crashed run whose pid this process reuses
    connection = _connect(temporary)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("BEGIN IMMEDIATE")
        for statement in new_store_statements(SQLITE):
            connection.execute(statement)
        connection.execute("COMMIT")
    except sqlite3.Error as error:
        raise StateUnavailableError(f"cannot create the state database {path}: {error}") from None
    finally:
        connection.close()  # the last connection: SQLite folds its WAL into the file
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another orchc created it meanwhile: that one is used
    except OSError as error:
        raise StateUnavailableError(f"cannot create the state database {path}: {error}") from None
    finally:
        _remove_with_wal(temporary)


def _remove_with_wal(database: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)


def _connect(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        connection = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
    except (OSError, sqlite3.Error) as error:
        raise StateUnavailableError(f"cannot open the state database {path}: {error}") from None
    try:
        _configure(connection)
    except sqlite3.Error as error:
        connection.close()
        raise _store_error(path, error) from None
    return connection


def _configure(connection: sqlite3.Connection) -> None:
    """Settings of this connection only: nothing is written to the file (the journal
    mode, kept in the file, is set once the file is known to be a state)."""
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
