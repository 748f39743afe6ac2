"""The `environment` driver: requested outputs from the process environment or `.env`."""

from __future__ import annotations

import doctest
from pathlib import Path
from typing import Any

import pytest

from orchc.drivers import _dotenv, environment
from orchc.drivers._dotenv import parse_dotenv
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


def test_requested_keys_come_from_the_process_environment_as_secrets(
    make_request: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(NAME, "Bob")
    monkeypatch.setenv(GREETING, "Hello")
    assert create(make_request, {NAME}) == DriverResult(secrets={NAME: "Bob"})


def test_the_process_environment_wins_over_the_env_file(
    make_request: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(f"{NAME}=from-file\n{GREETING}=Hi\n")
    monkeypatch.setenv(NAME, "from-process")
    result = create(make_request, {NAME, GREETING})
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
        create(make_request, wanted, env_file=env_file)
    assert str(error.value) == message
    assert "s3cr3t-value" not in str(error.value)


def test_an_unknown_input_is_refused(make_request: Any) -> None:
    with pytest.raises(DriverError) as error:
        create(make_request, {NAME}, envfile=".env")
    assert (
        str(error.value)
        == "invalid inputs: unknown input 'envfile' (expected: env_file, target_kind)"
    )


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


@pytest.mark.parametrize("module", [environment, _dotenv])
def test_doctests(module: Any) -> None:
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failed == 0
