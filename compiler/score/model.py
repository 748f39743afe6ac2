"""Pydantic models of a Score v1b1 workload document, field for field.

They mirror `score-v1b1.json`: every object the schema closes (`additionalProperties:
false`) forbids unknown keys, every name, quantity and mode carries the schema's pattern,
and values are strict (a port is an integer, not the string "80"; a variable is a
string, not the boolean `true`). Only `metadata`, a resource's `metadata` and `params`
accept arbitrary JSON. Optional fields may be omitted but never set to `null`, as in
the schema. Models are frozen; Python names are snake_case, aliases are Score's keys.

The deprecated list forms of `files` and `volumes` (items carrying `target`) are
accepted and upgraded to the map form keyed by target, so the rest of orchc only ever
sees maps:

>>> doc = ScoreDocument.model_validate({
...     "apiVersion": "score.dev/v1b1",
...     "metadata": {"name": "web"},
...     "containers": {"main": {"image": "nginx", "files": [
...         {"target": "/etc/motd", "content": "hi"}]}},
... })
>>> doc.containers["main"].files["/etc/motd"].content
'hi'
>>> doc.model_dump(by_alias=True, exclude_unset=True)["containers"]
{'main': {'image': 'nginx', 'files': {'/etc/motd': {'content': 'hi'}}}}
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    JsonValue,
    Tag,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

API_VERSION = "score.dev/v1b1"

# The schema's patterns, verbatim, so that the reader and the official schema agree.
LABEL_PATTERN = r"^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$"
TYPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,61}[A-Za-z0-9]$"
ID_PATTERN = r"^[a-z0-9]+(?:-+[a-z0-9]+)*(?:\.[a-z0-9]+(?:-+[a-z0-9]+)*)*$"
ANNOTATION_PATTERN = (
    r"^(([a-z0-9][a-z0-9-]{0,61}[a-z0-9])(\.[a-z0-9][a-z0-9-]{0,61}[a-z0-9])*/)?"
    r"[A-Za-z0-9][A-Za-z0-9._-]{0,61}[A-Za-z0-9]$"
)
MEMORY_PATTERN = r"^(0\.\d+|[1-9]\d*(\.\d+)?)(K|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$"
CPU_PATTERN = r"^\d+(?:m|\.\d+)?$"
MODE_PATTERN = r"^0?[0-7]{3}$"
HEADER_PATTERN = r"^[A-Za-z0-9_-]+$"
VARIABLE_PATTERN = r"^[^=]+$"

LIST_FORM = "list form"
MAP_FORM = "map form"
"""Tags of the two forms of `files` and `volumes`; they appear in validation error
locations right after `files`/`volumes` and the reader drops them."""

Label = Annotated[str, Field(min_length=2, max_length=63, pattern=LABEL_PATTERN)]
TypeName = Annotated[str, Field(min_length=2, max_length=63, pattern=TYPE_PATTERN)]
ResourceId = Annotated[str, Field(min_length=2, max_length=63, pattern=ID_PATTERN)]
AnnotationKey = Annotated[str, Field(min_length=2, max_length=316, pattern=ANNOTATION_PATTERN)]
VariableName = Annotated[str, Field(min_length=1, pattern=VARIABLE_PATTERN)]
Port = Annotated[int, Field(ge=1, le=65535)]
NonEmpty = Annotated[str, Field(min_length=1)]


class ScoreModel(BaseModel):
    """Strict, frozen, closed; Score's camelCase keys are the aliases."""

    model_config = ConfigDict(
        strict=True,
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: object) -> object:
        # Optional fields default to None for Python's sake, but the schema has no
        # nullable field: an explicit `key: null` (or a bare `key:`) is an error.
        if value is None:
            raise PydanticCustomError("null", "null is not allowed here")
        return value


