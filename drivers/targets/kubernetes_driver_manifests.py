"""The Kubernetes objects drivers return, checked and with their secrets sealed.

A driver manifest must be a Kubernetes object (`apiVersion` and `kind`). Its secret
values (the `sensitive` paths the runtime found) may only be delivered two ways:

- inside a v1 `Secret`: any `stringData` is moved to base64 `data`, so no Secret is
  written in plain text;
- as a container env `value` (in any pod template: `...containers[i].env[j].value`):
  the value moves to a Secret `<object name>-<kind>-env` in the object's namespace and
  the env entry reads it through `valueFrom.secretKeyRef`.

A secret anywhere else (a command, an annotation, a ConfigMap) is a `DriverError`
naming the resource uid and the path, never the value.
"""

from __future__ import annotations

import copy
from typing import Any

from orchc.drivers.protocol import DeployManifest, DriverError, JsonObject, JsonPath
from orchc.drivers.targets.kubernetes_names import config_key
from orchc.drivers.targets.kubernetes_objects import encode, secret
from orchc.drivers.targets.sensitive_paths import SensitivePaths, dotted

_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def seal_manifest(manifest: DeployManifest, position: int) -> list[JsonObject]:
    """`manifest` ready to write, plus the Secret that now holds its env secrets (if
    any). `position` (0-based) names the manifest among its resource's in messages."""
    obj = copy.deepcopy(manifest.object)
    where = f"resource '{manifest.uid}': manifest {position + 1}"
    _check_kubernetes_object(obj, where)
    sensitive = SensitivePaths(manifest.sensitive)
    is_secret = obj["kind"] == "Secret" and obj["apiVersion"] == "v1"
    allowed = _in_secret_data if is_secret else _is_env_value
    channels = "a Secret's data and container env values"
    sensitive.refuse_outside(lambda _: True, allowed, f"{where} ({obj['kind']})", channels)
    if is_secret:
        return [_without_string_data(obj)]
    return [obj, *_move_env_secrets(obj, manifest.sensitive, where)]


def identity(obj: JsonObject) -> tuple[str, str, str] | None:
    """(kind, namespace, name) of an object, or None when it has no name (e.g. it uses
    `generateName`), to find two owners writing the same object."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
        return None
    return (str(obj["kind"]), str(meta.get("namespace") or ""), meta["name"])


def _check_kubernetes_object(obj: JsonObject, where: str) -> None:
    for field in ("apiVersion", "kind"):
        if not isinstance(obj.get(field), str) or not obj[field]:
            raise DriverError(
                f"{where} has no '{field}': the kubernetes-manifests target deploys "
                "Kubernetes objects (a Compose fragment needs the compose target)"
            )


def _in_secret_data(path: JsonPath) -> bool:
    return len(path) >= 1 and path[0] in ("data", "stringData")


def _is_env_value(path: JsonPath) -> bool:
    if len(path) < 5:
        return False
    containers, container, env, entry, value = path[-5:]
    return (
        containers in _CONTAINER_LISTS
        and isinstance(container, int)
        and env == "env"
        and isinstance(entry, int)
        and value == "value"
    )


def _without_string_data(obj: JsonObject) -> JsonObject:
    plain = obj.pop("stringData", None) or {}
    # As in the API server, stringData wins over data for a key in both.
    data = {**(obj.get("data") or {}), **{key: encode(str(v)) for key, v in plain.items()}}
    return obj | ({"data": data} if data else {})


def _move_env_secrets(obj: JsonObject, paths: tuple[JsonPath, ...], where: str) -> list[JsonObject]:
    meta = obj.get("metadata") or {}
    name = f"{meta.get('name', 'manifest')}-{str(obj['kind']).lower()}-env"
    data: JsonObject = {}
    for path in sorted({p for p in paths if _is_env_value(p)}, key=dotted):
        container = _at(obj, path[:-3], where)
        entry = _at(obj, path[:-1], where)
        key = config_key(f"{container.get('name')}.{entry.get('name')}")
        data[key] = encode(str(entry.pop("value")))
        entry["valueFrom"] = {"secretKeyRef": {"name": name, "key": key}}
    if not data:
        return []
    return [secret(name, meta.get("namespace"), dict(meta.get("labels") or {}), data)]


def _at(obj: JsonObject, path: JsonPath, where: str) -> dict[str, Any]:
    node: Any = obj
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            raise DriverError(f"{where}: no value at the sensitive path {dotted(path)}") from None
    if not isinstance(node, dict):
        raise DriverError(f"{where}: {dotted(path)} is not an object")
    return node
