"""The `kubernetes-manifests` target: Kubernetes YAML for every workload and manifest.

Inputs: `path` (the output directory, relative to the project root; default
`build/<app>/<env>`) and `namespace` (optional; set on every object rendered for a
workload; driver manifests keep their own). `create` only validates them and returns
the outputs `{"kind": "kubernetes", "path": <path as given>}` (plus `namespace` when
set), which other definitions' templates can branch on. `deploy` writes:

```
<path>/
  .orchc-index                   what orchc wrote here (JSON; so stale files can be removed)
  <workload>.yaml                Deployment, Service, ConfigMap of the workload
  <workload>.secrets.yaml        its Secrets (mode 0600)
  resources/<uid>.yaml           the manifests a resource's driver returned
  resources/<uid>.secrets.yaml   the Secrets among them, or made from them (mode 0600)
```

`<uid>` is the resource uid with `#` as `_` (`postgres.default_checkout.db`). Every
file is a multi-document stream (`---`), keys sorted, objects in a fixed order, so the
directory can be committed and diffed; Secrets are kept apart so they can be left out of
version control. Each deploy rewrites the directory to the current state: files orchc
wrote earlier and no longer produces are removed, files it did not write are never
touched. The whole directory applies with `kubectl apply -f <path> -R`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from orchc.drivers.input_blocks import StrictBlock, parse_block
from orchc.drivers.protocol import (
    DeployContext,
    DeployRequest,
    DeployResult,
    DriverError,
    DriverRequest,
    DriverResult,
    Journal,
    JsonObject,
)
from orchc.drivers.targets._kubernetes_driver_manifests import identity, seal_manifest
from orchc.drivers.targets._kubernetes_workload import render_workload
from orchc.drivers.targets._names import file_stem
from orchc.drivers.targets._workload import parse_workload
from orchc.drivers.targets._yaml import dump_documents
from orchc.drivers.targets.output_dir import OutputDir, OutputFile

# No .json/.yaml suffix: `kubectl apply -f <path>` reads every file that has one.
INDEX_NAME = ".orchc-index"

# Objects a pod needs come before the pod's controller, so `kubectl apply` of one file
# never creates a pod whose ConfigMap does not exist yet.
_KIND_ORDER = ("Namespace", "ConfigMap", "Secret", "PersistentVolumeClaim")


class KubernetesManifestsInputs(StrictBlock):
    path: str | None = Field(default=None, min_length=1)
    namespace: str | None = Field(default=None, pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")

    def output_path(self, context: DeployContext) -> str:
        """`path`, or `build/<app>/<env>` when unset."""
        return self.path if self.path is not None else f"build/{context.app}/{context.env}"


Owned = tuple[str, str, list[JsonObject]]
"""(owner as messages name it, output file stem, objects)."""


class KubernetesManifestsTarget:
    """Renders workloads and driver manifests as Kubernetes YAML files."""

    replace_inputs: ClassVar[frozenset[str]] = frozenset({"path"})

    def create(self, request: DriverRequest, journal: Journal) -> DriverResult:
        inputs = parse_block(KubernetesManifestsInputs, request.inputs, "inputs")
        outputs: JsonObject = {"kind": "kubernetes", "path": inputs.output_path(request.context)}
        if inputs.namespace is not None:
            outputs["namespace"] = inputs.namespace
        return DriverResult(outputs=outputs)

    def delete(self, request: DriverRequest, journal: Journal) -> None:
        inputs = parse_block(KubernetesManifestsInputs, request.inputs, "inputs")
        output = _output_dir(request.project_root, inputs.output_path(request.context))
        output.remove_all()
        _remove_if_empty(output.root)

    def deploy(self, request: DeployRequest) -> DeployResult:
        inputs = parse_block(KubernetesManifestsInputs, request.inputs, "inputs")
        owned = [*_workload_objects(request, inputs.namespace), *_manifest_objects(request)]
        _refuse_duplicates(owned)
        files = _layout(owned)
        output = _output_dir(request.project_root, inputs.output_path(request.context))
        output.sync(files)
        return DeployResult(files=tuple(sorted(output.display(f) for f in files)))


def _output_dir(project_root: Path, path: str) -> OutputDir:
    return OutputDir(project_root / path, INDEX_NAME, project_root)


def _remove_if_empty(directory: Path) -> None:
    try:
        directory.rmdir()
    except OSError:  # not empty (files orchc did not write), or already gone
        return


def _workload_objects(request: DeployRequest, namespace: str | None) -> list[Owned]:
    return [
        (f"workload '{w.name}'", w.name, render_workload(parse_workload(w), namespace))
        for w in sorted(request.workloads, key=lambda w: w.name)
    ]


def _manifest_objects(request: DeployRequest) -> list[Owned]:
    by_uid: dict[str, list[JsonObject]] = {}
    positions: dict[str, int] = {}
    for manifest in request.manifests:
        position = positions.get(manifest.uid, 0)
        positions[manifest.uid] = position + 1
        by_uid.setdefault(manifest.uid, []).extend(seal_manifest(manifest, position))
    return [
        (f"resource '{uid}'", f"resources/{file_stem(uid)}", objects)
        for uid, objects in sorted(by_uid.items())
    ]


def _refuse_duplicates(owned: Iterable[Owned]) -> None:
    owners: dict[tuple[str, str, str], str] = {}
    for owner, _, objects in owned:
        for obj in objects:
            key = identity(obj)
            if key is None:
                continue
            if key in owners and owners[key] != owner:
                kind, namespace, name = key
                qualified = f"{namespace}/{name}" if namespace else name
                raise DriverError(
                    f"{kind} '{qualified}' is produced by both {owners[key]} and {owner}"
                )
            owners[key] = owner


def _layout(owned: Iterable[Owned]) -> dict[str, OutputFile]:
    files: dict[str, OutputFile] = {}
    for _, stem, objects in owned:
        secrets = [obj for obj in objects if obj["kind"] == "Secret"]
        others = [obj for obj in objects if obj["kind"] != "Secret"]
        if others:
            files[f"{stem}.yaml"] = _yaml_file(_in_apply_order(others), 0o644)
        if secrets:
            files[f"{stem}.secrets.yaml"] = _yaml_file(secrets, 0o600)
    return files


def _in_apply_order(objects: list[JsonObject]) -> list[JsonObject]:
    def rank(obj: JsonObject) -> int:
        kind = obj["kind"]
        return _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)

    return sorted(objects, key=rank)  # stable: a driver's own order is kept otherwise


def _yaml_file(objects: list[JsonObject], mode: int) -> OutputFile:
    return OutputFile(dump_documents(objects).encode("utf-8"), mode)
