"""Plan actions: compare the graph with a state snapshot (SPEC §5).

create: not in state (or its last create never finished); replace: the definition or
driver changed, or an input the driver declares as forcing replacement changed;
update: the plan-form inputs changed, or a resource it depends on changes; delete: in
state but no longer in the graph; noop otherwise. Deleting or replacing a resource
whose definition sets `prevent_destroy` is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from orchc.grammar.diagnostics import Diagnostics

from .passes.build_graph import Node, ResourceGraph
from .passes.expand import ExpandedResource, ExpandedWorkload
from .plan import Action
from .state import ResourceStatus, StateResource, StateSnapshot, StateWorkload
from .uid import ResourceUid

ReplaceInputs = Callable[[str], frozenset[str]]


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    reason: str | None = None


def resource_action(
    resource: ExpandedResource,
    digest: str,
    known: StateResource | None,
    replace_inputs: ReplaceInputs,
) -> Decision:
    """The action for a resource that is in the graph, before upstream changes count."""
    if known is None:
        return Decision(Action.CREATE)
    if known.status is not ResourceStatus.READY:
        return Decision(Action.CREATE, "the last run stopped before this resource finished")
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
    return Decision(Action.NOOP)


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
    diagnostics: Diagnostics,
) -> None:
    if decision.action not in (Action.DELETE, Action.REPLACE):
        return
    protected_now = current is not None and bool(
        current.definition.policy and current.definition.policy.prevent_destroy
    )
    if not (protected_now or (known is not None and known.prevent_destroy)):
        return
    definition = current.definition.id if current else known.definition if known else "?"
    where = current.definition.span if current else None
    source = known.source if known else (where.location if where else "?")
    verb = "delete" if decision.action is Action.DELETE else "replace"
    diagnostics.error(
        where,
        f"cannot {verb} resource '{uid}': its definition '{definition}' ({source}) sets "
        "prevent_destroy",
        f"reason for the {verb}: {decision.reason or 'no longer in the graph'}",
        "remove prevent_destroy from the policy first if this is really intended",
    )


def deleted_resources(snapshot: StateSnapshot, present: set[ResourceUid]) -> list[StateResource]:
    return [r for uid, r in sorted(snapshot.resources.items()) if uid not in present]
