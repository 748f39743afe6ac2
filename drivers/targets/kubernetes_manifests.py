"""The `kubernetes-manifests` target: Kubernetes YAML for every workload and manifest.

Inputs (docs/drivers.md, "kubernetes-manifests"): `path` (the output directory,
relative to the project root; default `build/<app>/<env>`), `namespace` (optional; set
on every namespaced object written, the workloads' and the drivers' alike),
`create_namespace` (write the Namespace object too; needs `namespace`),
`allowed_kinds` (the kinds a driver's manifests may have; default
`DEFAULT_ALLOWED_KINDS`, namespaced workload objects, never RBAC or cluster-scoped
objects), `route_kind` (`Ingress` or `HTTPRoute`: what a route request becomes) and
`gateway` (the Gateway an HTTPRoute attaches to). `create` only validates them and
returns the outputs `{"kind": "kubernetes", "path": <path as given>}` (plus `namespace`
when set), which other definitions' templates can branch on. `deploy` writes:

```
<path>/
  .orchc-index                   what orchc wrote here (JSON; so stale files can be removed)
  +namespace.yaml                the Namespace, with `create_namespace = true` (first)
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

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from orchc.drivers.input_blocks import StrictBlock, parse_block
from orchc.drivers.protocol import (
    DeployContext,
    DeployManifest,
    DeployRequest,
    DeployResult,
    DriverError,
    DriverRequest,
    DriverResult,
    Journal,
    JsonObject,
    Observation,
)
from orchc.drivers.targets.deployed_files import observe_deployed
from orchc.drivers.targets.kubernetes_routes import RouteKind, RouteStyle
from orchc.drivers.targets.output_dir import OutputDir, OutputFile
from orchc.drivers.targets.route_requests import is_route

# No .json/.yaml suffix: `kubectl apply -f <path>` reads every file that has one.
INDEX_NAME = ".orchc-index"


DEFAULT_ALLOWED_KINDS = (
    "ConfigMap",
    "CronJob",
    "Deployment",
    "HorizontalPodAutoscaler",
    "Ingress",
    "Job",
    "PersistentVolumeClaim",
    "PodDisruptionBudget",
    "Secret",
    "Service",
    "StatefulSet",
)
"""The object kinds a driver's manifests may have unless the target's `allowed_kinds`
input says otherwise: namespaced workload objects only. Cluster-scoped objects and RBAC
(ClusterRole, ClusterRoleBinding, Role, RoleBinding, Namespace, CRDs, webhooks) are
never accepted by default: a Score param reaching a template must not grant rights."""


# A Gateway's name, or namespace/name.
_GATEWAY = r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/)?[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"


class KubernetesManifestsInputs(StrictBlock):
    path: str | None = Field(default=None, min_length=1)
    namespace: str | None = Field(default=None, pattern=r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
    create_namespace: bool = False
    allowed_kinds: tuple[str, ...] = DEFAULT_ALLOWED_KINDS
    route_kind: RouteKind = "Ingress"
    gateway: str = Field(default="default", pattern=_GATEWAY)

    @classmethod
    def parse(cls, values: JsonObject) -> KubernetesManifestsInputs:
        """`values` checked; `create_namespace` needs a `namespace` to create."""
        inputs = parse_block(cls, values, "inputs")
        if inputs.create_namespace and inputs.namespace is None:
            raise DriverError("invalid inputs: create_namespace = true needs the input 'namespace'")
        return inputs

    def output_path(self, context: DeployContext) -> str:
        """`path`, or `build/<app>/<env>` when unset."""
        return self.path if self.path is not None else f"build/{context.app}/{context.env}"


class KubernetesManifestsTarget:
    """Renders workloads and driver manifests as Kubernetes YAML files."""

    replace_inputs: ClassVar[frozenset[str]] = frozenset({"path"})

    def create(self, request: DriverRequest, journal: Journal) -> DriverResult:
        inputs = KubernetesManifestsInputs.parse(request.inputs)
        outputs: JsonObject = {"kind": "kubernetes", "path": inputs.output_path(request.context)}
        if inputs.namespace is not None:
            outputs["namespace"] = inputs.namespace
        return DriverResult(outputs=outputs)

    def delete(self, request: DriverRequest, journal: Journal) -> None:
        inputs = KubernetesManifestsInputs.parse(request.inputs)
        output = _output_dir(request.project_root, inputs.output_path(request.context))
        output.remove_all()
        _remove_if_empty(output.root)

    def observe(self, request: DriverRequest) -> Observation:
        """Drift: the files the last deploy wrote are present and unchanged."""
        return observe_deployed(request)

    def deploy(self, request: DeployRequest) -> DeployResult:
        """Render (`kubernetes_render.py`), then write (`OutputDir.sync`)."""
        inputs = KubernetesManifestsInputs.parse(request.inputs)
        files = manifest_files(request, inputs)
        output = _output_dir(request.project_root, inputs.output_path(request.context))
        output.sync(files)
        return DeployResult(files=tuple(sorted(output.display(f) for f in files)))


def manifest_files(
    request: DeployRequest, inputs: KubernetesManifestsInputs
) -> dict[str, OutputFile]:
    """The files this target writes under its path, by relative path: the `gitops`
    target commits exactly these (it takes the same inputs, and a few of its own)."""
    # Imported here: planning loads this driver for its metadata (`replace_inputs`) and
    # never renders (issue 16).
    from orchc.drivers.targets.kubernetes_render import kubernetes_files, render_kubernetes

    _check_kinds(request, frozenset(inputs.allowed_kinds))
    owned = render_kubernetes(
        request,
        inputs.namespace,
        create_namespace=inputs.create_namespace,
        routes=RouteStyle(inputs.route_kind, inputs.gateway),
    )
    return kubernetes_files(owned)


def _output_dir(project_root: Path, path: str) -> OutputDir:
    return OutputDir(project_root / path, INDEX_NAME, project_root)


def _remove_if_empty(directory: Path) -> None:
    try:
        directory.rmdir()
    except OSError:  # not empty (files orchc did not write), or already gone
        return


def _check_kinds(request: DeployRequest, allowed: frozenset[str]) -> None:
    # A route request is not deployed as such: the target renders it itself.
    for manifest in request.manifests:
        if not is_route(manifest):
            _check_kind(manifest, allowed)


def _check_kind(manifest: DeployManifest, allowed: frozenset[str]) -> None:
    kind = manifest.object.get("kind")
    if isinstance(kind, str) and kind not in allowed:
        shown = kind.encode("unicode_escape").decode("ascii")[:63]
        raise DriverError(
            f"resource '{manifest.uid}' returned a {shown} object, which this target does "
            f"not accept (allowed_kinds: {', '.join(sorted(allowed))}); add the kind to the "
            "target's `allowed_kinds` input if the platform means to allow it"
        )
