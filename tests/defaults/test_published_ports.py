"""Published ports of backing services on Compose: the Score resource annotations
score-compose honours (`compose.score.dev/publish-port`, and for `amqp`
`compose.score.dev/publish-management-port`) publish the service's port on the host;
Elasticsearch is published on 9200 unless told otherwise, as score-compose documents.
The resource's `metadata` travels in the plan to the driver (issue 17, items 3 and 4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

# type -> (annotations, the service's expected published ports as (target, published))
CASES: dict[str, tuple[dict[str, str], list[tuple[int, str]]]] = {
    "postgres": ({"compose.score.dev/publish-port": "15432"}, [(5432, "15432")]),
    "postgres-instance": ({"compose.score.dev/publish-port": "15433"}, [(5432, "15433")]),
    "mysql": ({"compose.score.dev/publish-port": "13306"}, [(3306, "13306")]),
    "mssql": ({"compose.score.dev/publish-port": "11433"}, [(1433, "11433")]),
    "kafka-topic": ({"compose.score.dev/publish-port": "19092"}, [(9092, "19092")]),
    "s3": ({"compose.score.dev/publish-port": "19001"}, [(9001, "19001")]),
    "amqp": (
        {
            "compose.score.dev/publish-port": "15672",
            "compose.score.dev/publish-management-port": "25672",
        },
        [(5672, "15672"), (15672, "25672")],
    ),
    "elasticsearch": ({}, [(9200, "9200")]),
    "redis": ({"compose.score.dev/publish-port": "16379"}, []),  # score-compose: none
}


def write_score(root: Path, resource_type: str, annotations: dict[str, str]) -> Path:
    resource: dict[str, Any] = {"type": resource_type}
    if annotations:
        resource["metadata"] = {"annotations": annotations}
    document = {
        "apiVersion": "score.dev/v1b1",
        "metadata": {"name": "app"},
        "containers": {"main": {"image": "busybox"}},
        "resources": {"backing": resource},
    }
    path = root / "score.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def published(service: dict[str, Any]) -> list[tuple[int, str]]:
    return sorted((port["target"], port["published"]) for port in service.get("ports", []))


@pytest.mark.parametrize("resource_type", sorted(CASES))
def test_annotations_publish_the_backing_service(
    project: Any, compose_config: Any, resource_type: str
) -> None:
    annotations, expected = CASES[resource_type]
    score = write_score(project.root, resource_type, annotations)
    project.run("apply", "--env", "dev", "-f", str(score), "--auto-approve")
    model = compose_config(project.root / "compose.yaml")
    backing = [s for name, s in model["services"].items() if name != "app-main"]
    assert [published(service) for service in backing] == [expected]


def test_no_annotation_publishes_nothing_and_zero_means_unpublished(
    project: Any, compose_config: Any
) -> None:
    score = write_score(project.root, "amqp", {})
    project.run("apply", "--env", "dev", "-f", str(score), "--auto-approve")
    assert (
        "ports" not in compose_config(project.root / "compose.yaml")["services"]["amqp-app-backing"]
    )
    score = write_score(project.root, "elasticsearch", {"compose.score.dev/publish-port": "0"})
    project.run("apply", "--env", "dev", "-f", str(score), "--auto-approve")
    services = compose_config(project.root / "compose.yaml")["services"]
    assert all("ports" not in service for service in services.values())


@pytest.mark.parametrize("value", ["web", "-1", "65536", "80 ", "²", "١٢٣", "9" * 5000])
@pytest.mark.parametrize("command", ["check", "plan", "apply"])
def test_a_port_that_is_not_a_number_is_an_error_at_its_line(
    project: Any, value: str, command: str
) -> None:
    """Known from the Score file alone, so `orchc check` and the plan report it where it
    is written, before any driver runs (the driver's own check stays: drivers/template.py)."""
    score = write_score(project.root, "postgres", {"compose.score.dev/publish-port": value})
    args = [] if command == "check" else ["--env", "dev"]
    if command == "apply":
        args.append("--auto-approve")
    result = project.run(command, *args, "-f", str(score), code=1)
    lines = score.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "compose.score.dev/publish-port" in text)
    assert f"score.yaml:{line}:" in result.output
    assert (
        'error: resources.backing.metadata.annotations["compose.score.dev/publish-port"]: must '
        "be a port number (0: not published)"
    ) in result.output
    assert "Traceback" not in result.output
    assert not (project.root / "compose.yaml").exists()


def test_the_plan_carries_the_metadata_and_kubernetes_ignores_the_annotation(
    project: Any, kubernetes_objects: Any
) -> None:
    annotations = {"compose.score.dev/publish-port": "15432"}
    score = write_score(project.root, "postgres", annotations)
    project.run("plan", "--env", "staging", "-f", str(score), "-o", "plan.json")
    plan = json.loads((project.root / "plan.json").read_text())
    resources = plan["resources"]
    assert resources["postgres.default#app.backing"]["metadata"] == {"annotations": annotations}
    assert "metadata" not in resources["target.default#target"]
    project.run("apply", "plan.json", "--auto-approve")
    objects = kubernetes_objects(project.root / "build/shop/staging")
    assert all("15432" not in json.dumps(obj) for obj in objects)


def test_a_shared_resource_needs_the_same_metadata_everywhere(project: Any) -> None:
    def workload(name: str, port: str) -> str:
        path = project.root / f"{name}.yaml"
        resource = {
            "type": "postgres",
            "id": "shared-db",
            "metadata": {"annotations": {"compose.score.dev/publish-port": port}},
        }
        document = {
            "apiVersion": "score.dev/v1b1",
            "metadata": {"name": name},
            "containers": {"main": {"image": "busybox"}},
            "resources": {"db": resource},
        }
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return str(path)

    result = project.run(
        "plan", "--env", "dev", "-f", workload("one", "1"), "-f", workload("two", "2"), code=1
    )
    assert "resource 'postgres.default#shared-db' is given different metadata by" in result.output


def test_two_services_on_one_host_port_fail_the_deploy_naming_both(project: Any) -> None:
    """score-compose's amqp example publishes the management UI of two resources on
    15672; with a broker per resource (docs/defaults.md) that is one port for two."""
    resource = {
        "type": "amqp",
        "metadata": {"annotations": {"compose.score.dev/publish-management-port": "15672"}},
    }
    document = {
        "apiVersion": "score.dev/v1b1",
        "metadata": {"name": "app"},
        "containers": {"main": {"image": "busybox"}},
        "resources": {"one": resource, "two": resource},
    }
    (project.root / "score.yaml").write_text(yaml.safe_dump(document))
    result = project.run("apply", "--env", "dev", "-f", "score.yaml", "--auto-approve", code=1)
    assert (
        "host port 15672/tcp is published by both service 'amqp-app-one' and service "
        "'amqp-app-two': give each its own"
    ) in result.output
    assert not (project.root / "compose.yaml").exists()
