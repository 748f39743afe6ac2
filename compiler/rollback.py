"""A rollback plan (SPEC §13): the workloads and resource inputs of an earlier
deployment, as a plan against the state as it is now.

The history keeps, for every apply, the plan's `context`, `resources` and `workloads`
in plan form (`runtime/history.py`). `rollback_plan` turns the entries that deployment
left in place (every action but `delete`) back into planned resources and workloads,
and decides each action against the current snapshot, as `orchc plan` would: `create`
when the state no longer has it (deleted since, or never finished), `replace` when the
definition, the driver or an input that forces replacement differs, `update` when the
plan-form inputs (`inputs_digest`) or the policy differ or a dependency changes,
`noop` otherwise; what the state has and that deployment did not is deleted.

Nothing secret is in the result: secrets stay where the plan form says apply reads
them (`${env.X}` is read from the environment at apply; a literal secret from its
definition file, refused if it no longer digests as it did). Its `inputs_digest` is the
digest of what it restores (no definition or Score file is read); `plan_digest` and the
signature are added as for any plan (`plan_integrity.seal`), and apply refuses it once
the state moves past the serial it was made against.

>>> from orchc.compiler.state import StateSnapshot
>>> applied = {"context": {"app": "a", "env": "e", "env_type": "t"},
...            "resources": {}, "workloads": {"web": {"source": "web.yaml",
...            "digest": "sha256:1", "spec": {}, "action": "create"}}}
>>> plan = rollback_plan(applied, 1, StateSnapshot("lineage", 4), lambda driver: frozenset())
>>> plan.workloads["web"].action.value, plan.workloads["web"].reason, plan.state.serial
('create', 'as applied at serial 1', 4)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from .changes import Wanted, changes_json, resource_changes, workload_changes
from .plan import (
    Action,
    Plan,
    PlanContext,
    PlannedResource,
    PlannedWorkload,
    PlanPolicy,
    PlanState,
    Summary,
    digest_of,
)
from .plan_actions import Decision, ReplaceInputs
from .state import ResourceStatus, StateResource, StateSnapshot
from .uid import ResourceUid

# Fields of a recorded entry that describe that deployment's review, not the value.
_NOT_RESTORED = ("action", "reason", "changes")


class RollbackError(Exception):
    """The deployment cannot be rolled back to; the message says why."""


def rollback_plan(
    applied: Mapping[str, Any], serial: int, snapshot: StateSnapshot, replace: ReplaceInputs
) -> Plan:
    """The plan that puts back what deployment `serial` applied (`applied`, from the
    history) over `snapshot`; `replace` gives the inputs that force a replace per driver."""
    context = _readable(applied, serial)
    resources = _restored_resources(applied, serial)
    decisions = _propagate(
        {uid: _decide(planned, snapshot, replace) for uid, planned in resources.items()},
        resources,
    )
    planned = {
        uid: _with_decision(resources[uid], decisions[uid], snapshot) for uid in sorted(resources)
    }
    for uid, gone in sorted(snapshot.resources.items()):
        if str(uid) not in planned:
            planned[str(uid)] = _deleted(gone, context, serial)
    _refuse_protected(planned, snapshot)
    workloads = _workloads(applied, serial, snapshot, decisions)
    return Plan(
        context=context,
        state=PlanState(lineage=snapshot.lineage, serial=snapshot.serial),
        inputs_digest=digest_of({"rollback_to": serial, "applied": applied}),
        resources=planned,
        workloads=workloads,
        summary=Summary.of(planned, workloads),
    )


def _readable(applied: Mapping[str, Any], serial: int) -> PlanContext:
    """The recorded context, once `applied` has the shape of what apply records (an
    edited or foreign history is refused with `RollbackError`, not a crash)."""
    for group in ("resources", "workloads"):
        entries = applied.get(group)
        if not isinstance(entries, dict):
            raise _unreadable(serial, group, "not a mapping")
        for name, entry in entries.items():
            if not isinstance(entry, dict):
                raise _unreadable(serial, name, "not a mapping")
    context: PlanContext = _validated(PlanContext, applied.get("context"), "context", serial)
    return context


def _restored_resources(applied: Mapping[str, Any], serial: int) -> dict[str, PlannedResource]:
    restored = {}
    for uid, entry in applied["resources"].items():
        if entry.get("action") == Action.DELETE.value:
            continue
        kept = {k: v for k, v in entry.items() if k not in _NOT_RESTORED}
        restored[uid] = _validated(PlannedResource, {**kept, "action": "noop"}, uid, serial)
    return restored


def _validated(model: Any, data: Any, name: str, serial: int) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _unreadable(serial, name, error.errors()[0]["msg"]) from None


def _unreadable(serial: int, name: str, problem: str) -> RollbackError:
    return RollbackError(
        f"the history of serial {serial} cannot be read back ('{name}': {problem}); "
        "it was written by another orchc version"
    )


def _decide(planned: PlannedResource, snapshot: StateSnapshot, replace: ReplaceInputs) -> Decision:
    known = snapshot.resources.get(_uid(planned))
    if known is None:
        return Decision(Action.CREATE, "not in the state any more")
    if known.status is not ResourceStatus.READY:
        return Decision(Action.CREATE, "the last run stopped before this resource finished")
    if known.definition != planned.definition or known.driver != planned.driver:
        return Decision(
            Action.REPLACE, f"definition or driver was '{known.definition}' ({known.driver})"
        )
    forcing = sorted(
        key for key in replace(planned.driver) if planned.inputs.get(key) != known.inputs.get(key)
    )
    if forcing:
        return Decision(Action.REPLACE, f"changing input {', '.join(forcing)} forces replacement")
    if known.inputs_digest != planned.inputs_digest:
        return Decision(Action.UPDATE, "inputs differ from the state")
    if known.prevent_destroy != planned.policy.prevent_destroy:
        return Decision(Action.UPDATE, "policy differs from the state")
    return Decision(Action.NOOP)


def _propagate(
    decisions: dict[str, Decision], resources: Mapping[str, PlannedResource]
) -> dict[str, Decision]:
    """A resource whose dependency changes is updated too (its inputs may read the
    dependency's outputs), to a fixed point."""
    result = dict(decisions)
    changed = True
    while changed:
        changed = False
        for uid, decision in sorted(result.items()):
            if decision.action is not Action.NOOP:
                continue
            moving = [
                d for d in resources[uid].depends_on if d in result and result[d].action.changes
            ]
            if moving:
                result[uid] = Decision(Action.UPDATE, f"depends on changed {moving[0]}")
                changed = True
    return result


def _with_decision(
    planned: PlannedResource, decision: Decision, snapshot: StateSnapshot
) -> PlannedResource:
    known = snapshot.resources.get(_uid(planned))
    changes: list[dict[str, Any]] = []
    if known is not None and decision.action in (Action.UPDATE, Action.REPLACE):
        sources = {k: v.model_dump() for k, v in planned.secret_sources.items()}
        wanted = Wanted(planned.definition, planned.driver, planned.inputs, planned.params, sources)
        changes = changes_json(resource_changes(known, wanted))
    return planned.model_copy(
        update={"action": decision.action, "reason": decision.reason, "changes": changes}
    )


def _refuse_protected(planned: Mapping[str, PlannedResource], snapshot: StateSnapshot) -> None:
    """A rollback never deletes nor replaces a resource the state records as protected
    (`prevent_destroy`), as `orchc plan` refuses to (SPEC §9)."""
    refused = [
        f"cannot {resource.action.value} resource '{uid}': its definition "
        f"'{known.definition}' ({known.source}) sets prevent_destroy"
        for uid, resource in sorted(planned.items())
        if resource.action in (Action.DELETE, Action.REPLACE)
        and (known := snapshot.resources.get(_uid(resource))) is not None
        and known.prevent_destroy
    ]
    if refused:
        raise RollbackError("; ".join(refused) + " (remove prevent_destroy first if intended)")


def _deleted(gone: StateResource, context: PlanContext, serial: int) -> PlannedResource:
    return PlannedResource(
        type=gone.uid.type,
        class_=gone.uid.class_,
        id=gone.uid.id,
        guid=gone.uid.guid(context.app, context.env),
        definition=gone.definition,
        source=gone.source,
        driver=gone.driver,
        inputs=gone.inputs,
        policy=PlanPolicy(prevent_destroy=gone.prevent_destroy),
        depends_on=[str(d) for d in gone.depends_on],
        inputs_digest=gone.inputs_digest,
        action=Action.DELETE,
        reason=f"not in the deployment of serial {serial}",
    )


def _workloads(
    applied: Mapping[str, Any],
    serial: int,
    snapshot: StateSnapshot,
    decisions: Mapping[str, Decision],
) -> dict[str, PlannedWorkload]:
    planned: dict[str, PlannedWorkload] = {}
    for name, entry in sorted(applied["workloads"].items()):
        if entry.get("action") == Action.DELETE.value:
            continue
        kept = {k: v for k, v in entry.items() if k not in _NOT_RESTORED}
        workload = _validated(PlannedWorkload, {**kept, "action": "noop"}, name, serial)
        planned[name] = _workload_action(name, workload, snapshot, decisions, serial)
    for name, gone in sorted(snapshot.workloads.items()):
        if name not in planned:
            planned[name] = PlannedWorkload(
                source=gone.source,
                digest=gone.digest,
                action=Action.DELETE,
                reason=f"not in the deployment of serial {serial}",
            )
    return planned


def _workload_action(
    name: str,
    workload: PlannedWorkload,
    snapshot: StateSnapshot,
    decisions: Mapping[str, Decision],
    serial: int,
) -> PlannedWorkload:
    known = snapshot.workloads.get(name)
    changes: list[dict[str, Any]] = []
    moving = [d for d in workload.depends_on if d in decisions and decisions[d].action.changes]
    if known is None:
        decision = Decision(Action.CREATE, f"as applied at serial {serial}")
    elif known.digest != workload.digest:
        decision = Decision(Action.UPDATE, f"the Score spec as applied at serial {serial}")
        changes = changes_json(workload_changes(known, workload.spec, workload.resources))
    elif moving:
        decision = Decision(Action.UPDATE, f"depends on changed {moving[0]}")
    else:
        decision = Decision(Action.NOOP)
    return workload.model_copy(
        update={"action": decision.action, "reason": decision.reason, "changes": changes}
    )


def _uid(planned: PlannedResource) -> ResourceUid:
    return ResourceUid(planned.type, planned.class_, planned.id)
