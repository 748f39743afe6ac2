"""The `environment` default end to end. Compose: container variables are written
`${NAME}` for `docker compose up` to fill in from its own environment or the `.env`
beside the compose file, as score-compose does. Kubernetes: values from the project's
`.env` (or the variables of orchc's own environment a platform definition allows with
`process_variables`; none by default), read at apply, reach the workload through a
Secret only. A Score file naming a variable that is neither fails the plan at its line,
never showing a value."""

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


def test_kubernetes_gets_the_env_file_values_through_a_secret(
    project: Any, score: str, kubernetes_objects: Any
) -> None:
    project.run("apply", "--env", "staging", "-f", score, "--auto-approve", env=RUNNER)
    objects = kubernetes_objects(project.root / "build/shop/staging")
    assert secret_values(objects) == ["Hello, from the file!"]


# What a CI runner holds: a Score file must not get any of it unless the platform says so.
RUNNER = {"ORCHC_TEST_NAME": "runner-secret-value", "ORCHC_TEST_GREETING": "runner-greeting"}


def secret_values(objects: list[dict[str, Any]]) -> list[str]:
    return [
        base64.b64decode(value).decode()
        for obj in objects
        if obj["kind"] == "Secret"
        for value in obj["data"].values()
    ]


def test_a_variable_not_allowed_fails_the_plan_at_its_score_line(project: Any, score: str) -> None:
    (project.root / ".env").write_text("ORCHC_TEST_GREETING=Hello\n")
    result = project.run("plan", "--env", "staging", "-f", score, code=1, env=RUNNER)
    assert result.stderr.splitlines()[:4] == [
        "score.yaml:7:56: error: variable 'ORCHC_TEST_NAME' is not set in .env, and orchc's "
        "own environment is not read for it",
        '        GREETING: "${resources.env.ORCHC_TEST_GREETING}, ${resources.env.ORCHC_TEST_NAME}!"',
        " " * 57 + "^",
        "  note: definition 'default-environment' (orchc:defaults/environment.orch:16) serves "
        "'environment.default#app.env': process_variables allows none; to pass a variable "
        'from orchc\'s environment, a platform definition of type "environment" lists it '
        '(process_variables = ["ORCHC_TEST_NAME"])',
    ]
    assert "runner-secret-value" not in result.output


def test_orchc_check_reports_it_too(project: Any, score: str) -> None:
    (project.root / ".env").unlink()
    result = project.run("check", "--env", "staging", "-f", score, code=1, env=RUNNER)
    assert "score.yaml:7:18: error: variable 'ORCHC_TEST_GREETING' is not set in .env " in (
        result.stderr
    )
    assert "environment 'staging' (staging): 2 error(s)" in result.stderr
    assert "runner-" not in result.output


def test_an_env_file_changed_after_the_plan_fails_the_apply_naming_the_resource(
    project: Any, score: str
) -> None:
    project.run("plan", "--env", "staging", "-f", score, "-o", "plan.json", env=RUNNER)
    (project.root / ".env").write_text("ORCHC_TEST_GREETING=Hello\n")
    result = project.run("apply", "plan.json", "--auto-approve", code=1, env=RUNNER)
    assert "environment.default#app.env" in result.output
    assert (
        "variable 'ORCHC_TEST_NAME' is not set in .env, and orchc's own environment is not "
        "read for it: process_variables allows none" in result.output
    )
    assert "runner-secret-value" not in result.output
    assert not (project.root / "build").exists()


ALLOWING = """
definition "ci-environment" {{
  type   = "environment"
  driver = "environment"
  match {{ env_type = "staging" }}
  inputs {{
    process_variables = {allowed}
    target_kind       = "${{resources['target.default#target'].outputs.kind}}"
  }}
}}
"""


@pytest.mark.parametrize(
    ("allowed", "expected"),
    [
        ('["ORCHC_TEST_NAME"]', "Hello, runner-secret-value!"),  # GREETING from .env
        ('["ORCHC_TEST_*"]', "runner-greeting, runner-secret-value!"),
    ],
)
def test_variables_the_platform_allows_reach_the_secret(
    project: Any, score: str, kubernetes_objects: Any, allowed: str, expected: str
) -> None:
    project.define("environment.orch", ALLOWING.format(allowed=allowed))
    project.run("apply", "--env", "staging", "-f", score, "--auto-approve", env=RUNNER)
    objects = kubernetes_objects(project.root / "build/shop/staging")
    assert secret_values(objects) == [expected]
    assert "runner-" not in "".join(
        text.decode() for name, text in project.files("build").items() if "secret" not in name
    )


