"""Every pod the defaults deploy to Kubernetes meets the Pod Security "restricted"
profile (https://kubernetes.io/docs/concepts/security/pod-security-standards/), so a
namespace enforcing it admits them, as it admits score-k8s's defaults.

One Score file uses every type whose default runs a server; the check reads each pod
template of what the defaults wrote (StatefulSets, Deployments, Jobs...), field by
field as the profile's controls list them.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from orchc.cli_defaults import load_defaults

SERVER_TYPES = (
    "amqp",
    "elasticsearch",
    "kafka-topic",
    "mongodb",
    "mssql",
    "mysql",
    "postgres",
    "postgres-instance",
    "redis",
    "s3",
)
RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
POD_TEMPLATE_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}


def restricted_violations(pod: dict[str, Any]) -> list[str]:
    """What in the pod spec `pod` the restricted profile refuses (empty: admitted)."""
    pod_context = pod.get("securityContext") or {}
    containers = [*pod.get("initContainers", []), *pod["containers"]]
    problems = [
        f"host namespace {field}"
        for field in ("hostNetwork", "hostPID", "hostIPC")
        if pod.get(field)
    ]
    problems += [
        f"volume {v['name']} is {sorted(set(v) - {'name'})}"
        for v in pod.get("volumes", [])
        if not set(v) - {"name"} <= RESTRICTED_VOLUMES
    ]
    for container in containers:
        problems += [
            f"{container['name']}: {p}" for p in _container_violations(pod_context, container)
        ]
    return problems


def _container_violations(pod_context: dict[str, Any], container: dict[str, Any]) -> list[str]:
    context = container.get("securityContext") or {}

    def effective(field: str) -> Any:
        return context.get(field, pod_context.get(field))

    capabilities = context.get("capabilities") or {}
    checks = {
        "runAsNonRoot is not true": effective("runAsNonRoot") is not True,
        "runs as uid 0": effective("runAsUser") == 0,
        "seccompProfile is not RuntimeDefault or Localhost": (
            effective("seccompProfile") or {}
        ).get("type")
        not in ("RuntimeDefault", "Localhost"),
        "allowPrivilegeEscalation is not false": context.get("allowPrivilegeEscalation")
        is not False,
        "capabilities do not drop ALL": "ALL" not in capabilities.get("drop", []),
        "adds capabilities beyond NET_BIND_SERVICE": bool(
            set(capabilities.get("add", [])) - {"NET_BIND_SERVICE"}
        ),
        "privileged": bool(context.get("privileged")),
        "hostPort": any(port.get("hostPort") for port in container.get("ports", [])),
    }
    return [problem for problem, failed in checks.items() if failed]


def test_the_check_refuses_what_the_profile_refuses() -> None:
    pod = {"containers": [{"name": "db", "image": "postgres"}], "hostNetwork": True}
    assert restricted_violations(pod) == [
        "host namespace hostNetwork",
        "db: runAsNonRoot is not true",
        "db: seccompProfile is not RuntimeDefault or Localhost",
        "db: allowPrivilegeEscalation is not false",
        "db: capabilities do not drop ALL",
    ]


def test_every_server_default_is_a_default() -> None:
    program, _ = load_defaults()
    assert {t for t in SERVER_TYPES if program.contract(t) is not None} == set(SERVER_TYPES)


@pytest.fixture
def deployed(project: Any, kubernetes_objects: Any) -> list[dict[str, Any]]:
    """The objects the defaults wrote for one resource of every server type."""
    score = {
        "apiVersion": "score.dev/v1b1",
        "metadata": {"name": "app"},
        "containers": {"main": {"image": "busybox"}},
        "resources": {f"r{i}": {"type": t} for i, t in enumerate(SERVER_TYPES)},
    }
    path = project.root / "score.yaml"
    path.write_text(yaml.safe_dump(score), encoding="utf-8")
    project.run("apply", "--env", "staging", "-f", str(path), "--auto-approve")
    objects: list[dict[str, Any]] = kubernetes_objects(
        project.root / "build/shop/staging/resources"
    )
    return objects


def test_every_default_pod_meets_the_restricted_profile(deployed: list[dict[str, Any]]) -> None:
    templates = {
        obj["metadata"]["name"]: obj["spec"]["template"]["spec"]
        for obj in deployed
        if obj["kind"] in POD_TEMPLATE_KINDS
    }
    assert len(templates) == len(SERVER_TYPES)
    violations = {name: restricted_violations(pod) for name, pod in templates.items()}
    assert {name: found for name, found in violations.items() if found} == {}
    # Each runs as a user of its image's own, never root.
    users = {pod["securityContext"]["runAsUser"] for pod in templates.values()}
    assert 0 not in users
