"""Apply-time placeholders: fill the plan form with outputs and environment variables.

The plan form (see `compiler/passes/evaluate.py`) leaves two kinds of placeholder for
apply: `${resources['<uid>'].outputs.KEY...}` and `${env.NAME}`. A value resolved here
knows whether it embeds a secret (a secret output, or anything in a `secrets` block),
because a string that embeds a secret is itself secret (SPEC §4).

>>> outputs = Outputs()
>>> outputs.put("dns.default#x", {"host": "x.example.com"}, {"token": "t0ps3cret"})
>>> resolve_value("https://${resources['dns.default#x'].outputs.host}/", outputs)
Resolved(value='https://x.example.com/', sensitive=False)
>>> resolve_value("${resources['dns.default#x'].outputs.token}", outputs).sensitive
True
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchc.compiler.placeholders import Placeholder, PlaceholderError, parse_template


class ResolveError(Exception):
    """A placeholder that cannot be filled in; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Resolved:
    value: Any
    sensitive: bool = False


class Outputs:
    """The outputs of every resource known so far in this run, by uid."""

    def __init__(self) -> None:
        self._values: dict[str, dict[str, Any]] = {}
        self._secrets: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def put(self, uid: str, values: Mapping[str, Any], secrets: Mapping[str, Any]) -> None:
        with self._lock:
            self._values[uid] = dict(values)
            self._secrets[uid] = dict(secrets)

    def get(self, uid: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        with self._lock:
            if uid not in self._values:
                return None
            return self._values[uid], self._secrets[uid]

    def lookup(self, uid: str, path: tuple[str, ...]) -> Resolved:
        known = self.get(uid)
        if known is None:
            raise ResolveError(f"resource '{uid}' has no outputs (it was not provisioned)")
        values, secrets = known
        key = path[0]
        if key in secrets:
            return Resolved(_walk(secrets[key], path, uid), sensitive=True)
        if key in values:
            return Resolved(_walk(values[key], path, uid))
        names = ", ".join(sorted({*values, *secrets})) or "none"
        raise ResolveError(f"resource '{uid}' has no output '{key}' (its outputs: {names})")


def _walk(value: Any, path: tuple[str, ...], uid: str) -> Any:
    for depth, key in enumerate(path[1:], start=1):
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            where = ".".join(path[: depth + 1])
            raise ResolveError(f"output '{where}' of resource '{uid}' does not exist")
    return value


def _placeholder(placeholder: Placeholder, outputs: Outputs) -> Resolved:
    if placeholder.root == "env":
        name = ".".join(placeholder.path)
        if name not in os.environ:
            raise ResolveError(f"environment variable {name} is not set")
        return Resolved(os.environ[name])
    if placeholder.root == "resources" and placeholder.ref is not None:
        ref = placeholder.ref
        uid = f"{ref.type}.{ref.class_}#{ref.id}"
        return outputs.lookup(uid, placeholder.path)
    raise ResolveError(f"placeholder '${{{placeholder.root}...}}' cannot be resolved at apply time")


def resolve_string(text: str, outputs: Outputs) -> Resolved:
    try:
        template = parse_template(text)
    except PlaceholderError as error:
        raise ResolveError(error.message) from None
    if len(template) == 1 and isinstance(template[0], Placeholder):
        return _placeholder(template[0], outputs)
    pieces: list[str] = []
    sensitive = False
    for segment in template:
        if isinstance(segment, str):
            pieces.append(segment)
            continue
        found = _placeholder(segment, outputs)
        sensitive = sensitive or found.sensitive
        value = found.value
        pieces.append(value if isinstance(value, str) else json.dumps(value, sort_keys=True))
    return Resolved("".join(pieces), sensitive)


def resolve_value(value: Any, outputs: Outputs) -> Resolved:
    """Resolve every string inside a plan-form JSON value."""
    if isinstance(value, str):
        return resolve_string(value, outputs) if "$" in value else Resolved(value)
    if isinstance(value, list):
        items = [resolve_value(item, outputs) for item in value]
        return Resolved([i.value for i in items], any(i.sensitive for i in items))
    if isinstance(value, dict):
        entries = {key: resolve_value(item, outputs) for key, item in value.items()}
        return Resolved(
            {k: e.value for k, e in entries.items()}, any(e.sensitive for e in entries.values())
        )
    return Resolved(value)


def resolve_mapping(
    values: Mapping[str, Any], outputs: Outputs
) -> tuple[dict[str, Any], frozenset[str]]:
    """Resolve a mapping key by key: the values, and the keys whose value is secret."""
    resolved: dict[str, Any] = {}
    sensitive: set[str] = set()
    for key, value in values.items():
        try:
            found = resolve_value(value, outputs)
        except ResolveError as error:
            raise ResolveError(f"{key}: {error}") from None
        resolved[key] = found.value
        if found.sensitive:
            sensitive.add(key)
    return resolved, frozenset(sensitive)
