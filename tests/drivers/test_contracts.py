"""Every real provisioning driver returns the whole shipped contract of the type it
provisions (SPEC §11), against the local servers: each contract output is returned, and
each contract secret is returned as a secret."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from orchc.cli_defaults import load_defaults
from orchc.drivers.mysql import MysqlDriver
from orchc.drivers.postgres import PostgresDriver
from orchc.drivers.protocol import Driver, DriverRequest
from orchc.drivers.redis import RedisDriver

DRIVERS: dict[str, tuple[Driver, str]] = {
    "postgres": (PostgresDriver(), "pg"),
    "mysql": (MysqlDriver(), "mysql"),
    "redis": (RedisDriver(), "redis_server"),
}


@pytest.mark.services
@pytest.mark.parametrize("resource_type", sorted(DRIVERS))
def test_the_real_driver_fulfils_the_shipped_contract(
    resource_type: str,
    make_request: Callable[..., DriverRequest],
    journal: Any,
    request: pytest.FixtureRequest,
) -> None:
    driver, server_fixture = DRIVERS[resource_type]
    server = request.getfixturevalue(server_fixture)
    program, _ = load_defaults()
    contract = program.contract(resource_type)
    assert contract is not None
    driver_request = make_request(resource_type, inputs=server.inputs)
    server.track(driver_request.guid)

    result = driver.create(driver_request, journal)

    returned = set(result.outputs) | set(result.secrets)
    assert set(contract.names()) <= returned
    assert {o.name for o in contract.secrets} <= set(result.secrets)
