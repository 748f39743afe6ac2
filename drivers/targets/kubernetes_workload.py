"""One Score workload rendered as Kubernetes objects.

For a workload `web` this makes:

- `Deployment/web` (selector `app.kubernetes.io/name: web`; no `replicas`, so
  `kubectl scale` and a HorizontalPodAutoscaler keep theirs): one container per Score
  container, sorted by name, with image, command, args, env (sorted), resources, probes
  (an `exec` probe wins over `httpGet` when both are given, as the Score schema
  recommends) and volume mounts; the first container (by name) declares the service
  ports as `containerPort`s (pod containers share one network, so one declaration
  serves them all). Score annotations on the Deployment and its pod template. The
  annotation `k8s.score.dev/kind: StatefulSet` makes it a `StatefulSet/web` instead,
  with the headless `Service/web-headless` its `serviceName` names, as score-k8s does.
- `Service/web` when the workload has `service.ports` (targetPort defaults to port);
  the annotation `k8s.score.dev/service-name` gives it another name
  (`kubernetes_services.py`).
- `ConfigMap/web-files` for file contents (`binaryContent` in `binaryData`), and
  `Secret/web-secret-files` for the contents that embed a secret; each file is mounted
  alone with `subPath` at its target path, read-only, with its `mode`.
- `Secret/web-env` for the variables that embed a secret, read through
  `valueFrom.secretKeyRef`; secret values appear nowhere else.
- Score volumes mount the `persistentVolumeClaim` named by their (resolved) `source`,
  with `path` as `subPath` and `readOnly`.

Kubernetes expands `$(VAR)` in env values, command and args; strings that contain
`$(` or `$$` are escaped so the container sees exactly what Score says. Container
`before` ordering has no Deployment equivalent and is not rendered.
"""

from __future__ import annotations

import base64
import binascii

from orchc.drivers.protocol import DriverError, JsonObject
from orchc.drivers.targets.kubernetes_names import DNS_SUBDOMAIN, config_key, port_name, volume_name
from orchc.drivers.targets.kubernetes_objects import (
    MANAGED_BY_LABELS,
    encode,
    literal,
    metadata,
    secret,
    workload_labels,
)
from orchc.drivers.targets.kubernetes_services import (
    headless_name,
    headless_service,
    service,
    workload_kind,
)
from orchc.drivers.targets.score_workload import Container, ContainerFile, Probe, Workload
from orchc.drivers.targets.sensitive_paths import dotted

FILES_VOLUME = "files"
SECRET_FILES_VOLUME = "secret-files"


def render_workload(workload: Workload, namespace: str | None) -> list[JsonObject]:
    """The objects of `workload`: ConfigMap and Secrets first (pods need them), then
    the Deployment (or StatefulSet and its headless Service) and the Service."""
    objects = [*_file_objects(workload, namespace), *_env_secret(workload, namespace)]
    if workload_kind(workload) == "StatefulSet":
        objects.append(headless_service(workload, namespace))
    objects.append(_controller(workload, namespace))
    if workload.ports():
        objects.append(service(workload, namespace))
    return objects


def _with_annotations(meta: JsonObject, workload: Workload) -> JsonObject:
    annotations = workload.spec.metadata.annotations
    return {**meta, "annotations": dict(annotations)} if annotations else meta


# --- files -------------------------------------------------------------------------


def file_key(container: str, target: str) -> str:
    """The ConfigMap/Secret key holding the file `target` of `container`."""
    return config_key(f"{container}{target}")


