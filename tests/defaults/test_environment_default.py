"""The `environment` default end to end: values from orchc's environment or the
project's `.env` reach the workload, through secret channels only."""

from __future__ import annotations

import base64
from typing import Any

import pytest

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


@pytest.mark.parametrize(
    ("process", "expected"),
    [
        ({"ORCHC_TEST_GREETING": None, "ORCHC_TEST_NAME": None}, "Hello, from the file!"),
        ({"ORCHC_TEST_GREETING": None, "ORCHC_TEST_NAME": "Bob"}, "Hello, Bob!"),
    ],
)
def test_compose_gets_the_values_through_its_env_file(
    project: Any, score: str, compose_config: Any, process: dict[str, Any], expected: str
) -> None:
    project.run("apply", "--env", "dev", "-f", score, "--auto-approve", env=process)
    assert "GREETING" not in (project.root / "compose.yaml").read_text()
    model = compose_config(project.root / "compose.yaml")
    assert model["services"]["app-main"]["environment"]["GREETING"] == expected


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
        "dev",
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
    project: Any, score: str, compose_config: Any
) -> None:
    unset = {"ORCHC_TEST_GREETING": None, "ORCHC_TEST_NAME": None, "ORCHC_TEST_EXTRA": None}
    (project.root / ".env").write_text(DOTENV + "ORCHC_TEST_EXTRA=more\n")
    project.run("apply", "--env", "dev", "-f", score, "--auto-approve", env=unset)
    (project.root / "score.yaml").write_text(
        SCORE.replace("resources:", '      EXTRA: "${resources.env.ORCHC_TEST_EXTRA}"\nresources:')
    )
    project.run("apply", "--env", "dev", "-f", score, "--auto-approve", env=unset)
    model = compose_config(project.root / "compose.yaml")
    assert model["services"]["app-main"]["environment"]["EXTRA"] == "more"
