"""Route requests (`route_requests.py`) as Kubernetes objects: an `Ingress`, or a
Gateway API `HTTPRoute`, as the target's `route_kind` input says.

Both send `host` and `path` to the workload's Service (its name, or the one the
`k8s.score.dev/service-name` annotation gives) on the Service port the route names. A
plain path matches as a prefix (`Prefix`, `PathPrefix`); a regular expression matches
as `ImplementationSpecific` with ingress-nginx's `use-regex` annotation (Ingress), or
as `RegularExpression` (HTTPRoute, an extended feature of Gateway API: check that your
gateway supports it). A regular expression is written as the Compose gateway reads it
(`orchc.score_values.routed_regex`): its alternatives in one group (`/a|/b` as
`/(a|b)`), so that the `^` ingress-nginx writes before it anchors every alternative,
not only the first, and ended with `(/|$)` (ingress-nginx matches a regex path as a
prefix: `^/v[0-9]+` alone would match `/v1x`). An HTTPRoute's ends with `(/.*|$)`,
which routes the same requests whether the gateway matches it from the start of the
path or against the whole path (Envoy-based gateways). An HTTPRoute attaches
to the Gateway named by the target's `gateway` input (`name` or `namespace/name`,
default `default`, as score-k8s).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from orchc.drivers.protocol import DeployManifest, DeployWorkload, JsonObject
from orchc.drivers.targets.kubernetes_objects import MANAGED_BY_LABELS
from orchc.drivers.targets.kubernetes_services import service_name
from orchc.drivers.targets.route_requests import RouteRequest
from orchc.drivers.targets.score_workload import parse_workload
from orchc.score_values import routed_regex

RouteKind = Literal["Ingress", "HTTPRoute"]


@dataclass(frozen=True)
class RouteStyle:
    """How the target renders routes: `kind`, and the Gateway an HTTPRoute joins."""

    kind: RouteKind = "Ingress"
    gateway: str = "default"


DEFAULT_ROUTE_STYLE = RouteStyle()


def route_manifests(
    routes: Iterable[RouteRequest], workloads: Iterable[DeployWorkload], style: RouteStyle
) -> list[DeployManifest]:
    """One object per route, owned by the resource that asked for it."""
    workloads = tuple(workloads)
    render = _http_route if style.kind == "HTTPRoute" else _ingress
    return [DeployManifest(uid=r.uid, object=render(r, workloads, style)) for r in routes]


def _backend(route: RouteRequest, workloads: tuple[DeployWorkload, ...]) -> tuple[str, int]:
    """(Service name, Service port number) the route sends its traffic to."""
    _, port = route.service_port(workloads)
    workload = next(w for w in workloads if w.name == route.workload)
    return service_name(parse_workload(workload)), port.port


def _metadata(route: RouteRequest) -> JsonObject:
    labels = {"app.kubernetes.io/instance": route.name, **MANAGED_BY_LABELS}
    return {"name": route.name, "labels": labels}


def _ingress(
    route: RouteRequest, workloads: tuple[DeployWorkload, ...], style: RouteStyle
) -> JsonObject:
    service, port = _backend(route, workloads)
    path: JsonObject = {
        "path": routed_regex(route.path) if route.is_regex else route.path,
        "pathType": "ImplementationSpecific" if route.is_regex else "Prefix",
        "backend": {"service": {"name": service, "port": {"number": port}}},
    }
    meta = _metadata(route)
    if route.is_regex:
        meta["annotations"] = {"nginx.ingress.kubernetes.io/use-regex": "true"}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta,
        "spec": {"rules": [{"host": route.host, "http": {"paths": [path]}}]},
    }


def _http_route(
    route: RouteRequest, workloads: tuple[DeployWorkload, ...], style: RouteStyle
) -> JsonObject:
    service, port = _backend(route, workloads)
    match = (
        {"type": "RegularExpression", "value": routed_regex(route.path, whole_path=True)}
        if route.is_regex
        else {"type": "PathPrefix", "value": route.path}
    )
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": _metadata(route),
        "spec": {
            "parentRefs": [_parent(style.gateway)],
            "hostnames": [route.host],
            "rules": [
                {"matches": [{"path": match}], "backendRefs": [{"name": service, "port": port}]}
            ],
        },
    }


def _parent(gateway: str) -> JsonObject:
    namespace, _, name = gateway.rpartition("/")
    return {"name": name, "namespace": namespace} if namespace else {"name": name}
