"""Fixtures for driver tests: request building, a recording journal, unique names, and
admin connections to the local servers that drop whatever a test registered, even when
the test failed half-way, so runs never collide or leave litter behind.

Everything is offered as a fixture (test modules never import this file): `make_request`,
`journal`, `unique`, and one object per server, `pg`, `mysql` and `redis_server`, with
the driver inputs that reach it (`.inputs`), an admin handle (`.admin`), `.track(name)`
to drop a database/role/user/key prefix of that name at teardown, and `.exists`.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest
import redis
from psycopg import sql

from orchc.drivers.protocol import DeployContext, DriverRequest, JsonObject

MakeRequest = Callable[..., DriverRequest]


class RecordingJournal:
    """A journal that remembers every state saved, in order."""

    def __init__(self) -> None:
        self.saved: list[JsonObject] = []

    def save_state(self, state: JsonObject) -> None:
        self.saved.append(copy.deepcopy(state))


def unique_name(prefix: str = "orchc_t") -> str:
    """A name no other test run uses: `prefix` + 12 random hex digits."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def new_guid() -> str:
    """A guid shaped like `ResourceUid.guid`: 'r' + 19 hex digits."""
    return "r" + uuid.uuid4().hex[:19]


@pytest.fixture
def journal() -> RecordingJournal:
    return RecordingJournal()


@pytest.fixture
def unique() -> Callable[..., str]:
    return unique_name


@pytest.fixture
def make_request(tmp_path: Path) -> MakeRequest:
    """Build a DriverRequest; every field has a test default, a fresh guid included.
    `work_dir` defaults to a per-guid folder under the test's tmp_path."""

    def build(type_: str, **fields: Any) -> DriverRequest:
        guid = fields.pop("guid", None) or new_guid()
        values: dict[str, Any] = {
            "action": "create",
            "uid": f"{type_}.default#test",
            "type": type_,
            "class": "default",
            "id": "test",
            "guid": guid,
            "definition": f"test-{type_}",
            "context": DeployContext(app="app", env="test", env_type="development"),
            "source_dir": tmp_path,
            "project_root": tmp_path,
            "work_dir": tmp_path / "work" / guid,
        }
        values.update(fields)
        return DriverRequest.model_validate(values)

    return build


# PostgreSQL ------------------------------------------------------------------------


class PgServer:
    """The local PostgreSQL, as its superuser."""

    @property
    def inputs(self) -> JsonObject:
        """The driver inputs that reach this server as its admin."""
        return {"host": "127.0.0.1", "port": 5432, "admin_user": "postgres"}

    def __init__(self, admin: psycopg.Connection[tuple[Any, ...]]) -> None:
        self.admin = admin
        self.tracked: list[str] = []

    def track(self, *names: str) -> None:
        """Drop databases and roles with these names at teardown."""
        self.tracked.extend(names)

    def exists(self, kind: str, name: str) -> bool:
        """Whether a "role" or a "database" with that name exists."""
        query = {
            "role": "SELECT 1 FROM pg_roles WHERE rolname = %s",
            "database": "SELECT 1 FROM pg_database WHERE datname = %s",
        }[kind]
        return self.admin.execute(query, (name,)).fetchone() is not None

    def run(self, statement: str, *names: str, **literals: object) -> None:
        """`statement` with `{}` filled by quoted identifiers, `{name}` by literals."""
        values = {key: sql.Literal(value) for key, value in literals.items()}
        query = sql.SQL(statement).format(*map(sql.Identifier, names), **values)
        self.admin.execute(query)

    def drop_tracked(self) -> None:
        for name in self.tracked:  # databases first: a role cannot go while it owns one
            self.run("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
        for name in self.tracked:
            self.run("DROP ROLE IF EXISTS {}", name)


@pytest.fixture
def pg() -> Iterator[PgServer]:
    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        server = PgServer(conn)
        try:
            yield server
        finally:
            server.drop_tracked()


# MySQL / MariaDB ---------------------------------------------------------------------


class MysqlServer:
    """The local MariaDB, as root; `admin` is a cursor."""

    @property
    def inputs(self) -> JsonObject:
        """The driver inputs that reach this server as its admin."""
        return {"host": "127.0.0.1", "port": 3306, "admin_user": "root"}

    def __init__(self, admin: Any) -> None:
        self.admin = admin
        self.tracked: list[str] = []

    def track(self, *names: str) -> None:
        """Drop databases and users (on every host) with these names at teardown."""
        self.tracked.extend(names)

    def exists(self, kind: str, name: str) -> bool:
        """Whether a "user" (on any host) or a "database" with that name exists."""
        query = {
            "user": "SELECT 1 FROM mysql.user WHERE User = %s",
            "database": "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
        }[kind]
        self.admin.execute(query, (name,))
        return self.admin.fetchone() is not None

    def drop_tracked(self) -> None:
        for name in self.tracked:
            self.admin.execute(f"DROP DATABASE IF EXISTS `{name}`")
            self.admin.execute("SELECT Host FROM mysql.user WHERE User = %s", (name,))
            for (host,) in self.admin.fetchall():
                self.admin.execute("DROP USER IF EXISTS %s@%s", (name, host))


@pytest.fixture
def mysql() -> Iterator[MysqlServer]:
    conn = pymysql.connect(host="127.0.0.1", port=3306, user="root", autocommit=True)
    try:
        with conn.cursor() as cursor:
            server = MysqlServer(cursor)
            try:
                yield server
            finally:
                server.drop_tracked()
    finally:
        conn.close()


# Redis -------------------------------------------------------------------------------


class RedisServer:
    """The local Redis, as its `default` user."""

    @property
    def inputs(self) -> JsonObject:
        """The driver inputs that reach this server as its admin."""
        return {"host": "127.0.0.1", "port": 6379}

    def __init__(self, admin: redis.Redis) -> None:
        self.admin = admin
        self.tracked: list[str] = []

    def track(self, *names: str) -> None:
        """At teardown, delete ACL users with these names and unlink the keys that
        start with them."""
        self.tracked.extend(names)

    def user_exists(self, name: str) -> bool:
        return self.admin.acl_getuser(name) is not None

    def drop_tracked(self) -> None:
        for name in self.tracked:
            self.admin.acl_deluser(name)
            for key in self.admin.scan_iter(match=f"{name}*", count=1000):
                self.admin.unlink(key)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    client = redis.Redis(host="127.0.0.1", port=6379, decode_responses=True)
    server = RedisServer(client)
    try:
        yield server
    finally:
        server.drop_tracked()
        client.close()
