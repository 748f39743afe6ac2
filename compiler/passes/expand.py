"""Expand: from the workloads' resources to every resource the deployment needs.

Starting from the implicit target and the resources the Score files declare, each
resource is matched, its definition's values evaluated, and every resource they refer
to (`${resources.<ref>...}`) or co-provision (`provision "<ref>"`) is added and matched
in turn, until nothing new appears (SPEC §4). The result lists, per resource, its
definition, plan-form params/inputs/secrets and the dependencies with the location that
created each of them; building the graph is the next pass.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from orchc.grammar.diagnostics import Diagnostics
from orchc.grammar.source import Span

from .. import ir
from ..evaluate import Json, OnReference, OutputReference, Scope, evaluate
from ..matching import MatchContext, Matcher, match_resource, no_match_diagnostic
from ..placeholders import PlaceholderError, parse_expression, parse_template
from ..score import placeholders as score
from ..score.workload import ScoreWorkload
from ..score_params import score_params_to_plan
from ..service_ports import WorkloadPorts, workload_ports
from ..uid import TARGET_UID, WORKLOAD_TYPE, ResourceUid, workload_uid


@dataclass
class Request:
    """Why a resource is in the graph: its params (and Score `metadata`) and who asked
    for it first."""

    params: dict[str, Json]
    requested_by: str
    span: Span | None
    params_origin: str | None = None  # who set the params, to report conflicts
    metadata: dict[str, Json] = field(default_factory=dict)


@dataclass
class ExpandedResource:
    uid: ResourceUid
    definition: ir.Definition
    criteria: dict[str, str]
    params: dict[str, Json]
    inputs: dict[str, Json]
    secrets: dict[str, Json]
    secret_literals: frozenset[str]
    metadata: dict[str, Json] = field(default_factory=dict)  # the Score resource's
    dependencies: dict[ResourceUid, Span | None] = field(default_factory=dict)  # -> origin
    co_provisioned: list[ResourceUid] = field(default_factory=list)  # with match_dependents
    requested_outputs: frozenset[str] = frozenset()  # what other nodes read from it


@dataclass
class ExpandedWorkload:
    workload: ScoreWorkload
    resources: dict[str, ResourceUid]  # Score resource name -> uid
    dependencies: dict[ResourceUid, Span | None] = field(default_factory=dict)


@dataclass
class Expansion:
    context: MatchContext
    resources: dict[ResourceUid, ExpandedResource]
    workloads: dict[str, ExpandedWorkload]
    references: list[OutputReference] = field(default_factory=list)
    """Every output read, by Score files and definitions, where it is written."""


class _Expander:
    def __init__(self, program: ir.Program, context: MatchContext, diagnostics: Diagnostics):
        self.program = program
        self.context = context
        self.diagnostics = diagnostics
        self.requests: dict[ResourceUid, Request] = {}
        self.queue: deque[ResourceUid] = deque()
        self.resources: dict[ResourceUid, ExpandedResource] = {}
        self.pending_edges: dict[ResourceUid, dict[ResourceUid, Span | None]] = {}
        self.requested_outputs: dict[ResourceUid, set[str]] = {}
        self.references: list[OutputReference] = []
        self.matcher = Matcher(program, context)

    def request(self, uid: ResourceUid, request: Request) -> None:
        existing = self.requests.get(uid)
        if existing is None:
            self.requests[uid] = request
            self.queue.append(uid)
        elif request.params and existing.params != request.params:
            self._conflicting_params(uid, existing, request)
        elif request.params and not existing.params:
            existing.params, existing.params_origin = request.params, request.params_origin
        if existing is not None and request.metadata:
            self._merge_metadata(uid, existing, request)

    def _merge_metadata(self, uid: ResourceUid, first: Request, second: Request) -> None:
        if not first.metadata:
            first.metadata = second.metadata
        elif first.metadata != second.metadata:
            self.diagnostics.error(
                second.span,
                f"resource '{uid}' is given different metadata by {second.params_origin} "
                f"and {first.params_origin}",
                "a shared resource must be declared with the same metadata everywhere",
            )

    def _conflicting_params(self, uid: ResourceUid, first: Request, second: Request) -> None:
        if not first.params:
            first.params, first.params_origin = second.params, second.params_origin
            return
        self.diagnostics.error(
            second.span,
            f"resource '{uid}' is given different params by {second.params_origin} "
            f"and {first.params_origin}",
            "a shared resource must be declared with the same params everywhere",
        )

    def read_output(self, reference: OutputReference) -> None:
        self.requested_outputs.setdefault(reference.target, set()).add(reference.key)
        self.references.append(reference)

    def add_edge(self, node: ResourceUid, dependency: ResourceUid, origin: Span | None) -> None:
        self.pending_edges.setdefault(node, {}).setdefault(dependency, origin)

    def run(self) -> dict[ResourceUid, ExpandedResource]:
        while self.queue:
            uid = self.queue.popleft()
            resolved = self._expand_one(uid)
            if resolved is not None:
                self.resources[uid] = resolved
        for uid, keys in self.requested_outputs.items():
            if uid in self.resources:
                self.resources[uid].requested_outputs = frozenset(keys)
        for node, edges in self.pending_edges.items():
            if node in self.resources:
                for dependency, origin in edges.items():
                    self.resources[node].dependencies.setdefault(dependency, origin)
        return self.resources

    def _expand_one(self, uid: ResourceUid) -> ExpandedResource | None:
        request = self.requests[uid]
        found = self.matcher.winner(uid)
        if found is None:
            decision = match_resource(self.program, uid, self.context)
            self.diagnostics.add(
                no_match_diagnostic(self.program, decision, request.span, request.requested_by)
            )
            return None
        definition, block = found
        scope = Scope(
            self.context.app, self.context.env, self.context.env_type, uid, request.params
        )
        requester = f"resource '{uid}' (definition '{definition.id}')"

        def on_reference(reference: OutputReference) -> None:
            self.add_edge(uid, reference.target, reference.span)
            self.read_output(reference)
            self.request(reference.target, Request({}, requester, reference.span))

        inputs = self._values(definition.inputs, scope, on_reference)
        secrets = self._values(definition.secrets, scope, on_reference)
        resource = ExpandedResource(
            uid=uid,
            definition=definition,
            criteria=block.as_dict(),
            params=request.params,
            inputs=inputs,
            secrets=secrets,
            secret_literals=_literal_secrets(definition.secrets),
            metadata=request.metadata,
        )
        for provision in definition.provisions:
            self._co_provision(resource, provision, scope, requester)
        return resource

    def _values(
        self, values: ir.MapValue | None, scope: Scope, on_reference: OnReference
    ) -> dict[str, Json]:
        if values is None:
            return {}
        evaluated = evaluate(values, scope, self.diagnostics, on_reference)
        assert isinstance(evaluated, dict)
        return evaluated

    def _co_provision(
        self, holder: ExpandedResource, provision: ir.Provision, scope: Scope, requester: str
    ) -> None:
        try:
            ref = parse_expression(f"resources.{provision.ref}.outputs.x").ref
        except PlaceholderError:
            self.diagnostics.error(
                provision.span,
                f"malformed resource reference '{provision.ref}' in provision: expected "
                "TYPE, TYPE.CLASS, TYPE#ID or TYPE.CLASS#ID",
            )
            return
        assert ref is not None
        co_uid = ref.uid_from(holder.uid)
        origin = provision.span

        def on_reference(reference: OutputReference) -> None:
            self.add_edge(co_uid, reference.target, reference.span)
            self.read_output(reference)
            self.request(reference.target, Request({}, requester, reference.span))

        params = self._values(provision.params, scope, on_reference)
        self.request(
            co_uid, Request(params, requester, provision.span, f"provision at {origin.location}")
        )
        if provision.is_dependent:
            self.add_edge(co_uid, holder.uid, origin)
        if provision.match_dependents:
            holder.co_provisioned.append(co_uid)


def _literal_secrets(secrets: ir.MapValue | None) -> frozenset[str]:
    """Secret keys whose value contains literal text, which never goes into the plan:
    apply reads them again from the definition file."""
    if secrets is None:
        return frozenset()
    return frozenset(e.key for e in secrets.entries if _has_literal_text(e.value))


def _has_literal_text(value: ir.Value) -> bool:
    if isinstance(value, ir.EnvRef):
        return False
    if isinstance(value, ir.FileContent):
        return True
    if isinstance(value, ir.ListValue):
        return any(_has_literal_text(item) for item in value.items)
    if isinstance(value, ir.MapValue):
        return any(_has_literal_text(entry.value) for entry in value.entries)
    if not isinstance(value.value, str):
        return value.value is not None
    try:
        return any(isinstance(segment, str) for segment in parse_template(value.value))
    except PlaceholderError:
        return True


def expand(
    program: ir.Program,
    workloads: list[ScoreWorkload],
    context: MatchContext,
    diagnostics: Diagnostics,
) -> Expansion:
    """Every resource the deployment needs, matched, to a fixed point."""
    expander = _Expander(program, context, diagnostics)
    expander.request(TARGET_UID, Request({}, "orchc (the implicit deployment target)", None))
    ports = workload_ports(workloads)
    expanded_workloads = {w.name: _request_workload(expander, w, ports) for w in workloads}
    resources = expander.run()
    _implicit_target_edges(resources)
    _match_dependents(resources, expanded_workloads)
    return Expansion(context, resources, expanded_workloads, expander.references)


def _request_workload(
    expander: _Expander, workload: ScoreWorkload, ports: WorkloadPorts
) -> ExpandedWorkload:
    uids = {r.name: workload.uid(r) for r in workload.resources}
    expanded = ExpandedWorkload(workload, uids)
    expanded.dependencies[TARGET_UID] = None
    if expander.program.definitions_of(WORKLOAD_TYPE):
        _request_workload_resource(expander, expanded)
    for resource in workload.resources:
        uid = uids[resource.name]
        where = f"workload '{workload.name}' ({resource.span.location})"

        def on_reference(reference: OutputReference, holder: ResourceUid = uid) -> None:
            expander.add_edge(holder, reference.target, reference.span)
            expander.read_output(reference)

        params = score_params_to_plan(
            resource, workload, uids, expander.diagnostics, on_reference, ports
        )
        expander.request(uid, Request(params, where, resource.span, where, resource.metadata))
        expanded.dependencies[uid] = resource.span
    for name, key, locate in _outputs_read(workload):
        expander.read_output(OutputReference(uids[name], key, locate))
    return expanded


def _request_workload_resource(expander: _Expander, expanded: ExpandedWorkload) -> None:
    """The implicit `workload.default#<name>` (SPEC §12): its `patches` shape what the
    target renders for the workload, so the workload depends on it. Requested when some
    definition serves the type (the shipped default always does; a program compiled
    without the defaults and without a `workload` definition has nothing to patch)."""
    workload = expanded.workload
    uid = workload_uid(workload.name)
    where = f"workload '{workload.name}' ({workload.span.location})"
    expander.request(uid, Request({}, where, workload.span, where))
    expanded.dependencies[uid] = workload.span


def _outputs_read(
    workload: ScoreWorkload,
) -> Iterator[tuple[str, str, Callable[[], Span]]]:
    """(resource name, output key, where) for each `${resources.NAME.KEY}` the Deploy
    phase resolves; `${resources.NAME}` alone (a volume source) reads `source`. Where
    is a function: it is located only for an error."""
    for site in score.sites(workload.spec):
        if site.holder is not None or "${" not in site.text:
            continue
        for segment in score.parse_template(site.text):
            if isinstance(segment, score.Reference) and segment.parts[0] == "resources":
                key = segment.parts[2] if len(segment.parts) > 2 else "source"
                yield (
                    segment.parts[1],
                    key,
                    partial(workload.locate_text, site.path, segment.offset),
                )


def _implicit_target_edges(resources: dict[ResourceUid, ExpandedResource]) -> None:
    """Every resource depends on the target (it runs first: drivers may read its
    outputs), except the resources the target itself depends on."""
    if TARGET_UID not in resources:
        return
    before_target = _reachable(resources, TARGET_UID)
    for uid, resource in resources.items():
        if uid != TARGET_UID and uid not in before_target:
            resource.dependencies.setdefault(TARGET_UID, None)


def _reachable(
    resources: dict[ResourceUid, ExpandedResource], start: ResourceUid
) -> set[ResourceUid]:
    seen: set[ResourceUid] = set()
    stack = [start]
    while stack:
        node = stack.pop()
        resource = resources.get(node)
        for dependency in resource.dependencies if resource else ():
            if dependency not in seen:
                seen.add(dependency)
                stack.append(dependency)
    return seen


def _match_dependents(
    resources: dict[ResourceUid, ExpandedResource], workloads: dict[str, ExpandedWorkload]
) -> None:
    """`match_dependents = true`: whatever depends on the holder also depends on the
    co-provisioned resource (SPEC §4)."""
    holders = (r for r in resources.values() if r.co_provisioned)
    for holder in sorted(holders, key=lambda r: r.uid.sort_key()):
        for co_uid in holder.co_provisioned:
            origin = holder.definition.span
            for resource in resources.values():
                if holder.uid in resource.dependencies and resource.uid != co_uid:
                    resource.dependencies.setdefault(co_uid, origin)
            for workload in workloads.values():
                if holder.uid in workload.dependencies:
                    workload.dependencies.setdefault(co_uid, origin)
