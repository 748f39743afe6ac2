"""Images built by CI and overrides of Score files (SPEC §12) through the real `orchc`:
what they change in the plan and the deployed files, that `inputs_digest` covers each
of them, and that every mistake is a clear, located error."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from e2e_helpers import Project

DEFINITIONS = """
environment "dev"     { type = "development" }
environment "staging" { type = "staging" }

definition "compose" {
  type   = "target"
  driver = "compose"
  match {}
  inputs { path = "out/${context.env.id}/compose.yaml" }
}
"""

SCORE = """
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: .
    variables:
      MODE: plain
  sidecar:
    image: busybox:1.36
"""

IMAGE = "--image=web=registry.example.com/web:ci-42"


@pytest.fixture
def web(project: Project) -> Project:
    project.write("definitions/platform.orch", DEFINITIONS)
    project.write("score.yaml", SCORE)
    return project


def plan_of(project: Project, *options: str, env: str = "dev") -> dict[str, Any]:
    return project.plan(*options, env=env)


def containers(plan: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = plan["workloads"]["web"]["spec"]["containers"]
    return spec


def test_image_built_here_needs_an_image_named_at_its_line(web: Project) -> None:
    refused = web.run("plan", "--env", "dev", expect=1)
    assert refused.stderr.splitlines()[0] == (
        "score.yaml:6:12: error: container 'main' has `image: .` (built from here): pass the "
        "image CI built with --image web.main=IMAGE (or --image web=IMAGE)"
    )
    assert "Traceback" not in refused.stderr


def test_image_for_the_workload_replaces_the_built_here_containers_only(web: Project) -> None:
    plan = plan_of(web, IMAGE)
    assert containers(plan)["main"]["image"] == "registry.example.com/web:ci-42"
    assert containers(plan)["sidecar"]["image"] == "busybox:1.36"
    assert plan["workloads"]["web"]["overrides"] == ["--image web=registry.example.com/web:ci-42"]
    shown = web.run("plan", "--env", "dev", IMAGE).stdout
    assert "overridden by --image web=registry.example.com/web:ci-42" in shown


def test_image_for_a_container_and_apply_env_deploys_it(web: Project) -> None:
    web.run("apply", "--env", "dev", "--auto-approve", IMAGE, "--image", "web.sidecar=busybox:1.37")
    compose = yaml.safe_load((web.root / "out" / "dev" / "compose.yaml").read_text())
    assert compose["services"]["web-main"]["image"] == "registry.example.com/web:ci-42"
    assert compose["services"]["web-sidecar"]["image"] == "busybox:1.37"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("nope=x:1", "orchc: error: --image nope=x:1: no workload 'nope' (workloads: web)"),
        (
            "web.other=x:1",
            "orchc: error: --image web.other=x:1: workload 'web' has no container 'other' "
            "(its containers: main, sidecar)",
        ),
    ],
)
def test_unknown_workload_or_container_in_image(web: Project, option: str, message: str) -> None:
    refused = web.run("plan", "--env", "dev", "--image", option, expect=1)
    assert refused.stderr.splitlines()[0] == message


def test_a_malformed_image_option_is_a_usage_error(web: Project) -> None:
    refused = web.run("plan", "--env", "dev", "--image", "web", expect=2)
    assert "--image 'web': expected WORKLOAD=IMAGE or WORKLOAD.CONTAINER=IMAGE" in refused.stderr


def test_a_plan_file_takes_no_image(web: Project) -> None:
    web.plan(IMAGE)
    refused = web.run("apply", "plan.json", IMAGE, expect=2)
    assert "--image and overrides are part of the plan" in refused.stderr


def test_override_property_sets_and_removes(web: Project) -> None:
    plan = plan_of(
        web,
        IMAGE,
        "--override-property",
        "web:containers.main.variables.MODE=null",
        "--override-property",
        "web:containers.main.variables.LOG\\.LEVEL=debug",
        "--override-property",
        'web:containers.sidecar.command=["sleep", "1"]',
    )
    assert containers(plan)["main"]["variables"] == {"LOG.LEVEL": "debug"}
    assert containers(plan)["sidecar"]["command"] == ["sleep", "1"]


def test_an_override_that_breaks_the_schema_is_reported_at_the_override(web: Project) -> None:
    refused = web.run(
        "plan",
        "--env",
        "dev",
        IMAGE,
        "--override-property",
        "web:containers.main.ports=3",
        expect=1,
    )
    assert refused.stderr.splitlines()[0].startswith(
        "orchc: error: --override-property web:containers.main.ports=3: containers.main: "
        "unknown key 'ports'"
    )
    web.write("overrides/web.yaml", "containers:\n  main:\n    variables:\n      COUNT: 3\n")
    refused = web.run(
        "plan", "--env", "dev", IMAGE, "--overrides-file=web=overrides/web.yaml", expect=1
    )
    assert refused.stderr.splitlines()[0] == (
        "overrides/web.yaml:4:14: error: containers.main.variables.COUNT: expected a string, "
        "got an integer (quote it to make it a string)"
    )


def test_an_overrides_file_outside_the_project_is_refused(web: Project) -> None:
    (web.root.parent / "outside.yaml").write_text("containers: {}\n")
    refused = web.run(
        "plan", "--env", "dev", IMAGE, "--overrides-file=web=../outside.yaml", expect=1
    )
    assert "cannot read: the path leads outside the project directory" in refused.stderr


def test_every_kind_of_override_changes_the_digest(web: Project) -> None:
    web.write("overrides/web.yaml", "containers:\n  main:\n    variables:\n      MODE: file\n")
    digests = {
        "image": plan_of(web, IMAGE)["inputs_digest"],
        "other image": plan_of(web, "--image=web=registry.example.com/web:ci-43")["inputs_digest"],
        "property": plan_of(web, IMAGE, "--override-property=web:containers.main.variables.X=y")[
            "inputs_digest"
        ],
        "file": plan_of(web, IMAGE, "--overrides-file=web=overrides/web.yaml")["inputs_digest"],
    }
    web.write("overrides/web.yaml", "containers:\n  main:\n    variables:\n      MODE: edited\n")
    digests["edited file"] = plan_of(web, IMAGE, "--overrides-file=web=overrides/web.yaml")[
        "inputs_digest"
    ]
    assert len(set(digests.values())) == len(digests)


def test_environment_overrides_in_orchc_toml_apply_to_that_environment_only(web: Project) -> None:
    web.write(
        "overrides/staging/web.yaml", "containers:\n  main:\n    variables:\n      MODE: staging\n"
    )
    before = {env: plan_of(web, IMAGE, env=env) for env in ("dev", "staging")}
    web.write(
        "orchc.toml",
        'app = "shop"\n\n[environments.staging]\noverrides = { web = "overrides/staging/web.yaml" }\n',
    )
    after = {env: plan_of(web, IMAGE, env=env) for env in ("dev", "staging")}
    assert after["dev"]["inputs_digest"] == before["dev"]["inputs_digest"]
    assert after["staging"]["inputs_digest"] != before["staging"]["inputs_digest"]
    assert containers(after["staging"])["main"]["variables"] == {"MODE": "staging"}
    assert containers(after["dev"])["main"]["variables"] == {"MODE": "plain"}
    assert after["staging"]["workloads"]["web"]["overrides"] == [
        "orchc.toml [environments.staging] overrides: overrides/staging/web.yaml",
        "--image web=registry.example.com/web:ci-42",
    ]
    both = web.run("plan", "--env", "dev", "--env", "staging", IMAGE, "--format", "json").stdout
    variables = {
        env: plan["workloads"]["web"]["spec"]["containers"]["main"]["variables"]
        for env, plan in json.loads(both)["plans"].items()
    }
    assert variables == {"dev": {"MODE": "plain"}, "staging": {"MODE": "staging"}}


def test_a_bad_environments_table_in_orchc_toml(web: Project) -> None:
    web.write("orchc.toml", 'app = "shop"\n[environments.staging]\noverride = {}\n')
    refused = web.run("plan", "--env", "dev", IMAGE, expect=1)
    assert "'environments.staging': unknown key 'override' (known: overrides)" in refused.stderr


def test_check_takes_no_image_and_does_not_ask_for_one(web: Project) -> None:
    web.run("check")
    web.run("check", "--all-envs")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            "web=over\nrides\x1b[31m.yaml",
            "orchc: error: --overrides-file: over\\nrides\\x1b[31m.yaml: cannot read: ",
        ),
        (
            "api=ov\rer\x07.yaml",
            "error: --overrides-file: ov\\rer\\x07.yaml: no workload 'api' (workloads: web)",
        ),
    ],
)
def test_control_characters_of_an_overrides_file_option_are_shown_escaped(
    web: Project, option: str, message: str
) -> None:
    refused = web.run("plan", "--env", "dev", IMAGE, f"--overrides-file={option}", expect=1)
    assert message in refused.stderr
    first = refused.stderr.splitlines()[0]
    assert first.isprintable() and message.splitlines()[0] in first
