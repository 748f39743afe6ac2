"""The Compose gateway: one nginx service that serves every route of the deployment.

Route requests (`route_requests.py`) cannot be deployed by Compose as such; instead the
target adds, when there is at least one, the service `orchc-gateway`: the image
`nginx:1-alpine` (input `gateway_image`) published on `127.0.0.1:<publish_port>`
(default 8080) with the configuration file `<stem>.gateway.nginx.conf` written beside
the compose file. Each route's host gets a `server`, each path a `location` that proxies
to `<workload>:<container port>` (the network alias of the workload's first container
and the `targetPort` of the service port the route names), so

    curl http://shop.localhost:8080/api

reaches the workload as a Kubernetes Ingress would. A plain path matches itself and
what is below it (`/api` matches `/api` and `/api/x`, not `/apix`); a path with
regular-expression characters matches as a regular expression anchored at the start
(`^<path>(/|$)`, as score-compose reads it), every alternative of it: `/a|/b` is written
`^/(a|b)(/|$)` (`orchc.score_values.routed_regex`, which an Ingress is written with
too), where score-compose's `^/a|/b` would match `/b` anywhere in the path. A host
that no route names, and a path that no route of its host covers, get 404.

Workload names are resolved when a request comes (Docker's DNS at 127.0.0.11), so the
gateway starts before the workloads and follows them when they restart.

Hosts and paths are untrusted Score values: `route_requests.py` has refused every
character that could end a name or a string in nginx's syntax (quotes, spaces, `\\`,
`#`, control characters), and each path is written inside double quotes, so `;` `{`
`}` stay part of the path.

>>> print(location_lines("/api", "web:8080")[0])
location = "/api" {
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from orchc.drivers.protocol import DeployWorkload, DriverError, JsonObject
from orchc.drivers.targets.output_dir import OutputFile
from orchc.drivers.targets.route_requests import RouteRequest
from orchc.score_values import is_regex_path, routed_regex

GATEWAY_SERVICE = "orchc-gateway"
DEFAULT_IMAGE = "nginx:1-alpine"
DEFAULT_PORT = 8080

_HEADER = """\
# Written by orchc: the local gateway for this deployment's routes (see docs/defaults.md).
worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr warn;
events {
  worker_connections 1024;
}
http {
  access_log /dev/stdout;
  # Docker's DNS, asked when a request comes: the workloads may start after the gateway.
  resolver 127.0.0.11 valid=10s ipv6=off;
  proxy_http_version 1.1;
  proxy_set_header Host $http_host;
  proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
  proxy_set_header X-Forwarded-Proto $scheme;
  proxy_connect_timeout 5s;
  client_max_body_size 10m;
  # Room for host names of 253 characters, which a route may have: with the default
  # (64) several long names fail nginx's start, and the gateway with them.
  server_names_hash_bucket_size 512;

  server {
    listen 80 default_server;
    return 404;
  }
"""


@dataclass(frozen=True)
class GatewaySettings:
    """The compose target's inputs for the gateway."""

    publish_port: int = DEFAULT_PORT
    image: str = DEFAULT_IMAGE


DEFAULT_GATEWAY = GatewaySettings()


@dataclass(frozen=True)
class Gateway:
    """What the gateway adds to the compose output: its service and its config file."""

    service: JsonObject
    config_path: str
    config: OutputFile


def render_gateway(
    routes: Iterable[RouteRequest],
    workloads: Iterable[DeployWorkload],
    settings: GatewaySettings,
    stem: str,
) -> Gateway | None:
    """The gateway for `routes` (None when there are none); `stem` is the compose
    file's name without suffix."""
    upstreams = _upstreams(routes, tuple(workloads))
    if not upstreams:
        return None
    config_path = f"{stem}.gateway.nginx.conf"
    config = OutputFile(nginx_config(upstreams).encode("utf-8"))
    return Gateway(_service(settings, config_path), config_path, config)


def nginx_config(upstreams: dict[tuple[str, str], str]) -> str:
    """The whole nginx.conf: a server per host, a location (or two) per path, each
    proxying to its `host:port` upstream. Keys are (host, path)."""
    lines = [_HEADER]
    for host in sorted({host for host, _ in upstreams}):
        lines += ["  server {", "    listen 80;", f"    server_name {host};"]
        paths = sorted((path, upstream) for (on, path), upstream in upstreams.items() if on == host)
        for path, upstream in paths:
            lines += [f"    {line}" for line in location_lines(path, upstream)]
        if "/" not in {path for path, _ in paths}:
            lines += ["    location / {", "      return 404;", "    }"]  # no route covers it
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def location_lines(path: str, upstream: str) -> list[str]:
    """The nginx `location` blocks for one path."""
    body = [f"  set $upstream {upstream};", "  proxy_pass http://$upstream;", "}"]
    if is_regex_path(path):
        return [f'location ~ "^{routed_regex(path)}" {{', *body]
    prefix = path.rstrip("/")
    if not prefix:
        return ["location / {", *body]
    return [f'location = "{prefix}" {{', *body, f'location "{prefix}/" {{', *body]


def _upstreams(
    routes: Iterable[RouteRequest], workloads: tuple[DeployWorkload, ...]
) -> dict[tuple[str, str], str]:
    """(host, path) -> `workload:port`; one (host, path) sent two places is an error."""
    upstreams: dict[tuple[str, str], str] = {}
    owners: dict[tuple[str, str], str] = {}
    for route in sorted(routes, key=lambda r: r.uid):
        _, port = route.service_port(workloads)
        key = (route.host, _normal(route.path))
        upstream = f"{route.workload}:{port.container_port}"
        if upstreams.setdefault(key, upstream) != upstream:
            raise DriverError(
                f"resource '{owners[key]}' and resource '{route.uid}' both route "
                f"http://{route.host}{route.path} to different workloads or ports"
            )
        owners.setdefault(key, route.uid)
    return upstreams


def _normal(path: str) -> str:
    """A plain path without its trailing `/` (`/api/` routes as `/api`, as a Kubernetes
    Prefix path does); a regular expression as written."""
    return path if is_regex_path(path) else path.rstrip("/") or "/"


def _service(settings: GatewaySettings, config_path: str) -> JsonObject:
    published = {
        "target": 80,
        "published": str(settings.publish_port),
        "host_ip": "127.0.0.1",
        "protocol": "tcp",
    }
    config = {
        "type": "bind",
        "source": f"./{config_path}",
        "target": "/etc/nginx/nginx.conf",
        "read_only": True,
    }
    return {
        "image": settings.image,
        "restart": "unless-stopped",
        "ports": [published],
        "volumes": [config],
        "labels": {"dev.orchc.gateway": "routes"},
    }
