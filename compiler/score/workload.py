"""A Score workload as the compiler sees it: the normalised document, its resource
requests, and where every part of it came from.

`spec` is plain JSON data, keys as in Score, nothing filled in: `files` and `volumes`
are maps keyed by target, and a file given by `source` is inlined as `content` (or
`binaryContent` when it is not UTF-8 text), so a plan carries everything it needs.
`locate` answers "where in the Score file is this?" for any JSON path of `spec`, so later
stages can point at the line that caused a problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import JsonValue

from orchc.grammar.source import SourceFile, Span

from ..uid import ResourceUid

if TYPE_CHECKING:  # the YAML loader is the reader's: applying a plan does not load it
    from .yaml_positions import JsonPath, YamlPositions

DEFAULT_CLASS = "default"


@dataclass(frozen=True, slots=True)
class ResourceRequest:
    """One entry of the workload's `resources`. `id` is None when Score gives none (the
    compiler derives `<workload>.<name>`). `span` is the resource's key line; a string
    inside `params` is located with `ScoreWorkload.locate` / `locate_text`."""

    name: str
    type: str
    class_: str
    id: str | None
    params: dict[str, JsonValue]
    metadata: dict[str, JsonValue]
    span: Span


@dataclass(frozen=True, slots=True)
class ScoreWorkload:
    """One valid Score file. `source` is its display path; `span` is `metadata.name`."""

    name: str
    source: str
    span: Span
    spec: dict[str, JsonValue]
    resources: tuple[ResourceRequest, ...]
    positions: YamlPositions = field(repr=False, compare=False)
    text: SourceFile = field(repr=False, compare=False)
    inlined: Mapping[JsonPath, SourceFile | None] = field(
        default_factory=dict, repr=False, compare=False
    )
    """Files given by `source`, by the path of their entry in `files`: the text read
    (None when it was binary and became `binaryContent`)."""
    overridden_by: tuple[str, ...] = ()
    """The overrides and images applied to the file, as the plan shows them."""

    def resource(self, name: str) -> ResourceRequest | None:
        return next((r for r in self.resources if r.name == name), None)

    def uid(self, resource: ResourceRequest) -> ResourceUid:
        """The uid the plan gives `resource`, one of this workload's: its Score `id`
        (shared by the workloads naming it), else `<workload>.<name>`."""
        return ResourceUid(
            resource.type, resource.class_, resource.id or f"{self.name}.{resource.name}"
        )

    def locate(self, path: JsonPath) -> Span:
        """The best span for a JSON path of `spec`: a scalar's value, else the key that
        introduces the entry; a path that does not exist gives its nearest ancestor."""
        line, col = self.positions.best(self._as_written(path))
        return Span(self.source, line, col)

    def locate_text(self, path: JsonPath, offset: int) -> Span:
        """Where character `offset` of the string at `path` was written: inside the
        included file for inlined content, else in the Score file (exact when the YAML
        style allows it, else the start of the value)."""
        included = self.inlined.get(path[:-1])
        if included is not None and path[-1] == "content":
            return _span_in(included, offset)
        line, col = self.positions.in_text(self._as_written(path), offset, self.text.line)
        return Span(self.source, line, col)

    def _as_written(self, path: JsonPath) -> JsonPath:
        # Inlined content was written as `source: <file>`: point there.
        if path[-1:] in (("content",), ("binaryContent",)) and path[:-1] in self.inlined:
            return (*path[:-1], "source")
        return path


def _span_in(source: SourceFile, offset: int) -> Span:
    before = source.text[:offset]
    return Span(source.path, before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)
