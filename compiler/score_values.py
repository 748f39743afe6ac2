"""Score values that targets write into generated files, checked when the plan is made.

A `route` resource's `params.host` and `params.path`, and any resource's
`compose.score.dev/publish-port` (and `publish-management-port`) annotation, are
checked with the rule the drivers apply at deploy (`orchc.score_values`), so a value no
target may write is a plan error at its line in the Score file (`orchc check` reports
it too) rather than a failed apply. A param holding a Score placeholder is known only
at apply, where the target checks it.

A route the shipped default serves needs `host`, `path` and `port`: the route request
it returns has all three, and every target refuses one without them. A route missing
one is an error at its `params` (or at the resource) when no definition of the user
serves routes (`check_score_values`), else once matching picked the default
(`check_default_routes`, when the plan is built); a definition of the user's may need
other params.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from pydantic import JsonValue

from orchc.grammar.diagnostics import Diagnostic
from orchc.score_values import (
    PUBLISH_ANNOTATIONS,
    RefusedValue,
    published_port,
    route_host,
    route_path,
)

from . import ir
from .score import placeholders
from .score.messages import dotted
from .score.workload import ResourceRequest, ScoreWorkload
from .uid import ResourceUid

ROUTE_TYPE = "route"
_DEFERRED = object()  # a value known only at apply
_ROUTE_PARAMS: dict[str, Callable[[object], object]] = {"host": route_host, "path": route_path}
DEFAULT_ROUTE_PARAMS = ("host", "path", "port")
"""What the default route's request holds, which every target needs."""


def check_score_values(workloads: list[ScoreWorkload], program: ir.Program) -> list[Diagnostic]:
    """Every route host and path, and every publish-port annotation, of `workloads` that
    no target may write, at its line; routes the default will serve that lack a param."""
    found = [
        diagnostic
        for workload in workloads
        for resource in workload.resources
        for problems in (_route_problems, _annotation_problems)
        for diagnostic in problems(workload, resource)
    ]
    if {d.tier for d in program.definitions_of(ROUTE_TYPE)} == {ir.Tier.DEFAULT}:
        found += _missing_route_params(workloads, lambda uid: True)  # the default serves all
    return found


def check_default_routes(
    workloads: list[ScoreWorkload], served: Mapping[ResourceUid, ir.Definition]
) -> list[Diagnostic]:
    """Routes that matching gave to the shipped default (`served`: each resource's
    definition) and that lack a param it needs."""
    return _missing_route_params(
        workloads, lambda uid: uid in served and served[uid].tier is ir.Tier.DEFAULT
    )


def _missing_route_params(
    workloads: list[ScoreWorkload], by_default: Callable[[ResourceUid], bool]
) -> list[Diagnostic]:
    """Each declaration of a default-served route whose params the plan takes (a route
    shared through its Score `id` takes them from the declarations that give any) and
    that lacks one of `DEFAULT_ROUTE_PARAMS`."""
    found = []
    for uid, declarations in _routes(workloads).items():
        given = [(w, r) for w, r in declarations if r.params] or declarations
        for workload, resource in given if by_default(uid) else ():
            missing = [name for name in DEFAULT_ROUTE_PARAMS if name not in resource.params]
            if missing:
                found.append(_missing(workload, resource, missing))
    return found


def _routes(
    workloads: list[ScoreWorkload],
) -> dict[ResourceUid, list[tuple[ScoreWorkload, ResourceRequest]]]:
    """Every `route` resource's declarations, by the uid the plan gives it."""
    declared: dict[ResourceUid, list[tuple[ScoreWorkload, ResourceRequest]]] = {}
    for workload in workloads:
        for resource in workload.resources:
            if resource.type == ROUTE_TYPE:
                declared.setdefault(workload.uid(resource), []).append((workload, resource))
    return declared


def _missing(workload: ScoreWorkload, resource: ResourceRequest, missing: list[str]) -> Diagnostic:
    names = " and ".join(f"'{name}'" for name in missing)
    return Diagnostic.error(
        workload.locate(("resources", resource.name, "params")),
        f"resources.{resource.name}.params: no {names}; the default route definition "
        "sends requests for a host and path to a service port of the workload, so it "
        "needs 'host', 'path' and 'port'",
        "e.g. params: {host: shop.localhost, path: /, port: web}",
    )


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
