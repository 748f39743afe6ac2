"""The `mysql` driver: a database and a user with every privilege on it, and only on it.

Works with MySQL 8 and MariaDB 10.3+ (only statements both accept). The flow shared with
`postgres` is `drivers/database.py`; this module holds the SQL. Invariants:
- Ownership lives in the driver state: MySQL has no portable way to mark a user or a
  database, so what the state names is ours, and anything else that already exists is
  refused before a single statement changes the server. The state (with the password,
  generated once) is saved through the journal after that check and before creating,
  so a crash in between never loses the password or disowns what was made.
- The user exists twice, as `'name'@'%'` and `'name'@'localhost'`: without the second,
  a local login can be captured by an anonymous `''@'localhost'` account.
- The grant names the database with `_` and `%` escaped: unescaped they are wildcards
  in a database-level GRANT, and `my_db` would also cover `myXdb`.
- Every run re-applies the whole configuration (password, grants), so it converges
  from any partial state; delete drops only what the state names.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import pymysql
from pydantic import Field

from orchc.drivers import database as db
from orchc.drivers.input_blocks import Port
from orchc.drivers.protocol import DriverError, DriverRequest, Journal, Observation
from orchc.drivers.time_limits import TimeLimits, time_limits

USER_HOSTS = ("%", "localhost")
DatabaseName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")]
# MySQL 8 caps user names at 32 characters (MariaDB at 80).
UserName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,31}$")]


class MysqlInputs(db.DatabaseInputs):
    port: Port = 3306
    database: DatabaseName | None = None
    username: UserName | None = None


class MysqlDriver(db.DatabaseDriver[MysqlInputs, Any, None]):
    """Creates (or re-applies) a database and its user; deletes both."""

    INPUTS = MysqlInputs
    SCHEME = "mysql"

    @contextmanager
    def admin_connection(
        self, inputs: MysqlInputs, admin: db.AdminSecrets, limits: TimeLimits
    ) -> Iterator[Any]:
        connection = _connect(inputs, admin, limits)
        # Statements: the policy timeout, or no limit without one (pymysql has no
        # public setter; these are the attributes its reads and writes use).
        connection._read_timeout = connection._write_timeout = limits[1]
        try:
            with connection.cursor() as cursor:
                yield cursor
        finally:
            connection.close()

    def inspect(self, server: Any, names: db.Names, state: dict[str, Any]) -> None:
        _refuse_foreign(server, names, state)

    def upsert(self, server: Any, names: db.Names, password: str, found: None) -> None:
        _upsert_database(server, names.database)
        _upsert_user(server, names, password)

    def delete(self, request: DriverRequest, journal: Journal) -> None:
        inputs, admin = self.parse(request)
        database, username = request.state.get("database"), request.state.get("username")
        if not database and not username:
            return  # nothing was ever made: the state names everything we own
        with self.admin_connection(inputs, admin, time_limits(request)) as cursor:
            if database:
                _drop_database(cursor, str(database))
            if username:
                _drop_user(cursor, str(username))

    def observe(self, request: DriverRequest) -> Observation:
        """Drift: the database and the user exist and the recorded credentials log in."""
        inputs, admin = self.parse(request)
        names = self.names(request, inputs)
        with self.admin_connection(inputs, admin, time_limits(request)) as cursor:
            found = _missing(cursor, names)
        if not found:
            found.extend(_login_drift(inputs, names, request, time_limits(request)))
        return Observation(drift="; ".join(found) or None)


def _exist(cursor: Any, names: db.Names) -> tuple[bool, bool]:
    """Whether the database and the user exist."""
    with _failure("cannot inspect the server"):
        cursor.execute(
            "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
            (names.database,),
        )
        database_exists = cursor.fetchone() is not None
        cursor.execute("SELECT 1 FROM mysql.user WHERE User = %s", (names.username,))
        return database_exists, cursor.fetchone() is not None


def _missing(cursor: Any, names: db.Names) -> list[str]:
    database_exists, user_exists = _exist(cursor, names)
    found = [] if database_exists else [f"database '{names.database}' does not exist"]
    return found + ([] if user_exists else [f"user '{names.username}' does not exist"])


def _login_drift(
    inputs: MysqlInputs, names: db.Names, request: DriverRequest, limits: TimeLimits
) -> list[str]:
    password = str(request.state.get("password") or "")
    reason = _failure.refusal(
        lambda: pymysql.connect(
            host=inputs.host,
            port=inputs.port,
            user=names.username,
            password=password,
            database=names.database,
            connect_timeout=limits[0],
            read_timeout=limits[0],  # the handshake, too
        ).close(),
        [password],
    )
    if reason is None:
        return []
    return [f"user '{names.username}' cannot log in with its recorded password: {reason}"]


def _server_message(error: pymysql.MySQLError) -> str:
    args = error.args
    if len(args) == 2 and isinstance(args[0], int):
        return f"{args[1]} (error {args[0]})"
    return " ".join(str(error).split())


_failure = db.ServerFailure(pymysql.MySQLError, _server_message)


def _connect(inputs: MysqlInputs, admin: db.AdminSecrets, limits: TimeLimits) -> Any:
    with _failure(db.cannot_connect("MySQL", inputs), [admin.admin_password]):
        return pymysql.connect(
            host=inputs.host,
            port=inputs.port,
            user=inputs.admin_user,
            password=admin.admin_password or "",
            connect_timeout=limits[0],
            # The handshake is read with read_timeout: bound it by the connect limit,
            # so a server that accepts and never answers cannot hang the apply.
            read_timeout=limits[1] or limits[0],
            write_timeout=limits[1] or limits[0],
            autocommit=True,
            charset="utf8mb4",
        )


def _refuse_foreign(cursor: Any, names: db.Names, state: dict[str, Any]) -> None:
    """Raise before any change if the database or the user exists but the state does
    not name it."""
    database_exists, user_exists = _exist(cursor, names)
    if database_exists and state.get("database") != names.database:
        raise DriverError(db.NOT_OURS.format(kind="database", name=names.database))
    if user_exists and state.get("username") != names.username:
        raise DriverError(db.NOT_OURS.format(kind="user", name=names.username))


def _upsert_database(cursor: Any, database: str) -> None:
    with _failure(f"cannot create database '{database}'"):
        cursor.execute(
            f"CREATE DATABASE IF NOT EXISTS {_quote_name(database)} CHARACTER SET utf8mb4"
        )


def _upsert_user(cursor: Any, names: db.Names, password: str) -> None:
    """Create each account if missing, then state its password and its grant: the
    same statements whether it is new, intact or half-made by a crash."""
    on_database = _quote_name(_escape_grant_wildcards(names.database))
    for host in USER_HOSTS:
        account = (names.username, host)
        with _failure(f"cannot create or update user '{names.username}'@'{host}'", [password]):
            cursor.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (*account, password))
            cursor.execute("ALTER USER %s@%s IDENTIFIED BY %s", (*account, password))
            cursor.execute(f"GRANT ALL PRIVILEGES ON {on_database}.* TO %s@%s", account)


def _drop_database(cursor: Any, database: str) -> None:
    with _failure(f"cannot drop database '{database}'"):
        cursor.execute(f"DROP DATABASE IF EXISTS {_quote_name(database)}")


def _drop_user(cursor: Any, username: str) -> None:
    with _failure(f"cannot drop user '{username}'"):
        for host in USER_HOSTS:
            cursor.execute("DROP USER IF EXISTS %s@%s", (username, host))


def _quote_name(name: str) -> str:
    """A backquoted identifier.

    >>> _quote_name("shop`db")
    '`shop``db`'
    """
    return "`" + name.replace("`", "``") + "`"


def _escape_grant_wildcards(name: str) -> str:
    r"""`name` for the database part of a GRANT, where `_` and `%` are wildcards.

    >>> print(_escape_grant_wildcards("shop_db"))
    shop\_db
    """
    return name.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
