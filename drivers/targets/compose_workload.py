"""One Score workload rendered as Compose services, env files and mounted files.

Each container becomes a service `<workload>-<container>`:

- `image`; Score `command` -> `entrypoint`, `args` -> `command` (as score-compose does),
  with Score's `$$` escape applied: Score `$${GREETING}` reaches the process as
  `${GREETING}` (for its shell to expand), as under score-compose; placeholders are not
  resolved there (Score expands them only in variables, files and volumes);
- `environment` (sorted) for plain variables; the ones that embed a secret go to the
  service's env file instead (referenced through `env_file`);
- files are written to `<stem>.files/<workload>/<container>/<target path>` beside the
  compose file (mode 0600 when the content embeds a secret, else the file's `mode`,
  else 0644) and bind-mounted read-only; contents are written verbatim (`noExpand`
  content included), binary contents decoded;
- volumes mount the named volume given by their (resolved) `source`, with `path` as
  `volume.subpath` and `readOnly` as `read_only`; the volume is declared at top level;
- `resources.limits/requests` -> `deploy.resources.limits/reservations`;
- an `exec` probe (readiness first, then liveness) -> `healthcheck` (`CMD`). An
  `httpGet` probe is not rendered: Compose runs health checks inside the container,
  where an HTTP client cannot be assumed;
- Score annotations -> `annotations`, plus `compose.score.dev/workload-name: <workload>`
  (as score-compose writes it);
- `depends_on`: the services that the resources the workload uses contributed, and the
  containers named in `before`; `service_healthy` when that service has a health
  check, `service_completed_successfully` for `before: complete`, else
  `service_started`.

Containers of one workload share a network namespace, as in a pod: the first container
(by name) carries the network alias `<workload>` and exposes the service ports
(`expose`; nothing is published to the host), the others join it through
`network_mode: service:<first>`. Every `$` in a rendered value is written as `$$`, so
Compose's interpolation leaves Score values as they are, except in a variable that reads
the environment where the workload starts (`DeployWorkload.deferred`): there each
variable is written `${NAME}`, for `docker compose up` to fill in.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from orchc.drivers.protocol import DeferredPart, DriverError, JsonObject
from orchc.drivers.targets.compose_quantities import QuantityError, compose_cpus, compose_memory
from orchc.drivers.targets.output_dir import OutputFile
from orchc.drivers.targets.score_workload import (
    Container,
    ContainerFile,
    Probe,
    Quantities,
    Workload,
)
from orchc.drivers.targets.sensitive_paths import dotted

WORKLOAD_ANNOTATION = "compose.score.dev/workload-name"
"""Marks a workload's services, as score-compose does (its patch templates look for it)."""

_CONDITIONS = {
    "started": "service_started",
    "healthy": "service_healthy",
    "complete": "service_completed_successfully",
}


@dataclass(frozen=True)
class Layout:
    """Where a compose file's companions go: `stem` is the compose file name without
    its suffix; the names are relative to the compose file's directory."""

    stem: str

    def env_file(self, service: str) -> str:
        return f"{self.stem}.{service}.env"

    def mounted_file(self, workload: str, container: str, target: str) -> str:
        return f"{self.stem}.files/{workload}/{container}/{target.lstrip('/')}"


@dataclass
class RenderedWorkload:
    """What one workload adds to the compose output."""

    services: dict[str, JsonObject] = field(default_factory=dict)
    secret_env: dict[str, dict[str, str]] = field(default_factory=dict)
    files: dict[str, OutputFile] = field(default_factory=dict)
    volumes: set[str] = field(default_factory=set)


def service_name(workload: str, container: str) -> str:
    return f"{workload}-{container}"


