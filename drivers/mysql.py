"""The `mysql` driver: a database and a user with every privilege on it, and only on it.

Works with MySQL 8 and MariaDB 10.3+ (only statements both accept). Invariants:
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

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

import pymysql
from pydantic import Field

from orchc.drivers._inputs import Port, StrictBlock, database_result, parse_block, time_limits
from orchc.drivers.protocol import DriverError, DriverRequest, DriverResult, Journal, Observation
from orchc.drivers.secrets import generate_password
from orchc.sensitive import redact

USER_HOSTS = ("%", "localhost")
DatabaseName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")]
# MySQL 8 caps user names at 32 characters (MariaDB at 80).
UserName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,31}$")]

# Outputs that repeat an input: secret when that input embeds another resource's secret.
ECHOED_INPUTS = {
    "host": "host",
    "port": "port",
    "name": "database",
    "database": "database",
    "username": "username",
}
_NOT_OURS = "{kind} '{name}' already exists and is not managed by orchc for this resource"


class MysqlInputs(StrictBlock):
    host: str
    port: Port = 3306
    admin_user: str
    database: DatabaseName | None = None
    username: UserName | None = None


class MysqlSecrets(StrictBlock):
    admin_password: str | None = None


@dataclass(frozen=True, slots=True)
class Names:
    database: str
    username: str


class MysqlDriver:
    """Creates (or re-applies) a database and its user; deletes both."""

    replace_inputs: ClassVar[frozenset[str]] = frozenset({"host", "port", "database", "username"})

    def create(self, request: DriverRequest, journal: Journal) -> DriverResult:
        inputs, admin = _parse(request)
        names = _names(request, inputs)
        password = str(request.state.get("password") or generate_password())
        result = _result(request, inputs, names, password)
        with _admin_connection(inputs, admin, time_limits(request)) as cursor:
            _refuse_foreign(cursor, names, request.state)
            if result.state != request.state:
                journal.save_state(result.state)
            _upsert_database(cursor, names.database)
            _upsert_user(cursor, names, password)
        return result

    def delete(self, request: DriverRequest, journal: Journal) -> None:
        inputs, admin = _parse(request)
        database, username = request.state.get("database"), request.state.get("username")
        if not database and not username:
            return  # nothing was ever made: the state names everything we own
        with _admin_connection(inputs, admin, time_limits(request)) as cursor:
            if database:
                _drop_database(cursor, str(database))
            if username:
                _drop_user(cursor, str(username))

    def observe(self, request: DriverRequest) -> Observation:
        """Drift: the database and the user exist and the recorded credentials log in."""
        inputs, admin = _parse(request)
        names = _names(request, inputs)
        with _admin_connection(inputs, admin, time_limits(request)) as cursor:
            found = _missing(cursor, names)
        if not found:
            found.extend(_login_drift(inputs, names, request, time_limits(request)))
        return Observation(drift="; ".join(found) or None)


def _missing(cursor: Any, names: Names) -> list[str]:
    with _failure("cannot inspect the server"):
        cursor.execute(
            "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
            (names.database,),
        )
        database_exists = cursor.fetchone() is not None
        cursor.execute("SELECT 1 FROM mysql.user WHERE User = %s", (names.username,))
        user_exists = cursor.fetchone() is not None
    found = [] if database_exists else [f"database '{names.database}' does not exist"]
    return found + ([] if user_exists else [f"user '{names.username}' does not exist"])


def _login_drift(
    inputs: MysqlInputs, names: Names, request: DriverRequest, limits: tuple[int, float | None]
) -> list[str]:
    password = str(request.state.get("password") or "")
    try:
        pymysql.connect(
            host=inputs.host,
            port=inputs.port,
            user=names.username,
            password=password,
            database=names.database,
            connect_timeout=limits[0],
        ).close()
    except pymysql.MySQLError as error:
        reason = redact(_server_message(error), [password])
        return [f"user '{names.username}' cannot log in with its recorded password: {reason}"]
    return []


def _parse(request: DriverRequest) -> tuple[MysqlInputs, MysqlSecrets]:
    inputs = parse_block(MysqlInputs, request.inputs, "inputs")
    return inputs, parse_block(MysqlSecrets, request.secrets, "secrets")


def _names(request: DriverRequest, inputs: MysqlInputs) -> Names:
    """The names in the driver state win (they are what was made); then the inputs;
    then the resource's guid, which is a valid name by construction."""
    database = request.state.get("database") or inputs.database or request.guid
    username = request.state.get("username") or inputs.username or request.guid
    return Names(str(database), str(username))


def _result(
    request: DriverRequest, inputs: MysqlInputs, names: Names, password: str
) -> DriverResult:
    address = (inputs.host, inputs.port)
    return database_result(
        request, "mysql", address, names.database, names.username, password, ECHOED_INPUTS
    )


@contextmanager
def _failure(what: str, secrets: Iterable[str | None] = ()) -> Iterator[None]:
    """Turn a PyMySQL error into a DriverError: `what` failed, then the server's words."""
    try:
        yield
    except pymysql.MySQLError as error:
        message = f"{what}: {_server_message(error)}"
        raise DriverError(redact(message, [s for s in secrets if s])) from None


def _server_message(error: pymysql.MySQLError) -> str:
    args = error.args
    if len(args) == 2 and isinstance(args[0], int):
        return f"{args[1]} (error {args[0]})"
    return " ".join(str(error).split())


@contextmanager
def _admin_connection(
    inputs: MysqlInputs, admin: MysqlSecrets, limits: tuple[int, float | None]
) -> Iterator[Any]:
    where = f"{inputs.host}:{inputs.port}"
    with _failure(
        f"cannot connect to MySQL at {where} as '{inputs.admin_user}'", [admin.admin_password]
    ):
        conn = pymysql.connect(
            host=inputs.host,
            port=inputs.port,
            user=inputs.admin_user,
            password=admin.admin_password or "",
            connect_timeout=limits[0],
            read_timeout=limits[1],
            write_timeout=limits[1],
            autocommit=True,
            charset="utf8mb4",
        )
    try:
        with conn.cursor() as cursor:
            yield cursor
    finally:
        conn.close()


def _refuse_foreign(cursor: Any, names: Names, state: dict[str, Any]) -> None:
    """Raise before any change if the database or the user exists but the state does
    not name it."""
    with _failure("cannot inspect the server"):
        cursor.execute(
            "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
            (names.database,),
        )
        database_exists = cursor.fetchone() is not None
        cursor.execute("SELECT 1 FROM mysql.user WHERE User = %s", (names.username,))
        user_exists = cursor.fetchone() is not None
    if database_exists and state.get("database") != names.database:
        raise DriverError(_NOT_OURS.format(kind="database", name=names.database))
    if user_exists and state.get("username") != names.username:
        raise DriverError(_NOT_OURS.format(kind="user", name=names.username))


def _upsert_database(cursor: Any, database: str) -> None:
    with _failure(f"cannot create database '{database}'"):
        cursor.execute(
            f"CREATE DATABASE IF NOT EXISTS {_quote_name(database)} CHARACTER SET utf8mb4"
        )


def _upsert_user(cursor: Any, names: Names, password: str) -> None:
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
