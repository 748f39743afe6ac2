"""The Kubernetes render step: a deploy request -> Kubernetes objects, per owner.

Public, so that every target that deploys to Kubernetes renders the same objects: the
`kubernetes-manifests` target writes them to a directory (`OutputDir.sync`), a GitOps
target can write the same files into a git checkout. Two steps, neither writes:

- `render_kubernetes(request, namespace, create_namespace=False, routes=RouteStyle())`:
  for each workload (sorted by name) and each resource whose driver returned manifests
  (sorted by uid), its objects (a route request becomes an Ingress or an HTTPRoute,
  `kubernetes_routes.py`; a `volume`'s claim that nothing mounts is left out,
  `kubernetes_volumes.py`), all in `namespace` when given (`kubernetes_namespace.py`),
  plus the Namespace itself first when `create_namespace`. Each object is owned by exactly one
  of them: an object two owners produce identically is kept by the first only, two
  different objects of one kind, namespace and name are an error;
- `kubernetes_files(owned)`: the YAML text of those objects as files by relative path:
  `<workload>.yaml`, `resources/<uid>.yaml`, and beside each the Secrets alone in
  `.secrets.yaml` (mode 0600), objects a pod needs first.

>>> from orchc.drivers.protocol import DeployContext, DeployManifest, DeployRequest
>>> settings = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}}
>>> owned = render_kubernetes(DeployRequest(
...     context=DeployContext(app="shop", env="dev", env_type="development"),
...     inputs={}, project_root=".", work_dir=".", workloads=(),
...     manifests=(DeployManifest(uid="config.default#settings", object=settings),),
... ))
>>> [(one.owner, one.stem, one.objects == (settings,)) for one in owned]
[("resource 'config.default#settings'", 'resources/config.default_settings', True)]
>>> sorted(kubernetes_files(owned))
['resources/config.default_settings.yaml']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from orchc.drivers.protocol import (
    DeployManifest,
    DeployRequest,
    DeployWorkload,
    DriverError,
    JsonObject,
)
from orchc.drivers.targets.kubernetes_driver_manifests import identity, seal_manifest
from orchc.drivers.targets.kubernetes_names import file_stem
from orchc.drivers.targets.kubernetes_namespace import in_namespace, namespace_object
from orchc.drivers.targets.kubernetes_routes import (
    DEFAULT_ROUTE_STYLE,
    RouteStyle,
    route_manifests,
)
from orchc.drivers.targets.kubernetes_services import workload_kind
from orchc.drivers.targets.kubernetes_volumes import without_unmounted_claims
from orchc.drivers.targets.kubernetes_workload import render_workload
from orchc.drivers.targets.output_dir import OutputFile
from orchc.drivers.targets.route_requests import take_routes
from orchc.drivers.targets.score_workload import parse_workload
from orchc.drivers.targets.workload_patches import apply_patches
from orchc.drivers.targets.yaml_text import dump_documents

# Objects a pod needs come before the pod's controller, so `kubectl apply` of one file
# never creates a pod whose ConfigMap does not exist yet.
_KIND_ORDER = ("Namespace", "ConfigMap", "Secret", "PersistentVolumeClaim")


@dataclass(frozen=True, slots=True)
class OwnedObjects:
    """The objects one workload or one resource produced. `owner` names it as messages
    do (`workload 'web'`, `resource 'postgres.default#db'`); `stem` is where its files
    go, relative to the output directory and without suffix (`web`,
    `resources/postgres.default_db`)."""

    owner: str
    stem: str
    objects: tuple[JsonObject, ...]


NAMESPACE_STEM = "+namespace"
"""The Namespace's file. `kubectl apply -f <path> -R` applies files in byte order of
their names, so this one must sort before every other for the namespace to exist before
what goes in it. The other stems are workload names (Score: `[a-z0-9][a-z0-9-]*`, so
`00-a` and `0-a` are names) and `resources/...`: they start with a digit or a letter,
and `+` sorts before both. (`.` would hide the file and `-` make it read as an option
by `cat *.yaml`; no workload name can contain `+`, so none can take this file.)

