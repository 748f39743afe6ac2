"""The shape of a `workload` resource's `patches` (SPEC §12), one rule for plan and apply.

`patches` is a list of mappings `{op, path, value, kind}`: `op` one of `add`, `replace`,
`remove`, `merge`; `path` a JSON pointer (empty, or starting with `/`); `value`
required except for `remove`; `kind` (optional) the Kubernetes kind to patch. The plan
checks definitions whose value is known (the `static` driver) at their .orch line; apply
checks what any driver returned before the target renders anything.

>>> patch_problems([{"op": "add", "path": "/spec/replicas", "value": 2}])
[]
>>> for problem in patch_problems([{"op": "set", "path": "spec.replicas"}, "x"]):
...     print(problem)
patch 1: op 'set' is not one of add, replace, remove, merge
patch 1: path 'spec.replicas' is not a JSON pointer (empty, or starting with '/')
patch 2 is a string, not a mapping
"""

from __future__ import annotations

from typing import Any

PATCH_OPERATIONS = ("add", "replace", "remove", "merge")
PATCH_KEYS = ("op", "path", "value", "kind")


def patch_problems(patches: Any, resolved: bool = False) -> list[str]:
    """What is wrong with `patches` (none when it is a list of well-formed patches).
    Unless `resolved` (apply), strings holding a `${...}` placeholder are left to apply."""
    if not isinstance(patches, list):
        return [f"patches must be a list of {{op, path, value, kind}}, not {_kind(patches)}"]
    problems: list[str] = []
    for position, patch in enumerate(patches, start=1):
        problems.extend(_problems(position, patch, resolved))
    return problems


def _problems(position: int, patch: Any, resolved: bool) -> list[str]:
    if not isinstance(patch, dict):
        return [f"patch {position} is {_kind(patch)}, not a mapping"]
    where = f"patch {position}"
    problems = [
        f"{where}: unknown key {key!r} (a patch has {', '.join(PATCH_KEYS)})"
        for key in sorted(patch)
        if key not in PATCH_KEYS
    ]
    op, path = patch.get("op"), patch.get("path")
    if op is None or path is None:
        problems.append(f"{where}: op and path are required")
    if isinstance(op, str) and op not in PATCH_OPERATIONS and (resolved or not _later(op)):
        problems.append(f"{where}: op {op!r} is not one of {', '.join(PATCH_OPERATIONS)}")
    elif op is not None and not isinstance(op, str):
        problems.append(f"{where}: op must be a string")
    problems.extend(_path_problems(where, path, resolved))
    if op in ("add", "replace", "merge") and "value" not in patch:
        problems.append(f"{where}: add, replace and merge need a value")
    kind = patch.get("kind")
    if kind is not None and not isinstance(kind, str):
        problems.append(f"{where}: kind must be a string (a Kubernetes kind)")
    return problems


def _path_problems(where: str, path: Any, resolved: bool) -> list[str]:
    if path is None or (isinstance(path, str) and (path == "" or path.startswith("/"))):
        return []
    if isinstance(path, str):
        if _later(path) and not resolved:
            return []
        return [f"{where}: path {path!r} is not a JSON pointer (empty, or starting with '/')"]
    return [f"{where}: path must be a string (a JSON pointer)"]


def _later(text: str) -> bool:
    """A value only apply knows (a placeholder): checked then."""
    return "${" in text


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    names = {str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    names |= {list: "a list", dict: "a mapping"}
    return next((n for t, n in names.items() if isinstance(value, t)), "a value")
