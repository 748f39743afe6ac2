"""`service-port` by port name (issue 17, item 3): the name is looked up in the other
workload's Score `service.ports` when the plan is made; Compose gets the port the
container listens on (`targetPort`, as score-compose), Kubernetes the Service's `port`
(as score-k8s); an unknown name is a plan error at the Score file's `port:` line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SERVER = """\
apiVersion: score.dev/v1b1
metadata: {name: backend}
containers:
  main: {image: nginx}
service:
  ports:
    web: {port: 8080, targetPort: 80}
    metrics: {port: 9090}
"""
CLIENT = """\
apiVersion: score.dev/v1b1
metadata: {{name: frontend}}
containers:
  main:
    image: busybox
    variables:
      BACKEND: "http://${{resources.backend.hostname}}:${{resources.backend.port}}"
resources:
  backend:
    type: service-port
    params:
      workload: {workload}
      port: {port}
"""


def write(root: Path, workload: str = "backend", port: str = "web") -> list[str]:
    (root / "server.yaml").write_text(SERVER)
    (root / "client.yaml").write_text(CLIENT.format(workload=workload, port=port))
    return ["-f", str(root / "server.yaml"), "-f", str(root / "client.yaml")]


def backend_url_on_compose(project: Any, compose_config: Any) -> str:
    model = compose_config(project.root / "compose.yaml")
    url: str = model["services"]["frontend-main"]["environment"]["BACKEND"]
    return url


def backend_url_on_kubernetes(project: Any, kubernetes_objects: Any) -> str:
    objects = kubernetes_objects(project.root / "build/shop/staging")
    deployment = next(
        o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "frontend"
    )
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    url: str = next(e["value"] for e in env if e["name"] == "BACKEND")
    return url


@pytest.mark.parametrize(
    ("port", "compose", "kubernetes"),
    [
        ("web", "http://backend:80", "http://backend:8080"),
        ("metrics", "http://backend:9090", "http://backend:9090"),
        ("8080", "http://backend:80", "http://backend:8080"),  # a number: its targetPort
        ("5000", "http://backend:5000", "http://backend:5000"),  # as given
    ],
)
def test_a_port_name_resolves_to_the_number_each_target_needs(
    project: Any,
    compose_config: Any,
    kubernetes_objects: Any,
    port: str,
    compose: str,
    kubernetes: str,
) -> None:
    files = write(project.root, port=port)
    project.run("apply", "--env", "dev", *files, "--auto-approve")
    assert backend_url_on_compose(project, compose_config) == compose
    project.run("apply", "--env", "staging", *files, "--auto-approve")
    assert backend_url_on_kubernetes(project, kubernetes_objects) == kubernetes


def test_the_plan_shows_the_resolved_numbers(project: Any) -> None:
    files = write(project.root)
    project.run("plan", "--env", "dev", *files, "-o", "plan.json")
    plan = json.loads((project.root / "plan.json").read_text())
    params = plan["resources"]["service-port.default#frontend.backend"]["params"]
    assert params == {"workload": "backend", "port": 8080, "targetPort": 80}


@pytest.mark.parametrize(
    ("workload", "port", "message"),
    [
        (
            "backend",
            "api",
            "workload 'backend' has no service port 'api' (its ports: metrics, web)",
        ),
    ],
)
def test_an_unknown_port_name_is_a_located_plan_error(
    project: Any, workload: str, port: str, message: str
) -> None:
    files = write(project.root, workload=workload, port=port)
    result = project.run("plan", "--env", "dev", *files, code=1)
    client = project.root / "client.yaml"
    line = client.read_text().splitlines().index(f"      port: {port}") + 1
    assert f"client.yaml:{line}:13: error: {message}" in result.output
    assert "Traceback" not in result.output


def test_a_port_name_of_a_workload_outside_the_deployment_warns_then_fails_the_default(
    project: Any,
) -> None:
    files = write(project.root, workload="payments", port="web")[2:]  # the client alone
    planned = project.run("plan", "--env", "dev", *files)
    line = (project.root / "client.yaml").read_text().splitlines().index("      port: web") + 1
    assert (
        f"client.yaml:{line}:13: warning: port 'web' is a name, but workload 'payments' is "
        "not part of this deployment, so it cannot be looked up: it is passed on as given"
    ) in planned.output
    result = project.run("apply", "--env", "dev", *files, "--auto-approve", code=1)
    assert (
        "port 'web' of workload 'payments' is a name, and that workload is not part of this "
        "deployment: give the port number"
    ) in result.output
