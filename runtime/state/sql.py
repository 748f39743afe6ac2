"""One `StateStore` implementation over SQL, shared by the SQLite and PostgreSQL backends.

Every method is one transaction, so a resource record is never half-written and a
crash between two calls loses at most the call in flight. A backend supplies only the
connection (`_transaction`), its `Dialect`, and the locking details through four hooks
(`_serialize_lock`, `_holder_is_gone`, `_lock_claimed`, `_lock_released`).

Invariants: `serial` moves only in `begin_deployment`, by a compare-and-set on the
(lineage, serial) the plan was made against; the lock table has at most one row per
(app, env), and a row is replaced only when its holder is provably gone.
"""

from __future__ import annotations

import dataclasses
import functools
import random
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from orchc.compiler.state import (
    JsonObject,
    ResourceStatus,
    StateResource,
    StateSnapshot,
    StateWorkload,
)
from orchc.compiler.uid import ResourceUid

from .contract import (
    DeploymentDetails,
    LockedError,
    LockHolder,
    ResourceRecord,
    ResourceTiming,
    RunResult,
    StaleStateError,
)
from .crypto import KEY_VARIABLE, StateCipher, StateKey, key_from_environment
from .errors import StateCorruptError, StateKeyError, StateSchemaError, StateStoreError
from .locking import ProcessIdentity, orphans, process_is_gone, this_process, utc_now
from .schema import (
    BOOLEAN_COLUMNS,
    COPIED_TABLES,
    DEPLOYMENT_COLUMNS,
    ENCRYPTED_COLUMNS,
    ORCHC_TABLES,
    RECORD_COLUMNS,
    RESOURCE_COLUMNS,
    SCHEMA_VERSION,
    WORKLOAD_COLUMNS,
    DamagedValueError,
    Dialect,
    Row,
    canonical_json,
    create_statements,
    intent_values,
    json_value,
    migration_statements,
    new_store_statements,
    record_from_row,
    record_values,
    resource_from_row,
    upsert_resource_sql,
    workload_from_row,
    workload_values,
)

_PUT_SQL = upsert_resource_sql(RECORD_COLUMNS[1:])
# `mark` records intent: the planner-visible columns change, what the driver returned
# last time (outputs, secrets, driver state, manifests) stays for the next call.
_MARK_SQL = upsert_resource_sql(RESOURCE_COLUMNS[1:])
# `record_attempt` keeps what a failed call was given (a delete needs it), nothing else.
_ATTEMPT_SQL = upsert_resource_sql(
    ("resolved_inputs", "resolved_secrets", "resolved_params", "resolved_context")
)
_LOCK_COLUMNS = "host, pid, process, since, operation"
T = TypeVar("T")
FIRST_LOCK_POLL_S, LAST_LOCK_POLL_S = 0.1, 2.0  # waiting for a lock: backoff bounds
_SEALED = tuple((RECORD_COLUMNS.index(column), column) for column in ENCRYPTED_COLUMNS)
# The default `key` of a store: read ORCHC_STATE_KEY when opening.
KEY_FROM_ENVIRONMENT = StateKey("")


class Cursor(Protocol):
    """The part of a DB-API cursor the shared SQL needs (sqlite3 and psycopg both fit)."""

    @property
    def rowcount(self) -> int: ...

    def execute(self, query: str, params: Sequence[Any], /) -> object: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> Any: ...

    @property
    def description(self) -> Any: ...


