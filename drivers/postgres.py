"""The `postgres` driver: a LOGIN role and a database owned by it, on a given server.

The flow shared with `mysql` is `drivers/database.py`; this module holds the SQL.
Invariants:
- The role's password is generated once and saved through the journal after the
  ownership check and *before* anything is created, so a crash in between never loses
  it; every later run sets the role's password to the saved one (as a SCRAM verifier
  computed by libpq, so the plaintext never reaches the server, its logs or its error
  messages).
- What this driver creates is marked `COMMENT ... IS 'managed by orchc <guid>'` (the
  role in the same transaction that creates it; the database is also recognised by its
  owner, since CREATE DATABASE cannot share a transaction). A role or database that
  exists without this resource's mark is never touched: create and delete refuse
  before changing anything.
- `PUBLIC` loses its default CONNECT/TEMP rights on the database, so only its owner
  (and superusers) can use it.
- Databases are copied from `template0`, never `template1`: a copy of template1 fails
  while any session is connected to it, and carries whatever an admin added there
  (tables, extensions, grants). Encoding and locale are template0's: the cluster's.
- Role and database DDL (CREATE/ALTER/DROP, GRANT/REVOKE, COMMENT) writes the server's
  shared catalogs, and concurrent driver calls racing there fail with "tuple concurrently
  deleted"; every call that changes them holds a server-wide advisory lock
  (`CATALOG_LOCK`) for its changes. CREATE/DROP DATABASE cannot run inside a
  transaction, so the lock is session-level, released when the changes end.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import psycopg
from psycopg import sql
from pydantic import Field

from orchc.drivers import database as db
from orchc.drivers.input_blocks import Port
from orchc.drivers.protocol import DriverError, DriverRequest, Journal, Observation
from orchc.drivers.time_limits import TimeLimits, time_limits

# PostgreSQL truncates identifiers to 63 bytes; refuse longer names rather than
# silently managing a different one.
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,62}$")]

Connection = psycopg.Connection[tuple[Any, ...]]

CATALOG_LOCK = 0x6F72636863  # "orchc": the advisory lock key serialising our DDL

_NOT_OURS_TO_DROP = (
    "refusing to drop {kind} '{name}': it exists but is not managed by orchc for this resource"
)


class PostgresInputs(db.DatabaseInputs):
    port: Port = 5432
    admin_database: str = "postgres"
    database: Identifier | None = None
    username: Identifier | None = None


class Presence(enum.Enum):
    ABSENT = "absent"
    OURS = "ours"
    FOREIGN = "foreign"


Found = tuple[Presence, Presence]  # the role's, the database's


class PostgresDriver(db.DatabaseDriver[PostgresInputs, Connection, Found]):
    """Creates (or adopts, if marked as ours) a role and its database; deletes both."""

    INPUTS = PostgresInputs
    SCHEME = "postgresql"

    def inspect(self, server: Connection, names: db.Names, state: dict[str, Any]) -> Found:
        return _check_ownership(server, names, db.NOT_OURS)

    def upsert(self, server: Connection, names: db.Names, password: str, found: Found) -> None:
        role, database = found
        with _catalog_lock(server):
            _upsert_role(server, names, password, role)
            _upsert_database(server, names, database)

    @contextmanager
    def admin_connection(
        self, inputs: PostgresInputs, admin: db.AdminSecrets, limits: TimeLimits
    ) -> Iterator[Connection]:
        with _failure(db.cannot_connect("PostgreSQL", inputs), [admin.admin_password]):
            conn = psycopg.connect(
                host=inputs.host,
                port=inputs.port,
                user=inputs.admin_user,
                dbname=inputs.admin_database,
                connect_timeout=limits[0],
                options=f"-c statement_timeout={int(limits[1] * 1000)}" if limits[1] else None,
                application_name="orchc",
                autocommit=True,
                password=admin.admin_password,  # None: left out (libpq may use PGPASSWORD)
            )
        with conn:
            yield conn

    def delete(self, request: DriverRequest, journal: Journal) -> None:
        inputs, admin = self.parse(request)
        names = self.names(request, inputs)
        with self.admin_connection(inputs, admin, time_limits(request)) as conn:
            role, database = _check_ownership(conn, names, _NOT_OURS_TO_DROP)
            with _catalog_lock(conn):
                if database is Presence.OURS:
                    _drop_database(conn, names.database)
                if role is Presence.OURS:
                    _drop_role(conn, names.username)

    def observe(self, request: DriverRequest) -> Observation:
        """Drift: the role and the database exist, are ours, and the recorded
        credentials log in to the database."""
        inputs, admin = self.parse(request)
        names = self.names(request, inputs)
        with self.admin_connection(inputs, admin, time_limits(request)) as conn:
            role = _role_presence(conn, names)
            database = _database_presence(conn, names, role)
            can_login = role is not Presence.OURS or _can_login(conn, names.username)
        found = [
            _presence_drift(kind, name, presence)
            for kind, name, presence in (
                ("role", names.username, role),
                ("database", names.database, database),
            )
        ]
        if not can_login:
            found.append(f"role '{names.username}' has lost its LOGIN attribute")
        if not any(found):
            found.append(_login_drift(inputs, names, request, time_limits(request)))
        return Observation(drift="; ".join(f for f in found if f) or None)


@contextmanager
def _catalog_lock(conn: Connection) -> Iterator[None]:
    """Hold the server-wide lock on our role and database DDL (see the module's
    docstring); waiting for it is bounded by the statement timeout."""
    with _failure("cannot lock the server's role catalog"):
        conn.execute("SELECT pg_advisory_lock(%s)", (CATALOG_LOCK,))
    try:
        yield
    finally:
        if not conn.closed and not conn.broken:
            conn.execute("SELECT pg_advisory_unlock(%s)", (CATALOG_LOCK,))


def _can_login(conn: Connection, username: str) -> bool:
    with _failure(f"cannot inspect role '{username}'"):
        row = conn.execute(
            "SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (username,)
        ).fetchone()
    return bool(row and row[0])


def _presence_drift(kind: str, name: str, presence: Presence) -> str | None:
    if presence is Presence.ABSENT:
        return f"{kind} '{name}' does not exist"
    if presence is Presence.FOREIGN:
        return f"{kind} '{name}' is no longer marked as managed by orchc for this resource"
    return None


def _login_drift(
    inputs: PostgresInputs, names: db.Names, request: DriverRequest, limits: TimeLimits
) -> str | None:
    password = str(request.state.get("password") or "")

    def log_in() -> None:
        psycopg.connect(
            host=inputs.host,
            port=inputs.port,
            user=names.username,
            dbname=names.database,
            password=password,
            connect_timeout=limits[0],
            application_name="orchc",
        ).close()

    reason = _failure.refusal(log_in, [password])
    if reason is None:
        return None
    return f"role '{names.username}' cannot log in with its recorded password: {reason}"


def _marker(names: db.Names) -> str:
    """The comment on the role and the database that says they are this resource's."""
    return f"managed by orchc {names.guid}"


