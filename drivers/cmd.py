"""The `cmd` driver: a resource provisioned by an external program.

The program is the input `command` (an argv list), run in the directory of the .orch file
that declares the definition, so `./provision.sh` is found beside it. It reads one JSON
request on stdin (`action`, `uid`, `type`, `class`, `id`, `guid`, `context`, `params`,
`metadata` (the Score resource's), `inputs`, `secrets`, `state`) and writes one JSON
object on stdout with any of `outputs`, `secrets`, `state` and `manifests`. The result
is decoded strictly - unknown keys, trailing text, duplicate keys or a non-object are
failures - because a typo in a program's result must not silently drop an output. For
`delete`, empty stdout means `{}`.

A non-zero exit fails with the exit code and the tail of stderr; a program still running
after `timeout` (input, default 5m; the definition's policy timeout wins when smaller)
is stopped with its whole process group. No message ever quotes stdout, and the stderr
tail is scrubbed of every secret the request carries.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, ClassVar, NoReturn

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from orchc.drivers._process import run_process
from orchc.drivers.protocol import DriverError, DriverRequest, DriverResult, Journal

DEFAULT_TIMEOUT = "5m"
MAX_MESSAGE_CHARS = 4000
"""A program may print megabytes on one stderr line; a message stays readable."""

# What the program sees of the request (field names; `class_` is dumped as "class").
# Paths, the definition id and the policy stay private to orchc.
_REQUEST_FIELDS = {
    *("action", "uid", "type", "class_", "id", "guid", "context"),
    *("params", "metadata", "inputs", "secrets", "state"),
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class CmdDriver:
    """Runs the definition's program once per operation."""

    replace_inputs: ClassVar[frozenset[str]] = frozenset()

    def create(self, request: DriverRequest, journal: Journal) -> DriverResult:
        result = _run(request)
        return DriverResult.model_validate(result.model_dump())

    def delete(self, request: DriverRequest, journal: Journal) -> None:
        _run(request)


class ProgramResult(BaseModel):
    """What a program may write on stdout: every key optional, no other key allowed,
    no coercion (a list where an object belongs is an error, not an empty object)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    outputs: dict[str, Any] = {}
    secrets: dict[str, Any] = {}
    state: dict[str, Any] = {}
    manifests: list[dict[str, Any]] = []


def _run(request: DriverRequest) -> ProgramResult:
    argv = _command(request)
    label = Path(argv[0]).name
    try:
        completed = run_process(
            argv,
            cwd=request.source_dir,
            stdin=_request_json(request),
            timeout=_timeout_seconds(request),
            label=label,
            redact_values=request.secret_values(),
        )
    except DriverError as error:
        raise DriverError(_bounded(str(error))) from None
    allow_empty = request.action == "delete"
    return parse_result(completed.stdout, label=label, allow_empty=allow_empty)


def parse_result(stdout: bytes, *, label: str, allow_empty: bool = False) -> ProgramResult:
    """The program's stdout decoded strictly; never quotes what it wrote, which may
    hold secrets.

    >>> parse_result(b'{"outputs": {"host": "h"}}', label="p").outputs
    {'host': 'h'}
    >>> parse_result(b'{"output": {}}', label="p")
    Traceback (most recent call last):
    ...
    orchc.drivers.protocol.DriverError: p wrote an invalid result on stdout: \
unknown key 'output' (expected: manifests, outputs, secrets, state)
    """
    text = _decode(stdout, label)
    if not text.strip():
        if allow_empty:
            return ProgramResult()
        _invalid(label, "it wrote nothing (write at least {})")
    document = _load_json(text, label)
    if not isinstance(document, dict):
        _invalid(label, f"expected one JSON object, got {_json_kind(document)}")
    try:
        return ProgramResult.model_validate(document)
    except ValidationError as error:
        _invalid(label, "; ".join(_describe(detail) for detail in error.errors()))


def parse_duration(text: str) -> float:
    """Seconds in a duration like "30s", "5m", "1h", "500ms" or "1m30s".

    >>> parse_duration("1m30s"), parse_duration("0.5s"), parse_duration("250ms")
    (90.0, 0.5, 0.25)
    """
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise DriverError(
            f'input \'timeout\': {text!r} is not a duration (write e.g. "30s", "5m", "1h")'
        )
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def _command(request: DriverRequest) -> list[str]:
    command = request.inputs.get("command")
    if (
        not isinstance(command, list)
        or not command
        or not all(isinstance(arg, str) for arg in command)
    ):
        raise DriverError("input 'command' must be a non-empty list of strings, e.g. [\"./run\"]")
    program = command[0]
    # Resolved here, not left to the OS: how exec treats a relative path under a new
    # working directory differs between platforms.
    if "/" in program and not Path(program).is_absolute():
        program = str(request.source_dir / program)
    return [program, *command[1:]]


def _timeout_seconds(request: DriverRequest) -> float:
    value = request.inputs.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(value, str):
        seconds = parse_duration(value.strip())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)  # a bare number is seconds
    else:
        raise DriverError('input \'timeout\' must be a duration such as "30s" or "5m"')
    if seconds <= 0:
        raise DriverError("input 'timeout' must be longer than zero")
    return seconds if request.timeout is None else min(seconds, request.timeout)


def _request_json(request: DriverRequest) -> bytes:
    document = request.model_dump(mode="json", by_alias=True, include=_REQUEST_FIELDS)
    return json.dumps(document, sort_keys=True, ensure_ascii=False).encode()


def _decode(stdout: bytes, label: str) -> str:
    try:
        return stdout.decode("utf-8")
    except UnicodeDecodeError as error:
        _invalid(label, f"stdout is not UTF-8 (byte {error.start})")


def _load_json(text: str, label: str) -> object:
    try:
        return json.loads(text, object_pairs_hook=_refuse_duplicates, parse_constant=_refuse)
    except json.JSONDecodeError as error:
        _invalid(label, f"not JSON: {error}")
    except ValueError as error:
        _invalid(label, str(error))


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f"key {key!r} appears twice in one object")
        document[key] = value
    return document


def _refuse(constant: str) -> NoReturn:
    raise ValueError(f"{constant} is not a JSON value")


def _describe(detail: ErrorDetails) -> str:
    where = ".".join(str(part) for part in detail["loc"])
    if detail["type"] == "extra_forbidden":
        expected = ", ".join(sorted(ProgramResult.model_fields))
        return f"unknown key {where!r} (expected: {expected})"
    return f"{where!r}: {detail['msg']}"


def _invalid(label: str, problem: str) -> NoReturn:
    raise DriverError(f"{label} wrote an invalid result on stdout: {problem}")


def _json_kind(value: object) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return next((kind for cls, kind in kinds.items() if isinstance(value, cls)), "a number")


def _bounded(message: str) -> str:
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    head, _, _ = message.partition("\n")
    return f"{head}\n  ... (cut)\n{message[-MAX_MESSAGE_CHARS:]}"
