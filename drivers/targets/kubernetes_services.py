"""A workload's Services and the kind of its controller, as its annotations say.

- `Service/<workload>` for the Score service ports, named by the annotation
  `k8s.score.dev/service-name` when given (routes follow it);
- `k8s.score.dev/kind: StatefulSet` makes the controller a StatefulSet, whose
  `serviceName` is the headless `Service/<workload>-headless` written beside it, as
  score-k8s does; `Deployment` is the default, any other kind an error.
"""

from __future__ import annotations

import re

from orchc.drivers.protocol import DriverError, JsonObject
from orchc.drivers.targets.kubernetes_names import port_name
from orchc.drivers.targets.kubernetes_objects import metadata, workload_labels
from orchc.drivers.targets.score_workload import Workload

KIND_ANNOTATION = "k8s.score.dev/kind"
SERVICE_NAME_ANNOTATION = "k8s.score.dev/service-name"
_KINDS = ("Deployment", "StatefulSet")

_DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?\Z")


def workload_kind(workload: Workload) -> str:
    """`Deployment`, or what the `k8s.score.dev/kind` annotation asks for."""
    kind = workload.spec.metadata.annotations.get(KIND_ANNOTATION, "Deployment")
    if kind not in _KINDS:
        shown = kind.encode("unicode_escape").decode("ascii")[:63]
        raise DriverError(
            f"workload '{workload.name}': metadata.annotations.{KIND_ANNOTATION} must be "
            f"Deployment or StatefulSet, not '{shown}'"
        )
    return kind


def service_name(workload: Workload) -> str:
    """The name of the workload's Service: the workload's, unless the
    `k8s.score.dev/service-name` annotation gives one (a DNS-1035 label)."""
    annotations = workload.spec.metadata.annotations
    name = annotations.get(SERVICE_NAME_ANNOTATION, workload.name)
    if _DNS_1035_LABEL.match(name):
        return name
    if SERVICE_NAME_ANNOTATION not in annotations:
        raise DriverError(
            f"workload '{workload.name}': a Kubernetes Service name must start with a letter; "
            f"rename the workload, set {SERVICE_NAME_ANNOTATION} or remove its service ports"
        )
    shown = name.encode("unicode_escape").decode("ascii")[:63]
    raise DriverError(
        f"workload '{workload.name}': metadata.annotations.{SERVICE_NAME_ANNOTATION} "
        f"'{shown}' is not a valid Service name (lower-case letters, digits and '-', "
        "starting with a letter, at most 63 characters)"
    )


def service(workload: Workload, namespace: str | None) -> JsonObject:
    """The Service of the workload's service ports (targetPort defaults to port)."""
    labels = workload_labels(workload.name)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(service_name(workload), namespace, labels),
        "spec": {"selector": labels, "ports": _service_ports(workload)},
    }


def headless_name(workload: Workload) -> str:
    return f"{workload.name}-headless"


def headless_service(workload: Workload, namespace: str | None) -> JsonObject:
    """The Service a StatefulSet's `serviceName` names: headless (no cluster IP), it
    gives each pod a stable DNS name."""
    if not _DNS_1035_LABEL.match(headless_name(workload)):
        raise DriverError(
            f"workload '{workload.name}': a StatefulSet's headless Service name must start "
            "with a letter and have at most 63 characters; rename the workload"
        )
    labels = workload_labels(workload.name)
    spec: JsonObject = {"clusterIP": "None", "selector": labels}
    spec |= {"ports": ports} if (ports := _service_ports(workload)) else {}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(headless_name(workload), namespace, labels),
        "spec": spec,
    }


def _service_ports(workload: Workload) -> list[JsonObject]:
    return [
        {
            "name": port_name(name),
            "port": port.port,
            "targetPort": port.container_port,
            "protocol": port.protocol,
        }
        for name, port in sorted(workload.ports().items())
    ]
