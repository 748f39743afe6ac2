"""The `cmd` driver, running real programs from `cmd_programs/`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from core_helpers import PROGRAMS, process_exits

from orchc.drivers.cmd import CmdDriver, parse_duration
from orchc.drivers.protocol import DriverError, DriverRequest, NullJournal

RESPOND = ["./respond.py"]


@pytest.fixture
def cmd_request(make_request: Any) -> Any:
    """A request for the cmd driver whose definition lives in `cmd_programs/`."""

    def build(**fields: Any) -> DriverRequest:
        fields.setdefault("source_dir", PROGRAMS)
        return make_request("job", **fields)

    return build


def create(request: DriverRequest) -> Any:
    return CmdDriver().create(request, NullJournal())


def test_program_gets_the_request_on_stdin(cmd_request: Any) -> None:
    request = cmd_request(
        inputs={"command": RESPOND, "size": 3},
        params={"tier": "gold"},
        metadata={"annotations": {"team": "a"}},
        secrets={"token": "t0k3n-value"},
        state={"seen": True},
        guid="rguid",
    )
    sent = create(request).outputs["request"]
    assert sent == {
        "action": "create",
        "uid": "job.default#test",
        "type": "job",
        "class": "default",
        "id": "test",
        "guid": "rguid",
        "context": {"app": "app", "env": "test", "env_type": "development"},
        "params": {"tier": "gold"},
        "metadata": {"annotations": {"team": "a"}},
        "inputs": {"command": RESPOND, "size": 3},
        "secrets": {"token": "t0k3n-value"},
        "state": {"seen": True},
    }


def test_every_result_field_is_returned_and_state_round_trips(cmd_request: Any) -> None:
    first = create(cmd_request(inputs={"command": ["./counter.py"]}, guid="rg"))
    second = create(cmd_request(inputs={"command": ["./counter.py"]}, state=first.state))
    assert (first.outputs, first.secrets, first.state) == (
        {"count": 1, "action": "create"},
        {"token": "token-1"},
        {"count": 1},
    )
    assert first.manifests == ({"kind": "ConfigMap", "metadata": {"name": "rg"}},)
    assert (second.outputs["count"], second.state) == (2, {"count": 2})


def test_relative_program_runs_in_the_definition_directory(cmd_request: Any) -> None:
    result = create(cmd_request(inputs={"command": ["./provision.sh", "a", "b"]}))
    assert result.outputs == {"cwd": str(PROGRAMS), "args": "a b"}


def test_working_directory_is_the_source_dir_for_a_program_on_path(
    cmd_request: Any, tmp_path: Path
) -> None:
    command = ["sh", "-c", 'cat >/dev/null; printf \'{"outputs": {"cwd": "%s"}}\' "$(pwd -P)"']
    result = create(cmd_request(inputs={"command": command}, source_dir=tmp_path))
    assert result.outputs == {"cwd": str(tmp_path.resolve())}


MALFORMED = [
    ("", "it wrote nothing (write at least {})"),
    ("not json", "not JSON: Expecting value: line 1 column 1 (char 0)"),
    ('{"outputs": {}} trailing', "not JSON: Extra data: line 1 column 17 (char 16)"),
    ('{"outputs": {}}\n{"outputs": {}}', "not JSON: Extra data: line 2 column 1 (char 16)"),
    ("[]", "expected one JSON object, got an array"),
    ('"text"', "expected one JSON object, got a string"),
    ("42", "expected one JSON object, got a number"),
    ("null", "expected one JSON object, got null"),
    (
        '{"outputs": {}, "output": {}}',
        "unknown key 'output' (expected: manifests, outputs, secrets, state)",
    ),
    ('{"outputs": []}', "'outputs': Input should be a valid dictionary"),
    ('{"state": "s3cr3t-state"}', "'state': Input should be a valid dictionary"),
    ('{"manifests": {}}', "'manifests': Input should be a valid list"),
    ('{"manifests": [1]}', "'manifests.0': Input should be a valid dictionary"),
    ('{"outputs": {}, "outputs": {}}', "key 'outputs' appears twice in one object"),
    ('{"outputs": {"x": NaN}}', "NaN is not a JSON value"),
]


@pytest.mark.parametrize(("stdout", "problem"), MALFORMED)
def test_malformed_output_is_a_failure_that_never_quotes_stdout(
    cmd_request: Any, stdout: str, problem: str
) -> None:
    with pytest.raises(DriverError) as error:
        create(cmd_request(inputs={"command": RESPOND, "stdout": stdout}))
    assert str(error.value) == f"respond.py wrote an invalid result on stdout: {problem}"


def test_stdout_that_is_not_utf8_is_a_failure(cmd_request: Any) -> None:
    with pytest.raises(DriverError) as error:
        create(cmd_request(inputs={"command": RESPOND, "stdout_hex": "7bff7d"}))
    assert str(error.value) == "respond.py wrote an invalid result on stdout: " + (
        "stdout is not UTF-8 (byte 1)"
    )


def test_delete_accepts_empty_stdout(cmd_request: Any) -> None:
    request = cmd_request(action="delete", inputs={"command": RESPOND, "stdout": "\n"})
    assert CmdDriver().delete(request, NullJournal()) is None


def test_delete_still_refuses_malformed_output(cmd_request: Any) -> None:
    request = cmd_request(action="delete", inputs={"command": RESPOND, "stdout": "{oops"})
    with pytest.raises(DriverError, match="wrote an invalid result on stdout: not JSON"):
        CmdDriver().delete(request, NullJournal())


def test_delete_tells_the_program_the_action(cmd_request: Any, tmp_path: Path) -> None:
    record = tmp_path / "request.json"
    command = ["sh", "-c", 'cat > "$0"', str(record)]
    request = cmd_request(action="delete", inputs={"command": command}, state={"id": 7})
    CmdDriver().delete(request, NullJournal())
    assert json.loads(record.read_text())["action"] == "delete"
    assert json.loads(record.read_text())["state"] == {"id": 7}


def test_non_zero_exit_reports_the_code_and_the_last_20_stderr_lines(cmd_request: Any) -> None:
    stderr = "".join(f"line {n}\n" for n in range(1, 31))
    request = cmd_request(inputs={"command": RESPOND, "stderr": stderr, "exit": 3})
    with pytest.raises(DriverError) as error:
        create(request)
    tail = "\n".join(f"  line {n}" for n in range(11, 31))
    assert str(error.value) == f"respond.py failed (exit code 3):\n{tail}"


def test_huge_stderr_is_cut_to_a_readable_message(cmd_request: Any) -> None:
    request = cmd_request(inputs={"command": RESPOND, "stderr": "x" * 100_000 + "\n", "exit": 1})
    with pytest.raises(DriverError) as error:
        create(request)
    message = str(error.value)
    assert message.startswith("respond.py failed (exit code 1):\n  ... (cut)\n")
    assert message.endswith("x" * 100)
    assert len(message) < 4100


def test_secrets_are_scrubbed_from_the_stderr_tail(cmd_request: Any) -> None:
    stderr = "auth failed: nested-pass / sens-input-value / kept-state-pw / visible\n"
    request = cmd_request(
        inputs={"command": RESPOND, "stderr": stderr, "exit": 1, "url": "sens-input-value"},
        secrets={"admin": {"password": ["nested-pass"]}},
        sensitive_inputs=frozenset({"url"}),
        state={"password": "kept-state-pw"},
    )
    with pytest.raises(DriverError) as error:
        create(request)
    assert str(error.value) == (
        "respond.py failed (exit code 1):\n"
        "  auth failed: (sensitive) / (sensitive) / (sensitive) / visible"
    )


def test_timeout_stops_the_program_and_reports_it(cmd_request: Any) -> None:
    request = cmd_request(inputs={"command": RESPOND, "sleep": 60, "timeout": "0.5s"})
    with pytest.raises(DriverError) as error:
        create(request)
    assert str(error.value) == "respond.py timed out after 0.5s"


def test_policy_timeout_wins_when_smaller(cmd_request: Any) -> None:
    request = cmd_request(inputs={"command": RESPOND, "sleep": 60}, timeout=0.5)
    with pytest.raises(DriverError) as error:
        create(request)
    assert str(error.value) == "respond.py timed out after 0.5s"


def test_timeout_kills_the_whole_process_group(cmd_request: Any, tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    command = ["./spawn_and_hang.sh", str(pid_file)]
    with pytest.raises(DriverError, match=r"^spawn_and_hang\.sh timed out after 0\.5s$"):
        create(cmd_request(inputs={"command": command, "timeout": "0.5s"}))
    assert process_exits(int(pid_file.read_text()))


BAD_INPUTS = [
    ({}, "input 'command' must be a non-empty list of strings, e.g. [\"./run\"]"),
    ({"command": []}, "input 'command' must be a non-empty list of strings, e.g. [\"./run\"]"),
    ({"command": "./run"}, "input 'command' must be a non-empty list of strings, e.g. [\"./run\"]"),
    (
        {"command": ["./run", 1]},
        "input 'command' must be a non-empty list of strings, e.g. [\"./run\"]",
    ),
    (
        {"command": RESPOND, "timeout": "soon"},
        'input \'timeout\': \'soon\' is not a duration (write e.g. "30s", "5m", "1h")',
    ),
    (
        {"command": RESPOND, "timeout": True},
        'input \'timeout\' must be a duration such as "30s" or "5m"',
    ),
    ({"command": RESPOND, "timeout": "0s"}, "input 'timeout' must be longer than zero"),
    ({"command": ["./missing.sh"]}, "cannot run missing.sh: No such file or directory"),
    ({"command": ["respond.py"]}, "cannot run respond.py: No such file or directory"),  # PATH only
]


@pytest.mark.parametrize(("inputs", "message"), BAD_INPUTS)
def test_bad_inputs_fail_before_anything_runs(
    cmd_request: Any, inputs: dict[str, Any], message: str
) -> None:
    with pytest.raises(DriverError) as error:
        create(cmd_request(inputs=inputs))
    assert str(error.value) == message


def test_a_bare_number_timeout_is_seconds(cmd_request: Any) -> None:
    request = cmd_request(inputs={"command": RESPOND, "sleep": 60, "timeout": 0.5})
    with pytest.raises(DriverError, match=r"timed out after 0\.5s$"):
        create(request)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("250ms", 0.25),
        ("1m30s", 90.0),
        ("1.5m", 90.0),
        ("2h0m1s", 7201.0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "m", "5 m", "5x", "-5s", "5s junk"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(DriverError) as error:
        parse_duration(text)
    assert str(error.value) == (
        f'input \'timeout\': {text!r} is not a duration (write e.g. "30s", "5m", "1h")'
    )


def test_program_path_is_not_resolved_against_the_caller_directory(
    cmd_request: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(PROGRAMS)  # ./provision.sh exists here, but not in source_dir
    with pytest.raises(DriverError, match=r"^cannot run provision\.sh: No such file"):
        create(cmd_request(inputs={"command": ["./provision.sh"]}, source_dir=tmp_path))


def test_replace_inputs_is_empty() -> None:
    assert CmdDriver.replace_inputs == frozenset()