def render_workload(
    workload: Workload,
    layout: Layout,
    resource_services: list[str],
    other_services: Mapping[str, JsonObject],
) -> RenderedWorkload:
    """`workload` as services. `resource_services` are the services its resources
    contributed (its dependencies), found with their health checks in `other_services`."""
    rendered = RenderedWorkload()
    for name, container in sorted(workload.spec.containers.items()):
        renderer = _ContainerRenderer(workload, name, container, layout, rendered)
        rendered.services[renderer.service_name] = renderer.service() | _network(workload, name)

    def healthy(service: str) -> bool:
        body = rendered.services.get(service) or other_services.get(service) or {}
        return has_healthcheck(body)

    for name in sorted(workload.spec.containers):
        depends_on = _depends_on(workload, name, resource_services, healthy)
        service = rendered.services[service_name(workload.name, name)]
        service |= {"depends_on": depends_on} if depends_on else {}
    return rendered


def has_healthcheck(service: JsonObject) -> bool:
    check = service.get("healthcheck")
    return isinstance(check, dict) and not check.get("disable", False)


def escape(value: Any) -> Any:
    """Every string value in `value` with `$` written as `$$` (keys are left alone).

    >>> escape({"A": "$HOME", "B": ["a$b", 1]})
    {'A': '$$HOME', 'B': ['a$$b', 1]}
    """
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, list):
        return [escape(item) for item in value]
    if isinstance(value, dict):
        return {key: escape(item) for key, item in value.items()}
    return value


def score_unescape(text: str) -> str:
    """`text` with Score's escape undone: `$$` is one `$`, any other `$` stays.

    >>> score_unescape("echo $${GREETING} $$$HOME $1")
    'echo ${GREETING} $$HOME $1'
    """
    return text.replace("$$", "$")


def interpolated(parts: Iterable[DeferredPart]) -> str:
    """A deferred value as Compose reads it: `${NAME}` interpolated at `docker compose
    up`, every `$` of the text around it escaped.

    >>> interpolated([DeferredPart(variable="NAME"), DeferredPart(text=" owes $5")])
    '${NAME} owes $$5'
    """
    return "".join(
        escape(part.text) if part.variable is None else f"${{{part.variable}}}" for part in parts
    )


def _main_service(workload: Workload) -> str:
    """The service whose network namespace the workload's other containers join."""
    return service_name(workload.name, min(workload.spec.containers))


def _network(workload: Workload, container: str) -> JsonObject:
    main = _main_service(workload)
    if service_name(workload.name, container) != main:
        return {"network_mode": f"service:{main}"}
    network: JsonObject = {"networks": {"default": {"aliases": [workload.name]}}}
    exposed = {f"{p.container_port}/{p.protocol.lower()}" for p in workload.ports().values()}
    return network | ({"expose": sorted(exposed)} if exposed else {})


def _depends_on(
    workload: Workload,
    container: str,
    resource_services: list[str],
    healthy: Callable[[str], bool],
) -> JsonObject:
    def condition(name: str, wanted: str) -> str:
        if wanted == "healthy" and not healthy(name):
            return "service_started"
        return _CONDITIONS[wanted]

    depends: JsonObject = {
        name: {"condition": condition(name, "healthy")} for name in resource_services
    }
    main = _main_service(workload)
    if service_name(workload.name, container) != main:
        depends[main] = {"condition": "service_started"}
    for other, before in sorted(workload.spec.containers[container].before.items()):
        if other not in workload.spec.containers:
            raise DriverError(
                f"workload '{workload.name}': 'before' names the unknown container '{other}'"
            )
        name = service_name(workload.name, other)
        depends[name] = {"condition": condition(name, before.ready)}
    return depends


