"""Workload patches (SPEC §12) on one rendered object: each operation, the `*` token,
and every way a patch cannot apply, with its whole message."""

from __future__ import annotations

from typing import Any

import pytest

from orchc.drivers.protocol import WorkloadPatch
from orchc.drivers.targets.workload_patches import PatchError, apply_patches

ORIGIN = "definition 'd' (platform/w.orch:3)"


def deployment() -> dict[str, Any]:
    return {
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"a": "1"}},
        "spec": {
            "replicas": 1,
            "template": {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}},
        },
    }


def patched(*patches: dict[str, Any]) -> dict[str, Any]:
    objects = [deployment(), {"kind": "Service", "spec": {"ports": []}}]
    apply_patches(
        objects,
        [WorkloadPatch(**p, origin=ORIGIN) for p in patches],
        "Deployment",
        "workload 'web'",
    )
    return objects[0]


@pytest.mark.parametrize(
    ("patch", "path", "expected"),
    [
        ({"op": "replace", "path": "/spec/replicas", "value": 3}, ("spec", "replicas"), 3),
        (
            {"op": "add", "path": "/metadata/labels/x~1y", "value": "2"},
            ("metadata", "labels"),
            {"a": "1", "x/y": "2"},
        ),
        ({"op": "remove", "path": "/metadata/labels/a"}, ("metadata", "labels"), {}),
        (
            {"op": "merge", "path": "/metadata", "value": {"labels": {"a": None, "b": "2"}}},
            ("metadata", "labels"),
            {"b": "2"},
        ),
        (
            {"op": "merge", "path": "/metadata/annotations", "value": {"k": "v"}},
            ("metadata", "annotations"),
            {"k": "v"},
        ),
        (
            {"op": "add", "path": "/spec/template/spec/containers/0", "value": {"name": "z"}},
            ("spec", "template", "spec", "containers"),
            [{"name": "z"}, {"name": "a"}, {"name": "b"}],
        ),
        (
            {"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "z"}},
            ("spec", "template", "spec", "containers"),
            [{"name": "a"}, {"name": "b"}, {"name": "z"}],
        ),
        (
            {"op": "add", "path": "/spec/template/spec/containers/*/tty", "value": True},
            ("spec", "template", "spec", "containers"),
            [{"name": "a", "tty": True}, {"name": "b", "tty": True}],
        ),
        (
            {"op": "merge", "path": "", "value": {"spec": {"paused": True}}},
            ("spec", "paused"),
            True,
        ),
    ],
)
def test_operations(patch: dict[str, Any], path: tuple[str, ...], expected: Any) -> None:
    value: Any = patched(patch)
    for key in path:
        value = value[key]
    assert value == expected


def test_kind_picks_the_objects() -> None:
    objects = [deployment(), {"kind": "Service", "spec": {"ports": []}}]
    patches = [WorkloadPatch(op="add", path="/spec/type", value="NodePort", kind="Service")]
    apply_patches(objects, patches, "Deployment", "workload 'web'")
    assert objects[1]["spec"]["type"] == "NodePort"
    assert "type" not in objects[0]["spec"]


def test_without_a_default_kind_every_object_is_patched() -> None:
    services = [{"image": "a"}, {"image": "b"}]
    patch = WorkloadPatch(op="add", path="/read_only", value=True, kind="Deployment")
    apply_patches(services, [patch], None, "workload 'web'")
    assert services == [{"image": "a", "read_only": True}, {"image": "b", "read_only": True}]


PREFIX = "workload 'web': patch 1"


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (
            {"op": "replace", "path": "/spec/nope", "value": 1},
            "(replace '/spec/nope') from " + ORIGIN + ": /spec/nope does not exist",
        ),
        (
            {"op": "remove", "path": "/spec/template/x/y"},
            "(remove '/spec/template/x/y') from " + ORIGIN + ": /spec/template/x does not exist",
        ),
        (
            {"op": "add", "path": "/spec/replicas/x", "value": 1},
            "(add '/spec/replicas/x') from "
            + ORIGIN
            + ": the parent of /spec/replicas/x is a number, not a mapping or a list",
        ),
        (
            {"op": "add", "path": "/spec/template/spec/containers/5", "value": {}},
            "(add '/spec/template/spec/containers/5') from "
            + ORIGIN
            + ": /spec/template/spec/containers/5 does not exist (the list has 2 items)",
        ),
        (
            {"op": "replace", "path": "/spec/template/spec/containers/x", "value": {}},
            "(replace '/spec/template/spec/containers/x') from "
            + ORIGIN
            + ": /spec/template/spec/containers/x: 'x' is not a list index",
        ),
        (
            {"op": "add", "path": "spec/replicas", "value": 1},
            "(add 'spec/replicas') from "
            + ORIGIN
            + ": path 'spec/replicas' is not a JSON pointer: it must be empty or start with '/'",
        ),
        (
            {"op": "remove", "path": ""},
            "(remove '') from " + ORIGIN + ": the whole object cannot be removed",
        ),
        (
            {"op": "remove", "path": "/kind"},
            "(remove '/kind') from "
            + ORIGIN
            + ": a patch cannot change the object's kind (Deployment)",
        ),
        (
            {"op": "replace", "path": "", "value": {"spec": {}}},
            "(replace '') from "
            + ORIGIN
            + ": a patch cannot change the object's kind (Deployment)",
        ),
    ],
)
def test_a_patch_that_cannot_apply(patch: dict[str, Any], message: str) -> None:
    with pytest.raises(PatchError) as raised:
        patched(patch)
    assert str(raised.value) == f"{PREFIX} {message}"


def test_a_secret_cannot_be_patched_into_another_kind() -> None:
    # The target files Secrets apart (mode 0600; gitops refuses them) by their kind.
    secret = {"kind": "Secret", "stringData": {"PASSWORD": "hunter22"}}
    patch = WorkloadPatch(op="replace", path="/kind", value="ConfigMap", kind="Secret")
    with pytest.raises(PatchError) as raised:
        apply_patches([deployment(), secret], [patch], "Deployment", "workload 'web'")
    assert str(raised.value) == (
        f"{PREFIX} (replace '/kind'): a patch cannot change the object's kind (Secret)"
    )
    assert secret["kind"] == "Secret"