def test_compose_still_defers_to_docker_compose_up_and_reads_nothing_of_orchc(
    project: Any, score: str
) -> None:
    (project.root / ".env").unlink()
    project.run("apply", "--env", "dev", "-f", score, "--auto-approve", env=RUNNER)
    compose_text = (project.root / "compose.yaml").read_text()
    assert "GREETING: ${ORCHC_TEST_GREETING}, ${ORCHC_TEST_NAME}!" in compose_text
    written = b"".join(project.files(".").values())
    assert b"runner-" not in written  # nor in the state: orchc never read them
    assert compose_sees(project, ORCHC_TEST_GREETING="Hi", ORCHC_TEST_NAME="Ann") == {
        "GREETING": "Hi, Ann!"
    }


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


@pytest.mark.parametrize(
    ("allowed", "bad"), [('["AWS_*_KEY"]', "AWS_*_KEY"), ('["APP_*", ""]', ""), ('["**"]', "**")]
)
@pytest.mark.parametrize("command", ["plan", "check"])
def test_a_bad_process_variables_pattern_is_refused_before_apply_at_its_line(
    project: Any, score: str, allowed: str, bad: str, command: str
) -> None:
    project.define("environment.orch", ALLOWING.format(allowed=allowed))
    result = project.run(command, "--env", "staging", "-f", score, code=1, env=RUNNER)
    assert (
        "platform/environment.orch:7:25: error: input 'process_variables' of driver "
        f"'environment' (definition 'ci-environment'): '{bad}' is not a variable name or a "
        "prefix ending in '*'"
    ) in result.output
    assert not (project.root / "build").exists()


FILE_SCORE = """\
apiVersion: score.dev/v1b1
metadata: {name: app}
containers:
  main:
    image: busybox
    files:
      - target: /etc/app/name
        content: "name: ${resources.env.ORCHC_TEST_NAME}"
resources:
  env: {type: environment}
"""
PARAM_SCORE = """\
apiVersion: score.dev/v1b1
metadata: {name: app}
containers:
  main:
    image: busybox
    variables: {X: "${resources.thing.name}"}
resources:
  env: {type: environment}
  thing: {type: thing, params: {name: "${resources.env.ORCHC_TEST_NAME}"}}
"""
THING = """
definition "thing" {
  type = "thing", driver = "template"
  match {}
  inputs { outputs = "name: {{ params.name | tojson }}" }
}
"""
UNSET_AT_APPLY = (
    "resource 'environment.default#app.env' has no variable 'ORCHC_TEST_NAME', which is read "
    "at apply here (by a file, a volume source or a param), not at `docker compose up`: it "
    "is not in the project's env file, and orchc's own environment is read only for the "
    "variables process_variables allows (definition 'default-environment' "
    "(orchc:defaults/environment.orch:16)). Set ORCHC_TEST_NAME in the project's .env, "
    'or list it in a platform definition of type "environment" '
    '(process_variables = ["ORCHC_TEST_NAME"]); the next plan updates the resource'
)


@pytest.mark.parametrize(
    ("read_by", "where"),
    [
        (FILE_SCORE, "workload 'app', containers.main.files./etc/app/name.content: "),
        (
            PARAM_SCORE,
            "create of thing.default#app.thing failed (definition 'thing' at "
            "platform/thing.orch:2): ",
        ),
    ],
    ids=["file", "param"],
)
def test_compose_a_variable_found_nowhere_says_what_to_do(
    project: Any, read_by: str, where: str
) -> None:
    """On Compose the plan cannot tell a file's or a param's reference from a container
    variable's, and the driver refuses nothing, so the apply says what is missing and
    how to give it, never the value orchc's environment holds."""
    project.define("thing.orch", THING)
    (project.root / "score.yaml").write_text(read_by)
    result = project.run("apply", "--env", "dev", "--auto-approve", code=1, env=RUNNER)
    assert where + UNSET_AT_APPLY in result.output, result.output
    assert "runner-" not in result.output
    assert "has no output" not in result.output

    # What it says works: the variable in .env, then a plain plan and apply.
    (project.root / ".env").write_text("ORCHC_TEST_NAME=from the file\n")
    plan = planned(project, "dev")
    assert plan["resources"][ENV]["action"] == "update"
    assert plan["resources"][ENV]["reason"] == CHANGED
    project.run("apply", "plan.json", "--auto-approve", env=RUNNER)
    if read_by == FILE_SCORE:
        written = (project.root / "compose.files/app/main/etc/app/name").read_text()
        assert written == "name: from the file"
    else:
        thing = ("outputs", "thing.default#app.thing", "--env", "dev", "--show-secrets")
        shown = project.run(*thing).output
        assert "from the file" in shown
    nothing_changes(project, "dev")


ENV = "environment.default#app.env"
CHANGED = "variables changed since the last apply: ORCHC_TEST_NAME"


def planned(project: Any, env: str, **environment: str | None) -> dict[str, Any]:
    """`orchc plan` to plan.json, read back; the plan shows no value of the tests'."""
    result = project.run("plan", "--env", env, "-o", "plan.json", env=RUNNER | environment)
    text = (project.root / "plan.json").read_text() + result.output
    assert not any(value in text for value in VALUES), text
    plan: dict[str, Any] = json.loads((project.root / "plan.json").read_text())
    return plan


