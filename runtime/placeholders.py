"""Apply-time placeholders: fill the plan form with outputs and environment variables.

The plan form (see `compiler/evaluate.py`) leaves two kinds of placeholder for apply:
`${resources['<uid>'].outputs.KEY...}` and `${env.NAME}`; this module *fills* them (the
compiler's `build_ir` and `evaluate` never see them). A value filled here
knows whether it embeds a secret (a secret output, or anything in a `secrets` block),
because a string that embeds a secret is itself secret (SPEC §4).

>>> outputs = Outputs()
>>> dns = ResourceUid("dns", "default", "x")
>>> outputs.put(dns, {"host": "x.example.com"}, {"token": "t0ps3cret"})
>>> fill_value("https://${resources['dns.default#x'].outputs.host}/", outputs)
Filled(value='https://x.example.com/', sensitive=False)
>>> fill_value("${resources['dns.default#x'].outputs.token}", outputs).sensitive
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
from orchc.compiler.uid import ResourceUid


class FillError(Exception):
    """A placeholder that cannot be filled in; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Filled:
    value: Any
    sensitive: bool = False


class Outputs:
    """The outputs of every resource known so far in this run, by uid."""

    def __init__(self) -> None:
        self._values: dict[ResourceUid, dict[str, Any]] = {}
        self._secrets: dict[ResourceUid, dict[str, Any]] = {}
        self._variables_of: dict[ResourceUid, str] = {}  # see `put`
        self._lock = threading.Lock()

    def put(
        self,
        uid: ResourceUid,
        values: Mapping[str, Any],
        secrets: Mapping[str, Any],
        variables_of: str | None = None,
    ) -> None:
        """`variables_of`: the definition (`'name' (file:line)`) of a resource whose
        outputs are environment variables (the `environment` driver), so that an output
        it did not return is explained (`drivers/environment_sources.py`)."""
        with self._lock:
            self._values[uid] = dict(values)
            self._secrets[uid] = dict(secrets)
            if variables_of is not None:
                self._variables_of[uid] = variables_of

    def get(self, uid: ResourceUid) -> tuple[dict[str, Any], dict[str, Any]] | None:
        with self._lock:
            if uid not in self._values:
                return None
            return self._values[uid], self._secrets[uid]

    def lookup(self, uid: ResourceUid, path: tuple[str, ...]) -> Filled:
        known = self.get(uid)
        if known is None:
            raise FillError(f"resource '{uid}' has no outputs (it was not provisioned)")
        values, secrets = known
        key = path[0]
        if key in secrets:
            return Filled(_walk(secrets[key], path, uid), sensitive=True)
        if key in values:
            return Filled(_walk(values[key], path, uid))
        if uid in self._variables_of:
            from orchc.drivers.environment_sources import unset_at_apply

            raise FillError(unset_at_apply(str(uid), key, self._variables_of[uid]))
        names = ", ".join(sorted({*values, *secrets})) or "none"
        raise FillError(f"resource '{uid}' has no output '{key}' (its outputs: {names})")


def _walk(value: Any, path: tuple[str, ...], uid: ResourceUid) -> Any:
    for depth, key in enumerate(path[1:], start=1):
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            where = ".".join(path[: depth + 1])
            raise FillError(f"output '{where}' of resource '{uid}' does not exist")
    return value


def _placeholder(placeholder: Placeholder, outputs: Outputs) -> Filled:
    if placeholder.root == "env":
        name = ".".join(placeholder.path)
        if name not in os.environ:
            raise FillError(f"environment variable {name} is not set")
        return Filled(os.environ[name])
    if placeholder.root == "resources" and placeholder.ref is not None:
        ref = placeholder.ref
        if ref.class_ is None or ref.id is None:  # the plan form always names all three
            raise FillError(f"placeholder '${{resources...}}' names no whole uid: {ref.type}")
        return outputs.lookup(ResourceUid(ref.type, ref.class_, ref.id), placeholder.path)
    raise FillError(f"placeholder '${{{placeholder.root}...}}' cannot be filled at apply time")


def fill_string(text: str, outputs: Outputs) -> Filled:
    try:
        template = parse_template(text)
    except PlaceholderError as error:
        raise FillError(error.message) from None
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
    return Filled("".join(pieces), sensitive)


def fill_value(value: Any, outputs: Outputs) -> Filled:
    """Fill every placeholder inside a plan-form JSON value."""
    if isinstance(value, str):
        return fill_string(value, outputs) if "$" in value else Filled(value)
    if isinstance(value, list):
        items = [fill_value(item, outputs) for item in value]
        return Filled([i.value for i in items], any(i.sensitive for i in items))
    if isinstance(value, dict):
        entries = {key: fill_value(item, outputs) for key, item in value.items()}
        return Filled(
            {k: e.value for k, e in entries.items()}, any(e.sensitive for e in entries.values())
        )
    return Filled(value)


def fill_mapping(
    values: Mapping[str, Any], outputs: Outputs
) -> tuple[dict[str, Any], frozenset[str]]:
    """Fill a mapping key by key: the values, and the keys whose value is secret."""
    filled: dict[str, Any] = {}
    sensitive: set[str] = set()
    for key, value in values.items():
        try:
            found = fill_value(value, outputs)
        except FillError as error:
            raise FillError(f"{key}: {error}") from None
        filled[key] = found.value
        if found.sensitive:
            sensitive.add(key)
    return filled, frozenset(sensitive)
