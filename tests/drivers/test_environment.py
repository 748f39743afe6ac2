"""The `environment` driver: requested outputs from the process environment or `.env`."""

from __future__ import annotations

import doctest
import os
from pathlib import Path
from typing import Any

import pytest

from orchc.drivers import _dotenv, environment, environment_sources
from orchc.drivers._dotenv import parse_dotenv
from orchc.drivers.declarations import BUILT_IN
from orchc.drivers.environment import EnvironmentDriver
from orchc.drivers.protocol import DriverError, DriverResult, NullJournal

# Names no real environment sets, so a test never reads the machine's own variables.
NAME = "ORCHC_TEST_ENV_NAME"
GREETING = "ORCHC_TEST_ENV_GREETING"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in (NAME, GREETING):
        monkeypatch.delenv(key, raising=False)


def create(make_request: Any, wanted: set[str], **inputs: Any) -> DriverResult:
    request = make_request("environment", inputs=inputs, requested_outputs=frozenset(wanted))
    return EnvironmentDriver().create(request, NullJournal())


def test_nothing_is_read_from_the_process_environment_by_default(
    make_request: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(NAME, "process-secret-value")
    with pytest.raises(DriverError) as error:
        create(make_request, {NAME})
    assert str(error.value) == (
        f"variable '{NAME}' is not set in .env (no such file), and orchc's own environment "
        "is not read for it: process_variables allows none; to pass a variable from orchc's "
        'environment, a platform definition of type "environment" lists it '
        f'(process_variables = ["{NAME}"])'
    )
    assert "process-secret-value" not in str(error.value)


@pytest.mark.parametrize("allowed", [[NAME], ["ORCHC_TEST_ENV_*"], ["OTHER", "ORCHC_*"], ["*"]])
def test_allowed_keys_come_from_the_process_environment_as_secrets(
    make_request: Any, monkeypatch: pytest.MonkeyPatch, allowed: list[str]
) -> None:
    monkeypatch.setenv(NAME, "Bob")
    monkeypatch.setenv(GREETING, "Hello")
    result = create(make_request, {NAME}, process_variables=allowed)
    assert result == DriverResult(secrets={NAME: "Bob"})


def test_a_key_not_allowed_comes_from_the_env_file_even_when_the_process_has_it(
    make_request: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(f"{NAME}=from-file\n")
    monkeypatch.setenv(NAME, "from-process")
    monkeypatch.setenv(GREETING, "from-process")
    result = create(make_request, {NAME, GREETING}, process_variables=[GREETING])
    assert result.secrets == {NAME: "from-file", GREETING: "from-process"}


def test_compose_returns_what_is_found_and_never_a_key_not_allowed(
    make_request: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(NAME, "process-secret-value")
    monkeypatch.setenv(GREETING, "Hello")
    result = create(
        make_request, {NAME, GREETING}, process_variables=[GREETING], target_kind="compose"
    )
    assert result == DriverResult(secrets={GREETING: "Hello"})


@pytest.mark.parametrize(
    ("patterns", "message"),
    [
        (["AWS_*_KEY"], "'AWS_*_KEY' is not a variable name or a prefix ending in '*'"),
        (["A B"], "'A B' is not a variable name or a prefix ending in '*'"),
        ([""], "'' is not a variable name or a prefix ending in '*'"),
        (["**"], "'**' is not a variable name or a prefix ending in '*'"),
    ],
)
def test_a_bad_pattern_is_refused(make_request: Any, patterns: list[str], message: str) -> None:
    """By the driver at apply, and with the same words by its declaration, which
    `orchc plan` and `orchc check` ask (compiler/passes/check_inputs.py)."""
    with pytest.raises(DriverError) as error:
        create(make_request, {NAME}, process_variables=patterns)
    assert str(error.value) == f"invalid inputs: input 'process_variables': {message}"
    assert BUILT_IN["environment"].input_error("process_variables", patterns) == message


@pytest.mark.parametrize("patterns", [[], ["API_URL", "APP_*", "*", "a.b-c"]])
def test_the_declaration_accepts_what_the_driver_accepts(
    make_request: Any, patterns: list[str]
) -> None:
    create(make_request, set(), process_variables=patterns)
    assert BUILT_IN["environment"].input_error("process_variables", patterns) is None
    assert BUILT_IN["environment"].input_error("env_file", "AWS_*_KEY") is None
    assert BUILT_IN["static"].input_error("process_variables", ["**"]) is None


def test_the_process_environment_wins_over_the_env_file_for_an_allowed_key(
    make_request: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(f"{NAME}=from-file\n{GREETING}=Hi\n")
    monkeypatch.setenv(NAME, "from-process")
    result = create(make_request, {NAME, GREETING}, process_variables=[NAME])
    assert result.secrets == {NAME: "from-process", GREETING: "Hi"}
    assert result.outputs == {}


def test_env_file_is_relative_to_the_project_root(make_request: Any, tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "dev.env").write_text(f"export {NAME}='Bob'\n")
    assert create(make_request, {NAME}, env_file="config/dev.env").secrets == {NAME: "Bob"}


def test_nothing_requested_reads_nothing(make_request: Any, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("this is not dotenv\n")
    assert create(make_request, set()) == DriverResult()


@pytest.mark.parametrize(
    ("wanted", "env_file", "content", "message"),
    [
        (
            {NAME},
            ".env",
            None,
            f"variable {NAME} not set: looked in orchc's environment and in .env (no such file)",
        ),
        (
            {NAME, GREETING},
            ".env",
            "OTHER=1\n",
            f"variables {GREETING}, {NAME} not set: looked in orchc's environment and in .env",
        ),
        ({NAME}, "app.env", "PASSWORD=s3cr3t-value\noops\n", "app.env, line 2: expected KEY=VALUE"),
        (
            {NAME},
            "app.env",
            b"\xff\xfe",
            f"variable {NAME} not set: looked in orchc's environment and in app.env "
            "(not UTF-8 text)",
        ),
    ],
)
def test_missing_keys_name_every_place_looked_in(
    make_request: Any,
    tmp_path: Path,
    wanted: set[str],
    env_file: str,
    content: str | bytes | None,
    message: str,
) -> None:
    if isinstance(content, str):
        (tmp_path / env_file).write_text(content)
    elif isinstance(content, bytes):
        (tmp_path / env_file).write_bytes(content)
    with pytest.raises(DriverError) as error:
        create(make_request, wanted, env_file=env_file, process_variables=["ORCHC_TEST_*"])
    assert str(error.value) == message
    assert "s3cr3t-value" not in str(error.value)


def test_an_unknown_input_is_refused(make_request: Any) -> None:
    with pytest.raises(DriverError) as error:
        create(make_request, {NAME}, envfile=".env")
    assert (
        str(error.value)
        == "invalid inputs: unknown input 'envfile' (expected: env_file, process_variables, "
        "target_kind)"
    )


@pytest.mark.parametrize(
    ("link_to", "env_file", "why"),
    [
        ("/proc/self/environ", ".env", "the path leads outside the project directory"),
        ("../outside.env", ".env", "the path leads outside the project directory"),
        (None, "../outside.env", "the path leads outside the project directory"),
        (None, "/proc/self/environ", "the path must be relative, not absolute"),
        (None, "config", "Is a directory"),
    ],
)
def test_the_env_file_is_confined_to_the_project(
    make_request: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    link_to: str | None,
    env_file: str,
    why: str,
) -> None:
    """A `.env` committed as a symlink to `/proc/self/environ` would hand a Score file
    orchc's whole environment; it is refused like a Score file's `files[].source`."""
    monkeypatch.setenv(NAME, "process-secret-value")
    project = tmp_path / "project"
    (project / "config").mkdir(parents=True)
    (tmp_path / "outside.env").write_text(f"{NAME}=outside-secret-value\n")
    if link_to is not None:
        (project / env_file).symlink_to(link_to)
    request = make_request(
        "environment",
        inputs={"env_file": env_file},
        requested_outputs=frozenset({NAME}),
        project_root=project,
    )
    with pytest.raises(DriverError) as error:
        EnvironmentDriver().create(request, NullJournal())
    assert f"is not set in {env_file} ({why})" in str(error.value)
    assert "secret-value" not in str(error.value)


def test_a_fifo_env_file_is_refused_without_waiting_for_a_writer(
    make_request: Any, tmp_path: Path
) -> None:
    """A `.env` committed as a FIFO (or replaced by one) would block a plain read until
    something writes to it; the driver, the plan's check and its read-again refuse it at
    once, as `files[].source` does."""
    os.mkfifo(tmp_path / ".env")
    request = make_request(
        "environment", requested_outputs=frozenset({NAME}), project_root=tmp_path
    )
    with pytest.raises(DriverError) as error:
        EnvironmentDriver().create(request, NullJournal())
    assert "is not set in .env (it is not a regular file" in str(error.value)
    declared = BUILT_IN["environment"]
    (why, _how) = declared.refused_outputs({}, {NAME}, tmp_path)[NAME]
    assert "(it is not a regular file" in why
    assert declared.read_again({}, {NAME}, tmp_path) == {}


@pytest.mark.parametrize(
    ("inputs", "dotenv", "refused"),
    [
        ({}, None, {NAME, GREETING}),
        ({"process_variables": []}, f"{GREETING}=x\n", {NAME}),
        ({"process_variables": [NAME]}, f"{GREETING}=x\n", set()),
        ({"process_variables": ["ORCHC_*"]}, None, set()),
        ({"env_file": "other.env"}, f"{NAME}=x\n{GREETING}=x\n", {NAME, GREETING}),
        # Not known before apply, or reported by the driver at apply: nothing refused.
        ({"process_variables": "${env.ALLOWED}"}, None, set()),
        ({"process_variables": ["A*B"]}, None, set()),
        ({"env_file": "${env.ENV_FILE}"}, None, set()),
        ({}, "not dotenv\n", set()),
    ],
)
def test_the_plan_refuses_what_apply_would_not_find(
    tmp_path: Path, inputs: dict[str, Any], dotenv: str | None, refused: set[str]
) -> None:
    if dotenv is not None:
        (tmp_path / ".env").write_text(dotenv)
    declared = BUILT_IN["environment"]
    found = declared.refused_outputs(inputs, {NAME, GREETING}, tmp_path)
    assert set(found) == refused


@pytest.mark.parametrize(
    ("inputs", "dotenv", "expected"),
    [
        ({}, f"{NAME}=from-file\n", {NAME: "from-file"}),
        ({}, None, {}),
        ({"process_variables": [NAME]}, f"{NAME}=from-file\n", {NAME: "process-value"}),
        ({"process_variables": ["OTHER_*"]}, f"{GREETING}=x\n", {GREETING: "x"}),
        ({"env_file": "other.env"}, f"{NAME}=from-file\n", {}),
        # What the driver reports when it runs: the plan cannot tell.
        ({"process_variables": ["A*B"]}, None, None),
        ({"env_file": 3}, None, None),
        ({}, "not dotenv\n", None),
    ],
)
def test_the_plan_reads_again_what_the_driver_would_return(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    inputs: dict[str, Any],
    dotenv: str | None,
    expected: dict[str, str] | None,
) -> None:
    """What a plan compares with the last create's outputs: the driver's own rules, so
    a variable the allow list does not cover is never read from orchc's environment."""
    monkeypatch.setenv(NAME, "process-value")
    monkeypatch.setenv(GREETING, "process-greeting")
    if dotenv is not None:
        (tmp_path / ".env").write_text(dotenv)
    assert BUILT_IN["environment"].read_again(inputs, {NAME, GREETING}, tmp_path) == expected


def test_only_a_driver_that_reads_the_environment_is_read_again(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"{NAME}=from-file\n")
    assert BUILT_IN["static"].read_again({}, {NAME}, tmp_path) is None


def test_only_a_driver_that_reads_the_environment_refuses_outputs(tmp_path: Path) -> None:
    assert BUILT_IN["static"].refused_outputs({}, {NAME}, tmp_path) == {}


def test_delete_does_nothing(make_request: Any, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"{NAME}=Bob\n")
    request = make_request("environment", action="delete")
    assert EnvironmentDriver().delete(request, NullJournal()) is None
    assert (tmp_path / ".env").read_text() == f"{NAME}=Bob\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A=1\nB=2", {"A": "1", "B": "2"}),
        ("# comment\n\n  # indented comment\nA=1", {"A": "1"}),
        ("export A=1", {"A": "1"}),
        ("  A  =  spaced out  ", {"A": "spaced out"}),
        ("A=value # comment", {"A": "value"}),
        ("A=no#comment", {"A": "no#comment"}),
        ("A=", {"A": ""}),
        ("A='single $quoted \\n # kept'", {"A": "single $quoted \\n # kept"}),
        ('A="double \\"quoted\\" \\\\ \\t end"', {"A": 'double "quoted" \\ \t end'}),
        ('A="two\nlines"\nB=3', {"A": "two\nlines", "B": "3"}),
        ('A="unknown \\q escape"', {"A": "unknown \\q escape"}),
        ("A=1\nA=2", {"A": "2"}),
        ("dotted.key-name=1", {"dotted.key-name": "1"}),
    ],
)
def test_dotenv_syntax(text: str, expected: dict[str, str]) -> None:
    assert parse_dotenv(text, ".env") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A=1\n=2", ".env, line 2: expected KEY=VALUE"),
        ("1A=x", ".env, line 1: expected KEY=VALUE"),
        ("A='open", ".env, line 1: the single-quoted value is not closed"),
        ('A=1\nB="open\nstill open', ".env, line 2: the double-quoted value is not closed"),
    ],
)
def test_dotenv_errors_name_the_line_not_its_text(text: str, message: str) -> None:
    with pytest.raises(DriverError) as error:
        parse_dotenv(text, ".env")
    assert str(error.value) == message


@pytest.mark.parametrize("module", [environment, environment_sources, _dotenv])
def test_doctests(module: Any) -> None:
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failed == 0