# Every value these tests put in a .env or in orchc's environment.
VALUES = ("from the file", "the old name", "the new name", "runner-")


def nothing_changes(project: Any, env: str, **environment: str | None) -> None:
    """A plain plan is all no-op (`--detailed-exitcode` exits 0)."""
    project.run("plan", "--env", env, "--detailed-exitcode", env=RUNNER | environment)


@pytest.mark.parametrize(
    ("env", "read_by"),
    [("staging", SCORE), ("dev", FILE_SCORE), ("dev", PARAM_SCORE)],
    ids=["kubernetes-variable", "compose-file", "compose-param"],
)
def test_a_value_changed_in_the_env_file_is_planned_and_applied(
    project: Any, env: str, read_by: str, kubernetes_objects: Any
) -> None:
    project.define("thing.orch", THING)
    (project.root / "score.yaml").write_text(read_by)
    dotenv = "ORCHC_TEST_GREETING=Hello\nORCHC_TEST_NAME={}\n"
    (project.root / ".env").write_text(dotenv.format("the old name"))
    project.run("apply", "--env", env, "--auto-approve", env=RUNNER)
    nothing_changes(project, env)

    (project.root / ".env").write_text(dotenv.format("the new name"))
    plan = planned(project, env)
    assert (plan["resources"][ENV]["action"], plan["resources"][ENV]["reason"]) == (
        "update",
        CHANGED,
    )
    assert plan["workloads"]["app"]["action"] == "update"
    project.run("apply", "plan.json", "--auto-approve", env=RUNNER)
    assert read_back(project, read_by, kubernetes_objects) == "the new name"
    nothing_changes(project, env)


def read_back(project: Any, read_by: str, kubernetes_objects: Any) -> str:
    """The name the workload gets, from the file orchc wrote for it."""
    if read_by == SCORE:
        (greeting,) = secret_values(kubernetes_objects(project.root / "build/shop/staging"))
        return greeting.removeprefix("Hello, ").removesuffix("!")
    if read_by == FILE_SCORE:
        written = (project.root / "compose.files/app/main/etc/app/name").read_text()
        return written.removeprefix("name: ")
    thing = ("outputs", "thing.default#app.thing", "--env", "dev", "--show-secrets")
    return str(json.loads(project.run(*thing, "--format", "json").stdout)["name"])


def test_kubernetes_a_variable_set_after_a_failed_apply_is_read_by_the_next_plan(
    project: Any, score: str, kubernetes_objects: Any
) -> None:
    """Allowed but set nowhere: the apply fails at the driver, which records nothing as
    ready, so the next plan runs it again once .env has the value."""
    project.define("environment.orch", ALLOWING.format(allowed='["ORCHC_TEST_NAME"]'))
    (project.root / ".env").write_text("ORCHC_TEST_GREETING=Hello\n")
    unset = {"ORCHC_TEST_NAME": None}
    result = project.run("apply", "--env", "staging", "--auto-approve", code=1, env=unset)
    assert "variable ORCHC_TEST_NAME not set" in result.output
    (project.root / ".env").write_text("ORCHC_TEST_GREETING=Hello\nORCHC_TEST_NAME=the new name\n")
    assert planned(project, "staging", **unset)["resources"][ENV]["action"] == "create"
    project.run("apply", "plan.json", "--auto-approve", env=unset)
    assert read_back(project, SCORE, kubernetes_objects) == "the new name"
    nothing_changes(project, "staging", **unset)


def test_an_allowed_variable_changed_in_orchcs_environment_is_planned_and_applied(
    project: Any, score: str, kubernetes_objects: Any
) -> None:
    """`apply --env` plans the same way as `plan`."""
    project.define("environment.orch", ALLOWING.format(allowed='["ORCHC_TEST_NAME"]'))
    project.run("apply", "--env", "staging", "--auto-approve", env=RUNNER)
    nothing_changes(project, "staging")
    renamed = {"ORCHC_TEST_NAME": "runner-renamed"}
    assert planned(project, "staging", **renamed)["resources"][ENV]["reason"] == CHANGED
    project.run("apply", "--env", "staging", "--auto-approve", env=RUNNER | renamed)
    assert read_back(project, SCORE, kubernetes_objects) == "runner-renamed"
    nothing_changes(project, "staging", **renamed)


def test_a_variable_the_platform_does_not_allow_is_never_compared(project: Any, score: str) -> None:
    """The plan reads orchc's environment only where the driver would: a runner
    variable a Score file names but may not read changes nothing."""
    project.run("apply", "--env", "staging", "--auto-approve", env=RUNNER)
    nothing_changes(project, "staging", ORCHC_TEST_NAME="runner-other", ORCHC_TEST_GREETING=None)
