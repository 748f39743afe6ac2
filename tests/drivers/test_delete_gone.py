"""Deleting what is already gone succeeds, for every built-in driver (SPEC §9): a
resource removed by hand, deleted twice, or never made (empty state), against the real
servers and the real terraform."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchc.drivers.mysql import MysqlDriver
from orchc.drivers.postgres import PostgresDriver
from orchc.drivers.protocol import DeployContext, DeployRequest, DriverRequest, NullJournal
from orchc.drivers.redis import RedisDriver
from orchc.drivers.registry import default_registry
from orchc.drivers.terraform import TerraformDriver

HERE = Path(__file__).resolve().parent


def deleting(request: DriverRequest, state: dict[str, Any]) -> DriverRequest:
    return request.model_copy(update={"action": "delete", "state": state})


@pytest.mark.services
def test_postgres(make_request: Callable[..., DriverRequest], journal: Any, pg: Any) -> None:
    request = make_request("postgres", inputs=pg.inputs)
    pg.track(request.guid)
    state = PostgresDriver().create(request, journal).state
    pg.run("DROP DATABASE {} WITH (FORCE)", request.guid)
    pg.run("DROP ROLE {}", request.guid)
    for _ in range(2):
        PostgresDriver().delete(deleting(request, state), NullJournal())
    PostgresDriver().delete(deleting(request, {}), NullJournal())
    assert not pg.exists("role", request.guid)


@pytest.mark.services
def test_mysql(make_request: Callable[..., DriverRequest], journal: Any, mysql: Any) -> None:
    request = make_request("mysql", inputs=mysql.inputs)
    mysql.track(request.guid)
    state = MysqlDriver().create(request, journal).state
    mysql.admin.execute(f"DROP DATABASE `{request.guid}`")
    for _ in range(2):
        MysqlDriver().delete(deleting(request, state), NullJournal())
    MysqlDriver().delete(deleting(request, {}), NullJournal())
    assert not mysql.exists("user", request.guid)


@pytest.mark.services
def test_redis(make_request: Callable[..., DriverRequest], journal: Any, redis_server: Any) -> None:
    request = make_request("redis", inputs=redis_server.inputs)
    redis_server.track(request.guid)
    state = RedisDriver().create(request, journal).state
    redis_server.admin.acl_deluser(request.guid)
    for _ in range(2):
        RedisDriver().delete(deleting(request, state), NullJournal())
    RedisDriver().delete(deleting(request, {}), NullJournal())


@pytest.mark.terraform
def test_terraform(make_request: Callable[..., DriverRequest], journal: Any) -> None:
    inputs = {"source": "tf_modules/basic", "variables": {"name": "gone"}}
    secrets = {"variables": {"token": "t"}}
    request = make_request("terraform", inputs=inputs, secrets=secrets, source_dir=HERE)
    state = TerraformDriver().create(request, journal).state
    TerraformDriver().delete(deleting(request, state), NullJournal())
    TerraformDriver().delete(deleting(request, state), NullJournal())  # destroyed already
    TerraformDriver().delete(deleting(request, {}), NullJournal())  # never applied


@pytest.mark.parametrize("name", ["static", "template", "environment"])
def test_drivers_that_make_nothing(make_request: Callable[..., DriverRequest], name: str) -> None:
    driver = default_registry().get(name)
    driver.delete(make_request(name, action="delete"), NullJournal())


@pytest.mark.parametrize(
    ("name", "path"), [("compose", "out/compose.yaml"), ("kubernetes-manifests", "out/k8s")]
)
def test_targets_whose_files_are_gone(
    make_request: Callable[..., DriverRequest], tmp_path: Path, name: str, path: str
) -> None:
    target = default_registry().get(name)
    request = make_request("target", inputs={"path": path}, project_root=tmp_path)
    target.create(request, NullJournal())
    context = DeployContext(app="app", env="test", env_type="development")
    deployed = target.deploy(  # type: ignore[attr-defined]
        DeployRequest(
            context=context,
            inputs={"path": path},
            project_root=tmp_path,
            workloads=(),
            work_dir=tmp_path / "work",
        )
    )
    for file in deployed.files:
        (tmp_path / file).unlink()
    for _ in range(2):
        target.delete(deleting(request, {}), NullJournal())
    target.delete(make_request("target", action="delete", project_root=tmp_path), NullJournal())