class _ContainerRenderer:
    """Renders one container, recording its env secrets and files on `rendered`."""

    def __init__(
        self,
        workload: Workload,
        name: str,
        container: Container,
        layout: Layout,
        rendered: RenderedWorkload,
    ) -> None:
        self.workload = workload
        self.name = name
        self.container = container
        self.layout = layout
        self.rendered = rendered
        self.service_name = service_name(workload.name, name)

    def service(self) -> JsonObject:
        container = self.container
        body: JsonObject = {"image": container.image}
        if container.command is not None:
            body["entrypoint"] = [score_unescape(word) for word in container.command]
        if container.args is not None:
            body["command"] = [score_unescape(word) for word in container.args]
        environment = self._environment()  # written as Compose reads it, not escaped
        optional = {
            "env_file": self._env_file(),
            "volumes": self._file_mounts() + self._volume_mounts(),
            "healthcheck": _healthcheck(container.readiness_probe, container.liveness_probe),
            "deploy": self._deploy(),
            "annotations": dict(self.workload.spec.metadata.annotations)
            | {WORKLOAD_ANNOTATION: self.workload.name},
        }
        body |= {key: value for key, value in optional.items() if value}
        return dict(escape(body)) | ({"environment": environment} if environment else {})

    def _where(self, *path: str) -> str:
        return f"workload '{self.workload.name}': " + dotted(("containers", self.name, *path))

    def _environment(self) -> JsonObject:
        plain: JsonObject = {}
        for variable, value in sorted(self.container.variables.items()):
            parts = self.workload.deferred_variable(self.name, variable)
            if parts is not None:
                plain[variable] = interpolated(parts)
            elif self.workload.secret_variable(self.name, variable):
                self.rendered.secret_env.setdefault(self.service_name, {})[variable] = value
            else:
                plain[variable] = escape(value)
        return plain

    def _env_file(self) -> list[str]:
        has_secrets = self.service_name in self.rendered.secret_env
        return [self.layout.env_file(self.service_name)] if has_secrets else []

    def _file_mounts(self) -> list[JsonObject]:
        mounts: list[JsonObject] = []
        for target, file in sorted(self.container.files.items()):
            relative = self.layout.mounted_file(self.workload.name, self.name, target)
            _check_target(target, self._where("files", target))
            self.rendered.files[relative] = self._file_output(target, file)
            mount = {"type": "bind", "source": f"./{relative}", "target": target}
            mounts.append(mount | {"read_only": True})
        return mounts

    def _file_output(self, target: str, file: ContainerFile) -> OutputFile:
        secret = self.workload.secret_file(self.name, target)
        given = file.octal_mode()
        mode = 0o600 if secret else (0o644 if given is None else given)
        if file.binary_content is None:
            return OutputFile((file.content or "").encode("utf-8"), mode)
        try:
            return OutputFile(base64.b64decode(file.binary_content, validate=True), mode)
        except binascii.Error:
            where = self._where("files", target, "binaryContent")
            raise DriverError(f"{where} is not valid base64") from None

    def _volume_mounts(self) -> list[JsonObject]:
        mounts: list[JsonObject] = []
        for target, volume in sorted(self.container.volumes.items()):
            mount: JsonObject = {"type": "volume", "source": volume.source, "target": target}
            if volume.read_only is not None:
                mount["read_only"] = volume.read_only
            if volume.path is not None:
                mount["volume"] = {"subpath": volume.path.lstrip("/")}
            self.rendered.volumes.add(volume.source)
            mounts.append(mount)
        return mounts

    def _deploy(self) -> JsonObject:
        resources = self.container.resources
        if resources is None:
            return {}
        sections = {
            "limits": self._quantities(resources.limits, "limits"),
            "reservations": self._quantities(resources.requests, "requests"),
        }
        present = {key: value for key, value in sections.items() if value}
        return {"resources": present} if present else {}

    def _quantities(self, quantities: Quantities | None, section: str) -> JsonObject:
        if quantities is None:
            return {}
        converted: JsonObject = {}
        try:
            if quantities.cpu is not None:
                converted["cpus"] = compose_cpus(quantities.cpu)
            if quantities.memory is not None:
                converted["memory"] = compose_memory(quantities.memory)
        except QuantityError as error:
            raise DriverError(f"{self._where('resources', section)}: {error}") from None
        return converted


def _healthcheck(*probes: Probe | None) -> JsonObject:
    for probe in probes:
        if probe is not None and probe.exec_ is not None:
            return {"test": ["CMD", *probe.exec_.command]}
    return {}


def _check_target(target: str, where: str) -> None:
    path = PurePosixPath(target)
    if not path.is_absolute() or ".." in path.parts or len(path.parts) < 2:
        raise DriverError(f"{where}: the target must be an absolute file path without '..'")