class OpenModel(ScoreModel):
    """A metadata object: known keys are checked, any other key holds any JSON."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, JsonValue]


class ResourceMetadata(OpenModel):
    annotations: dict[AnnotationKey, str] | None = None


class WorkloadMetadata(OpenModel):
    name: Label
    annotations: dict[AnnotationKey, str] | None = None


class ServicePort(ScoreModel):
    port: Port
    protocol: Literal["TCP", "UDP"] | None = None
    target_port: Port | None = None


class Service(ScoreModel):
    ports: dict[Label, ServicePort] | None = None


class ResourceLimits(ScoreModel):
    memory: Annotated[str, Field(pattern=MEMORY_PATTERN)] | None = None
    cpu: Annotated[str, Field(pattern=CPU_PATTERN)] | None = None


class ContainerResources(ScoreModel):
    limits: ResourceLimits | None = None
    requests: ResourceLimits | None = None


class ContainerFile(ScoreModel):
    """Exactly one of `content`, `binary_content` (base64) or `source` (a path relative
    to the Score file; the reader inlines it)."""

    mode: Annotated[str, Field(pattern=MODE_PATTERN)] | None = None
    source: NonEmpty | None = None
    content: str | None = None
    binary_content: str | None = None
    no_expand: bool | None = None

    @field_validator("binary_content")
    @classmethod
    def _base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except binascii.Error:
            raise PydanticCustomError("base64", "not valid standard base64") from None
        return value

    @model_validator(mode="after")
    def _one_content(self) -> ContainerFile:
        given = [
            key
            for key, value in (
                ("content", self.content),
                ("binaryContent", self.binary_content),
                ("source", self.source),
            )
            if value is not None
        ]
        if len(given) != 1:
            found = " and ".join(f"'{key}'" for key in given) or "none"
            raise PydanticCustomError(
                "file_content",
                "a file needs exactly one of 'content', 'binaryContent' or 'source'"
                " (found {found})",
                {"found": found},
            )
        return self


class ListedFile(ContainerFile):
    """An item of the deprecated list form of `files`."""

    target: NonEmpty


class ContainerVolume(ScoreModel):
    source: str
    path: str | None = None
    read_only: bool | None = None


class ListedVolume(ContainerVolume):
    """An item of the deprecated list form of `volumes`."""

    target: NonEmpty


class HttpHeader(ScoreModel):
    name: Annotated[str, Field(pattern=HEADER_PATTERN)]
    value: NonEmpty


class HttpProbe(ScoreModel):
    host: NonEmpty | None = None
    scheme: Literal["HTTP", "HTTPS"] | None = None
    path: str
    port: Port
    http_headers: list[HttpHeader] | None = None


class ExecProbe(ScoreModel):
    command: list[str]


class ContainerProbe(ScoreModel):
    http_get: HttpProbe | None = None
    exec: ExecProbe | None = None

    @model_validator(mode="after")
    def _one_probe(self) -> ContainerProbe:
        if self.http_get is None and self.exec is None:
            raise PydanticCustomError("probe", "a probe needs 'httpGet' or 'exec' (or both)")
        return self


class Before(ScoreModel):
    ready: Literal["started", "healthy", "complete"]


def _form(value: object) -> str:
    return LIST_FORM if isinstance(value, list) else MAP_FORM


def _upgrade_files(value: dict[str, ContainerFile] | list[ListedFile]) -> dict[str, ContainerFile]:
    if isinstance(value, dict):
        return value
    return {item.target: _unlisted(item, ContainerFile) for item in _unique_targets(value)}


def _upgrade_volumes(
    value: dict[str, ContainerVolume] | list[ListedVolume],
) -> dict[str, ContainerVolume]:
    if isinstance(value, dict):
        return value
    return {item.target: _unlisted(item, ContainerVolume) for item in _unique_targets(value)}


Listed = TypeVar("Listed", ListedFile, ListedVolume)
Unlisted = TypeVar("Unlisted", ContainerFile, ContainerVolume)


def _unique_targets(items: list[Listed]) -> list[Listed]:
    seen: set[str] = set()
    for item in items:
        if item.target in seen:
            raise PydanticCustomError(
                "duplicate_target", "target '{target}' is listed twice", {"target": item.target}
            )
        seen.add(item.target)
    return items


def _unlisted(item: ScoreModel, model: type[Unlisted]) -> Unlisted:
    # Re-validating the set fields (minus `target`) keeps `exclude_unset` dumps exact.
    fields = item.model_dump(by_alias=True, exclude_unset=True, exclude={"target"})
    return model.model_validate(fields)


Files = Annotated[
    Annotated[dict[str, ContainerFile], Tag(MAP_FORM)]
    | Annotated[list[ListedFile], Tag(LIST_FORM)],
    Discriminator(_form),
    AfterValidator(_upgrade_files),
]
Volumes = Annotated[
    Annotated[dict[str, ContainerVolume], Tag(MAP_FORM)]
    | Annotated[list[ListedVolume], Tag(LIST_FORM)],
    Discriminator(_form),
    AfterValidator(_upgrade_volumes),
]


class Container(ScoreModel):
    image: NonEmpty
    command: list[str] | None = None
    args: list[str] | None = None
    variables: dict[VariableName, str] | None = None
    files: Files | None = None
    volumes: Volumes | None = None
    before: dict[Label, Before] | None = None
    resources: ContainerResources | None = None
    liveness_probe: ContainerProbe | None = None
    readiness_probe: ContainerProbe | None = None


class Resource(ScoreModel):
    type: TypeName
    class_: TypeName | None = Field(default=None, alias="class")
    id: ResourceId | None = None
    metadata: ResourceMetadata | None = None
    params: dict[str, JsonValue] | None = None


class ScoreDocument(ScoreModel):
    """A whole Score workload file."""

    api_version: Literal["score.dev/v1b1"]
    metadata: WorkloadMetadata
    service: Service | None = None
    containers: Annotated[dict[Label, Container], Field(min_length=1)]
    resources: dict[Label, Resource] | None = None

    def to_spec(self) -> dict[str, JsonValue]:
        """The document as plain JSON data: keys as in Score, only what was given
        (defaults are not filled in), `files` and `volumes` in the map form."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)
