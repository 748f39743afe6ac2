"""Drift (SPEC §9): `observe` of the server drivers and terraform against the real
services: nothing drifted right after create; what was removed or broken by hand is
named; observing changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchc.drivers.mysql import MysqlDriver
from orchc.drivers.postgres import PostgresDriver
from orchc.drivers.protocol import DriverRequest, Observer
from orchc.drivers.redis import RedisDriver
from orchc.drivers.terraform import TerraformDriver


def observing(request: DriverRequest, state: dict[str, Any]) -> DriverRequest:
    return request.model_copy(update={"action": "observe", "state": state})


@pytest.mark.parametrize("driver", [PostgresDriver, MysqlDriver, RedisDriver, TerraformDriver])
def test_the_drivers_that_observe(driver: type) -> None:
    assert isinstance(driver(), Observer)


@pytest.mark.services
def test_postgres_sees_a_dropped_database_and_a_lost_login(
    make_request: Callable[..., DriverRequest], journal: Any, pg: Any
) -> None:
    driver = PostgresDriver()
    request = make_request("postgres", inputs=pg.inputs)
    name = request.guid
    pg.track(name)
    result = driver.create(request, journal)
    looking = observing(request, result.state)
    assert driver.observe(looking).drift is None

    pg.run("ALTER ROLE {} NOLOGIN", name)
    assert driver.observe(looking).drift == f"role '{name}' has lost its LOGIN attribute"
    pg.run("DROP DATABASE {} WITH (FORCE)", name)
    assert driver.observe(looking).drift == (
        f"database '{name}' does not exist; role '{name}' has lost its LOGIN attribute"
    )
    assert not pg.exists("database", name)  # observing repairs nothing

    driver.create(request.model_copy(update={"state": result.state}), journal)
    assert driver.observe(looking).drift is None
    pg.run("DROP DATABASE {} WITH (FORCE)", name)
    pg.run("DROP ROLE {}", name)
    assert driver.observe(looking).drift == (
        f"role '{name}' does not exist; database '{name}' does not exist"
    )


@pytest.mark.services
def test_mysql_sees_a_dropped_database_and_a_changed_password(
    make_request: Callable[..., DriverRequest], journal: Any, mysql: Any
) -> None:
    driver = MysqlDriver()
    request = make_request("mysql", inputs=mysql.inputs)
    name = request.guid
    mysql.track(name)
    result = driver.create(request, journal)
    looking = observing(request, result.state)
    assert driver.observe(looking).drift is None

    password = result.state["password"]
    for host in ("%", "localhost"):
        mysql.admin.execute("ALTER USER %s@%s IDENTIFIED BY 'changed-by-hand'", (name, host))
    drift = driver.observe(looking).drift
    assert drift is not None
    assert drift.startswith(f"user '{name}' cannot log in with its recorded password: ")
    assert password not in drift

    mysql.admin.execute(f"DROP DATABASE `{name}`")
    assert driver.observe(looking).drift == f"database '{name}' does not exist"
    assert not mysql.exists("database", name)


@pytest.mark.services
def test_redis_sees_a_deleted_user_and_a_changed_password(
    make_request: Callable[..., DriverRequest], journal: Any, redis_server: Any
) -> None:
    driver = RedisDriver()
    request = make_request("redis", inputs=redis_server.inputs)
    name = request.guid
    redis_server.track(name)
    result = driver.create(request, journal)
    looking = observing(request, result.state)
    assert driver.observe(looking).drift is None

    redis_server.admin.execute_command("ACL", "SETUSER", name, "resetpass", ">changed-by-hand")
    drift = driver.observe(looking).drift
    assert drift is not None
    assert drift.startswith(f"ACL user '{name}' cannot log in with its recorded password: ")
    assert result.state["password"] not in drift

    redis_server.admin.acl_deluser(name)
    assert driver.observe(looking).drift == f"ACL user '{name}' does not exist"
    assert not redis_server.user_exists(name)


REMOTE_MODULE = """
variable "path" {
  type = string
}

data "terraform_remote_state" "source" {
  backend = "local"
  config  = { path = var.path }
}

output "value" {
  value = data.terraform_remote_state.source.outputs.value
}
"""


def _remote_state(path: Path, value: str) -> None:
    outputs = {"value": {"value": value, "type": "string"}}
    document = {"version": 4, "serial": 1, "lineage": "l", "outputs": outputs, "resources": []}
    path.write_text(json.dumps(document))


@pytest.mark.terraform
def test_terraform_sees_what_changed_outside_it(
    make_request: Callable[..., DriverRequest], journal: Any, tmp_path: Path
) -> None:
    """Built-in pieces only: the module reads another state file, changed by hand."""
    (tmp_path / "module").mkdir()
    (tmp_path / "module" / "main.tf").write_text(REMOTE_MODULE)
    source = tmp_path / "source.tfstate"
    _remote_state(source, "one")
    driver = TerraformDriver()
    inputs = {"source": "module", "variables": {"path": str(source)}}
    request = make_request("terraform", inputs=inputs)
    result = driver.create(request, journal)
    assert result.outputs == {"value": "one"}
    looking = observing(request, result.state)
    assert driver.observe(looking).drift is None

    _remote_state(source, "two")
    assert driver.observe(looking).drift == "terraform: output value changed"
    assert driver.observe(looking).drift == "terraform: output value changed"  # unchanged

    fresh = observing(request, {})
    assert driver.observe(fresh).drift == "no Terraform state recorded: nothing was ever applied"
