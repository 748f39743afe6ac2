"""The `environment` default end to end. Compose: container variables are written
`${NAME}` for `docker compose up` to fill in from its own environment or the `.env`
beside the compose file, as score-compose does. Kubernetes: values from orchc's
environment or the project's `.env`, read at apply, reach the workload through a
Secret only."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest
from compose_check import run_compose_config

SCORE = """\
apiVersion: score.dev/v1b1
metadata: {name: app}
containers:
  main:
    image: busybox
    variables:
      GREETING: "${resources.env.ORCHC_TEST_GREETING}, ${resources.env.ORCHC_TEST_NAME}!"
resources:
  env: {type: environment}
"""
DOTENV = """\
# read by the environment default
export ORCHC_TEST_GREETING="Hello"
ORCHC_TEST_NAME=from the file
"""


@pytest.fixture
def score(project: Any) -> str:
    (project.root / "score.yaml").write_text(SCORE)
    (project.root / ".env").write_text(DOTENV)
    return str(project.root / "score.yaml")


def compose_sees(project: Any, **environment: str) -> dict[str, str]:
    """The workload's environment as `docker compose up` would start it, run from the
    project root with these variables in its environment (and the `.env` there).
    Compose prints a literal `$` as `$$`; that is undone."""
    clean = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/")}
    found = run_compose_config(
        project.root / "compose.yaml", "--format", "json", cwd=project.root, env=clean | environment
    )
    assert found.returncode == 0, found.stderr
    variables = json.loads(found.stdout)["services"]["app-main"]["environment"]
    return {key: value.replace("$$", "$") for key, value in variables.items()}


@pytest.mark.parametrize(
    ("at_up", "expected"),
    [
        ({}, "Hello, from the file!"),
        ({"ORCHC_TEST_NAME": "John"}, "Hello, John!"),
    ],
)
def test_compose_reads_the_values_when_the_workload_starts(
    project: Any, score: str, at_up: dict[str, str], expected: str
) -> None:
    unset = {"ORCHC_TEST_GREETING": None, "ORCHC_TEST_NAME": "set-at-apply"}
    project.run("apply", "--env", "dev", "-f", score, "--auto-approve", env=unset)
    compose_text = (project.root / "compose.yaml").read_text()
    assert "GREETING: ${ORCHC_TEST_GREETING}, ${ORCHC_TEST_NAME}!" in compose_text
    assert "set-at-apply" not in compose_text
    assert not list(project.root.glob("compose.*.env"))
    assert compose_sees(project, **at_up)["GREETING"] == expected


def test_compose_needs_no_value_at_apply(project: Any, score: str) -> None:
    (project.root / ".env").unlink()
    unset = {"ORCHC_TEST_GREETING": None, "ORCHC_TEST_NAME": None}
    project.run("apply", "--env", "dev", "-f", score, "--auto-approve", env=unset)
    seen = compose_sees(project, ORCHC_TEST_GREETING="Hi", ORCHC_TEST_NAME="Ann")
    assert seen["GREETING"] == "Hi, Ann!"


def test_compose_keeps_literal_dollars_and_other_outputs_around_the_variable(
    project: Any, score: str
) -> None:
    (project.root / "score.yaml").write_text(
        SCORE.replace(
            '"${resources.env.ORCHC_TEST_GREETING}, ${resources.env.ORCHC_TEST_NAME}!"',
            '"$$5 for ${resources.env.ORCHC_TEST_NAME} at ${resources.dir.host} (${metadata.name})"',
        ).replace("resources:\n", "resources:\n  dir: {type: dns}\n")
    )
    project.run("apply", "--env", "dev", "-f", score, "--auto-approve")
    seen = compose_sees(project, ORCHC_TEST_NAME="Bob")
    assert seen["GREETING"] == "$5 for Bob at app-dir.localhost (app)"


def test_kubernetes_gets_the_values_through_a_secret(
    project: Any, score: str, kubernetes_objects: Any
) -> None:
    unset = {"ORCHC_TEST_GREETING": None, "ORCHC_TEST_NAME": None}
    project.run("apply", "--env", "staging", "-f", score, "--auto-approve", env=unset)
    objects = kubernetes_objects(project.root / "build/shop/staging")
    values = [
        base64.b64decode(value).decode()
        for obj in objects
        if obj["kind"] == "Secret"
        for value in obj["data"].values()
    ]
    assert values == ["Hello, from the file!"]


def test_a_missing_value_fails_the_apply_naming_it(project: Any, score: str) -> None:
    (project.root / ".env").write_text("ORCHC_TEST_GREETING=Hello\n")
    result = project.run(
        "apply",
        "--env",
        "staging",
        "-f",
        score,
        "--auto-approve",
        code=1,
        env={"ORCHC_TEST_GREETING": None, "ORCHC_TEST_NAME": None},
    )
    assert (
        "variable ORCHC_TEST_NAME not set: looked in orchc's environment and in .env"
        in result.stderr
    )


def test_a_key_read_later_is_fetched_by_the_next_apply(
    project: Any, score: str, kubernetes_objects: Any
) -> None:
    unset = {"ORCHC_TEST_GREETING": None, "ORCHC_TEST_NAME": None, "ORCHC_TEST_EXTRA": None}
    (project.root / ".env").write_text(DOTENV + "ORCHC_TEST_EXTRA=more\n")
    project.run("apply", "--env", "staging", "-f", score, "--auto-approve", env=unset)
    (project.root / "score.yaml").write_text(
        SCORE.replace("resources:", '      EXTRA: "${resources.env.ORCHC_TEST_EXTRA}"\nresources:')
    )
    project.run("apply", "--env", "staging", "-f", score, "--auto-approve", env=unset)
    values = {
        base64.b64decode(value).decode()
        for obj in kubernetes_objects(project.root / "build/shop/staging")
        if obj["kind"] == "Secret"
        for value in obj["data"].values()
    }
    assert "more" in values
