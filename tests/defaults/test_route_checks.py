"""Route hosts and paths are checked when the plan is made (the rule the targets apply
again at deploy, `orchc/score_values.py`): a value no target may write is an error at
its line in the Score file, whichever target the environment deploys to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

WORKLOAD = """\
apiVersion: score.dev/v1b1
metadata: {{name: {name}}}
containers:
  main: {{image: nginx}}
service:
  ports:
    web: {{port: 8080, targetPort: 80}}
resources:
"""
SCORE = (
    WORKLOAD
    + """\
  dns:
    type: dns
  route:
    type: route
    params:
      host: {host}
      path: {path}
      port: web
"""
)


def write(root: Path, host: str = "${resources.dns.host}", path: str = "/") -> str:
    score = root / "score.yaml"
    score.write_text(SCORE.format(name="web", host=host, path=path))
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
        (
            "shop.localhost",
            "/a{99999999999999999999}",  # Python's re.compile: OverflowError
            15,
            "resources.route.params.path: '/a{99999999999999999999}' is a regular expression "
            "repeating more than 1000 times ('{n}')",
        ),
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
    assert rule["http"]["paths"][0]["path"] == "/(v[0-9]+|api)(/|$)"


ROUTES = (
    WORKLOAD
    + """\
  route:
    type: route
    id: shared-route
{params}
"""
)
PARAMS = {"host": "shop.localhost", "path": "/", "port": "web"}

# A definition of the user's that serves routes in staging only (it needs no params).
STAGING_ROUTES = """\
definition "staging-routes" {
  type   = "route"
  driver = "static"
  match { env_type = "staging" }
}
"""


def write_route(root: Path, given: dict[str, str] | None, name: str = "web") -> str:
    params = "    params:\n" + "".join(f"      {k}: {v}\n" for k, v in (given or {}).items())
    score = root / f"{name}.yaml"
    score.write_text(ROUTES.format(name=name, params=params if given else ""))
    return str(score)


@pytest.mark.parametrize("missing", [("path",), ("host",), ("port",), ("host", "path")])
def test_a_route_the_default_serves_without_a_param_it_needs_is_an_error_at_its_params(
    project: Any, missing: tuple[str, ...]
) -> None:
    score = write_route(project.root, {k: v for k, v in PARAMS.items() if k not in missing})
    names = " and ".join(f"'{name}'" for name in missing)
    expected = (
        f"web.yaml:12:5: error: resources.route.params: no {names}; the default route "
        "definition sends requests for a host and path to a service port of the workload, "
        "so it needs 'host', 'path' and 'port'\n"
        "      params:\n      ^\n"
        "  e.g. params: {host: shop.localhost, path: /, port: web}\n"
    )
    assert expected in project.run("check", "-f", score, code=1).output
    for env in ("dev", "staging"):  # Compose, Kubernetes
        assert expected in project.run("plan", "--env", env, "-f", score, code=1).output


def test_a_route_without_params_is_an_error_at_the_resource(project: Any) -> None:
    score = write_route(project.root, None)
    result = project.run("check", "-f", score, code=1)
    assert "web.yaml:9:3: error: resources.route.params: no 'host' and 'path' and 'port';" in (
        result.output
    )


def test_a_shared_route_takes_its_params_from_the_declaration_that_gives_them(
    project: Any, compose_config: Any
) -> None:
    first = write_route(project.root, {**PARAMS, "workload": "web"})
    second = write_route(project.root, None, name="api")
    project.run("check", "-f", first, "-f", second)
    project.run("apply", "--env", "dev", "-f", first, "-f", second, "--auto-approve")
    assert "orchc-gateway" in compose_config(project.root / "compose.yaml")["services"]


def test_a_route_a_definition_of_the_user_serves_is_checked_where_the_default_serves_it(
    project: Any,
) -> None:
    project.define("routes.orch", STAGING_ROUTES)
    score = write_route(project.root, {"port": "web"})
    project.run("check", "-f", score)  # which definition serves it depends on the env
    project.run("plan", "--env", "staging", "-f", score, "-o", "staging.json")
    for args in (("plan", "-o", "dev.json"), ("check",)):
        result = project.run(*args, "--env", "dev", "-f", score, code=1)
        assert "web.yaml:12:5: error: resources.route.params: no 'host' and 'path';" in (
            result.output
        )
    assert not (project.root / "dev.json").exists()
