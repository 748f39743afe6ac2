"""A semantic diff of two plans (SPEC §10, `orchc diff` and `orchc impact`).

It compares what the plans *want*, not what they would do: per resource its
definition, driver, inputs, params and secrets (by name and source, shown as
`(sensitive)`), per workload its Score spec and resource bindings. A resource planned
for `delete` is not wanted, so it counts as absent. Guids, digests and actions are left
out: two plans of different environments compare too (what differs between dev and
prod), as do plans made against different states.

>>> from orchc.compiler.plan import Plan
>>> empty = {"format_version": 1, "context": {"app": "a", "env": "dev", "env_type": "t"},
...          "state": {}, "inputs_digest": "", "resources": {}, "workloads": {},
...          "summary": {}}
>>> diff_plans(Plan.model_validate(empty), Plan.model_validate(empty)).has_changes
False
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from .changes import Change, changes_json, secret_changes, value_changes
from .plan import Action, Plan, PlanContext, PlannedResource, PlannedWorkload


class Status(enum.Enum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"

    @property
    def symbol(self) -> str:
        return {"added": "+", "removed": "-", "changed": "~"}[self.value]


@dataclass(frozen=True, slots=True)
class Entry:
    """One resource (by uid) or workload (`workload NAME`) that differs."""

    kind: str  # "resource" or "workload"
    name: str
    status: Status
    changes: tuple[Change, ...] = ()
    definition: str = ""
    source: str = ""

    @property
    def label(self) -> str:
        return f"workload {self.name}" if self.kind == "workload" else self.name


@dataclass(frozen=True, slots=True)
class PlanDiff:
    old: PlanContext
    new: PlanContext
    entries: tuple[Entry, ...]
    equal: int  # resources and workloads present and equal on both sides

    @property
    def has_changes(self) -> bool:
        return bool(self.entries)

    def count(self, status: Status) -> int:
        return sum(1 for entry in self.entries if entry.status is status)

    def to_json(self) -> dict[str, Any]:
        return {
            "old": self.old.model_dump(),
            "new": self.new.model_dump(),
            "resources": _entries_json(e for e in self.entries if e.kind == "resource"),
            "workloads": _entries_json(e for e in self.entries if e.kind == "workload"),
            "summary": {s.value: self.count(s) for s in Status} | {"equal": self.equal},
        }


def _entries_json(entries: Any) -> dict[str, Any]:
    return {
        e.name: {"status": e.status.value, "changes": changes_json(list(e.changes))}
        for e in entries
    }


def _wanted_resources(plan: Plan) -> dict[str, PlannedResource]:
    return {uid: r for uid, r in plan.resources.items() if r.action is not Action.DELETE}


def _wanted_workloads(plan: Plan) -> dict[str, PlannedWorkload]:
    return {name: w for name, w in plan.workloads.items() if w.action is not Action.DELETE}


def resource_form(resource: PlannedResource) -> dict[str, Any]:
    return {
        "definition": resource.definition,
        "driver": resource.driver,
        "inputs": resource.inputs,
        "params": resource.params,
    }


def _secret_form(resource: PlannedResource) -> dict[str, Any]:
    """Each secret by name, compared by where apply reads it from (never a value)."""
    sources = resource.secret_sources
    return {
        key: sources[key].model_dump() if key in sources else None
        for key in resource.secrets.keys() | sources.keys()
    }


def workload_form(workload: PlannedWorkload) -> dict[str, Any]:
    return {"spec": workload.spec, "resources": workload.resources}


def _resource_entry(name: str, old: PlannedResource | None, new: PlannedResource | None) -> Entry:
    shown = new or old
    assert shown is not None
    if old is None or new is None:
        status = Status.ADDED if old is None else Status.REMOVED
        return Entry("resource", name, status, (), shown.definition, shown.source)
    changes = value_changes(resource_form(old), resource_form(new), "")
    changes += secret_changes(_secret_form(old), _secret_form(new))
    ordered = tuple(sorted(changes, key=lambda c: c.path))
    return Entry("resource", name, Status.CHANGED, ordered, shown.definition, shown.source)


def _workload_entry(name: str, old: PlannedWorkload | None, new: PlannedWorkload | None) -> Entry:
    shown = new or old
    assert shown is not None
    if old is None or new is None:
        status = Status.ADDED if old is None else Status.REMOVED
        return Entry("workload", name, status, source=shown.source)
    changes = value_changes(workload_form(old), workload_form(new), "")
    return Entry("workload", name, Status.CHANGED, tuple(changes), source=shown.source)


def diff_plans(old: Plan, new: Plan) -> PlanDiff:
    entries: list[Entry] = []
    equal = 0
    old_r, new_r = _wanted_resources(old), _wanted_resources(new)
    old_w, new_w = _wanted_workloads(old), _wanted_workloads(new)
    compared = [
        *(
            _resource_entry(uid, old_r.get(uid), new_r.get(uid))
            for uid in sorted(old_r.keys() | new_r.keys())
        ),
        *(
            _workload_entry(name, old_w.get(name), new_w.get(name))
            for name in sorted(old_w.keys() | new_w.keys())
        ),
    ]
    for entry in compared:
        if entry.status is Status.CHANGED and not entry.changes:
            equal += 1
        else:
            entries.append(entry)
    return PlanDiff(old.context, new.context, tuple(entries), equal)
