"""Route hosts and paths are checked when the plan is made (the rule the targets apply
again at deploy, `orchc/score_values.py`): a value no target may write is an error at
its line in the Score file, whichever target the environment deploys to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

SCORE = """\
apiVersion: score.dev/v1b1
metadata: {{name: web}}
containers:
  main: {{image: nginx}}
service:
  ports:
    web: {{port: 8080, targetPort: 80}}
resources:
  dns:
    type: dns
  route:
    type: route
    params:
      host: {host}
      path: {path}
      port: web
"""


def write(root: Path, host: str = "${resources.dns.host}", path: str = "/") -> str:
    score = root / "score.yaml"
    score.write_text(SCORE.format(host=host, path=path))
    return str(score)


@pytest.mark.parametrize("env", ["dev", "staging"])  # Compose, Kubernetes
@pytest.mark.parametrize(
    ("host", "path", "line", "message"),
    [
        (
            "shop.localhost",
            "'/a;b'",
            15,
            "resources.route.params.path: '/a;b' is not a URL path (it starts with '/' and "
            "holds only letters, digits, '-._~/' and the regular-expression characters "
            "'^$[](){}*+?|')",
        ),
        (
            "shop.localhost",
            "/a|b",
            15,
            "resources.route.params.path: '/a|b' is a regular expression whose alternatives",
        ),
        ("'a.localhost x'", "/", 14, "resources.route.params.host: 'a.localhost x' is not a host"),
    ],
)
def test_a_route_value_no_target_may_write_is_a_plan_error_at_its_line(
    project: Any, env: str, host: str, path: str, line: int, message: str
) -> None:
    score = write(project.root, host, path)
    result = project.run("plan", "--env", env, "-f", score, code=1)
    assert f"score.yaml:{line}:13: error: {message}" in result.output
    assert "Traceback" not in result.output
    assert not (project.root / "compose.yaml").exists()


def test_a_host_from_a_placeholder_is_checked_when_it_is_known(
    project: Any, kubernetes_objects: Any
) -> None:
    score = write(project.root, path="/v[0-9]+|/api")
    project.run("apply", "--env", "staging", "-f", score, "--auto-approve")
    objects = kubernetes_objects(project.root / "build/shop/staging")
    [ingress] = [obj for obj in objects if obj["kind"] == "Ingress"]
    [rule] = ingress["spec"]["rules"]
    assert rule["host"] == "web-dns.localhost"
    assert rule["http"]["paths"][0]["path"] == "/(v[0-9]+|api)"