def _file_objects(workload: Workload, namespace: str | None) -> list[JsonObject]:
    plain: JsonObject = {}
    binary: JsonObject = {}
    sealed: JsonObject = {}
    for container_name, container in sorted(workload.spec.containers.items()):
        for target, file in sorted(container.files.items()):
            key = file_key(container_name, target)
            if workload.secret_file(container_name, target):
                sealed[key] = _file_base64(workload, container_name, target, file)
            elif file.binary_content is not None:
                binary[key] = _file_base64(workload, container_name, target, file)
            else:
                plain[key] = file.content
    labels = workload_labels(workload.name)
    objects: list[JsonObject] = []
    if plain or binary:
        config_map: JsonObject = {"apiVersion": "v1", "kind": "ConfigMap"}
        config_map["metadata"] = metadata(f"{workload.name}-files", namespace, labels)
        config_map |= {"data": plain} if plain else {}
        config_map |= {"binaryData": binary} if binary else {}
        objects.append(config_map)
    if sealed:
        objects.append(secret(f"{workload.name}-secret-files", namespace, labels, sealed))
    return objects


def _file_base64(workload: Workload, container: str, target: str, file: ContainerFile) -> str:
    if file.binary_content is None:
        return encode(file.content or "")
    try:
        base64.b64decode(file.binary_content, validate=True)
    except binascii.Error:
        where = dotted(("containers", container, "files", target, "binaryContent"))
        raise DriverError(f"workload '{workload.name}': {where} is not valid base64") from None
    return file.binary_content


def _file_volumes(workload: Workload) -> list[JsonObject]:
    items: dict[str, list[JsonObject]] = {FILES_VOLUME: [], SECRET_FILES_VOLUME: []}
    for container_name, container in sorted(workload.spec.containers.items()):
        for target, file in sorted(container.files.items()):
            key = file_key(container_name, target)
            item: JsonObject = {"key": key, "path": key}
            mode = file.octal_mode()
            item |= {} if mode is None else {"mode": mode}
            items[_file_volume(workload, container_name, target)].append(item)
    volumes: list[JsonObject] = []
    if items[FILES_VOLUME]:
        source = {"name": f"{workload.name}-files", "items": items[FILES_VOLUME]}
        volumes.append({"name": FILES_VOLUME, "configMap": source})
    if items[SECRET_FILES_VOLUME]:
        sealed = {
            "secretName": f"{workload.name}-secret-files",
            "items": items[SECRET_FILES_VOLUME],
        }
        volumes.append({"name": SECRET_FILES_VOLUME, "secret": sealed})
    return volumes


def _file_volume(workload: Workload, container: str, target: str) -> str:
    return SECRET_FILES_VOLUME if workload.secret_file(container, target) else FILES_VOLUME


def _file_mounts(workload: Workload, name: str, container: Container) -> list[JsonObject]:
    return [
        {
            "name": _file_volume(workload, name, target),
            "mountPath": target,
            "subPath": file_key(name, target),
            "readOnly": True,
        }
        for target in sorted(container.files)
    ]


# --- volumes -----------------------------------------------------------------------


def _claim_volumes(workload: Workload) -> list[JsonObject]:
    claims: dict[str, JsonObject] = {}
    for container_name, container in sorted(workload.spec.containers.items()):
        for target, volume in sorted(container.volumes.items()):
            if not DNS_SUBDOMAIN.match(volume.source):
                where = dotted(("containers", container_name, "volumes", target, "source"))
                raise DriverError(
                    f"workload '{workload.name}': {where} {volume.source!r} is not a valid "
                    "PersistentVolumeClaim name (an RFC 1123 subdomain)"
                )
            claim = {"name": volume_name("pvc", volume.source)}
            claims[volume.source] = claim | {"persistentVolumeClaim": {"claimName": volume.source}}
    return [claims[source] for source in sorted(claims)]


def _claim_mounts(container: Container) -> list[JsonObject]:
    mounts: list[JsonObject] = []
    for target, volume in sorted(container.volumes.items()):
        mount: JsonObject = {"name": volume_name("pvc", volume.source), "mountPath": target}
        mount |= {} if volume.path is None else {"subPath": volume.path.lstrip("/")}
        mount |= {} if volume.read_only is None else {"readOnly": volume.read_only}
        mounts.append(mount)
    return mounts


# --- containers --------------------------------------------------------------------


def _env_secret_name(workload: Workload) -> str:
    return f"{workload.name}-env"


