"""The redis driver against the local Redis server: a confined ACL user, really used."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from orchc.drivers.protocol import DriverError, DriverRequest, DriverResult, JsonObject
from orchc.drivers.redis import RedisDriver

DRIVER = RedisDriver()
ADMIN_PASSWORD = "admin-Secret-4711"


def with_state(request: DriverRequest, state: JsonObject, **fields: Any) -> DriverRequest:
    return request.model_copy(update={"state": state, **fields})


def login(result: DriverResult) -> redis.Redis:
    return redis.Redis.from_url(result.secrets["url"], decode_responses=True)


class FailingJournal:
    def save_state(self, state: JsonObject) -> None:
        raise RuntimeError("the state store is down")


@pytest.mark.services
def test_create_use_reapply_delete(
    make_request: Callable[..., DriverRequest],
    journal: Any,
    redis_server: Any,
) -> None:
    request = make_request("redis", inputs=redis_server.inputs)
    name, prefix = request.guid, f"{request.guid}:"
    redis_server.track(name)

    result = DRIVER.create(request, journal)

    password = result.secrets["password"]
    assert result.outputs == {
        "host": "127.0.0.1",
        "port": 6379,
        "username": name,
        "key_prefix": prefix,
    }
    assert result.secrets["url"] == f"redis://{name}:{password}@127.0.0.1:6379"
    assert journal.saved == [result.state]
    with login(result) as client:
        assert client.acl_whoami() == name
        assert client.set(f"{prefix}greeting", "hello", ex=60)
        assert client.get(f"{prefix}greeting") == "hello"
        assert client.expire(f"{prefix}greeting", 120)
        assert client.publish(f"{prefix}events", "ping") == 0
        assert client.delete(f"{prefix}greeting") == 1

    again = DRIVER.create(with_state(request, result.state), journal)

    assert again == result
    assert len(journal.saved) == 1
    with login(result) as client:
        assert client.ping()

    DRIVER.delete(with_state(request, result.state, action="delete"), journal)

    assert not redis_server.user_exists(name)
    with pytest.raises(redis.AuthenticationError), login(result) as client:
        client.ping()
    DRIVER.delete(with_state(request, result.state, action="delete"), journal)  # gone: fine


@pytest.mark.services
@pytest.mark.parametrize(
    ("command", "refused"),
    [
        (("SET", "elsewhere", "x"), "no permissions to access one of the keys"),
        (("GET", "elsewhere"), "no permissions to access one of the keys"),
        (("PUBLISH", "elsewhere", "x"), "no permissions to access one of the channels"),
        (("FLUSHALL",), "has no permissions to run the 'flushall' command"),
        (("FLUSHDB",), "has no permissions to run the 'flushdb' command"),
        (("CONFIG", "GET", "*"), "has no permissions to run the 'config|get' command"),
        (("KEYS", "*"), "has no permissions to run the 'keys' command"),
        (("SCAN", "0"), "has no permissions to run the 'scan' command"),
        (("RANDOMKEY",), "has no permissions to run the 'randomkey' command"),
        (("ACL", "SETUSER", "x"), "has no permissions to run the 'acl|setuser' command"),
    ],
)
def test_the_user_is_confined(
    command: tuple[str, ...],
    refused: str,
    make_request: Callable[..., DriverRequest],
    journal: Any,
    redis_server: Any,
) -> None:
    request = make_request("redis", inputs=redis_server.inputs)
    redis_server.track(request.guid)
    result = DRIVER.create(request, journal)

    with login(result) as client, pytest.raises(redis.exceptions.NoPermissionError) as denied:
        client.execute_command(*command)  # type: ignore[no-untyped-call]

    assert refused in str(denied.value)


@pytest.mark.services
@pytest.mark.parametrize("flush", [True, False])
def test_delete_flushes_the_prefix_only_when_asked(
    flush: bool,
    make_request: Callable[..., DriverRequest],
    journal: Any,
    redis_server: Any,
    unique: Callable[..., str],
) -> None:
    prefix, neighbour = unique("orchc:t:") + ":", unique("orchc:t:")
    redis_server.track(prefix, neighbour)
    inputs = {**redis_server.inputs, "key_prefix": prefix, "flush_keys_on_delete": flush}
    request = make_request("redis", inputs=inputs)
    redis_server.track(request.guid)
    result = DRIVER.create(request, journal)
    with login(result) as client:
        for number in range(1234):  # more than one SCAN/UNLINK batch
            client.set(f"{prefix}{number}", number)
    redis_server.admin.set(neighbour, "not ours")

    DRIVER.delete(with_state(request, result.state, action="delete"), journal)

    left = sum(1 for _ in redis_server.admin.scan_iter(match=f"{prefix}*", count=1000))
    assert left == (0 if flush else 1234)
    assert redis_server.admin.get(neighbour) == "not ours"


@pytest.mark.services
def test_user_is_journaled_before_it_is_created(
    make_request: Callable[..., DriverRequest], redis_server: Any
) -> None:
    request = make_request("redis", inputs=redis_server.inputs)
    redis_server.track(request.guid)

    with pytest.raises(RuntimeError, match="the state store is down"):
        DRIVER.create(request, FailingJournal())

    assert not redis_server.user_exists(request.guid)


@pytest.mark.services
def test_unreachable_server(
    make_request: Callable[..., DriverRequest],
    journal: Any,
    redis_server: Any,
) -> None:
    request = make_request(
        "redis",
        inputs={**redis_server.inputs, "port": 1},  # nothing listens on port 1
        secrets={"admin_password": ADMIN_PASSWORD},
    )

    with pytest.raises(DriverError) as failure:
        DRIVER.create(request, journal)

    assert str(failure.value) == (
        "cannot connect to Redis at 127.0.0.1:1 as 'default':"
        " Error 111 connecting to 127.0.0.1:1. Connection refused."
    )


@pytest.mark.services
def test_wrong_admin_password_fails_cleanly_then_fixed_input_succeeds(
    make_request: Callable[..., DriverRequest],
    journal: Any,
    redis_server: Any,
    unique: Callable[..., str],
) -> None:
    admin = unique()
    redis_server.track(admin)
    redis_server.admin.acl_setuser(
        admin, enabled=True, passwords=[f"+{ADMIN_PASSWORD}"], keys=["*"], categories=["+@all"]
    )
    wrong = "wrong-Secret-0815"
    request = make_request(
        "redis",
        inputs={**redis_server.inputs, "admin_user": admin},
        secrets={"admin_password": wrong},
    )
    redis_server.track(request.guid)

    with pytest.raises(DriverError) as failure:
        DRIVER.create(request, journal)

    assert str(failure.value) == (
        f"cannot connect to Redis at 127.0.0.1:6379 as '{admin}':"
        " invalid username-password pair or user is disabled."
    )
    assert not redis_server.user_exists(request.guid)

    fixed = with_state(request, {}, secrets={"admin_password": ADMIN_PASSWORD})
    with login(DRIVER.create(fixed, journal)) as client:
        assert client.acl_whoami() == request.guid


@pytest.mark.services
def test_refuses_a_user_that_belongs_to_someone_else(
    make_request: Callable[..., DriverRequest],
    journal: Any,
    redis_server: Any,
    unique: Callable[..., str],
) -> None:
    name = unique()
    redis_server.track(name)
    redis_server.admin.acl_setuser(name, enabled=False)
    request = make_request("redis", inputs={**redis_server.inputs, "username": name})

    with pytest.raises(DriverError) as failure:
        DRIVER.create(request, journal)

    assert str(failure.value) == (
        f"user '{name}' already exists and is not managed by orchc for this resource"
    )
    assert journal.saved == []
    DRIVER.delete(with_state(request, {}, action="delete"), journal)  # knows nothing of it
    assert redis_server.user_exists(name)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            {"host": "h", "key_prefix": "app:*"},
            "invalid inputs: input 'key_prefix': String should match pattern"
            " '^[^\\s*?\\[\\]\\\\]{1,256}$'",
        ),
        (
            {"host": "h", "key_prefix": ""},
            "invalid inputs: input 'key_prefix': String should match pattern"
            " '^[^\\s*?\\[\\]\\\\]{1,256}$'",
        ),
        (
            {"host": "h", "flush_keys_on_delete": "maybe"},
            "invalid inputs: input 'flush_keys_on_delete': Input should be a valid boolean,"
            " unable to interpret input",
        ),
        (
            {"hots": "h"},
            "invalid inputs: missing input 'host'; unknown input 'hots' (expected:"
            " admin_user, flush_keys_on_delete, host, key_prefix, port, username)",
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
        DRIVER.create(make_request("redis", inputs=inputs), journal)

    assert str(failure.value) == message
