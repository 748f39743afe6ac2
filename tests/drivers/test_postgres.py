"""The postgres driver against the local PostgreSQL server.

The server trusts 127.0.0.1, so a login succeeds whatever the password: the tests
prove the role's password by checking its stored SCRAM verifier against the generated
password, and test wrong admin credentials as an unknown role and as a role without
the rights to create roles.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest

from orchc.drivers.postgres import PostgresDriver
from orchc.drivers.protocol import DriverError, DriverRequest, JsonObject

DRIVER = PostgresDriver()
Connection = psycopg.Connection[tuple[Any, ...]]
ADMIN_PASSWORD = "admin-Secret-4711"


def scram_matches(verifier: str, password: str) -> bool:
    """Whether a `SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey` verifier (as in
    pg_authid) was made from `password` (RFC 5802)."""
    _, iterations_salt, keys = verifier.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key = keys.split(":")[0]
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key


def role_password_is(conn: Connection, role: str, password: str) -> bool:
    row = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,)).fetchone()
    return row is not None and scram_matches(row[0], password)


def with_state(request: DriverRequest, state: JsonObject, **fields: Any) -> DriverRequest:
    return request.model_copy(update={"state": state, **fields})


class FailingJournal:
    def save_state(self, state: JsonObject) -> None:
        raise RuntimeError("the state store is down")


@pytest.mark.services
def test_create_use_reapply_delete(
    make_request: Callable[..., DriverRequest],
    journal: Any,
    pg: Any,
) -> None:
    request = make_request("postgres", inputs=pg.inputs)
    name = request.guid
    pg.track(name)

    result = DRIVER.create(request, journal)

    password = result.secrets["password"]
    assert result.outputs == {
        "host": "127.0.0.1",
        "port": 5432,
        "name": name,
        "database": name,
        "username": name,
    }
    assert result.secrets["url"] == f"postgresql://{name}:{password}@127.0.0.1:5432/{name}"
    assert journal.saved == [result.state]
    assert role_password_is(pg.admin, name, password)
    with psycopg.connect(result.secrets["url"], autocommit=True) as conn:
        conn.execute("CREATE TABLE orders (id int PRIMARY KEY, item text)")
        conn.execute("INSERT INTO orders VALUES (1, 'book')")
        assert conn.execute("SELECT current_user, item FROM orders").fetchall() == [(name, "book")]

    again = DRIVER.create(with_state(request, result.state), journal)

    assert again == result
    assert len(journal.saved) == 1
    assert role_password_is(pg.admin, name, password)

    DRIVER.delete(with_state(request, result.state, action="delete"), journal)

    assert not pg.exists("database", name)
    assert not pg.exists("role", name)
    DRIVER.delete(with_state(request, result.state, action="delete"), journal)  # gone: fine


@pytest.mark.services
def test_creates_while_a_session_is_connected_to_template1(
    make_request: Callable[..., DriverRequest],
    journal: Any,
    pg: Any,
) -> None:
    # A copy of template1 fails while anyone is connected to it ("source database
    # "template1" is being accessed by other users"); the driver copies template0.
    request = make_request("postgres", inputs=pg.inputs)
    pg.track(request.guid)

    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="template1"):
        result = DRIVER.create(request, journal)

    with psycopg.connect(result.secrets["url"]) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (request.guid,)


@pytest.mark.services
def test_explicit_names_and_public_cannot_connect(
    make_request: Callable[..., DriverRequest],
    journal: Any,
    pg: Any,
    unique: Callable[..., str],
) -> None:
    database, username, outsider = unique("orchc-db-"), unique("orchc_user_"), unique()
    pg.track(database, username, outsider)
    request = make_request(
        "postgres", inputs={**pg.inputs, "database": database, "username": username}
    )

    result = DRIVER.create(request, journal)

    assert (result.outputs["database"], result.outputs["username"]) == (database, username)
    with psycopg.connect(result.secrets["url"]) as conn:
        assert conn.execute("SELECT current_database(), current_user").fetchone() == (
            database,
            username,
        )
    pg.run("CREATE ROLE {} LOGIN", outsider)
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(host="127.0.0.1", user=outsider, dbname=database)


@pytest.mark.services
def test_password_is_journaled_before_anything_is_created(
    make_request: Callable[..., DriverRequest], pg: Any
) -> None:
    request = make_request("postgres", inputs=pg.inputs)
    pg.track(request.guid)

    with pytest.raises(RuntimeError, match="the state store is down"):
        DRIVER.create(request, FailingJournal())

    assert not pg.exists("role", request.guid)
    assert not pg.exists("database", request.guid)


@pytest.mark.services
def test_converges_after_a_crash_between_role_and_database(
    make_request: Callable[..., DriverRequest],
    journal: Any,
    pg: Any,
) -> None:
    request = make_request("postgres", inputs=pg.inputs)
    name = request.guid
    pg.track(name)
    first = DRIVER.create(request, journal)
    # What a crash leaves: the database gone (never made), or made but not yet marked.
    pg.run("DROP DATABASE {}", name)

    again = DRIVER.create(with_state(request, journal.saved[-1]), journal)
    pg.run("COMMENT ON DATABASE {} IS NULL", name)
    third = DRIVER.create(with_state(request, journal.saved[-1]), journal)

    assert first == again == third
    comment = pg.admin.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        (name,),
    ).fetchone()
    assert comment == (f"managed by orchc {request.guid}",)
    with psycopg.connect(third.secrets["url"]) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.mark.services
def test_non_superuser_admin_with_createrole_and_createdb(
    make_request: Callable[..., DriverRequest],
    journal: Any,
    pg: Any,
    unique: Callable[..., str],
) -> None:
    admin = unique()
    pg.run("CREATE ROLE {} LOGIN CREATEROLE CREATEDB", admin)
    request = make_request("postgres", inputs={**pg.inputs, "admin_user": admin})
    pg.track(request.guid, admin)

    result = DRIVER.create(request, journal)
    with psycopg.connect(result.secrets["url"]) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (request.guid,)
    DRIVER.delete(with_state(request, result.state, action="delete"), journal)

    assert not pg.exists("database", request.guid)
    assert not pg.exists("role", request.guid)


@pytest.mark.services
def test_unreachable_server(
    make_request: Callable[..., DriverRequest],
    journal: Any,
    pg: Any,
) -> None:
    request = make_request(
        "postgres",
        inputs={**pg.inputs, "port": 1},  # nothing listens on port 1
        secrets={"admin_password": ADMIN_PASSWORD},
    )

    with pytest.raises(DriverError) as failure:
        DRIVER.create(request, journal)

    assert str(failure.value) == (
        "cannot connect to PostgreSQL at 127.0.0.1:1 as 'postgres': connection failed:"
        ' connection to server at "127.0.0.1", port 1 failed: Connection refused'
        " Is the server running on that host and accepting TCP/IP connections?"
    )


@pytest.mark.services
def test_unknown_admin_role(
    make_request: Callable[..., DriverRequest],
    journal: Any,
    pg: Any,
    unique: Callable[..., str],
) -> None:
    admin = unique()
    request = make_request(
        "postgres",
        inputs={**pg.inputs, "admin_user": admin},
        secrets={"admin_password": ADMIN_PASSWORD},
    )
    pg.track(request.guid)

    with pytest.raises(DriverError) as failure:
        DRIVER.create(request, journal)

    assert str(failure.value) == (
        f"cannot connect to PostgreSQL at 127.0.0.1:5432 as '{admin}': connection failed:"
        f' connection to server at "127.0.0.1", port 5432 failed:'
        f' FATAL: role "{admin}" does not exist'
    )
    assert not pg.exists("role", request.guid)


@pytest.mark.services
def test_admin_without_rights_fails_cleanly_then_fixed_input_succeeds(
    make_request: Callable[..., DriverRequest],
    journal: Any,
    pg: Any,
    unique: Callable[..., str],
) -> None:
    weak = unique()
    pg.run("CREATE ROLE {} LOGIN PASSWORD {password}", weak, password=ADMIN_PASSWORD)
    request = make_request(
        "postgres",
        inputs={**pg.inputs, "admin_user": weak},
        secrets={"admin_password": ADMIN_PASSWORD},
    )
    pg.track(request.guid, weak)

    with pytest.raises(DriverError) as failure:
        DRIVER.create(request, journal)

    assert str(failure.value) == (
        f"cannot create role '{request.guid}': permission denied to create role"
    )
    password = journal.saved[-1]["password"]
    assert password not in str(failure.value)
    assert not pg.exists("role", request.guid)
    assert not pg.exists("database", request.guid)

    fixed = with_state(request, journal.saved[-1], inputs=pg.inputs, secrets={})
    result = DRIVER.create(fixed, journal)
    assert result.secrets["password"] == password


@pytest.mark.services
@pytest.mark.parametrize("kind", ["role", "database"])
def test_refuses_a_name_that_belongs_to_someone_else(
    kind: str,
    make_request: Callable[..., DriverRequest],
    journal: Any,
    pg: Any,
) -> None:
    request = make_request("postgres", inputs=pg.inputs)
    name = request.guid
    pg.track(name)
    pg.run(f"CREATE {kind.upper()} {{}}", name)

    with pytest.raises(DriverError) as failure:
        DRIVER.create(request, journal)

    assert str(failure.value) == (
        f"{kind} '{name}' already exists and is not managed by orchc for this resource"
    )
    other = {"role": "database", "database": "role"}[kind]
    assert not pg.exists(other, name)
    assert journal.saved == []  # a refused name is never kept in the driver state

    with pytest.raises(DriverError) as refusal:
        DRIVER.delete(with_state(request, {}, action="delete"), journal)

    assert str(refusal.value) == (
        f"refusing to drop {kind} '{name}': it exists but is not managed by orchc for this resource"
    )
    assert pg.exists(kind, name)


@pytest.mark.services
def test_a_refused_username_does_not_stick_once_the_param_is_fixed(
    make_request: Callable[..., DriverRequest],
    journal: Any,
    pg: Any,
    unique: Callable[..., str],
) -> None:
    refused = make_request("postgres", inputs={**pg.inputs, "username": "postgres"})
    with pytest.raises(DriverError, match="role 'postgres' already exists"):
        DRIVER.create(refused, journal)
    assert journal.saved == []

    name = unique()
    pg.track(name, refused.guid)
    fixed = with_state(refused, {}, inputs={**pg.inputs, "username": name})
    result = DRIVER.create(fixed, journal)
    assert result.outputs["username"] == name
    assert journal.saved[-1]["username"] == name


@pytest.mark.services
def test_a_role_marked_for_another_resource_is_not_ours(
    make_request: Callable[..., DriverRequest],
    journal: Any,
    pg: Any,
    unique: Callable[..., str],
) -> None:
    shared = unique()
    first = make_request("postgres", inputs={**pg.inputs, "username": shared})
    pg.track(first.guid, shared)
    DRIVER.create(first, journal)
    second = make_request("postgres", inputs={**pg.inputs, "username": shared})
    pg.track(second.guid)

    with pytest.raises(DriverError) as failure:
        DRIVER.create(second, journal)

    assert str(failure.value) == (
        f"role '{shared}' already exists and is not managed by orchc for this resource"
    )


@pytest.mark.parametrize(
    ("inputs", "secrets", "message"),
    [
        (
            {"host": "h", "admin_user": "a", "prot": 1},
            {},
            "invalid inputs: unknown input 'prot' (expected: admin_database, admin_user,"
            " database, host, port, username)",
        ),
        ({"admin_user": "a"}, {}, "invalid inputs: missing input 'host'"),
        (
            {"host": "h", "admin_user": "a", "database": "no spaces"},
            {},
            "invalid inputs: input 'database': String should match pattern"
            " '^[A-Za-z_][A-Za-z0-9_-]{0,62}$'",
        ),
        (
            {"host": "h", "admin_user": "a"},
            {"admin_pasword": "Secret-Value-1"},
            "invalid secrets: unknown secret 'admin_pasword' (expected: admin_password)",
        ),
        (
            {"host": "h", "admin_user": "a"},
            {"admin_password": ["Secret-Value-1"]},
            "invalid secrets: secret 'admin_password': Input should be a valid string",
        ),
    ],
)
def test_invalid_inputs(
    inputs: JsonObject,
    secrets: JsonObject,
    message: str,
    make_request: Callable[..., DriverRequest],
    journal: Any,
) -> None:
    request = make_request("postgres", inputs=inputs, secrets=secrets)

    with pytest.raises(DriverError) as failure:
        DRIVER.create(request, journal)

    assert str(failure.value) == message
    assert journal.saved == []


@pytest.mark.services
def test_an_output_echoing_a_sensitive_input_is_secret(
    make_request: Callable[..., DriverRequest], journal: Any, pg: Any
) -> None:
    request = make_request(
        "postgres", inputs=pg.inputs, sensitive_inputs=frozenset({"host", "port"})
    )
    pg.track(request.guid)

    result = DRIVER.create(request, journal)

    assert set(result.outputs) == {"name", "database", "username"}
    assert (result.secrets["host"], result.secrets["port"]) == ("127.0.0.1", 5432)


@pytest.mark.services
@pytest.mark.parametrize("round_", range(3))
def test_concurrent_creates_and_deletes_do_not_race_on_the_shared_catalogs(
    make_request: Callable[..., DriverRequest], journal: Any, pg: Any, round_: int
) -> None:
    """Role DDL from parallel driver calls touches the server's shared catalogs; without
    serialisation PostgreSQL fails some of them with "tuple concurrently deleted"."""
    requests = [make_request("postgres", inputs=pg.inputs) for _ in range(8)]
    for request in requests:
        pg.track(request.guid)

    def create(request: DriverRequest) -> JsonObject:
        return DRIVER.create(request, journal).state

    def delete(request: DriverRequest, state: JsonObject) -> None:
        DRIVER.delete(with_state(request, state, action="delete"), journal)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        states = list(pool.map(create, requests))
        list(pool.map(delete, requests, states))

    names = [request.guid for request in requests]
    assert pg.admin.execute(
        "SELECT count(*) FROM pg_roles WHERE rolname = ANY(%s)", (names,)
    ).fetchone() == (0,)
    assert pg.admin.execute(
        "SELECT count(*) FROM pg_database WHERE datname = ANY(%s)", (names,)
    ).fetchone() == (0,)
