"""Assemble the plan document from the expansion, the graph and the state snapshot."""

from __future__ import annotations

from orchc.grammar.diagnostics import Diagnostics
from orchc.sensitive import SENSITIVE

from .. import ir
from ..changes import Wanted, changes_json, resource_changes, workload_changes
from ..plan import (
    Action,
    Plan,
    PlanContext,
    PlannedResource,
    PlannedWorkload,
    PlanPolicy,
    PlanState,
    SecretSource,
    Summary,
    digest_of,
    literal_digest,
    trusted,
)
from ..plan_actions import (
    Decision,
    PlanRules,
    Policies,
    check_prevent_destroy,
    deleted_resources,
    propagate_upstream,
    resource_action,
    with_drift,
    with_read_changes,
    with_secret_changes,
    workload_action,
)
from ..state import StateResource, StateSnapshot
from ..uid import ResourceUid
from .build_graph import Node, ResourceGraph
from .expand import ExpandedResource, ExpandedWorkload, Expansion


def resource_digest(resource: ExpandedResource) -> str:
    """What `update` compares: the plan-form params, inputs and secret sources, and the
    Score `metadata` when there is some (so digests recorded before it existed hold)."""
    compared = {
        "params": resource.params,
        "inputs": resource.inputs,
        "secrets": {k: v.model_dump() for k, v in _secret_sources(resource).items()},
        "requested_outputs": sorted(resource.requested_outputs),
    }
    return digest_of(compared | ({"metadata": resource.metadata} if resource.metadata else {}))


def _secret_sources(resource: ExpandedResource) -> dict[str, SecretSource]:
    return {
        key: SecretSource(literal=key, digest=literal_digest(str(resource.uid), value))
        if key in resource.secret_literals
        else SecretSource(value=value)
        for key, value in resource.secrets.items()
    }


def wanted_of(resource: ExpandedResource) -> Wanted:
    """The resource as the state records it, to compare with the last apply."""
    sources = {k: v.model_dump() for k, v in _secret_sources(resource).items()}
    definition = resource.definition
    return Wanted(definition.id, definition.driver, resource.inputs, resource.params, sources)


_NO_POLICY = PlanPolicy()  # frozen: one instance serves every resource without a policy


def _policy(definition: ir.Definition) -> PlanPolicy:
    policy = definition.policy
    if policy is None:
        return _NO_POLICY
    return PlanPolicy(
        timeout=policy.timeout_seconds,
        retries=policy.retries,
        max_parallel=policy.max_parallel,
        prevent_destroy=policy.prevent_destroy,
        create_before_destroy=policy.create_before_destroy,
    )


def _decide(
    resource: ExpandedResource, digest: str, snapshot: StateSnapshot, rules: PlanRules
) -> Decision:
    """The action from the state, then what drivers saw (drift), then secrets and the
    values read from outside the request."""
    uid = resource.uid
    known = snapshot.resources.get(uid)
    forced = uid in rules.forced
    decision = resource_action(resource, digest, known, rules.replace_inputs, forced)
    decision = with_drift(decision, rules.drift.get(uid))
    decision = with_secret_changes(decision, resource, known, rules)
    return with_read_changes(decision, resource, known, rules)


def assemble_plan(
    expansion: Expansion,
    graph: ResourceGraph,
    snapshot: StateSnapshot,
    rules: PlanRules,
    inputs_digest: str,
    diagnostics: Diagnostics,
) -> Plan:
    digests = {uid: resource_digest(r) for uid, r in expansion.resources.items()}
    decisions = {
        uid: _decide(r, digests[uid], snapshot, rules) for uid, r in expansion.resources.items()
    }
    decisions = propagate_upstream(graph, decisions)
    for uid, decision in decisions.items():
        known, current = snapshot.resources.get(uid), expansion.resources[uid]
        check_prevent_destroy(uid, decision, known, current, rules.policies, diagnostics)
    resources = {
        str(uid): _planned_resource(
            expansion.resources[uid],
            digests[uid],
            decisions[uid],
            graph,
            expansion,
            snapshot.resources.get(uid),
        )
        for uid in sorted(expansion.resources, key=ResourceUid.sort_key)
    }
    for gone in deleted_resources(snapshot, set(expansion.resources)):
        decision = Decision(Action.DELETE, "no longer in the graph")
        check_prevent_destroy(gone.uid, decision, gone, None, rules.policies, diagnostics)
        resources[str(gone.uid)] = _deleted_resource(gone, expansion, rules.policies)
    workloads = _planned_workloads(expansion, graph, snapshot, decisions)
    return Plan(
        context=PlanContext(
            app=expansion.context.app,
            env=expansion.context.env,
            env_type=expansion.context.env_type,
        ),
        state=PlanState(lineage=snapshot.lineage, serial=snapshot.serial),
        inputs_digest=inputs_digest,
        resources=resources,
        workloads=workloads,
        summary=Summary.of(resources, workloads),
    )


