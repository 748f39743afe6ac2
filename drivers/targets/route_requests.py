"""Route requests: what a `route` resource asks of the target, checked and resolved.

A `route` definition returns, among its manifests, one object per route in a shape
that no target deploys as such:

    {"apiVersion": "orchc.dev/v1", "kind": "Route", "metadata": {"name": "route-web"},
     "spec": {"host": "shop.localhost", "path": "/", "workload": "web", "port": "web"}}

Each target turns it into what it has: an Ingress or a Gateway API HTTPRoute
(`kubernetes_routes.py`), a location of the Compose gateway (`compose_gateway.py`). The
target knows the workloads, so `port` may be a Score service port's name or number and
resolves to that port of the workload.

Hosts and paths come from Score files, which are untrusted: they are checked here,
strictly, before any target writes them, and a value that could mean anything but a
host name or a URL path (a quote, a space, a `#`, a `\\`, a control character) is
refused. A path holding regular-expression characters (`[]()*+?^$|{}`) is a regular
expression, anchored at its start, as score-compose reads it. An anchor written before
`/a|/b` would hold only for `/a` (`^/a|/b` matches `/b` anywhere in the path), so the
targets write such a path as `regex_path`: its alternatives in one group behind their
shared leading `/` (`/(a|b)`), which every alternative must therefore start with.

>>> request = RouteRequest.parse("route.default#web.r", {"metadata": {"name": "r"},
...     "spec": {"host": "Shop.localhost", "path": "/api", "workload": "web", "port": 80}})
>>> request.host, request.path, request.is_regex
('shop.localhost', '/api', False)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from orchc.drivers.protocol import DeployManifest, DeployWorkload, DriverError, JsonObject
from orchc.drivers.targets.score_workload import ServicePort, parse_workload

ROUTE_API_VERSION = "orchc.dev/v1"
ROUTE_KIND = "Route"

# RFC 1123 host names, lower case, optionally a leading "*." wildcard label.
_HOST = re.compile(
    r"^(?=.{1,253}\Z)(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z"
)
# A URL path: RFC 3986 path characters, plus the regular-expression ones.
_PATH = re.compile(r"^/[A-Za-z0-9\-._~%!$&'()*+,;=:@/\[\]^|?{}]{0,1023}\Z")
_REGEX_CHARACTERS = frozenset("[]()*+?^$|{}")
# How each alternative of a regular-expression path with a top-level `|` starts: the
# `/` that `regex_path` moves before the group must not be quantified.
_ALTERNATIVE = re.compile(r"/(?![*+?{])")
_WORKLOAD = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")


def is_regex_path(path: str) -> bool:
    """Whether a route path is a regular expression (holds one of `[]()*+?^$|{}`)."""
    return any(character in _REGEX_CHARACTERS for character in path)


def regex_path(path: str) -> str:
    """A regular-expression path as the targets write it: with its top-level
    alternatives in one group behind their leading `/`, so that an anchor written before
    it (`^`, as the Compose gateway and ingress-nginx write) covers all of them. The
    result still starts with `/`, as Kubernetes wants of an Ingress path.

    >>> regex_path("/api|/v[0-9]+/api"), regex_path("/my/[^/]+/path"), regex_path("/[|]|/")
    ('/(api|v[0-9]+/api)', '/my/[^/]+/path', '/([|]|)')
    """
    alternatives = _alternatives(path)
    if len(alternatives) == 1:
        return path
    return "/(" + "|".join(alternative[1:] for alternative in alternatives) + ")"


def _alternatives(path: str) -> list[str]:
    """`path` split at its top-level `|` (not inside a group or a `[...]` class). A
    checked path holds no `\\`, so no character is escaped."""
    found, depth, start, index = [], 0, 0, 0
    while index < len(path):
        character = path[index]
        if character == "[":
            index = _class_end(path, index)
        elif character in "()":
            depth += 1 if character == "(" else -1
        elif character == "|" and depth == 0:
            found.append(path[start:index])
            start = index + 1
        index += 1
    return [*found, path[start:]]


def _class_end(path: str, start: int) -> int:
    """Where the `[...]` class opened at `start` ends (a `]` first in it is literal)."""
    index = start + 1
    index += path.startswith("^", index)
    index += path.startswith("]", index)
    end = path.find("]", index)
    return end if end >= 0 else len(path)


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
            raise DriverError(f"resource '{uid}': unknown Route field spec.{_shown(unknown[0])}")
        return cls(
            uid=uid,
            name=_checked(uid, "metadata.name", meta.get("name"), _WORKLOAD, "a DNS label"),
            host=_checked(uid, "params.host", _lower(spec.get("host")), _HOST, "a host name"),
            path=_checked_path(uid, spec.get("path")),
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
            f"resource '{self.uid}': params.port {_shown(str(self.port))} is not a service "
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


def _shown(text: str) -> str:
    return text.encode("unicode_escape").decode("ascii")[:100]


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _checked(uid: str, field: str, value: object, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        shown = _shown(value) if isinstance(value, str) else type(value).__name__
        raise DriverError(f"resource '{uid}': {field} '{shown}' is not {what}")
    return value


def _checked_path(uid: str, value: object) -> str:
    path = _checked(
        uid,
        "params.path",
        value,
        _PATH,
        "a URL path (it starts with '/'; letters, digits and -._~%!$&'()*+,;=:@/ and the "
        "regular-expression characters []^|?{} only)",
    )
    if is_regex_path(path):
        try:
            re.compile(path)
        except re.error as error:
            raise DriverError(
                f"resource '{uid}': params.path '{path}' is not a valid regular expression "
                f"({error})"
            ) from None
        alternatives = _alternatives(path)
        if len(alternatives) > 1 and not all(_ALTERNATIVE.match(a) for a in alternatives):
            raise DriverError(
                f"resource '{uid}': params.path '{path}': each alternative of a regular "
                "expression ('|') must start with '/', not followed by '*', '+', '?' or '{'"
            )
    return path


def _checked_port(uid: str, value: object) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise DriverError(f"resource '{uid}': params.port must be a port number or name")
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value
