"""The kubernetes-manifests target's inputs, end to end through the CLI with the
defaults: `namespace` lands on every object (the database's StatefulSet and Service,
the route, the Secrets), so the workload reaches its database by the short name it is
given; `create_namespace` writes the Namespace; `route_kind = "HTTPRoute"` renders the
route for Gateway API. Every object is validated (`kubernetes_objects`)."""

from __future__ import annotations

from typing import Any

import yaml

PRODUCTION = """\
environment "prod" { type = "production" }

definition "prod-cluster" {
  type   = "target"
  driver = "kubernetes-manifests"
  match { env_type = "production" }
  inputs {
    path             = "deploy/prod"
    namespace        = "shop-prod"
    create_namespace = true
    route_kind       = "HTTPRoute"
    gateway          = "infra/public"
  }
}
"""

SCORE = {
    "apiVersion": "score.dev/v1b1",
    "metadata": {"name": "web"},
    "service": {"ports": {"http": {"port": 80, "targetPort": 8080}}},
    "containers": {
        "main": {
            "image": "nginx",
            "variables": {"DB_HOST": "${resources.db.host}", "DB_URL": "${resources.db.url}"},
        }
    },
    "resources": {
        "db": {"type": "postgres"},
        "dns": {"type": "dns"},
        "route": {
            "type": "route",
            "params": {"host": "${resources.dns.host}", "path": "/", "port": "http"},
        },
    },
}


def test_namespace_create_namespace_and_httproute(project: Any, kubernetes_objects: Any) -> None:
    project.define("production.orch", PRODUCTION)
    (project.root / "score.yaml").write_text(yaml.safe_dump(SCORE), encoding="utf-8")
    project.run("apply", "--env", "prod", "-f", "score.yaml", "--auto-approve")

    objects = kubernetes_objects(project.root / "deploy/prod")
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], []).append(obj)
    assert sorted(by_kind) == [
        "Deployment",
        "HTTPRoute",
        "Namespace",
        "Secret",
        "Service",
        "StatefulSet",
    ]
    assert [ns["metadata"]["name"] for ns in by_kind["Namespace"]] == ["shop-prod"]
    namespaced = [obj for obj in objects if obj["kind"] != "Namespace"]
    assert {obj["metadata"]["namespace"] for obj in namespaced} == {"shop-prod"}

    [route] = by_kind["HTTPRoute"]
    assert route["spec"]["parentRefs"] == [{"name": "public", "namespace": "infra"}]
    assert route["spec"]["hostnames"] == ["web-dns.localhost"]
    assert route["spec"]["rules"][0]["backendRefs"] == [{"name": "web", "port": 80}]

    # DB_HOST is the short name of the database's Service, in the workload's namespace.
    [deployment] = by_kind["Deployment"]
    env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    services = {svc["metadata"]["name"] for svc in by_kind["Service"]}
    assert env["DB_HOST"]["value"] in services
    assert "replicas" not in deployment["spec"]