class Transaction:
    """An open transaction: runs statements written with `?` markers in any dialect."""

    def __init__(self, cursor: Cursor, dialect: Dialect) -> None:
        self._cursor = cursor
        self._param = dialect.param

    def run(self, sql: str, params: Sequence[object] = ()) -> int:
        """Execute a statement; returns the number of rows it changed."""
        self._cursor.execute(with_markers(sql, self._param), params)
        return self._cursor.rowcount

    def one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        self._cursor.execute(with_markers(sql, self._param), params)
        row: Row | None = self._cursor.fetchone()
        return row

    def all(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        self._cursor.execute(with_markers(sql, self._param), params)
        rows: list[Row] = self._cursor.fetchall()
        return rows

    def table(self, sql: str, params: Sequence[object] = ()) -> tuple[tuple[str, ...], list[Row]]:
        """The rows of a query and the names of its columns (for `SELECT *`)."""
        rows = self.all(sql, params)
        return tuple(str(column[0]) for column in self._cursor.description), rows


@functools.lru_cache(maxsize=128)
def with_markers(sql: str, param: str) -> str:
    # The shared SQL holds no `?` other than parameter markers (no literals with `?`).
    return sql if param == "?" else sql.replace("?", param)


@dataclass(frozen=True)
class TableRows:
    """Every row of one table, values in clear, as `SqlStateStore.export_rows` reads them."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]


class SqlStateStore(ABC):
    """`StateStore` (see `contract.py`) over the tables of `schema.py`."""

    def __init__(self, dialect: Dialect, where: str, key: StateKey | None) -> None:
        """`where` names the store in messages; `key` is the state key (the default
        reads `ORCHC_STATE_KEY` when the schema is opened)."""
        self._dialect = dialect
        self._where = where
        self._key = key_from_environment() if key is KEY_FROM_ENVIRONMENT else key
        self._cipher: StateCipher | None = None
        self._encryption: str | None = None  # the `meta` value the cipher was made from
        self._held: dict[tuple[str, str], tuple[LockHolder, int]] = {}  # lock, depth
        self._lock_timeout = 0.0
        self._on_lock_wait: Callable[[LockHolder], None] = lambda holder: None

    @abstractmethod
    def _transaction(self, *, write: bool) -> AbstractContextManager[Transaction]:
        """One transaction, committed when the block ends, rolled back if it raises.
        `write` announces writes: SQLite then takes its write lock up front, which
        makes a read-then-write atomic; where a backend cannot (PostgreSQL under READ
        COMMITTED), the shared code relies on compare-and-set and `_serialize_lock`."""

    @abstractmethod
    def close(self) -> None: ...

    @property
    def where(self) -> str:
        """Where the store is, for messages (no password)."""
        return self._where

    # -- schema ---------------------------------------------------------------------

    def _create_schema(self, tx: Transaction, *, may_create: bool) -> None:
        """Check the store is an orchc store orchc can read, migrate it, or (when
        `may_create` and the database holds no table at all) make it a new one."""
        tables = frozenset(str(row[0]) for row in tx.all(self._dialect.tables))
        if tables:
            version: int | None = self._stored_version(tx, tables)
        elif may_create:
            version = None
        else:
            raise StateCorruptError(
                f"the state at {self._where} holds no table at all (an empty database): "
                "it is not an orchc state; if nothing was ever applied with it, remove it"
            )
        statements = new_store_statements(self._dialect) if version is None else ()
        for statement in statements or create_statements(self._dialect):
            tx.run(statement)
        self._unlock(tx)  # before a migration writes anything
        if version is not None and version < SCHEMA_VERSION:
            for statement in migration_statements(self._dialect, version):
                tx.run(statement)
            tx.run("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))

    def _stored_version(self, tx: Transaction, tables: frozenset[str]) -> int:
        """The schema version of an existing store, once it is sure to be orchc's and
        whole: every table there, a version this orchc can read."""
        if "meta" not in tables:
            shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
            raise StateCorruptError(
                f"the state at {self._where} is not an orchc state: it has no 'meta' table "
                f"(its tables: {shown}); is it another application's database?"
            )
        row = tx.one("SELECT value FROM meta WHERE key = 'schema_version'")
        text = "" if row is None else str(row[0])
        if not text.isdigit() or int(text) < 1:
            raise StateCorruptError(
                f"the state at {self._where} is damaged: its schema version is missing or "
                "not a number"
            )
        if int(text) > SCHEMA_VERSION:
            raise StateSchemaError(
                f"the state at {self._where} has schema version {text}, written by a newer "
                f"orchc; this orchc understands up to version {SCHEMA_VERSION}"
            )
        if missing := [table for table in ORCHC_TABLES if table not in tables]:
            raise StateCorruptError(
                f"the state at {self._where} is damaged: table(s) {', '.join(missing)} "
                "missing; restore it from a backup (orchc does not recreate them: that "
                "would forget what they held)"
            )
        return int(text)

    def _decoded(self, what: str, decode: Callable[[Row], T], row: Row) -> T:
        """`decode(row)`, or `StateCorruptError` naming the store, `what` and the column
        when the row holds what orchc cannot have written. Never quotes a value."""
        try:
            return decode(row)
        except DamagedValueError as error:
            problem = str(error)
        except (ValueError, TypeError) as error:  # e.g. a field of the wrong type
            problem = f"cannot be read ({type(error).__name__})"
        raise StateCorruptError(f"the state at {self._where} is damaged: {what}: {problem}")

    # -- reading --------------------------------------------------------------------

    def snapshot(self, app: str, env: str) -> StateSnapshot:
        columns = ", ".join(RESOURCE_COLUMNS)
        with self._transaction(write=False) as tx:
            lineage, serial = _current_lineage(tx, app, env)
            rows = tx.all(
                f"SELECT {columns} FROM resources WHERE app = ? AND env = ? ORDER BY uid",
                (app, env),
            )
            workload_rows = _workload_rows(tx, app, env)
        resources = (
            self._decoded(_row_name("resource", row, app, env), resource_from_row, row)
            for row in rows
        )
        workloads = {
            str(row[0]): self._decoded(_row_name("workload", row, app, env), workload_from_row, row)
            for row in workload_rows
        }
        return StateSnapshot(lineage, serial, {r.uid: r for r in resources}, workloads)

    def record(self, app: str, env: str, uid: ResourceUid) -> ResourceRecord | None:
        with self._transaction(write=False) as tx:
            row = tx.one(
                f"SELECT {', '.join(RECORD_COLUMNS)} FROM resources "
                "WHERE app = ? AND env = ? AND uid = ?",
                (app, env, str(uid)),
            )
        return None if row is None else self._record(app, env, row)

    def records(self, app: str, env: str) -> tuple[ResourceRecord, ...]:
        with self._transaction(write=False) as tx:
            rows = tx.all(
                f"SELECT {', '.join(RECORD_COLUMNS)} FROM resources "
                "WHERE app = ? AND env = ? ORDER BY uid",
                (app, env),
            )
        return tuple(self._record(app, env, row) for row in rows)

    def _record(self, app: str, env: str, row: Row) -> ResourceRecord:
        opened = self._open_row(app, env, row)
        return self._decoded(_row_name("resource", row, app, env), record_from_row, opened)

    def deployments(self, app: str, env: str, limit: int = 20) -> tuple[Mapping[str, Any], ...]:
        with self._transaction(write=False) as tx:
            rows = tx.all(
                f"SELECT {', '.join(DEPLOYMENT_COLUMNS)} FROM deployments "
                "WHERE app = ? AND env = ? ORDER BY id DESC LIMIT ?",
                (app, env, limit),
            )
        return tuple(
            self._decoded(_row_name("deployment", row, app, env), _deployment_from_row, row)
            for row in rows
        )

    def deployment(self, app: str, env: str, serial: int) -> Mapping[str, Any] | None:
        with self._transaction(write=False) as tx:
            row = tx.one(
                f"SELECT {', '.join(DEPLOYMENT_COLUMNS)}, applied FROM deployments "
                "WHERE app = ? AND env = ? AND serial = ? ORDER BY id DESC LIMIT 1",
                (app, env, serial),
            )
        if row is None:
            return None
        return self._decoded(_row_name("deployment", row, app, env), _applied_from_row, row)

    # -- deployments ----------------------------------------------------------------

    def prune_deployments(self, app: str, env: str, keep: int) -> int:
        if keep < 1:
            raise ValueError(f"keep must be at least 1, not {keep}")
        return self._write(
            "DELETE FROM deployments WHERE app = ? AND env = ? AND id < ("
            "SELECT MIN(id) FROM (SELECT id FROM deployments WHERE app = ? AND env = ? "
            "ORDER BY id DESC LIMIT ?) AS kept)",
            (app, env, app, env, keep),
            durable=True,
        )

    def begin_deployment(
        self,
        app: str,
        env: str,
        plan_digest: str,
        lineage: str | None,
        serial: int,
        details: DeploymentDetails | None = None,
    ) -> int:
        about = details or DeploymentDetails(operation="")
        applied = None if about.applied is None else canonical_json(about.applied)
        with self._transaction(write=True) as tx:
            if not _advance_serial(tx, app, env, lineage, serial):
                raise StaleStateError(_stale_message(app, env, (lineage, serial), tx))
            row = tx.one(
                "INSERT INTO deployments (app, env, plan_digest, started, result, timings, "
                "serial, operation, actor, counts, applied) "
                "VALUES (?, ?, ?, ?, 'running', '[]', ?, ?, ?, ?, ?) RETURNING id",
                (
                    app,
                    env,
                    plan_digest,
                    utc_now(),
                    serial + 1,  # where `_advance_serial` moved it (a new lineage: 1)
                    about.operation or None,
                    about.actor or None,
                    canonical_json(dict(about.counts)),
                    applied,
                ),
            )
        assert row is not None  # INSERT ... RETURNING always yields the new row
        return int(row[0])

    def finish_deployment(
        self,
        deployment_id: int,
        result: RunResult,
        timings: tuple[ResourceTiming, ...],
        duration: float | None = None,
    ) -> None:
        encoded = canonical_json([_timing_fields(timing) for timing in timings])
        self._write(
            "UPDATE deployments SET ended = ?, result = ?, timings = ?, duration = ? WHERE id = ?",
            (utc_now(), result.value, encoded, duration, deployment_id),
            durable=False,
        )

    # -- writing resources ----------------------------------------------------------

    def put(self, app: str, env: str, record: ResourceRecord) -> None:
        if record.resource.status is not ResourceStatus.READY:
            ready = dataclasses.replace(record.resource, status=ResourceStatus.READY)
            record = dataclasses.replace(record, resource=ready)
        self._upsert(_PUT_SQL, app, env, record, durable=False)

    def mark(self, app: str, env: str, resource: StateResource) -> None:
        self._write_row(_MARK_SQL, app, env, intent_values(resource), durable=True)

    def record_attempt(self, app: str, env: str, record: ResourceRecord) -> None:
        self._upsert(_ATTEMPT_SQL, app, env, record, durable=False)

    def save_driver_state(
        self, app: str, env: str, uid: ResourceUid, driver_state: JsonObject
    ) -> None:
        changed = self._write(
            "UPDATE resources SET driver_state = ?, updated_at = ? "
            "WHERE app = ? AND env = ? AND uid = ?",
            (
                self._seal("driver_state", app, env, str(uid), canonical_json(driver_state)),
                utc_now(),
                app,
                env,
                str(uid),
            ),
            durable=True,
        )
        if changed == 0:
            raise LookupError(f"{uid} is not in the state of {app}/{env}; mark it first")

    def remove(self, app: str, env: str, uid: ResourceUid) -> None:
        self._write(
            "DELETE FROM resources WHERE app = ? AND env = ? AND uid = ?",
            (app, env, str(uid)),
            durable=False,
        )

    def put_workloads(self, app: str, env: str, workloads: tuple[StateWorkload, ...]) -> None:
        with self._transaction(write=True) as tx:
            tx.run("DELETE FROM workloads WHERE app = ? AND env = ?", (app, env))
            columns = ", ".join(("app", "env", *WORKLOAD_COLUMNS))
            markers = ", ".join("?" for _ in range(2 + len(WORKLOAD_COLUMNS)))
            for workload in workloads:
                tx.run(
                    f"INSERT INTO workloads ({columns}) VALUES ({markers})",
                    (app, env, *workload_values(workload)),
                )

    def _upsert(
        self, sql: str, app: str, env: str, record: ResourceRecord, *, durable: bool
    ) -> None:
        self._write_row(sql, app, env, record_values(record), durable=durable)

    def _write_row(
        self, sql: str, app: str, env: str, values: tuple[object, ...], *, durable: bool
    ) -> None:
        """Write the values of `RECORD_COLUMNS` (sealing the encrypted ones)."""
        sealed = self._seal_row(app, env, values)
        self._write(sql, (app, env, *sealed, utc_now()), durable=durable)

    def _write(self, sql: str, params: Sequence[object], *, durable: bool) -> int:
        """One statement in a transaction of its own; returns the rows it changed.

        `durable` writes (an intent, a driver's journal) must survive a crash of the
        database server before the driver acts on them. The others (a result, a removal,
        the end of a deployment) may be lost in a server crash, never in a crash of
        orchc: a backend may then commit them without waiting for the disk, because the
        intent before them is durable (the next plan redoes the call) and the next
        durable write makes them durable too (see docs/architecture.md)."""
        with self._transaction(write=True) as tx:
            return tx.run(sql, params)

    # -- the lock -------------------------------------------------------------------

    def wait_for_lock(self, timeout: float, notify: Callable[[LockHolder], None]) -> None:
        """Make `acquire_lock` wait up to `timeout` seconds for a lock another run holds,
        polling with a growing, jittered delay; `notify` is called when the wait starts
        and whenever the holder changes."""
        self._lock_timeout, self._on_lock_wait = timeout, notify

    def acquire_lock(self, app: str, env: str, operation: str) -> LockHolder:
        """Take the (app, env) lock (see `Locker`); taken again through this store it
        nests, and only the outermost `release_lock` releases it."""
        if (app, env) in self._held:
            holder, depth = self._held[(app, env)]
            self._held[(app, env)] = (holder, depth + 1)
            return holder
        holder = self._claim_lock_waiting(app, env, operation)
        self._held[(app, env)] = (holder, 1)
        return holder

    def _claim_lock_waiting(self, app: str, env: str, operation: str) -> LockHolder:
        started = time.monotonic()
        delay, seen = FIRST_LOCK_POLL_S, None
        while True:
            try:
                return self._claim_lock(app, env, operation)
            except LockedError as error:
                waited = time.monotonic() - started
                if waited + delay / 2 > self._lock_timeout:
                    raise LockedError(error.holder, waited=waited) from None
                if error.holder != seen:
                    self._on_lock_wait(error.holder)
                    seen = error.holder
            time.sleep(delay * random.uniform(0.5, 1.0))  # jitter: waiters spread out
            delay = min(delay * 2, LAST_LOCK_POLL_S)

    def _claim_lock(self, app: str, env: str, operation: str) -> LockHolder:
        me = this_process(operation)
        with self._transaction(write=True) as tx:
            self._serialize_lock(tx, app, env)
            self._check_key_unchanged(tx)
            held = _lock_row(tx, app, env)
            if held is not None:
                self._refuse_live_holder(tx, app, env, held)
            tx.run("DELETE FROM locks WHERE app = ? AND env = ?", (app, env))
            tx.run(
                f"INSERT INTO locks (app, env, {_LOCK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (app, env, me.host, me.pid, me.token, me.holder.since, operation),
            )
            self._lock_claimed(tx, app, env)
        return me.holder

    def release_lock(self, app: str, env: str) -> None:
        holder, depth = self._held.pop((app, env), (None, 1))
        if holder is not None and depth > 1:
            self._held[(app, env)] = (holder, depth - 1)
            return
        me = this_process("release")
        with self._transaction(write=True) as tx:
            tx.run(
                "DELETE FROM locks WHERE app = ? AND env = ? AND host = ? AND pid = ?",
                (app, env, me.host, me.pid),
            )
        self._lock_released(app, env)

    def force_unlock(self, app: str, env: str) -> LockHolder | None:
        return self._remove_lock(app, env, force=True)

    def unlock_abandoned(self, app: str, env: str) -> LockHolder | None:
        return self._remove_lock(app, env, force=False)

    def _remove_lock(self, app: str, env: str, *, force: bool) -> LockHolder | None:
        self._held.pop((app, env), None)
        with self._transaction(write=True) as tx:
            self._serialize_lock(tx, app, env)
            held = _lock_row(tx, app, env)
            if held is not None and not force:
                self._refuse_live_holder(tx, app, env, held)
            tx.run("DELETE FROM locks WHERE app = ? AND env = ?", (app, env))
        self._lock_released(app, env)
        return None if held is None else held.holder

    def _refuse_live_holder(
        self, tx: Transaction, app: str, env: str, held: ProcessIdentity
    ) -> None:
        """`LockedError` unless the holder of the lock row is provably gone and nothing it
        started still runs (which would race the next run: an orphaned driver program)."""
        if process_is_gone(held.host, held.pid, held.token):
            left = orphans(held.host, held.pid, held.token)
            if left:
                named = tuple(str(process) for process in left)
                raise LockedError(dataclasses.replace(held.holder, orphans=named))
        if not self._holder_is_gone(tx, app, env, held):
            raise LockedError(held.holder)

    # -- encryption at rest -----------------------------------------------------------

    def _unlock(self, tx: Transaction) -> None:
        """Check the key against the store before anything else is read or written: an
        encrypted store needs the right key; a key given for a store that holds
        plaintext is refused too (`orchc state rekey` encrypts it); a new store given a
        key is encrypted from the start."""
        row = tx.one("SELECT value FROM meta WHERE key = 'encryption'")
        if row is not None:
            if self._key is None:
                raise StateKeyError(
                    f"the state at {self._where} is encrypted: set {KEY_VARIABLE} to its key"
                )
            self._cipher, self._encryption = self._key.cipher_for(str(row[0])), str(row[0])
            return
        if self._key is None:
            return
        if tx.one("SELECT 1 FROM resources LIMIT 1") is not None:
            raise StateKeyError(
                f"{KEY_VARIABLE} is set but the state at {self._where} is not encrypted: "
                f"to encrypt it, unset {KEY_VARIABLE} and run `orchc state rekey` with the key "
                "in ORCHC_STATE_NEW_KEY; else unset it"
            )
        self._cipher, self._encryption = self._key.new_cipher()
        tx.run("INSERT INTO meta (key, value) VALUES ('encryption', ?)", (self._encryption,))

    def _check_key_unchanged(self, tx: Transaction) -> None:
        """Refuse to start a run when the store was re-keyed after this process opened it
        (its writes would use the old key)."""
        row = tx.one("SELECT value FROM meta WHERE key = 'encryption'")
        if (None if row is None else str(row[0])) != self._encryption:
            raise StateKeyError(
                f"the key of the state at {self._where} changed since this command opened it "
                "(`orchc state rekey`); run the command again with the new key"
            )

    def rekey(self, new_key: StateKey) -> int:
        """Re-encrypt every sealed value with `new_key` (or encrypt a plaintext store) in
        one transaction; refused while any (app, env) is locked. Returns how many
        resources were re-encrypted. Afterwards the old key no longer opens the store."""
        columns = ", ".join(ENCRYPTED_COLUMNS)
        with self._transaction(write=True) as tx:
            self._serialize_all_locks(tx)
            self._check_key_unchanged(tx)
            held = _any_lock(tx)
            if held is not None:
                raise StateKeyError(
                    f"the state is locked ({held}); re-key when no apply or destroy runs"
                )
            cipher, encryption = new_key.new_cipher()
            rows = tx.all(f"SELECT app, env, uid, {columns} FROM resources")
            assignments = ", ".join(f"{column} = ?" for column in ENCRYPTED_COLUMNS)
            for app, env, uid, *values in rows:
                opened = self._open_values(app, env, uid, ENCRYPTED_COLUMNS, values)
                sealed = [
                    cipher.seal(value, _context(column, app, env, uid))
                    for column, value in zip(ENCRYPTED_COLUMNS, opened, strict=True)
                ]
                tx.run(
                    f"UPDATE resources SET {assignments} WHERE app = ? AND env = ? AND uid = ?",
                    (*sealed, app, env, uid),
                )
            tx.run(
                "INSERT INTO meta (key, value) VALUES ('encryption', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (encryption,),
            )
        self._cipher, self._encryption, self._key = cipher, encryption, new_key
        return len(rows)

    def _seal(self, column: str, app: str, env: str, uid: str, text: str) -> str:
        if self._cipher is None:
            return text
        return self._cipher.seal(text, _context(column, app, env, uid))

    def _seal_row(self, app: str, env: str, values: tuple[object, ...]) -> tuple[object, ...]:
        """`record_values` with the `ENCRYPTED_COLUMNS` sealed."""
        if self._cipher is None:
            return values
        sealed = list(values)
        uid = str(values[0])
        for index, column in _SEALED:
            sealed[index] = self._seal(column, app, env, uid, str(values[index]))
        return tuple(sealed)

    def _open_row(self, app: str, env: str, row: Row) -> Row:
        """A row of `RECORD_COLUMNS` with the `ENCRYPTED_COLUMNS` opened."""
        if self._cipher is None:
            return row
        opened = list(row)
        for index, column in _SEALED:
            opened[index] = self._cipher.open(str(row[index]), _context(column, app, env, row[0]))
        return opened

    def _open_values(
        self, app: str, env: str, uid: str, columns: Sequence[str], values: Sequence[object]
    ) -> list[str]:
        if self._cipher is None:
            return [str(value) for value in values]
        cipher = self._cipher
        return [
            cipher.open(str(value), _context(column, app, env, uid))
            for column, value in zip(columns, values, strict=True)
        ]

    # -- copying a whole store (`orchc state migrate`) --------------------------------

    def export_rows(self) -> tuple[TableRows, ...]:
        """Every row of `COPIED_TABLES` (every app and environment, history included;
        not the locks), with sealed values opened, read in one transaction. Refused
        while a run holds a lock: its state is changing."""
        with self._transaction(write=False) as tx:
            held = _any_lock(tx)
            if held is not None:
                raise StateStoreError(
                    f"the state at {self._where} is locked ({held}); copy it when no run holds it"
                )
            return tuple(self._export_table(tx, name) for name in COPIED_TABLES)

    def import_rows(self, tables: tuple[TableRows, ...]) -> None:
        """Write `tables` (from `export_rows`) into this store in one transaction,
        sealing values with this store's key; refused unless the store is empty."""
        with self._transaction(write=True) as tx:
            self._serialize_all_locks(tx)
            for name in COPIED_TABLES:
                if tx.one(f"SELECT 1 FROM {name} LIMIT 1") is not None:
                    raise StateStoreError(
                        f"the state at {self._where} is not empty (its {name} table has rows); "
                        "migrate only into an empty store"
                    )
            for table in tables:
                self._import_table(tx, table)
            self._after_import(tx)

    def _export_table(self, tx: Transaction, name: str) -> TableRows:
        columns, rows = tx.table(f"SELECT * FROM {name}")
        if name == "resources" and self._cipher is not None:
            rows = [self._map_sealed(columns, row, self._cipher.open) for row in rows]
        return TableRows(name, columns, tuple(rows))

    def _import_table(self, tx: Transaction, table: TableRows) -> None:
        keep_ids = f" {self._dialect.keep_ids}" if "id" in table.columns else ""
        sql = (
            f"INSERT INTO {table.name} ({', '.join(table.columns)}){keep_ids} "
            f"VALUES ({', '.join('?' for _ in table.columns)})"
        )
        booleans = [i for i, column in enumerate(table.columns) if column in BOOLEAN_COLUMNS]
        for row in table.rows:
            values = list(row)
            for index in booleans:
                values[index] = bool(values[index])
            if table.name == "resources" and self._cipher is not None:
                values = self._map_sealed(table.columns, values, self._cipher.seal)
            tx.run(sql, values)

    @staticmethod
    def _map_sealed(
        columns: Sequence[str], row: Row, change: Callable[[str, bytes], str]
    ) -> list[object]:
        """`row` of resources with `change` (seal or open) applied to its sealed columns."""
        named = dict(zip(columns, row, strict=True))
        app, env, uid = str(named["app"]), str(named["env"]), str(named["uid"])
        return [
            change(str(value), _context(column, app, env, uid))
            if column in ENCRYPTED_COLUMNS
            else value
            for column, value in zip(columns, row, strict=True)
        ]

    def _after_import(self, tx: Transaction) -> None:
        """Called at the end of `import_rows`, e.g. to move an id sequence past the
        copied ids (SQLite's AUTOINCREMENT follows explicit ids by itself)."""
        return

    def _serialize_all_locks(self, tx: Transaction) -> None:
        """Keep every `acquire_lock` out until this transaction ends (re-key, import)."""
        return  # write transactions exclude each other (SQLite)

    def _serialize_lock(self, tx: Transaction, app: str, env: str) -> None:
        """Make the read-then-write of the lock row atomic (a write transaction may not
        be enough on its own, e.g. under PostgreSQL's READ COMMITTED)."""
        return  # enough where write transactions exclude each other (SQLite)

    def _holder_is_gone(self, tx: Transaction, app: str, env: str, held: ProcessIdentity) -> bool:
        return process_is_gone(held.host, held.pid, held.token)

    def _lock_claimed(self, tx: Transaction, app: str, env: str) -> None:
        """Called inside the transaction that wrote our lock row."""
        return  # the row alone is the lock unless a backend can prove liveness

    def _lock_released(self, app: str, env: str) -> None:
        """Called after our lock row was deleted (by us or by force)."""
        return


_TIMING_FIELDS = tuple(f.name for f in dataclasses.fields(ResourceTiming))


def _timing_fields(timing: ResourceTiming) -> dict[str, Any]:
    """`dataclasses.asdict(timing)`: the fields are plain values, so nothing needs the
    deep copy `asdict` makes (a tenth of a second at 12,000 resources)."""
    return {name: getattr(timing, name) for name in _TIMING_FIELDS}


def _context(column: str, app: str, env: str, uid: str) -> bytes:
    """The associated data of a sealed value: its column and row."""
    return f"{column}\x00{app}\x00{env}\x00{uid}".encode()


def _current_lineage(tx: Transaction, app: str, env: str) -> tuple[str | None, int]:
    row = tx.one("SELECT lineage, serial FROM lineages WHERE app = ? AND env = ?", (app, env))
    return (None, 0) if row is None else (str(row[0]), int(row[1]))


def _advance_serial(tx: Transaction, app: str, env: str, lineage: str | None, serial: int) -> bool:
    """Compare-and-set: move the serial only if it is still (lineage, serial); a plan made
    against empty state starts the lineage. False when the state moved."""
    if lineage is None:
        if serial != 0:
            return False
        started = tx.run(
            "INSERT INTO lineages (app, env, lineage, serial) VALUES (?, ?, ?, 1) "
            "ON CONFLICT (app, env) DO NOTHING",
            (app, env, str(uuid.uuid4())),
        )
        return started == 1
    moved = tx.run(
        "UPDATE lineages SET serial = serial + 1 "
        "WHERE app = ? AND env = ? AND lineage = ? AND serial = ?",
        (app, env, lineage, serial),
    )
    return moved == 1


def _stale_message(app: str, env: str, planned: tuple[str | None, int], tx: Transaction) -> str:
    current = _current_lineage(tx, app, env)
    if planned[0] == current[0]:
        plan_text, state_text = f"serial {planned[1]}", f"serial {current[1]}"
    else:
        plan_text, state_text = _describe_lineage(*planned), _describe_lineage(*current)
    return (
        f"the state for {app}/{env} moved since the plan was made "
        f"(plan: {plan_text}, state: {state_text}); run `orchc plan` again"
    )


def _describe_lineage(lineage: str | None, serial: int) -> str:
    return "empty state" if lineage is None else f"lineage {lineage} at serial {serial}"


def _workload_rows(tx: Transaction, app: str, env: str) -> list[Row]:
    return tx.all(
        f"SELECT {', '.join(WORKLOAD_COLUMNS)} FROM workloads "
        "WHERE app = ? AND env = ? ORDER BY name",
        (app, env),
    )


def _row_name(kind: str, row: Row, app: str, env: str) -> str:
    return f"{kind} {str(row[0])[:200]!r} of {app}/{env}"


def _applied_from_row(row: Row) -> dict[str, Any]:
    """A row of `DEPLOYMENT_COLUMNS` plus `applied`, as `History.deployment` gives it."""
    applied = row[len(DEPLOYMENT_COLUMNS)]
    return {
        **_deployment_from_row(row[: len(DEPLOYMENT_COLUMNS)]),
        "applied": None if applied is None else json_value(applied, "applied"),
    }


def _deployment_from_row(row: Row) -> dict[str, Any]:
    """A row of `DEPLOYMENT_COLUMNS` as `History.deployments` gives it."""
    found = dict(zip(DEPLOYMENT_COLUMNS, row, strict=True))
    return {
        **{key: None if value is None else str(value) for key, value in found.items()},
        "id": int(found["id"]),
        "serial": None if found["serial"] is None else int(found["serial"]),
        "duration": None if found["duration"] is None else float(found["duration"]),
        "counts": None if found["counts"] is None else json_value(found["counts"], "counts"),
        "timings": json_value(found["timings"], "timings"),
    }


def _any_lock(tx: Transaction) -> str | None:
    row = tx.one("SELECT app, env, operation, pid, host FROM locks LIMIT 1")
    if row is None:
        return None
    app, env, operation, pid, host = row
    return f"{app}/{env} by {operation} pid {pid} on {host}"


def _lock_row(tx: Transaction, app: str, env: str) -> ProcessIdentity | None:
    row = tx.one(f"SELECT {_LOCK_COLUMNS} FROM locks WHERE app = ? AND env = ?", (app, env))
    if row is None:
        return None
    host, pid, token, since, operation = row
    holder = LockHolder(host=str(host), pid=int(pid), since=str(since), operation=str(operation))
    return ProcessIdentity(holder, str(token))