# The plan is built from values this module computed itself, so its models are
# constructed without validation (thousands of resources); `load_plan` validates every
# plan file that is read back.
def _planned_resource(
    resource: ExpandedResource,
    digest: str,
    decision: Decision,
    graph: ResourceGraph,
    expansion: Expansion,
    known: StateResource | None,
) -> PlannedResource:
    uid, definition = resource.uid, resource.definition
    dependencies = graph.dependencies(Node.of_resource(uid))
    changes = []
    if known is not None and decision.action in (Action.UPDATE, Action.REPLACE):
        changes = resource_changes(known, wanted_of(resource))
    return trusted(
        PlannedResource,
        type=uid.type,
        class_=uid.class_,
        id=uid.id,
        guid=uid.guid(expansion.context.app, expansion.context.env),
        definition=definition.id,
        source=definition.span.location,
        criteria=resource.criteria,
        driver=definition.driver,
        params=resource.params,
        metadata=resource.metadata,
        inputs=resource.inputs,
        secrets=dict.fromkeys(resource.secrets, SENSITIVE),
        secret_sources=_secret_sources(resource),
        policy=_policy(definition),
        depends_on=[str(d.uid) for d in dependencies if d.uid is not None],
        requested_outputs=sorted(resource.requested_outputs),
        inputs_digest=digest,
        action=decision.action,
        reason=decision.reason,
        changes=changes_json(changes),
    )


def _deleted_resource(
    gone: StateResource, expansion: Expansion, policies: Policies
) -> PlannedResource:
    """A resource only the state knows; its policy is the one in force (SPEC §9)."""
    return PlannedResource.model_construct(
        type=gone.uid.type,
        class_=gone.uid.class_,
        id=gone.uid.id,
        guid=gone.uid.guid(expansion.context.app, expansion.context.env),
        definition=gone.definition,
        source=gone.source,
        driver=gone.driver,
        inputs=gone.inputs,
        policy=PlanPolicy(prevent_destroy=policies.in_force(gone)[0]),
        depends_on=[str(d) for d in gone.depends_on],
        inputs_digest=gone.inputs_digest,
        action=Action.DELETE,
        reason="no longer in the graph",
        changes=[],
    )


def workload_digest(workload: ExpandedWorkload) -> str:
    return digest_of(
        {
            "spec": workload.workload.spec,
            "resources": {k: str(v) for k, v in workload.resources.items()},
        }
    )


def _planned_workloads(
    expansion: Expansion,
    graph: ResourceGraph,
    snapshot: StateSnapshot,
    decisions: dict[ResourceUid, Decision],
) -> dict[str, PlannedWorkload]:
    planned = {}
    for name in sorted(expansion.workloads):
        workload = expansion.workloads[name]
        digest = workload_digest(workload)
        known = snapshot.workloads.get(name)
        decision = workload_action(workload, digest, known, graph, decisions)
        dependencies = graph.dependencies(Node.of_workload(name))
        bindings = {k: str(v) for k, v in sorted(workload.resources.items())}
        changes = []
        if known is not None and decision.action is Action.UPDATE:
            changes = workload_changes(known, workload.workload.spec, bindings)
        planned[name] = trusted(
            PlannedWorkload,
            source=workload.workload.source,
            depends_on=[str(d.uid) for d in dependencies if d.uid is not None],
            resources=bindings,
            spec=workload.workload.spec,
            digest=digest,
            action=decision.action,
            reason=decision.reason,
            changes=changes_json(changes),
            overrides=list(workload.workload.overridden_by),
        )
    for name, gone in sorted(snapshot.workloads.items()):
        if name not in planned:
            planned[name] = PlannedWorkload.model_construct(
                source=gone.source,
                digest=gone.digest,
                action=Action.DELETE,
                reason="no longer in the Score files",
                changes=[],
            )
    return planned
