"""The mysql driver against the local MariaDB server (password logins are enforced)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pymysql
import pytest

from orchc.drivers.mysql import MysqlDriver
from orchc.drivers.protocol import DriverError, DriverRequest, JsonObject

DRIVER = MysqlDriver()
SOCKET = "/run/mysqld/mysqld.sock"
ADMIN_PASSWORD = "admin-Secret-4711"


def with_state(request: DriverRequest, state: JsonObject, **fields: Any) -> DriverRequest:
    return request.model_copy(update={"state": state, **fields})


def login(result: Any, **where: Any) -> Any:
    """A connection as the resource's user, over TCP unless `unix_socket` is given."""
    where = where or {"host": result.outputs["host"], "port": result.outputs["port"]}
    return pymysql.connect(
        user=result.outputs["username"],
        password=result.secrets["password"],
        database=result.outputs["database"],
        autocommit=True,
        **where,
    )


class FailingJournal:
    def save_state(self, state: JsonObject) -> None:
        raise RuntimeError("the state store is down")


@pytest.mark.services
def test_create_use_reapply_delete(
    make_request: Callable[..., DriverRequest],
    journal: Any,
    mysql: Any,
) -> None:
    request = make_request("mysql", inputs=mysql.inputs)
    name = request.guid
    mysql.track(name)

    result = DRIVER.create(request, journal)

    password = result.secrets["password"]
    assert result.outputs == {
        "host": "127.0.0.1",
        "port": 3306,
        "name": name,
        "database": name,
        "username": name,
    }
    assert result.secrets["url"] == f"mysql://{name}:{password}@127.0.0.1:3306/{name}"
    assert journal.saved == [result.state]
    with login(result) as conn, conn.cursor() as cursor:
        cursor.execute("CREATE TABLE orders (id INT PRIMARY KEY, item TEXT)")
        cursor.execute("INSERT INTO orders VALUES (1, 'book')")
        cursor.execute("SELECT item FROM orders")
        assert cursor.fetchall() == (("book",),)
    with login(result, unix_socket=SOCKET) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT CURRENT_USER()")
        assert cursor.fetchone() == (f"{name}@localhost",)

    again = DRIVER.create(with_state(request, result.state), journal)

    assert again == result
    assert len(journal.saved) == 1
    with login(result) as conn:
        conn.ping()

    DRIVER.delete(with_state(request, result.state, action="delete"), journal)

    assert not mysql.exists("database", name)
    assert not mysql.exists("user", name)
    DRIVER.delete(with_state(request, result.state, action="delete"), journal)  # gone: fine


@pytest.mark.services
def test_user_sees_only_its_database_even_with_wildcard_characters(
    make_request: Callable[..., DriverRequest],
    journal: Any,
    mysql: Any,
    unique: Callable[..., str],
) -> None:
    database = unique("orchc_t_")
    # Matches `orchc_t_...` if `_` in the GRANT were left as a wildcard.
    lookalike = database.replace("_", "x")
    mysql.track(database, lookalike)
    mysql.admin.execute(f"CREATE DATABASE `{lookalike}`")
    request = make_request("mysql", inputs={**mysql.inputs, "database": database})
    mysql.track(request.guid)

    result = DRIVER.create(request, journal)

    with login(result) as conn, conn.cursor() as cursor:
        cursor.execute("SHOW DATABASES")
        assert {row[0] for row in cursor.fetchall()} == {"information_schema", database}
        with pytest.raises(pymysql.err.OperationalError) as denied:
            cursor.execute(f"USE `{lookalike}`")
        assert denied.value.args == (
            1044,
            f"Access denied for user '{request.guid}'@'%' to database '{lookalike}'",
        )


@pytest.mark.services
def test_ownership_is_journaled_before_anything_is_created(
    make_request: Callable[..., DriverRequest], mysql: Any
) -> None:
    request = make_request("mysql", inputs=mysql.inputs)
    mysql.track(request.guid)

    with pytest.raises(RuntimeError, match="the state store is down"):
        DRIVER.create(request, FailingJournal())

    assert not mysql.exists("database", request.guid)
    assert not mysql.exists("user", request.guid)


@pytest.mark.services
def test_unreachable_server(
    make_request: Callable[..., DriverRequest],
    journal: Any,
    mysql: Any,
) -> None:
    request = make_request(
        "mysql",
        inputs={**mysql.inputs, "port": 1},  # nothing listens on port 1
        secrets={"admin_password": ADMIN_PASSWORD},
    )

    with pytest.raises(DriverError) as failure:
        DRIVER.create(request, journal)

    assert str(failure.value) == (
        "cannot connect to MySQL at 127.0.0.1:1 as 'root': Can't connect to MySQL server"
        " on '127.0.0.1' ([Errno 111] Connection refused) (error 2003)"
    )
    assert journal.saved == []


