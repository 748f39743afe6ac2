"""Plan actions: compare the graph with a state snapshot (SPEC §5).

create: not in state (or its last create never finished); replace: the definition or
driver changed, an input the driver declares as forcing replacement changed, or
`--replace` names it; update: the plan-form inputs changed, the policy recorded in state
differs from the definition's, an env() secret or a value its driver reads from outside
its request changed, or a resource it depends on changes; delete: in state
but no longer in the graph; noop otherwise.

Deleting or replacing a protected resource is an error. The policy in force (SPEC §9)
is the one written in the resource's definition now, when that definition still exists,
else the one recorded in state when it was last applied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from orchc.grammar.diagnostics import Diagnostics

from . import ir
from .passes.build_graph import Node, ResourceGraph
from .passes.expand import ExpandedResource, ExpandedWorkload, Expansion
from .plan import DRIFT_REASON_PREFIX, Action
from .state import ResourceStatus, StateResource, StateSnapshot, StateWorkload
from .uid import ResourceUid

ReplaceInputs = Callable[[str], frozenset[str]]
# Whether the secret `key` of a resource, given by this plan-form template, differs from
# what the last apply recorded (compared through salted digests; see orchc/secret_changes.py)
SecretCheck = Callable[[ResourceUid, str, object], bool]
# The outputs among `keys` whose values, as the resource's driver would read them now
# from outside its request (the `environment` driver: `.env`, allowed variables of
# orchc's environment), differ from what its last create returned (orchc/secret_changes.py)
ReadCheck = Callable[[ResourceUid, frozenset[str]], list[str]]


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Policies:
    """The definitions of the program by id, to find the policy in force for a resource
    recorded in state."""

    definitions: Mapping[str, ir.Definition]

    @classmethod
    def of(cls, program: ir.Program) -> Policies:
        return cls({d.id: d for d in program.definitions})

    def in_force(self, known: StateResource) -> tuple[bool, str, ir.Definition | None]:
        """Whether `known` is protected, where that is written, and the definition if
        it still exists."""
        definition = self.definitions.get(known.definition)
        if definition is None:
            return known.prevent_destroy, known.source, None
        return protects(definition), definition.span.location, definition


@dataclass(frozen=True, slots=True)
class PlanRules:
    """What decides the actions besides the graph and the state: the inputs each driver
    says force a replace, the policies in force, and the uids `--replace` names."""

    replace_inputs: ReplaceInputs
    policies: Policies
    forced: frozenset[ResourceUid] = frozenset()
    drift: Mapping[ResourceUid, str] = field(default_factory=dict)  # uid -> what was seen
    secret_changed: SecretCheck | None = None
    read_changed: ReadCheck | None = None


def protects(definition: ir.Definition) -> bool:
    return bool(definition.policy and definition.policy.prevent_destroy)


def resource_action(
    resource: ExpandedResource,
    digest: str,
    known: StateResource | None,
    replace_inputs: ReplaceInputs,
    forced: bool = False,
) -> Decision:
    """The action for a resource that is in the graph, before upstream changes count."""
    if known is None:
        return Decision(Action.CREATE)
    if known.status is not ResourceStatus.READY:
        return Decision(Action.CREATE, "the last run stopped before this resource finished")
    if forced:
        return Decision(Action.REPLACE, "replacement requested with --replace")
    definition = resource.definition
    if known.definition != definition.id:
        return Decision(Action.REPLACE, f"definition changed from '{known.definition}'")
    if known.driver != definition.driver:
        return Decision(Action.REPLACE, f"driver changed from '{known.driver}'")
    forcing = sorted(
        key
        for key in replace_inputs(definition.driver)
        if resource.inputs.get(key) != known.inputs.get(key)
    )
    if forcing:
        return Decision(Action.REPLACE, f"changing input {', '.join(forcing)} forces replacement")
    if known.inputs_digest != digest:
        changed = _changed_keys(resource.inputs, known.inputs)
        detail = f"inputs changed: {', '.join(changed)}" if changed else "params or secrets changed"
        return Decision(Action.UPDATE, detail)
    if known.prevent_destroy != protects(definition):
        return Decision(Action.UPDATE, "policy changed")
    return Decision(Action.NOOP)


def with_drift(decision: Decision, drift: str | None) -> Decision:
    """A drifted resource that would be left alone or updated is updated because of
    its drift (`plan --refresh`): apply calls its driver to repair it."""
    if drift is None or decision.action not in (Action.NOOP, Action.UPDATE):
        return decision
    return Decision(Action.UPDATE, DRIFT_REASON_PREFIX + drift)


def with_secret_changes(
    decision: Decision, resource: ExpandedResource, known: StateResource | None, rules: PlanRules
) -> Decision:
    """An unchanged resource whose env() secret now differs from the one last applied is
    updated (`secret changed: KEY`); only the key is named, never a value or digest."""
    if decision.action is not Action.NOOP or known is None or rules.secret_changed is None:
        return decision
    check = rules.secret_changed
    changed = sorted(
        key
        for key, template in resource.secrets.items()
        if key not in resource.secret_literals and check(resource.uid, key, template)
    )
    if not changed:
        return decision
    return Decision(Action.UPDATE, f"secret changed: {', '.join(changed)}")


def with_read_changes(
    decision: Decision, resource: ExpandedResource, known: StateResource | None, rules: PlanRules
) -> Decision:
    """An unchanged resource whose driver would now read other values than its last
    create returned (a variable set, changed or removed in `.env`) is updated; only the
    keys are named."""
    if decision.action is not Action.NOOP or known is None or rules.read_changed is None:
        return decision
    changed = rules.read_changed(resource.uid, resource.requested_outputs)
    if not changed:
        return decision
    return Decision(Action.UPDATE, f"variables changed since the last apply: {', '.join(changed)}")


def _changed_keys(new: dict[str, object], old: dict[str, object]) -> list[str]:
    return sorted(key for key in new.keys() | old.keys() if new.get(key) != old.get(key))


def propagate_upstream(
    graph: ResourceGraph, decisions: dict[ResourceUid, Decision]
) -> dict[ResourceUid, Decision]:
    """A resource whose dependency changes is updated too: the outputs it reads may
    change (apply skips the driver call if its resolved inputs turn out equal)."""
    result = dict(decisions)
    for node in graph.topological_order():
        if node.uid is None or node.uid not in result:
            continue
        decision = result[node.uid]
        if decision.action is not Action.NOOP:
            continue
        changed = [
            dependency.uid
            for dependency in graph.dependencies(node)
            if dependency.uid is not None and result[dependency.uid].action.changes
        ]
        if changed:
            result[node.uid] = Decision(Action.UPDATE, f"depends on changed {changed[0]}")
    return result


def workload_action(
    workload: ExpandedWorkload,
    digest: str,
    known: StateWorkload | None,
    graph: ResourceGraph,
    decisions: dict[ResourceUid, Decision],
) -> Decision:
    if known is None:
        return Decision(Action.CREATE)
    if known.digest != digest:
        return Decision(Action.UPDATE, "the Score spec changed")
    for dependency in graph.dependencies(Node.of_workload(workload.workload.name)):
        if dependency.uid is not None and decisions[dependency.uid].action.changes:
            return Decision(Action.UPDATE, f"depends on changed {dependency.uid}")
    return Decision(Action.NOOP)


def check_prevent_destroy(
    uid: ResourceUid,
    decision: Decision,
    known: StateResource | None,
    current: ExpandedResource | None,
    policies: Policies,
    diagnostics: Diagnostics,
) -> None:
    """A delete or replace of a protected resource is an error: protected by the policy
    in force for what exists, or (for a replace) by the definition it would match now."""
    if decision.action not in (Action.DELETE, Action.REPLACE) or known is None:
        return
    definition: ir.Definition | None
    if current is not None and protects(current.definition):
        where, definition = current.definition.span.location, current.definition
    else:
        protected, where, definition = policies.in_force(known)
        if not protected:
            return
    name = definition.id if definition is not None else known.definition
    verb = "delete" if decision.action is Action.DELETE else "replace"
    diagnostics.error(
        definition.span if definition is not None else None,
        f"cannot {verb} resource '{uid}': its definition '{name}' ({where}) sets prevent_destroy",
        f"reason for the {verb}: {decision.reason or 'no longer in the graph'}",
        "remove prevent_destroy from the policy first if this is really intended",
    )


def check_forced(
    forced: frozenset[ResourceUid],
    expansion: Expansion,
    diagnostics: Diagnostics,
) -> None:
    """Every uid given to `--replace` must be a resource of this plan."""
    for uid in sorted(forced):
        if uid not in expansion.resources:
            known = ", ".join(str(u) for u in sorted(expansion.resources)) or "none"
            diagnostics.error(
                None, f"--replace {uid}: no such resource in this plan (resources: {known})"
            )


def deleted_resources(snapshot: StateSnapshot, present: set[ResourceUid]) -> list[StateResource]:
    return [r for uid, r in sorted(snapshot.resources.items()) if uid not in present]
