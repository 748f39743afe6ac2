"""The `workload` resource (SPEC §12) through the real `orchc`: every example of
`docs/workloads.md` applied to a two-container workload and its output validated
(Kubernetes strictly against the 1.30 schemas, Compose by the real binary); a definition
matched in production only changes production only; bad patches fail before anything
is written, located at their definition."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from compose_check import run_compose_config
from e2e_helpers import Project

DOC = Path(__file__).resolve().parents[2] / "docs" / "workloads.md"
ORCH_BLOCK = re.compile(r"^```orch\n(.*?)^```", re.MULTILINE | re.DOTALL)

PLATFORM = """
environment "prod" { type = "production" }
environment "dev"  { type = "development" }

definition "kubernetes" {
  type   = "target"
  driver = "kubernetes-manifests"
  match { env_type = "production" }
  inputs { path = "build/${context.env.id}" }
}

definition "compose" {
  type   = "target"
  driver = "compose"
  match { env_type = "development" }
  inputs { path = "build/${context.env.id}/compose.yaml" }
}
"""

SCORE = """
apiVersion: score.dev/v1b1
metadata:
  name: storefront
containers:
  app:
    image: nginx:1.27
    resources:
      limits: {memory: 512Mi}
  sidecar:
    image: busybox:1.36
    command: ["sleep", "infinity"]
service:
  ports:
    web: {port: 80, targetPort: 8080}