def _server_message(error: psycopg.Error) -> str:
    primary = error.diag.message_primary
    if primary is None:  # not from the server: a connection failure, say
        return " ".join(str(error).split())
    detail = error.diag.message_detail
    return f"{primary} ({detail})" if detail else primary


_failure = db.ServerFailure(psycopg.Error, _server_message)


def _check_ownership(conn: Connection, names: db.Names, refusal: str) -> tuple[Presence, Presence]:
    """Whether the role and the database exist and are ours. Raises before any change
    if either exists but is not ours; `refusal` is formatted with `kind` and `name`."""
    role = _role_presence(conn, names)
    database = _database_presence(conn, names, role)
    for kind, name, presence in (
        ("role", names.username, role),
        ("database", names.database, database),
    ):
        if presence is Presence.FOREIGN:
            raise DriverError(refusal.format(kind=kind, name=name))
    return role, database


def _role_presence(conn: Connection, names: db.Names) -> Presence:
    with _failure(f"cannot inspect role '{names.username}'"):
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = %s",
            (names.username,),
        ).fetchone()
    if row is None:
        return Presence.ABSENT
    return Presence.OURS if row[0] == _marker(names) else Presence.FOREIGN


def _database_presence(conn: Connection, names: db.Names, role: Presence) -> Presence:
    with _failure(f"cannot inspect database '{names.database}'"):
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database'), pg_get_userbyid(datdba)"
            " FROM pg_database WHERE datname = %s",
            (names.database,),
        ).fetchone()
    if row is None:
        return Presence.ABSENT
    comment, owner = row
    # A crash between CREATE DATABASE and its COMMENT leaves it unmarked but owned by
    # our (marked) role: still ours.
    owned_by_us = owner == names.username and role is Presence.OURS
    return Presence.OURS if comment == _marker(names) or owned_by_us else Presence.FOREIGN


def _upsert_role(conn: Connection, names: db.Names, password: str, presence: Presence) -> None:
    role = sql.Identifier(names.username)
    verb = "create" if presence is Presence.ABSENT else "update"
    with _failure(f"cannot {verb} role '{names.username}'", [password]):
        # libpq hashes the password client-side, following the server's
        # password_encryption; only the verifier travels in the statement.
        verifier = conn.pgconn.encrypt_password(password.encode(), names.username.encode())
        password_clause = sql.SQL("WITH LOGIN PASSWORD {}").format(verifier.decode())
        if presence is Presence.ABSENT:
            with conn.transaction():
                conn.execute(sql.SQL("CREATE ROLE {} {}").format(role, password_clause))
                conn.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(role, _marker(names)))
        else:
            conn.execute(sql.SQL("ALTER ROLE {} {}").format(role, password_clause))
        _join_role(conn, names.username)


def _join_role(conn: Connection, username: str) -> None:
    """A non-superuser admin (CREATEROLE, e.g. a cloud's master user) must be a member
    of the role to create, hand over and drop databases owned by it."""
    row = conn.execute(
        "SELECT rolsuper OR pg_has_role(current_user, %s, 'MEMBER')"
        " FROM pg_roles WHERE rolname = current_user",
        (username,),
    ).fetchone()
    if row is not None and not row[0]:
        conn.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(username)))


def _upsert_database(conn: Connection, names: db.Names, presence: Presence) -> None:
    database, owner = sql.Identifier(names.database), sql.Identifier(names.username)
    if presence is Presence.ABSENT:
        with _failure(f"cannot create database '{names.database}'"):
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0").format(database, owner)
            )
    # Each statement is a no-op when already true; running them every time also
    # finishes a database left unmarked by a crash right after CREATE DATABASE.
    with _failure(f"cannot configure database '{names.database}'"):
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(database, _marker(names)))
        conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(database, owner))
        conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database))


def _drop_database(conn: Connection, name: str) -> None:
    database = sql.Identifier(name)
    with _failure(f"cannot drop database '{name}'"):
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        # FORCE (PostgreSQL 13+) also ends sessions that connect in the meantime.
        force = sql.SQL(" WITH (FORCE)" if conn.info.server_version >= 130000 else "")
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}{}").format(database, force))


def _drop_role(conn: Connection, name: str) -> None:
    with _failure(f"cannot drop role '{name}'"):
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
