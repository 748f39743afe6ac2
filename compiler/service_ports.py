"""Score `service-port` params: a port *name* looked up in the named workload's ports.

A `service-port` resource (`params: {workload: backend, port: web}`) asks how to reach
a port of another workload of the deployment. The port is named as that workload's
Score file names it under `service.ports`, as score-compose and score-k8s expect, so the
plan resolves the name: `port` becomes the port's number and `targetPort` is added (the
port the container listens on: Score's `targetPort`, else `port`). The definition picks
what its target needs (a Kubernetes Service listens on `port`; on Compose the other
workload is reached on its container's port). A name the workload does not declare is
a located plan error; a name for a workload that is not part of the deployment cannot be
looked up, and is passed on as given with a located warning (a definition of yours may
know it; the default fails). A number is kept as given, with the `targetPort` of the
port of that number when the workload declares one.

>>> ports = {"backend": {"web": ServicePort(8080, 80)}}
>>> resolve_service_port({"workload": "backend", "port": "web"}, ports)
{'workload': 'backend', 'port': 8080, 'targetPort': 80}
>>> resolve_service_port({"workload": "backend", "port": 8080}, ports)
{'workload': 'backend', 'port': 8080, 'targetPort': 80}
>>> resolve_service_port({"workload": "elsewhere", "port": 5000}, ports)
{'workload': 'elsewhere', 'port': 5000}
>>> resolve_service_port({"workload": "backend", "port": "api"}, ports)
Traceback (most recent call last):
...
orchc.compiler.service_ports.UnknownPort: workload 'backend' has no service port 'api' (its ...
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from pydantic import JsonValue

from orchc.grammar.diagnostics import Diagnostic

from .score.workload import ScoreWorkload

SERVICE_PORT_TYPE = "service-port"


class ServicePort(NamedTuple):
    port: int
    target_port: int


WorkloadPorts = Mapping[str, Mapping[str, ServicePort]]
"""workload name -> port name -> its numbers."""


class UnknownPort(Exception):
    """A port name the workload does not declare; the message says which it does."""


class UnlistedWorkload(Exception):
    """A port name for a workload outside the deployment: a warning, not an error."""


def workload_ports(workloads: Iterable[ScoreWorkload]) -> dict[str, dict[str, ServicePort]]:
    """Every workload's Score `service.ports`, by workload and port name."""
    return {workload.name: _ports(workload.spec) for workload in workloads}


def _ports(spec: Mapping[str, JsonValue]) -> dict[str, ServicePort]:
    service = spec.get("service")
    declared = service.get("ports") if isinstance(service, dict) else None
    found: dict[str, ServicePort] = {}
    for name, entry in (declared or {}).items() if isinstance(declared, dict) else ():
        port = entry.get("port") if isinstance(entry, dict) else None
        if isinstance(port, int):
            target = entry.get("targetPort") if isinstance(entry, dict) else None
            found[name] = ServicePort(port, target if isinstance(target, int) else port)
    return found


def resolve_service_port(
    params: dict[str, JsonValue], ports: WorkloadPorts
) -> dict[str, JsonValue]:
    """`params` of a `service-port` resource with its port resolved (see the module);
    raises `UnknownPort` or `UnlistedWorkload`. Values that are not plain text
    (placeholders) are left alone."""
    workload, port = params.get("workload"), params.get("port")
    if not isinstance(workload, str) or "$" in workload:
        return params
    declared = ports.get(workload)
    if isinstance(port, str) and not port.isdigit() and "$" not in port:
        if declared is None:
            raise UnlistedWorkload(
                f"port '{port}' is a name, but workload '{workload}' is not part of this "
                "deployment, so it cannot be looked up: it is passed on as given"
            )
        if port not in declared:
            names = ", ".join(sorted(declared)) or "none"
            raise UnknownPort(
                f"workload '{workload}' has no service port '{port}' (its ports: {names})"
            )
        found = declared[port]
        return params | {"port": found.port, "targetPort": found.target_port}
    number = int(port) if isinstance(port, str) and port.isdigit() else port
    by_number = {p.port: p for p in (declared or {}).values()}
    if isinstance(number, int) and number in by_number:
        return params | {"targetPort": by_number[number].target_port}
    return params


def check_service_ports(workloads: list[ScoreWorkload]) -> list[Diagnostic]:
    """Every `service-port` port name that cannot be looked up, at its `port:` line: an
    error for a name the workload does not declare, a warning for a workload outside
    the deployment (`orchc check` and `orchc plan` both report them)."""
    ports = workload_ports(workloads)
    found: list[Diagnostic] = []
    for workload in workloads:
        for resource in workload.resources:
            if resource.type != SERVICE_PORT_TYPE:
                continue
            span = workload.locate(("resources", resource.name, "params", "port"))
            try:
                resolve_service_port(dict(resource.params), ports)
            except UnknownPort as error:
                found.append(Diagnostic.error(span, str(error)))
            except UnlistedWorkload as warning:
                found.append(Diagnostic.warning(span, str(warning)))
    return found
