"""Score values that targets write into generated files, checked when the plan is made.

A `route` resource's `params.host` and `params.path`, and any resource's
`compose.score.dev/publish-port` (and `publish-management-port`) annotation, are
checked with the rule the drivers apply at deploy (`orchc.score_values`), so a value no
target may write is a plan error at its line in the Score file (`orchc check` reports
it too) rather than a failed apply. A param holding a Score placeholder is known only
at apply, where the target checks it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from pydantic import JsonValue

from orchc.grammar.diagnostics import Diagnostic
from orchc.score_values import (
    PUBLISH_ANNOTATIONS,
    RefusedValue,
    published_port,
    route_host,
    route_path,
)

from .score import placeholders
from .score.messages import dotted
from .score.workload import ResourceRequest, ScoreWorkload

ROUTE_TYPE = "route"
_DEFERRED = object()  # a value known only at apply
_ROUTE_PARAMS: dict[str, Callable[[object], object]] = {"host": route_host, "path": route_path}


def check_score_values(workloads: list[ScoreWorkload]) -> list[Diagnostic]:
    """Every route host and path, and every publish-port annotation, of `workloads` that
    no target may write, at its line."""
    return [
        diagnostic
        for workload in workloads
        for resource in workload.resources
        for problems in (_route_problems, _annotation_problems)
        for diagnostic in problems(workload, resource)
    ]


def _route_problems(workload: ScoreWorkload, resource: ResourceRequest) -> Iterator[Diagnostic]:
    if resource.type != ROUTE_TYPE:
        return
    for name, check in _ROUTE_PARAMS.items():
        if name not in resource.params:
            continue  # the default says what is missing; another definition may not need it
        value = _literal(resource.params[name])
        if value is _DEFERRED:
            continue
        try:
            check(value)
        except RefusedValue as refused:
            where = workload.locate(("resources", resource.name, "params", name))
            message = f"resources.{resource.name}.params.{name}: {refused}"
            yield Diagnostic.error(where, message)


def _annotation_problems(
    workload: ScoreWorkload, resource: ResourceRequest
) -> Iterator[Diagnostic]:
    annotations = resource.metadata.get("annotations")
    if not isinstance(annotations, dict):
        return
    for key in PUBLISH_ANNOTATIONS:
        value = annotations.get(key)
        if value is None:
            continue  # absent (or null, as the driver reads it): not published
        try:
            published_port(value)
        except RefusedValue as refused:
            path = ("resources", resource.name, "metadata", "annotations", key)
            yield Diagnostic.error(workload.locate(path), f"{dotted(path)}: {refused}")


def _literal(value: JsonValue) -> object:
    """`value` as the target will receive it when that is known now (`$$` read as `$`);
    a string holding a placeholder is not (its check waits for the apply)."""
    if not isinstance(value, str) or "$" not in value:
        return value
    segments = placeholders.parse_template(value)  # the Score reader validated it
    if all(isinstance(segment, str) for segment in segments):
        return "".join(str(segment) for segment in segments)
    return _DEFERRED
