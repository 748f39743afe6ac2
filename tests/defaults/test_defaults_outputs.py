"""The output names each default returns, per target: exactly its type's shipped
contract (SPEC §11), whose names are those Score files written for score-compose and
score-k8s already read, so they work unchanged. Secret outputs are secret (`orchc
outputs` shows them as `(sensitive)`), the others are not.

Each row deploys a one-workload Score file whose container reads every expected output,
so a missing output fails the apply, and then compares the resource's outputs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchc.cli_defaults import load_defaults
from orchc.sensitive import SENSITIVE

# type -> params of the resource; the outputs expected are the type's shipped contract
PARAMS: dict[str, dict[str, Any]] = {
    "volume": {},
    "service-port": {"workload": "app", "port": 8080},
    "environment": {},
    "dns": {},
    "route": {"host": "shop.localhost", "path": "/", "port": "web"},
    "postgres": {},
    "postgres-instance": {},
    "mysql": {},
    "redis": {},
    "mongodb": {},
    "amqp": {},
    "kafka-topic": {},
    "s3": {},
    "elasticsearch": {},
    "mssql": {},
}
OPEN_ENDED = {"environment": {"ORCHC_TEST_GREETING"}}
"""Types without a contract (their outputs are what is asked for): the secret outputs
the test asks for."""


def contract_outputs(resource_type: str) -> tuple[set[str], set[str]]:
    """(plain, secret) outputs the shipped contract of `resource_type` promises."""
    if resource_type in OPEN_ENDED:
        return set(), OPEN_ENDED[resource_type]
    program, _ = load_defaults()
    contract = program.contract(resource_type)
    assert contract is not None, f"no shipped contract for {resource_type}"
    return {o.name for o in contract.outputs}, {o.name for o in contract.secrets}


TYPES = {name: (params, *contract_outputs(name)) for name, params in PARAMS.items()}
ENVIRONMENTS = {"compose": "dev", "kubernetes": "staging"}


def write_score(directory: Path, resource_type: str) -> Path:
    params, plain, secret = TYPES[resource_type]
    resource: dict[str, Any] = {"type": resource_type}
    if params:
        resource["params"] = params
    variables = {f"OUT_{n.upper()}": f"${{resources.res.{n}}}" for n in sorted(plain | secret)}
    container: dict[str, Any] = {"image": "busybox"}
    if resource_type == "volume":
        container["volumes"] = {"/data": {"source": "${resources.res}"}}
    if variables:
        container["variables"] = variables
    document = {
        "apiVersion": "score.dev/v1b1",
        "metadata": {"name": "app"},
        "containers": {"main": container},
        "service": {"ports": {"web": {"port": 8080}}},
        "resources": {"res": resource},
    }
    path = directory / "score.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=True))
    return path


def test_every_default_type_has_a_row(project: Any) -> None:
    listed = project.run("defaults", "--list").stdout.splitlines()[1:]
    # `target` and `workload` are implicit resources, not requested by a Score file.
    assert {line.split()[0] for line in listed} == set(TYPES) | {"target", "workload"}


def test_every_default_type_but_the_open_ended_has_a_contract() -> None:
    program, _ = load_defaults()
    served = {d.type for d in program.definitions} - {"target"}
    assert {c.name for c in program.resource_types} == served - set(OPEN_ENDED)


@pytest.mark.parametrize("target", sorted(ENVIRONMENTS))
@pytest.mark.parametrize("resource_type", sorted(TYPES))
def test_output_names(resource_type: str, target: str, project: Any) -> None:
    _, plain, secret = TYPES[resource_type]
    score = write_score(project.root, resource_type)
    (project.root / ".env").write_text("ORCHC_TEST_GREETING=hello\n")  # for `environment`
    env = ENVIRONMENTS[target]
    project.run(
        "apply",
        "--env",
        env,
        "-f",
        str(score),
        "--auto-approve",
        env={"ORCHC_TEST_GREETING": None},
    )
    outputs = project.outputs(f"{resource_type}.default#app.res", env)
    assert set(outputs) == plain | secret
    assert {name for name, value in outputs.items() if value == SENSITIVE} == secret


SERVERS = {
    "postgres": "host",
    "postgres-instance": "host",
    "mysql": "host",
    "redis": "host",
    "mongodb": "host",
    "amqp": "host",
    "kafka-topic": "host",
    "s3": "endpoint",
    "elasticsearch": "host",
    "mssql": "server",
}


def secret_values(project: Any, resource_type: str, env: str) -> list[str]:
    uid = f"{resource_type}.default#app.res"
    shown = project.outputs(uid, env)
    result = project.run("outputs", uid, "--env", env, "--format", "json", "--show-secrets")
    clear = json.loads(result.stdout)
    return [str(clear[name]) for name, value in shown.items() if value == SENSITIVE]


def server_name(outputs: dict[str, Any], resource_type: str) -> str:
    value = str(outputs[SERVERS[resource_type]])
    return value.removeprefix("http://").split(":")[0]


@pytest.mark.parametrize("resource_type", sorted(SERVERS))
def test_compose_gets_a_healthy_service_with_a_volume(
    resource_type: str, project: Any, compose_config: Any
) -> None:
    score = write_score(project.root, resource_type)
    project.run("apply", "--env", "dev", "-f", str(score), "--auto-approve")
    name = server_name(project.outputs(f"{resource_type}.default#app.res", "dev"), resource_type)
    model = compose_config(project.root / "compose.yaml")
    service = model["services"][name]
    assert service["image"]
    assert service["healthcheck"]["test"]
    assert [
        v for v in service["volumes"] if v["type"] == "volume" and v["source"] in model["volumes"]
    ]
    assert model["services"]["app-main"]["depends_on"][name]["condition"] == "service_healthy"
    compose = (project.root / "compose.yaml").read_text()
    assert not [value for value in secret_values(project, resource_type, "dev") if value in compose]


@pytest.mark.parametrize("resource_type", sorted(SERVERS))
def test_kubernetes_gets_a_stateful_set_a_service_and_a_secret(
    resource_type: str, project: Any, kubernetes_objects: Any
) -> None:
    score = write_score(project.root, resource_type)
    project.run("apply", "--env", "staging", "-f", str(score), "--auto-approve")
    outputs = project.outputs(f"{resource_type}.default#app.res", "staging")
    name = server_name(outputs, resource_type)
    objects = kubernetes_objects(project.root / "build/shop/staging/resources")
    kinds = {obj["kind"] for obj in objects if obj["metadata"]["name"] == name}
    has_secret = any(value == SENSITIVE for value in outputs.values())
    assert kinds == {"StatefulSet", "Service"} | ({"Secret"} if has_secret else set())
    stateful_set = next(obj for obj in objects if obj["kind"] == "StatefulSet")
    assert stateful_set["spec"]["volumeClaimTemplates"]
    assert stateful_set["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    files = (project.root / "build").rglob("*.yaml")
    plain = [f.read_text() for f in files if not f.name.endswith(".secrets.yaml")]
    secrets = secret_values(project, resource_type, "staging")
    leaked = [value for value in secrets if any(value in text for text in plain)]
    assert not leaked