"""

Objects = dict[str, dict[str, Any]]  # kind -> the workload's object of that kind


def doc_examples() -> dict[str, str]:
    """The orch examples of docs/workloads.md, by definition id."""
    found = {}
    for block in ORCH_BLOCK.findall(DOC.read_text(encoding="utf-8")):
        name = re.search(r'^definition "([^"]+)"', block, re.MULTILINE)
        assert name is not None, block
        found[name[1]] = block
    return found


def containers(objects: Objects) -> list[dict[str, Any]]:
    spec: list[dict[str, Any]] = objects["Deployment"]["spec"]["template"]["spec"]["containers"]
    return spec


def hardened(objects: Objects) -> None:
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert [c["securityContext"]["capabilities"] for c in containers(objects)] == [
        {"drop": ["ALL"]},
        {"drop": ["ALL"]},
    ]


def limits(objects: Objects) -> None:
    for container in containers(objects):
        assert container["resources"]["limits"] == {"cpu": "500m", "memory": "256Mi"}
        assert container["resources"]["requests"] == {"cpu": "100m", "memory": "128Mi"}


def labels(objects: Objects) -> None:
    metadata = objects["Deployment"]["metadata"]
    assert metadata["labels"]["example.com/cost-center"] == "42"
    assert metadata["labels"]["app.kubernetes.io/managed-by"] == "orchc"  # merged, not replaced
    assert metadata["annotations"] == {"example.com/owner": "shop-team@example.com"}
    assert objects["Deployment"]["spec"]["template"]["metadata"]["labels"]["example.com/team"]


def replicas(objects: Objects) -> None:
    assert objects["Deployment"]["spec"]["replicas"] == 3


def pull_secrets(objects: Objects) -> None:
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "registry-credentials"}]


def service_type(objects: Objects) -> None:
    assert objects["Service"]["spec"]["type"] == "NodePort"
    assert "type" not in objects["Deployment"]["spec"]


def computed(objects: Objects) -> None:
    assert objects["Deployment"]["spec"]["replicas"] == 2
    annotations = objects["Deployment"]["metadata"]["annotations"]
    assert annotations == {"example.com/workload": "storefront"}


def compose_services(services: Objects) -> None:
    assert sorted(services) == ["storefront-app", "storefront-sidecar"]
    for service in services.values():
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert service["labels"] == {"example.com/team": "shop"}
        assert service["deploy"]["resources"]["limits"]["memory"] == "268435456"


KUBERNETES_CHECKS: dict[str, Callable[[Objects], None]] = {
    "hardened-workloads": hardened,
    "production-limits": limits,
    "cost-labels": labels,
    "storefront-prod-scale": replicas,
    "private-registry": pull_secrets,
    "node-ports": service_type,
    "replicas-by-env-type": computed,
}
COMPOSE_CHECKS: dict[str, Callable[[Objects], None]] = {"compose-hardening": compose_services}


def test_every_example_of_the_docs_is_checked() -> None:
    assert sorted(doc_examples()) == sorted(KUBERNETES_CHECKS | COMPOSE_CHECKS)


def setup(project: Project, workload_definitions: str) -> None:
    project.write("definitions/platform.orch", PLATFORM)
    project.write("definitions/workload.orch", workload_definitions)
    project.write("score.yaml", SCORE)


def kubernetes_objects(directory: Path) -> Objects:
    """Every object written under `directory`, validated strictly (Kubernetes 1.30)."""
    objects: Objects = {}
    for path in sorted(directory.rglob("*.yaml")):
        for obj in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            kubernetes_validate.validate(obj, "1.30", strict=True)
            objects[obj["kind"]] = obj
    return objects


def compose_services_of(compose_file: Path) -> Objects:
    quiet = run_compose_config(compose_file, "--quiet")
    assert quiet.returncode == 0, quiet.stderr
    resolved = run_compose_config(compose_file, "--format", "json")
    assert resolved.returncode == 0, resolved.stderr
    services: Objects = yaml.safe_load(resolved.stdout)["services"]
    return services


@pytest.mark.parametrize("example", sorted(KUBERNETES_CHECKS))
def test_kubernetes_example(project: Project, example: str) -> None:
    setup(project, doc_examples()[example])
    project.run("apply", "--env", "prod", "--auto-approve")
    KUBERNETES_CHECKS[example](kubernetes_objects(project.root / "build" / "prod"))


@pytest.mark.parametrize("example", sorted(COMPOSE_CHECKS))
def test_compose_example(project: Project, example: str) -> None:
    setup(project, doc_examples()[example])
    project.run("apply", "--env", "dev", "--auto-approve")
    COMPOSE_CHECKS[example](compose_services_of(project.root / "build" / "dev" / "compose.yaml"))


def test_a_production_only_definition_changes_only_production(project: Project) -> None:
    setup(project, "")
    for env in ("dev", "prod"):
        project.run("apply", "--env", env, "--auto-approve")
    dev_before = (project.root / "build" / "dev" / "compose.yaml").read_bytes()
    prod_before = (project.root / "build" / "prod" / "storefront.yaml").read_bytes()

    project.write("definitions/workload.orch", doc_examples()["storefront-prod-scale"])
    assert set(project.actions("dev").values()) == {"noop"}
    prod = project.plan(env="prod")
    assert prod["resources"]["workload.default#storefront"]["action"] == "replace"
    assert prod["resources"]["workload.default#storefront"]["definition"] == "storefront-prod-scale"
    assert prod["workloads"]["storefront"]["action"] == "update"
    for env in ("dev", "prod"):
        project.run("apply", "--env", env, "--auto-approve")

    assert (project.root / "build" / "dev" / "compose.yaml").read_bytes() == dev_before
    prod_after = (project.root / "build" / "prod" / "storefront.yaml").read_bytes()
    assert prod_after != prod_before
    replicas(kubernetes_objects(project.root / "build" / "prod"))


BAD_PATH = """
definition "typo" {
  type   = "workload"
  driver = "static"
  match { env_type = "production" }
  inputs {
    patches = [
      { op = "add", path = "/spec/replicas", value = 2 },
      { op = "replace", path = "/spec/template/spec/securityContxt/runAsUser", value = 1 },
    ]
  }
}
"""


def test_a_patch_that_cannot_apply_is_located_and_nothing_is_written(project: Project) -> None:
    setup(project, BAD_PATH)
    failed = project.run("apply", "--env", "prod", "--auto-approve", expect=1)
    assert (
        "workload 'storefront': patch 2 (replace '/spec/template/spec/securityContxt/runAsUser') "
        "from definition 'typo' (definitions/workload.orch:1): "
        "/spec/template/spec/securityContxt does not exist"
    ) in failed.stderr
    assert "Traceback" not in failed.stderr
    assert not (project.root / "build").exists()


def test_a_failing_patch_leaves_the_last_deploy_as_it_was(project: Project) -> None:
    setup(project, "")
    project.run("apply", "--env", "prod", "--auto-approve")
    written = (project.root / "build" / "prod" / "storefront.yaml").read_bytes()
    project.write("definitions/workload.orch", BAD_PATH)
    project.run("apply", "--env", "prod", "--auto-approve", expect=1)
    assert (project.root / "build" / "prod" / "storefront.yaml").read_bytes() == written


MALFORMED = """
definition "malformed" {
  type   = "workload"
  driver = "static"
  match { env_type = "production" }
  inputs {
    patches = [{ op = "set", path = "spec.replicas", value = 2 }, { op = "remove" }]
  }
}
"""


def test_malformed_static_patches_are_plan_errors_at_their_line(project: Project) -> None:
    setup(project, MALFORMED)
    for command in (("plan", "--env", "prod"), ("check",)):
        refused = project.run(*command, expect=1)
        errors = [line for line in refused.stderr.splitlines() if ": error: " in line]
        prefix = "definitions/workload.orch:6:15: error: definition 'malformed': "
        assert errors == [
            prefix + "patch 1: op 'set' is not one of add, replace, remove, merge",
            prefix + "patch 1: path 'spec.replicas' is not a JSON pointer (empty, or "
            "starting with '/')",
            prefix + "patch 2: op and path are required",
        ]


SECRET_PATCH = """
definition "leaky" {
  type   = "workload"
  driver = "template"
  match { env_type = "production" }
  secrets { token = "s3cr3t-value" }
  inputs {
    patches = \"\"\"
      - {op: add, path: /metadata/annotations, value: {token: {{ secrets.token | tojson }}}}
    \"\"\"
  }
}
"""


def test_patches_that_embed_a_secret_are_refused(project: Project) -> None:
    setup(project, SECRET_PATCH)
    failed = project.run("apply", "--env", "prod", "--auto-approve", expect=1)
    assert "the patches of definition 'leaky'" in failed.stderr
    assert "embed a secret" in failed.stderr
    assert "s3cr3t-value" not in failed.stderr
    assert not (project.root / "build" / "prod" / "storefront.yaml").exists()
