"""Value-level changes (SPEC §10): what a reviewer must see of an update, a replace or a
changed workload — each changed path with its value before and after.

A change is `{"path": "inputs.host", "before": ..., "after": ...}`; a path that did
not exist before has no `before` key, one that no longer exists has no `after` key.
Paths name mapping keys with dots (`inputs.labels.owner`), or with brackets when a key
is not a plain name (`inputs.labels["cost.center"]`), and list items by index
(`inputs.tags[1]`); lists of different lengths change as a whole. A secret is never a
value here: its change is `"(sensitive)"` on both sides. Changes are sorted by path,
so equal inputs give byte-equal plans.

>>> before, after = {"host": "a", "port": 1}, {"host": "b", "port": 1}
>>> [c.to_json() for c in value_changes(before, after, "inputs")]
[{'path': 'inputs.host', 'before': 'a', 'after': 'b'}]
>>> [c.path for c in value_changes({}, {"tags": ["x"], "a.b": 1}, "inputs")]
['inputs.tags', 'inputs["a.b"]']
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orchc.sensitive import SENSITIVE

from .state import StateResource, StateWorkload

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\Z")


class _Absent:
    """The value of a path that does not exist on one side."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    before: Any = ABSENT
    after: Any = ABSENT

    @property
    def added(self) -> bool:
        return self.before is ABSENT

    @property
    def removed(self) -> bool:
        return self.after is ABSENT

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path}
        if not self.added:
            data["before"] = self.before
        if not self.removed:
            data["after"] = self.after
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        return cls(str(data["path"]), data.get("before", ABSENT), data.get("after", ABSENT))


def child_path(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    name = key if _PLAIN_KEY.match(key) else json.dumps(key, ensure_ascii=False)
    if not prefix:
        return name
    return f"{prefix}.{name}" if _PLAIN_KEY.match(key) else f"{prefix}[{name}]"


def value_changes(before: Any, after: Any, path: str) -> list[Change]:
    """Every leaf that differs between `before` and `after`, sorted by path."""
    return sorted(_walk(before, after, path), key=lambda change: change.path)


def same(before: Any, after: Any) -> bool:
    """Equal as JSON values: `1`, `1.0` and `true` differ, as they do in a plan file."""
    if type(before) is not type(after):
        return False
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(same(before[k], after[k]) for k in before)
    if isinstance(before, list):
        return len(before) == len(after) and all(map(same, before, after))
    return bool(before == after)


def _walk(before: Any, after: Any, path: str) -> Iterator[Change]:
    if same(before, after):
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(before.keys() | after.keys()):
            yield from _walk(before.get(key, ABSENT), after.get(key, ABSENT), child_path(path, key))
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            yield from _walk(old, new, child_path(path, index))
    else:
        yield Change(path, before, after)


def secret_changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any], path: str = "secrets"
) -> list[Change]:
    """Changes of secrets, keyed by name, compared by where their value comes from
    (`before`/`after` map a name to its source, never to a value). `before` is None
    when the state did not record the sources: then only nothing is known."""
    if before is None:
        return []
    changed = [k for k in before.keys() | after.keys() if before.get(k) != after.get(k)]
    return [
        Change(
            child_path(path, key),
            SENSITIVE if key in before else ABSENT,
            SENSITIVE if key in after else ABSENT,
        )
        for key in sorted(changed)
    ]


def changes_json(changes: list[Change]) -> list[dict[str, Any]]:
    return [change.to_json() for change in sorted(changes, key=lambda c: c.path)]


def changes_from_json(data: Sequence[Mapping[str, Any]]) -> list[Change]:
    return [Change.from_json(item) for item in data]


@dataclass(frozen=True, slots=True)
class Wanted:
    """What the plan wants of a resource, in the form the state records it."""

    definition: str
    driver: str
    inputs: Mapping[str, Any]
    params: Mapping[str, Any]
    secret_sources: Mapping[str, Any]


def resource_changes(known: StateResource, wanted: Wanted) -> list[Change]:
    """What changed of a resource since the state's record of its last apply: the
    definition, the driver, the plan-form inputs and (when recorded) params and the
    sources of its secrets."""
    changes = value_changes(
        {"definition": known.definition, "driver": known.driver, "inputs": known.inputs},
        {"definition": wanted.definition, "driver": wanted.driver, "inputs": wanted.inputs},
        "",
    )
    if known.params is not None:
        changes += value_changes(known.params, dict(wanted.params), "params")
    changes += secret_changes(known.secret_sources, wanted.secret_sources)
    return sorted(changes, key=lambda change: change.path)


def workload_changes(
    known: StateWorkload, spec: Mapping[str, Any], resources: Mapping[str, str]
) -> list[Change]:
    """The paths of a workload's Score spec (and its resource bindings) that changed
    since the last apply; nothing when the state has no spec (applied by an orchc that
    did not record it)."""
    if known.spec is None:
        return []
    return value_changes(
        {"spec": known.spec, "resources": known.resources or {}},
        {"spec": dict(spec), "resources": dict(resources)},
        "",
    )
