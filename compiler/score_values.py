"""Score values that targets write into generated files, checked when the plan is made.

A `route` resource's `params.host` and `params.path` are checked with the rule the
targets apply at deploy (`orchc.score_values`), so a value no target may write is a
plan error at its line in the Score file (`orchc check` reports it too) rather than a
failed apply. A value holding a Score placeholder is known only at apply, where the
target checks it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from pydantic import JsonValue

from orchc.grammar.diagnostics import Diagnostic
from orchc.score_values import RefusedValue, route_host, route_path

from .score import placeholders
from .score.workload import ResourceRequest, ScoreWorkload

ROUTE_TYPE = "route"
_DEFERRED = object()  # a value known only at apply
_ROUTE_PARAMS: dict[str, Callable[[object], object]] = {"host": route_host, "path": route_path}


def check_score_values(workloads: list[ScoreWorkload]) -> list[Diagnostic]:
    """Every route host and path of `workloads` no target may write, at its line."""
    return [
        diagnostic
        for workload in workloads
        for resource in workload.resources
        for diagnostic in _route_problems(workload, resource)
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


def _literal(value: JsonValue) -> object:
    """`value` as the target will receive it when that is known now (`$$` read as `$`);
    a string holding a placeholder is not (its check waits for the apply)."""
    if not isinstance(value, str) or "$" not in value:
        return value
    segments = placeholders.parse_template(value)  # the Score reader validated it
    if all(isinstance(segment, str) for segment in segments):
        return "".join(str(segment) for segment in segments)
    return _DEFERRED
