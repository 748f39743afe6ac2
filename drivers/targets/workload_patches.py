"""Workload patches (SPEC §12): the `patches` a `workload` resource returns, applied to
what a target rendered for that workload.

Each patch is `{op, path, value, kind}`: `add`, `replace` and `remove` follow JSON Patch
(RFC 6902) on a JSON Pointer (RFC 6901: `/a/b`, `~1` for `/`, `~0` for `~`, `-` for the
end of a list); `merge` is a JSON Merge Patch (RFC 7386) of `value` into what is at
`path` (a missing target is created, `null` members remove keys). A `*` token inside
the path (not the last) stands for every item of a list or mapping there, so one patch
reaches every container. Kubernetes targets
patch the workload's objects of `kind` (default the Deployment); Compose targets patch
each service of the workload and ignore `kind`. Patches apply in order, each to the
result of the one before; a patch that cannot apply, or that would change an object's
`kind`, raises `PatchError`, naming it.

>>> deployment = {"kind": "Deployment", "spec": {"replicas": 1}}
>>> apply_patches([deployment], [WorkloadPatch(op="replace", path="/spec/replicas",
...     value=3)], "Deployment", "workload 'web'")
>>> deployment["spec"]
{'replicas': 3}
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

from orchc.drivers.protocol import DriverError, JsonObject, WorkloadPatch

OPERATIONS = ("add", "replace", "remove", "merge")


class PatchError(DriverError):
    """A patch that cannot apply; the message names the workload, the patch and where
    it came from."""


def apply_patches(
    objects: Iterable[JsonObject],
    patches: Sequence[WorkloadPatch],
    default_kind: str | None,
    owner: str,
) -> None:
    """Apply `patches` in place to `objects`: those of the patch's `kind` (or
    `default_kind`), or all of them when `default_kind` is None (Compose services,
    where `kind` means nothing). A kind none of the objects has patches nothing: one
    platform rule may cover workloads with and without, say, a Service."""
    targets = list(objects)
    for position, patch in enumerate(patches, start=1):
        kind = None if default_kind is None else patch.kind or default_kind
        for obj in targets:
            if kind is not None and obj.get("kind") != kind:
                continue
            try:
                patched = apply_patch(obj, patch)
                _same_kind(obj, patched)
            except ValueError as error:
                raise PatchError(_describe(owner, position, patch, error)) from None
            obj.clear()
            obj.update(patched)


def _same_kind(before: JsonObject, after: JsonObject) -> None:
    """A patch edits an object, it does not make it another kind: the target files a
    Secret apart (mode 0600, refused by gitops unless asked) by its kind, so a Secret
    turned ConfigMap would be written in clear, and an object without one is no object."""
    if after.get("kind") != before.get("kind"):
        raise ValueError(f"a patch cannot change the object's kind ({before.get('kind')})")


def apply_patch(document: JsonObject, patch: WorkloadPatch) -> JsonObject:
    """`document` with `patch` applied (a copy); `ValueError` says why it cannot apply.

    >>> apply_patch({"a": {"b": 1}}, WorkloadPatch(op="merge", path="/a",
    ...     value={"b": None, "c": 2}))
    {'a': {'c': 2}}
    >>> apply_patch({"a": [1, 2]}, WorkloadPatch(op="add", path="/a/-", value=3))
    {'a': [1, 2, 3]}
    >>> apply_patch({"a": 1}, WorkloadPatch(op="remove", path="/b"))
    Traceback (most recent call last):
    ...
    ValueError: /b does not exist
    """
    tokens = parse_pointer(patch.path)
    if not tokens:
        return _whole_document(document, patch)
    result = copy.deepcopy(document)
    for concrete in _expand_wildcards(result, tokens):
        parent = _walk(result, concrete[:-1], patch.path)
        _OPERATIONS[patch.op](parent, concrete[-1], patch)
    return result


def _expand_wildcards(document: Any, tokens: list[str]) -> list[list[str]]:
    """The concrete paths of `tokens`, where a `*` token before the last stands for
    every item of the list (or every key of the mapping) at that level, e.g.
    `/spec/template/spec/containers/*/securityContext` for every container. A path
    without `*` is itself.

    >>> _expand_wildcards({"c": [{"n": 1}, {"n": 2}]}, ["c", "*", "n"])
    [['c', '0', 'n'], ['c', '1', 'n']]
    """
    if "*" not in tokens[:-1]:
        return [tokens]
    star = tokens.index("*")
    where = "/" + "/".join(tokens[:star])
    node = _walk(document, tokens[:star], where) if star else document
    keys = [str(i) for i in range(len(node))] if isinstance(node, list) else sorted(node)
    return [
        path
        for key in keys
        for path in _expand_wildcards(document, [*tokens[:star], key, *tokens[star + 1 :]])
    ]


def parse_pointer(pointer: str) -> list[str]:
    """The reference tokens of a JSON Pointer (RFC 6901).

    >>> parse_pointer("/metadata/annotations/example.com~1owner")
    ['metadata', 'annotations', 'example.com/owner']
    >>> parse_pointer("spec")
    Traceback (most recent call last):
    ...
    ValueError: path 'spec' is not a JSON pointer: it must be empty or start with '/'
    """
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(
            f"path {pointer!r} is not a JSON pointer: it must be empty or start with '/'"
        )
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: `patch` merged into `target` (neither is changed).

    >>> merge_patch({"a": 1, "b": {"c": 2}}, {"a": None, "b": {"d": 3}})
    {'b': {'c': 2, 'd': 3}}
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def _whole_document(document: JsonObject, patch: WorkloadPatch) -> JsonObject:
    if patch.op == "merge":
        merged = merge_patch(document, patch.value)
    elif patch.op in ("add", "replace"):
        merged = copy.deepcopy(patch.value)
    else:
        raise ValueError("the whole object cannot be removed")
    if not isinstance(merged, dict):
        raise ValueError("the whole object must stay a mapping")
    return merged


def _walk(document: Any, tokens: list[str], pointer: str) -> Any:
    node = document
    for depth, token in enumerate(tokens, start=1):
        where = "/" + "/".join(tokens[:depth])
        if isinstance(node, dict):
            if token not in node:
                raise ValueError(f"{where} does not exist")
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, where)]
        else:
            raise ValueError(f"{where} is inside {_kind(node)}, not a mapping or a list")
    if not isinstance(node, dict | list):
        raise ValueError(f"the parent of {pointer} is {_kind(node)}, not a mapping or a list")
    return node


def _index(items: list[Any], token: str, where: str, *, end: bool = False) -> int:
    if end and token == "-":
        return len(items)
    if not token.isdigit() or (token != "0" and token.startswith("0")):
        raise ValueError(f"{where}: {token!r} is not a list index")
    index = int(token)
    if index > len(items) or (index == len(items) and not end):
        raise ValueError(f"{where} does not exist (the list has {len(items)} items)")
    return index


def _add(parent: Any, token: str, patch: WorkloadPatch) -> None:
    if isinstance(parent, dict):
        parent[token] = copy.deepcopy(patch.value)
    else:
        parent.insert(_index(parent, token, patch.path, end=True), copy.deepcopy(patch.value))


def _replace(parent: Any, token: str, patch: WorkloadPatch) -> None:
    _require(parent, token, patch.path)
    key = token if isinstance(parent, dict) else _index(parent, token, patch.path)
    parent[key] = copy.deepcopy(patch.value)


def _remove(parent: Any, token: str, patch: WorkloadPatch) -> None:
    _require(parent, token, patch.path)
    key = token if isinstance(parent, dict) else _index(parent, token, patch.path)
    del parent[key]


def _merge(parent: Any, token: str, patch: WorkloadPatch) -> None:
    if isinstance(parent, dict):
        parent[token] = merge_patch(parent.get(token), patch.value)
        return
    index = _index(parent, token, patch.path, end=True)
    current = parent[index] if index < len(parent) else None
    merged = merge_patch(current, patch.value)
    if index < len(parent):
        parent[index] = merged
    else:
        parent.append(merged)


def _require(parent: Any, token: str, pointer: str) -> None:
    if isinstance(parent, dict) and token not in parent:
        raise ValueError(f"{pointer} does not exist")


_OPERATIONS = {"add": _add, "replace": _replace, "remove": _remove, "merge": _merge}


def _describe(owner: str, position: int, patch: WorkloadPatch, error: ValueError) -> str:
    origin = f" from {patch.origin}" if patch.origin else ""
    return f"{owner}: patch {position} ({patch.op} {patch.path!r}){origin}: {error}"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    names = {str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return next((n for t, n in names.items() if isinstance(value, t)), "a value")
