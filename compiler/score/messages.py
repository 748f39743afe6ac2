"""Turns pydantic validation errors on a Score document into orchc's words.

Each error becomes a `Problem`: a message that starts with the dotted path of what is
wrong (`containers.web.image: expected a string, got an integer`), the JSON path to
locate in the YAML, and whether the caret belongs on the key rather than the value
(unknown keys, invalid names). Values are echoed only where they are names, quantities
or modes; a variable's value might be a password someone pasted.

>>> from pydantic import ValidationError
>>> from orchc.compiler.score.model import ScoreDocument
>>> try:
...     ScoreDocument.model_validate({"apiVersion": "score.dev/v1b1",
...         "metadata": {"name": "web"}, "containers": {"main": {"imag": "nginx"}}})
... except ValidationError as error:
...     for problem in problems(error):
...         print(problem.message)
containers.main: missing required key 'image'
containers.main: unknown key 'imag'; did you mean 'image'?
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from . import model
from .model import LIST_FORM, MAP_FORM, ScoreDocument

JsonPath = tuple[str | int, ...]

_PATTERNS = {
    model.LABEL_PATTERN: "a lowercase RFC 1123 label (2-63 characters of a-z, 0-9 and '-',"
    " starting and ending with a letter or digit)",
    model.TYPE_PATTERN: "2-63 characters of A-Z, a-z, 0-9 and '-', starting and ending with"
    " a letter or digit",
    model.ID_PATTERN: "dot-separated labels of a-z, 0-9 and '-' (2-63 characters)",
    model.ANNOTATION_PATTERN: "an annotation key (an optional DNS prefix and '/', then"
    " letters, digits, '.', '_' and '-')",
    model.MEMORY_PATTERN: "a memory quantity such as 128M or 1.5Gi",
    model.CPU_PATTERN: "a CPU quantity such as 2, 0.5 or 125m",
    model.MODE_PATTERN: "an octal file mode such as 0644",
    model.HEADER_PATTERN: "an HTTP header name (letters, digits, '_' and '-')",
    model.VARIABLE_PATTERN: "a variable name (without '=')",
}
_KEY_NOUNS = {
    "containers": "container name",
    "before": "container name",
    "resources": "resource name",
    "ports": "port name",
    "annotations": "annotation key",
    "variables": "variable name",
}
_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "bool_type": "a boolean (true or false)",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
}
_BARE = re.compile(r"^[A-Za-z0-9_-]+\Z")


@dataclass(frozen=True, slots=True)
class Problem:
    path: JsonPath
    message: str
    at_key: bool = False


def problems(error: ValidationError) -> Iterator[Problem]:
    """One `Problem` per pydantic error, in pydantic's order."""
    for details in error.errors(include_url=False):
        yield describe(details)


def describe(details: ErrorDetails) -> Problem:
    loc = clean_loc(details["loc"])
    if loc and loc[-1] == "[key]":
        return _key_problem(loc[:-1], details)
    kind = details["type"]
    if kind == "missing":
        return Problem(loc[:-1], f"{_prefix(loc[:-1])}missing required key '{loc[-1]}'")
    if kind == "extra_forbidden":
        return Problem(loc, f"{_prefix(loc[:-1])}{_unknown_key(loc)}", at_key=True)
    return Problem(loc, f"{dotted(loc)}: {_value_problem(details)}")


def clean_loc(loc: tuple[str | int, ...]) -> JsonPath:
    """Drop the tags pydantic adds after `files`/`volumes` for their two forms."""
    cleaned = list(loc)
    for index in range(len(cleaned) - 1, 1, -1):
        tagged = cleaned[index] in (LIST_FORM, MAP_FORM)
        if tagged and cleaned[index - 1] in ("files", "volumes") and cleaned[0] == "containers":
            del cleaned[index]
    return tuple(cleaned)


def dotted(path: JsonPath) -> str:
    """`containers.web.files["/etc/app.conf"].mode`

    >>> dotted(("containers", "web", "files", "/etc/app.conf", "mode"))
    'containers.web.files["/etc/app.conf"].mode'
    >>> dotted(("containers", "web", "command", 0))
    'containers.web.command[0]'
    """
    text = ""
    for segment in path:
        if isinstance(segment, int):
            text += f"[{segment}]"
        elif _BARE.match(segment):
            text += f".{segment}" if text else segment
        else:
            text += f"[{json.dumps(segment, ensure_ascii=False)}]"
    return text