@pytest.mark.services
def test_wrong_admin_password_fails_cleanly_then_fixed_input_succeeds(
    make_request: Callable[..., DriverRequest],
    journal: Any,
    mysql: Any,
    unique: Callable[..., str],
) -> None:
    admin = unique()
    mysql.track(admin)
    mysql.admin.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (admin, ADMIN_PASSWORD))
    mysql.admin.execute("GRANT ALL PRIVILEGES ON *.* TO %s@'%%' WITH GRANT OPTION", (admin,))
    wrong = "wrong-Secret-0815"
    request = make_request(
        "mysql",
        inputs={**mysql.inputs, "admin_user": admin},
        secrets={"admin_password": wrong},
    )
    mysql.track(request.guid)

    with pytest.raises(DriverError) as failure:
        DRIVER.create(request, journal)

    assert str(failure.value) == (
        f"cannot connect to MySQL at 127.0.0.1:3306 as '{admin}': Access denied for user"
        f" '{admin}'@'127.0.0.1' (using password: YES) (error 1045)"
    )
    assert not mysql.exists("database", request.guid)
    assert not mysql.exists("user", request.guid)

    result = DRIVER.create(
        with_state(request, {}, secrets={"admin_password": ADMIN_PASSWORD}), journal
    )
    with login(result) as conn:
        conn.ping()


@pytest.mark.services
@pytest.mark.parametrize("kind", ["user", "database"])
def test_refuses_a_name_that_belongs_to_someone_else(
    kind: str,
    make_request: Callable[..., DriverRequest],
    journal: Any,
    mysql: Any,
) -> None:
    request = make_request("mysql", inputs=mysql.inputs)
    name = request.guid
    mysql.track(name)
    mysql.admin.execute(
        f"CREATE DATABASE `{name}`" if kind == "database" else f"CREATE USER '{name}'@'%'"
    )

    with pytest.raises(DriverError) as failure:
        DRIVER.create(request, journal)

    assert str(failure.value) == (
        f"{kind} '{name}' already exists and is not managed by orchc for this resource"
    )
    assert journal.saved == []
    other = {"user": "database", "database": "user"}[kind]
    assert not mysql.exists(other, name)

    DRIVER.delete(with_state(request, {}, action="delete"), journal)  # knows nothing of it

    assert mysql.exists(kind, name)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            {"host": "h", "admin_user": "a", "usernme": "x"},
            "invalid inputs: unknown input 'usernme' (expected: admin_user, database, host,"
            " port, username)",
        ),
        (
            {"host": "h", "admin_user": "a", "username": "x" * 33},
            "invalid inputs: input 'username': String should match pattern"
            " '^[A-Za-z_][A-Za-z0-9_-]{0,31}$'",
        ),
        (
            {"host": "h", "admin_user": "a", "port": 70000},
            "invalid inputs: input 'port': Input should be less than or equal to 65535",
        ),
    ],
)
def test_invalid_inputs(
    inputs: JsonObject,
    message: str,
    make_request: Callable[..., DriverRequest],
    journal: Any,
) -> None:
    with pytest.raises(DriverError) as failure:
        DRIVER.create(make_request("mysql", inputs=inputs), journal)

    assert str(failure.value) == message


@pytest.mark.services
@pytest.mark.parametrize("round_", range(3))
def test_concurrent_creates_and_deletes_do_not_race_on_the_grant_tables(
    make_request: Callable[..., DriverRequest], journal: Any, mysql: Any, round_: int
) -> None:
    """Parallel driver calls run user DDL (CREATE/ALTER/DROP USER, GRANT) at once; the
    server serialises its grant tables itself, so every call must succeed."""
    requests = [make_request("mysql", inputs=mysql.inputs) for _ in range(8)]
    for request in requests:
        mysql.track(request.guid)

    def create(request: DriverRequest) -> JsonObject:
        return DRIVER.create(request, journal).state

    def delete(request: DriverRequest, state: JsonObject) -> None:
        DRIVER.delete(with_state(request, state, action="delete"), journal)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        states = list(pool.map(create, requests))
        assert all(mysql.exists("user", request.guid) for request in requests)
        list(pool.map(delete, requests, states))

    for request in requests:
        assert not mysql.exists("user", request.guid)
        assert not mysql.exists("database", request.guid)
