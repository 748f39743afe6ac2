"""A typed view of the normalised Score document a target renders.

The runtime hands each workload over as plain JSON: map form of `files` and `volumes`,
file `source` already read into `content` or `binaryContent`, every placeholder
resolved. `parse_workload` decodes it strictly (unknown keys inside a container are
errors, as in the Score schema) and checks that secret values sit only where a target
can deliver them through a secret channel: container `variables` and file contents.
Everything a target renders from the spec comes from these models, never from the raw
JSON, and every error names the workload and the field, never a value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orchc.drivers.protocol import (
    DeferredPart,
    DeployWorkload,
    DriverError,
    JsonObject,
    JsonPath,
)
from orchc.drivers.targets.sensitive_paths import SensitivePaths, dotted, touches


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class HttpHeader(_Model):
    name: str
    value: str


class HttpGet(_Model):
    port: int
    path: str
    host: str | None = None
    scheme: Literal["HTTP", "HTTPS"] | None = None
    http_headers: tuple[HttpHeader, ...] = Field(default=(), alias="httpHeaders")


class ExecAction(_Model):
    command: tuple[str, ...]


class Probe(_Model):
    http_get: HttpGet | None = Field(default=None, alias="httpGet")
    exec_: ExecAction | None = Field(default=None, alias="exec")


class Quantities(_Model):
    cpu: str | None = None
    memory: str | None = None


class Resources(_Model):
    limits: Quantities | None = None
    requests: Quantities | None = None


class ContainerFile(_Model):
    """A file to mount. `source` may survive normalisation beside the content it was
    read into; `noExpand` only mattered when placeholders were resolved."""

    content: str | None = None
    binary_content: str | None = Field(default=None, alias="binaryContent")
    mode: str | None = Field(default=None, pattern=r"^0?[0-7]{3}$")
    source: str | None = None
    no_expand: bool | None = Field(default=None, alias="noExpand")

    def octal_mode(self) -> int | None:
        """`mode` ("0600", "644") as an integer, or None when unset."""
        return None if self.mode is None else int(self.mode, 8)


class ContainerVolume(_Model):
    source: str
    path: str | None = None
    read_only: bool | None = Field(default=None, alias="readOnly")


class Before(_Model):
    ready: Literal["started", "healthy", "complete"]


class Container(_Model):
    image: str
    command: tuple[str, ...] | None = None
    args: tuple[str, ...] | None = None
    variables: dict[str, str] = Field(default_factory=dict)
    files: dict[str, ContainerFile] = Field(default_factory=dict)
    volumes: dict[str, ContainerVolume] = Field(default_factory=dict)
    before: dict[str, Before] = Field(default_factory=dict)
    resources: Resources | None = None
    liveness_probe: Probe | None = Field(default=None, alias="livenessProbe")
    readiness_probe: Probe | None = Field(default=None, alias="readinessProbe")


class ServicePort(_Model):
    port: int
    protocol: Literal["TCP", "UDP"] = "TCP"
    target_port: int | None = Field(default=None, alias="targetPort")

    @property
    def container_port(self) -> int:
        """The port the container listens on (`targetPort`, defaulting to `port`)."""
        return self.port if self.target_port is None else self.target_port


class Service(_Model):
    ports: dict[str, ServicePort] = Field(default_factory=dict)


class Metadata(BaseModel):
    # Score allows any extra metadata key; only these two are rendered.
    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    annotations: dict[str, str] = Field(default_factory=dict)


class Spec(_Model):
    api_version: str | None = Field(default=None, alias="apiVersion")
    metadata: Metadata
    containers: dict[str, Container]
    service: Service | None = None
    resources: JsonObject = Field(default_factory=dict)


@dataclass(frozen=True)
class Workload:
    """One workload to render: its name, typed spec, which values are secret and which
    variables are read where the workload starts (`deferred`, by path; see
    `DeferredValue`)."""

    name: str
    spec: Spec
    sensitive: SensitivePaths
    deferred: Mapping[JsonPath, tuple[DeferredPart, ...]] = field(default_factory=dict)

    def deferred_variable(self, container: str, variable: str) -> tuple[DeferredPart, ...] | None:
        return self.deferred.get(("containers", container, "variables", variable))

    def secret_variable(self, container: str, variable: str) -> bool:
        return self.sensitive.covers(("containers", container, "variables", variable))

    def secret_file(self, container: str, target: str) -> bool:
        return self.sensitive.covers(("containers", container, "files", target)) or any(
            self.sensitive.covers(("containers", container, "files", target, key))
            for key in ("content", "binaryContent")
        )

    def ports(self) -> dict[str, ServicePort]:
        return {} if self.spec.service is None else self.spec.service.ports


def parse_workload(workload: DeployWorkload) -> Workload:
    """`workload` decoded, with every file's content present and every secret in a
    place that can carry one; a `DriverError` naming the workload otherwise."""
    try:
        spec = Spec.model_validate(workload.spec)
    except ValidationError as error:
        problems = "; ".join(
            f"{dotted(tuple(detail['loc']))}: {detail['msg']}" for detail in error.errors()
        )
        raise DriverError(f"workload '{workload.name}': invalid spec: {problems}") from None
    sensitive = SensitivePaths(workload.sensitive)
    _check_secret_places(workload.name, sensitive)
    _check_file_contents(workload.name, spec)
    _check_variable_names(workload.name, spec)
    deferred = {value.path: value.parts for value in workload.deferred}
    _check_deferred(workload.name, spec, deferred)
    return Workload(workload.name, spec, sensitive, deferred)


def _check_deferred(name: str, spec: Spec, deferred: Mapping[JsonPath, object]) -> None:
    """Only container variables are read where the workload starts."""
    for path in sorted(deferred, key=str):
        container = spec.containers.get(str(path[1])) if len(path) == 4 else None
        if (
            path[0::2] != ("containers", "variables")
            or container is None
            or (path[3] not in container.variables)
        ):
            raise DriverError(
                f"workload '{name}': {dotted(path)}: only a container variable can be read "
                "where the workload starts"
            )


_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
"""A name both targets can carry: a Compose env file key, a Kubernetes env var name."""


def _check_variable_names(name: str, spec: Spec) -> None:
    """`MY VAR`, `FOO\\n` or `A=B` would break the env file or the manifest."""
    for container_name, container in sorted(spec.containers.items()):
        for variable in sorted(container.variables):
            if not _VARIABLE_NAME.fullmatch(variable):
                shown = variable.encode("unicode_escape").decode("ascii")
                raise DriverError(
                    f"workload '{name}': containers.{container_name}.variables: "
                    f"invalid variable name '{shown}': use letters, digits, '_', '.' and "
                    "'-', starting with a letter or '_'"
                )


# What a target renders from a spec; `resources` (params) and extra metadata are not.
_RENDERED: tuple[JsonPath, ...] = (
    ("containers",),
    ("service",),
    ("metadata", "annotations"),
    ("metadata", "name"),
)


def _rendered(path: JsonPath) -> bool:
    return any(touches(path, root) for root in _RENDERED)


def _secret_channel(path: JsonPath) -> bool:
    """Container variables and file contents can be fed from a secret."""
    if len(path) < 3 or path[0] != "containers":
        return False
    if path[2] == "variables":
        return True
    return path[2] == "files" and (len(path) <= 4 or path[4] in ("content", "binaryContent"))


def _check_secret_places(name: str, sensitive: SensitivePaths) -> None:
    channels = "container variables and file contents"
    sensitive.refuse_outside(_rendered, _secret_channel, f"workload '{name}'", channels)


def _check_file_contents(name: str, spec: Spec) -> None:
    for container_name, container in sorted(spec.containers.items()):
        for target, file in sorted(container.files.items()):
            if file.content is None and file.binary_content is None:
                where = dotted(("containers", container_name, "files", target))
                raise DriverError(
                    f"workload '{name}': {where} has no content (its source was not read)"
                )
