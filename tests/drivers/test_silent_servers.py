"""A server that accepts a connection and never answers (a wrong port, a stuck proxy)
must not hang an apply: every server driver bounds its connect and handshake, even
when the definition sets no policy timeout."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from orchc.drivers import redis, time_limits
from orchc.drivers.mysql import MysqlDriver
from orchc.drivers.postgres import PostgresDriver
from orchc.drivers.protocol import DriverError, DriverRequest, NullJournal
from orchc.drivers.redis import RedisDriver


@pytest.fixture
def silent_port() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    server.close()
    for connection in accepted:
        connection.close()


@pytest.mark.parametrize(
    ("driver", "inputs", "message"),
    [
        (MysqlDriver(), {"admin_user": "root"}, "cannot connect to MySQL"),
        (PostgresDriver(), {"admin_user": "postgres"}, "PostgreSQL"),
        (RedisDriver(), {}, "Redis"),
    ],
    ids=["mysql", "postgres", "redis"],
)
def test_a_silent_server_is_a_failure_not_a_hang(
    monkeypatch: pytest.MonkeyPatch,
    make_request: Callable[..., DriverRequest],
    silent_port: int,
    driver: Any,
    inputs: dict[str, Any],
    message: str,
) -> None:
    monkeypatch.setattr(time_limits, "CONNECT_TIMEOUT_SECONDS", 1)
    monkeypatch.setattr(redis, "CONNECT_TIMEOUT_SECONDS", 1)
    request = make_request(
        "db", inputs={"host": "127.0.0.1", "port": silent_port, **inputs}, timeout=None
    )
    raised: list[BaseException] = []

    def create() -> None:
        try:
            driver.create(request, NullJournal())
        except BaseException as error:
            raised.append(error)

    # A thread, so that the old behaviour (waiting forever) fails the test instead of
    # hanging the suite; the bound is a hang detector, far above the 1 s limit.
    worker = threading.Thread(target=create, daemon=True)
    worker.start()
    worker.join(120)
    assert not worker.is_alive(), "the driver is still waiting for the silent server"
    assert len(raised) == 1 and isinstance(raised[0], DriverError)
    assert message in str(raised[0])