def _prefix(path: JsonPath) -> str:
    return f"{dotted(path)}: " if path else ""


def _unknown_key(loc: JsonPath) -> str:
    key = str(loc[-1])
    allowed = _allowed_keys(loc[:-1])
    where = "unknown key" if len(loc) > 1 else "unknown top-level key"
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"{where} '{key}'; did you mean '{close[0]}'?"
    return f"{where} '{key}' (expected one of: {', '.join(allowed)})" if allowed else where


def _key_problem(path: JsonPath, details: ErrorDetails) -> Problem:
    parent = path[-2] if len(path) > 1 else ""
    noun = _KEY_NOUNS.get(str(parent), "key")
    what = f"invalid {noun} '{short(path[-1])}'"
    return Problem(path, f"{_prefix(path[:-1])}{what}: {_key_expectation(details)}", at_key=True)


def _key_expectation(details: ErrorDetails) -> str:
    ctx = details.get("ctx", {})
    if details["type"] == "string_pattern_mismatch":
        return f"expected {_PATTERNS.get(ctx.get('pattern', ''), 'a different form')}"
    if details["type"] == "string_type":
        return "keys must be strings"
    return _length_problem(details)


def _value_problem(details: ErrorDetails) -> str:
    kind, ctx, value = details["type"], details.get("ctx", {}), details.get("input")
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {kind_of(value)}{_quote_hint(kind, value)}"
    if kind == "string_pattern_mismatch":
        pattern = _PATTERNS.get(ctx.get("pattern", ""), f"matching {ctx.get('pattern')}")
        return f"'{short(value)}' is not {pattern}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}"
    if kind in ("greater_than_equal", "less_than_equal"):
        return "must be between 1 and 65535"
    if kind == "too_short" and ctx.get("min_length") == 1:
        return "must not be empty (a workload needs at least one container)"
    if kind in ("string_too_short", "string_too_long", "too_short"):
        return _length_problem(details)
    if kind == "null":
        return "expected a value, got null"
    return details["msg"]


def _length_problem(details: ErrorDetails) -> str:
    ctx = details.get("ctx", {})
    if "max_length" in ctx:
        return f"must be at most {ctx['max_length']} characters long"
    return f"must be at least {ctx.get('min_length')} characters long"


def kind_of(value: object) -> str:
    for kind, name in (
        (bool, "a boolean"),
        (int, "an integer"),
        (float, "a number"),
        (str, "a string"),
        (dict, "a mapping"),
        (list, "a list"),
    ):
        if isinstance(value, kind):
            return name
    return "null" if value is None else type(value).__name__


def _quote_hint(kind: str, value: object) -> str:
    if kind == "string_type" and isinstance(value, bool | int | float):
        return " (quote it to make it a string)"
    return ""


def short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 70 else text[:67] + "..."


def _allowed_keys(path: JsonPath) -> list[str]:
    found = _model_at(path)
    if found is None:
        return []
    return sorted(field.alias or name for name, field in found.model_fields.items())


def _model_at(path: JsonPath) -> type[BaseModel] | None:
    current: object = ScoreDocument
    for segment in path:
        current = _step(current, segment)
    return _as_model(_strip(current))


def _step(annotation: object, segment: str | int) -> object:
    annotation = _strip(annotation)
    model_class = _as_model(annotation)
    if model_class is not None:
        for name, field in model_class.model_fields.items():
            if segment in (name, field.alias):
                return field.annotation
        return None
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        steps = (_step(arg, segment) for arg in args)
        return next((step for step in steps if step is not None), None)
    if origin is dict and isinstance(segment, str):
        return args[1]
    if origin is list and isinstance(segment, int):
        return args[0]
    return None


def _strip(annotation: object) -> object:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _as_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):  # `Model | None`
        found = (_as_model(_strip(arg)) for arg in typing.get_args(annotation))
        return next((model for model in found if model is not None), None)
    return None