def _env_secret(workload: Workload, namespace: str | None) -> list[JsonObject]:
    data: JsonObject = {}
    for container_name, container in sorted(workload.spec.containers.items()):
        for variable, value in sorted(container.variables.items()):
            if workload.secret_variable(container_name, variable):
                data[config_key(f"{container_name}.{variable}")] = encode(value)
    if not data:
        return []
    return [secret(_env_secret_name(workload), namespace, workload_labels(workload.name), data)]


def _env(workload: Workload, name: str, container: Container) -> list[JsonObject]:
    env: list[JsonObject] = []
    for variable, value in sorted(container.variables.items()):
        if workload.secret_variable(name, variable):
            key = config_key(f"{name}.{variable}")
            reference = {"secretKeyRef": {"name": _env_secret_name(workload), "key": key}}
            env.append({"name": variable, "valueFrom": reference})
        else:
            env.append({"name": variable, "value": literal(value)})
    return env


def _container_ports(workload: Workload) -> list[JsonObject]:
    ports: dict[tuple[int, str], JsonObject] = {}
    for name, port in sorted(workload.ports().items()):
        key = (port.container_port, port.protocol)
        entry = {"name": port_name(name), "containerPort": key[0], "protocol": key[1]}
        ports.setdefault(key, entry)  # two Score ports to one container port: declared once
    return list(ports.values())


def _container(workload: Workload, name: str, container: Container) -> JsonObject:
    rendered: JsonObject = {"name": name, "image": container.image}
    if name == min(workload.spec.containers):
        rendered |= {"ports": ports} if (ports := _container_ports(workload)) else {}
    if container.command is not None:
        rendered["command"] = [literal(part) for part in container.command]
    if container.args is not None:
        rendered["args"] = [literal(part) for part in container.args]
    optional = {
        "env": _env(workload, name, container),
        "resources": _resources(container),
        "livenessProbe": _probe(container.liveness_probe),
        "readinessProbe": _probe(container.readiness_probe),
        "volumeMounts": sorted(
            _file_mounts(workload, name, container) + _claim_mounts(container),
            key=lambda mount: str(mount["mountPath"]),
        ),
    }
    return rendered | {field: value for field, value in optional.items() if value}


def _resources(container: Container) -> JsonObject:
    if container.resources is None:
        return {}
    sections = {"limits": container.resources.limits, "requests": container.resources.requests}
    return {
        section: quantities.model_dump(exclude_none=True)
        for section, quantities in sections.items()
        if quantities is not None and quantities.model_dump(exclude_none=True)
    }


def _probe(probe: Probe | None) -> JsonObject:
    if probe is None:
        return {}
    if probe.exec_ is not None:
        return {"exec": {"command": list(probe.exec_.command)}}
    if probe.http_get is None:
        return {}
    http = probe.http_get
    action: JsonObject = {"path": http.path, "port": http.port}
    action |= {} if http.host is None else {"host": http.host}
    action |= {} if http.scheme is None else {"scheme": http.scheme}
    if http.http_headers:
        action["httpHeaders"] = [header.model_dump() for header in http.http_headers]
    return {"httpGet": action}


# --- the Deployment (or StatefulSet) ----------------------------------------------


def _controller(workload: Workload, namespace: str | None) -> JsonObject:
    labels = workload_labels(workload.name)
    pod_spec: JsonObject = {
        "containers": [
            _container(workload, name, container)
            for name, container in sorted(workload.spec.containers.items())
        ]
    }
    volumes = _file_volumes(workload) + _claim_volumes(workload)
    pod_spec |= {"volumes": volumes} if volumes else {}
    pod_metadata = _with_annotations({"labels": {**labels, **MANAGED_BY_LABELS}}, workload)
    spec: JsonObject = {
        "selector": {"matchLabels": labels},
        "template": {"metadata": pod_metadata, "spec": pod_spec},
    }
    kind = workload_kind(workload)
    if kind == "StatefulSet":
        spec["serviceName"] = headless_name(workload)
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": _with_annotations(metadata(workload.name, namespace, labels), workload),
        "spec": spec,
    }
