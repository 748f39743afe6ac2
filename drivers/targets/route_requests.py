"""Route requests: what a `route` resource asks of the target, checked and resolved.

A `route` definition returns, among its manifests, one object per route in a shape
that no target deploys as such:

    {"apiVersion": "orchc.dev/v1", "kind": "Route", "metadata": {"name": "route-web"},
     "spec": {"host": "shop.localhost", "path": "/", "workload": "web", "port": "web"}}

Each target turns it into what it has: an Ingress or a Gateway API HTTPRoute
(`kubernetes_routes.py`), a location of the Compose gateway (`compose_gateway.py`). The
target knows the workloads, so `port` may be a Score service port's name or number and
resolves to that port of the workload.

Hosts and paths come from Score files, which are untrusted: they are checked here
(`orchc.score_values`, the rule the plan already applied to the values it knew) before
any target writes them. A path with regular-expression characters is a regular
expression anchored at its start, which targets write as `routed_regex` gives it.

>>> request = RouteRequest.parse("route.default#web.r", {"metadata": {"name": "r"},
...     "spec": {"host": "Shop.localhost", "path": "/api", "workload": "web", "port": 80}})
>>> request.host, request.path, request.is_regex
('shop.localhost', '/api', False)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from orchc.drivers.protocol import DeployManifest, DeployWorkload, DriverError, JsonObject
from orchc.drivers.targets.score_workload import ServicePort, parse_workload
from orchc.score_values import RefusedValue, is_regex_path, route_host, route_path, shown

ROUTE_API_VERSION = "orchc.dev/v1"
ROUTE_KIND = "Route"

_WORKLOAD = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")


def is_route(manifest: DeployManifest) -> bool:
    """Whether `manifest` is a route request rather than an object to deploy."""
    obj = manifest.object
    return obj.get("apiVersion") == ROUTE_API_VERSION and obj.get("kind") == ROUTE_KIND


@dataclass(frozen=True)
class RouteRequest:
    """One checked route: `uid` of the resource that asked, its `name`, and where
    traffic for `host` and `path` goes: `port` (a name or number) of `workload`."""

    uid: str
    name: str
    host: str
    path: str
    workload: str
    port: int | str

    @property
    def is_regex(self) -> bool:
        return is_regex_path(self.path)

    @classmethod
    def parse(cls, uid: str, obj: JsonObject) -> RouteRequest:
        """`obj` checked; a `DriverError` naming `uid` and the field otherwise."""
        spec = obj.get("spec")
        meta = obj.get("metadata")
        if not isinstance(spec, dict) or not isinstance(meta, dict):
            raise DriverError(f"resource '{uid}': a Route needs 'metadata' and 'spec' mappings")
        unknown = sorted(set(spec) - {"host", "path", "workload", "port"})
        if unknown:
            raise DriverError(f"resource '{uid}': unknown Route field spec.{shown(unknown[0])}")
        return cls(
            uid=uid,
            name=_checked(uid, "metadata.name", meta.get("name"), _WORKLOAD, "a DNS label"),
            host=_refused(uid, "params.host", route_host, spec.get("host")),
            path=_refused(uid, "params.path", route_path, spec.get("path")),
            workload=_checked(uid, "workload", spec.get("workload"), _WORKLOAD, "a workload name"),
            port=_checked_port(uid, spec.get("port")),
        )

    def service_port(self, workloads: Iterable[DeployWorkload]) -> tuple[str, ServicePort]:
        """(Score port name, port) of the workload's service port this route names."""
        workload = next((w for w in workloads if w.name == self.workload), None)
        if workload is None:
            raise DriverError(
                f"resource '{self.uid}': routes to workload '{self.workload}', which this "
                "deployment does not have"
            )
        ports = parse_workload(workload).ports()
        for name, port in sorted(ports.items()):
            if self.port in (name, port.port):
                return name, port
        known = ", ".join(f"{name} ({port.port})" for name, port in sorted(ports.items()))
        raise DriverError(
            f"resource '{self.uid}': params.port {shown(str(self.port))} is not a service "
            f"port of workload '{self.workload}' ({known or 'it has none'})"
        )


def take_routes(
    manifests: Iterable[DeployManifest],
) -> tuple[list[RouteRequest], list[DeployManifest]]:
    """(the route requests, checked; every other manifest, in order)."""
    routes: list[RouteRequest] = []
    others: list[DeployManifest] = []
    for manifest in manifests:
        if not is_route(manifest):
            others.append(manifest)
        elif manifest.sensitive:
            raise DriverError(f"resource '{manifest.uid}': a Route cannot hold a secret value")
        else:
            routes.append(RouteRequest.parse(manifest.uid, manifest.object))
    return routes, others


def _checked(uid: str, field: str, value: object, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise DriverError(f"resource '{uid}': {field} '{shown(value)}' is not {what}")
    return value


def _refused(uid: str, field: str, check: Callable[[object], str], value: object) -> str:
    try:
        return check(value)
    except RefusedValue as refused:
        raise DriverError(f"resource '{uid}': {field} {refused}") from None


def _checked_port(uid: str, value: object) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise DriverError(f"resource '{uid}': params.port must be a port number or name")
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value