>>> all(NAMESPACE_STEM + ".yaml" < name for name in ("0-a.yaml", "00.yaml", "resources/"))
True
"""


def render_kubernetes(
    request: DeployRequest,
    namespace: str | None = None,
    *,
    create_namespace: bool = False,
    routes: RouteStyle = DEFAULT_ROUTE_STYLE,
) -> tuple[OwnedObjects, ...]:
    """Every object of `request`: the workloads', then the manifests drivers returned
    (Secrets made of their secret values, routes as `routes` says), all in `namespace`
    when given. Raises a `DriverError` for what cannot be rendered, or for two
    different objects of one identity."""
    requested, manifests = take_routes(request.manifests)
    manifests += route_manifests(requested, request.workloads, routes)
    manifests = without_unmounted_claims(manifests, request.workloads)
    owned = [*_workload_objects(request, namespace), *_manifest_objects(manifests)]
    if namespace is not None and create_namespace:
        owned.insert(0, OwnedObjects("the target", NAMESPACE_STEM, (namespace_object(namespace),)))
    placed = [
        OwnedObjects(one.owner, one.stem, tuple(in_namespace(o, namespace) for o in one.objects))
        for one in owned
    ]
    return _without_duplicates(placed)


def kubernetes_files(owned: Iterable[OwnedObjects]) -> dict[str, OutputFile]:
    """The files of `owned`, by path relative to the output directory: multi-document
    YAML, keys sorted, so equal objects give equal bytes."""
    files: dict[str, OutputFile] = {}
    stems: dict[str, str] = {}
    for one in owned:
        if stems.setdefault(one.stem, one.owner) != one.owner:
            raise DriverError(f"{stems[one.stem]} and {one.owner} would both write {one.stem}.yaml")
        secrets = [obj for obj in one.objects if obj["kind"] == "Secret"]
        others = [obj for obj in one.objects if obj["kind"] != "Secret"]
        if others:
            files[f"{one.stem}.yaml"] = _yaml_file(_in_apply_order(others), 0o644)
        if secrets:
            files[f"{one.stem}.secrets.yaml"] = _yaml_file(secrets, 0o600)
    return files


def _workload_objects(request: DeployRequest, namespace: str | None) -> list[OwnedObjects]:
    return [
        OwnedObjects(f"workload '{w.name}'", w.name, _patched_objects(w, namespace))
        for w in sorted(request.workloads, key=lambda w: w.name)
    ]


def _patched_objects(workload: DeployWorkload, namespace: str | None) -> tuple[JsonObject, ...]:
    """The workload's objects with its patches applied (SPEC §12), by default to its
    controller (the Deployment, or the StatefulSet its annotation asks for)."""
    parsed = parse_workload(workload)
    objects = render_workload(parsed, namespace)
    owner = f"workload '{workload.name}'"
    apply_patches(objects, workload.patches, workload_kind(parsed), owner)
    return tuple(objects)


def _manifest_objects(manifests: Iterable[DeployManifest]) -> list[OwnedObjects]:
    by_uid: dict[str, list[JsonObject]] = {}
    positions: dict[str, int] = {}
    for manifest in manifests:
        position = positions.get(manifest.uid, 0)
        positions[manifest.uid] = position + 1
        by_uid.setdefault(manifest.uid, []).extend(seal_manifest(manifest, position))
    return [
        OwnedObjects(f"resource '{uid}'", f"resources/{file_stem(uid)}", tuple(objects))
        for uid, objects in sorted(by_uid.items())
    ]


def _without_duplicates(owned: Iterable[OwnedObjects]) -> tuple[OwnedObjects, ...]:
    """`owned` with each object kept once: an object equal to one already seen is
    dropped (two resources sharing, say, one ConfigMap); a different object of the same
    identity is an error. Owners left with nothing are dropped too."""
    seen: dict[tuple[str, str, str], tuple[str, JsonObject]] = {}
    kept: list[OwnedObjects] = []
    for one in owned:
        objects: list[JsonObject] = []
        for obj in one.objects:
            key = identity(obj)
            if key is not None and key in seen:
                first, earlier = seen[key]
                if earlier != obj:
                    raise DriverError(_produced_twice(key, first, one.owner))
                continue
            if key is not None:
                seen[key] = (one.owner, obj)
            objects.append(obj)
        if objects:
            kept.append(OwnedObjects(one.owner, one.stem, tuple(objects)))
    return tuple(kept)


def _produced_twice(key: tuple[str, str, str], first: str, second: str) -> str:
    kind, namespace, name = key
    qualified = f"{namespace}/{name}" if namespace else name
    if first == second:
        return f"{kind} '{qualified}' is produced twice, differently, by {first}"
    return f"{kind} '{qualified}' is produced by both {first} and {second}"


def _in_apply_order(objects: list[JsonObject]) -> list[JsonObject]:
    def rank(obj: JsonObject) -> int:
        kind = obj["kind"]
        return _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)

    return sorted(objects, key=rank)  # stable: a driver's own order is kept otherwise


def _yaml_file(objects: list[JsonObject], mode: int) -> OutputFile:
    return OutputFile(dump_documents(objects).encode("utf-8"), mode)
