"""Turn a plan (or a destroy) into executor jobs with the right order.

Creates and updates wait for the creates of what they depend on; deletes wait for the
deletes of what depends on them (reverse order, from the dependencies recorded in
state); a replace is a delete, then a create that waits for it (SPEC §5, §8) — unless
its policy sets `create_before_destroy` (SPEC §9): then the create comes first, and the
delete of the old resource (a "retire" operation) waits for it and for the creates and
updates of everything that depends on it, so they are repointed before it goes. Jobs
are keyed by text (the executor knows nothing of uids); their payload is a typed
`Operation`.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass

from orchc.compiler.plan import Action, Plan, PlannedResource
from orchc.compiler.uid import TARGET_UID, ResourceUid
from orchc.runtime.state.contract import ResourceRecord

from .executor import Job

Records = Mapping[ResourceUid, ResourceRecord]


class OperationKind(enum.Enum):
    """What a job does to a resource; the value is the word reports print."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class Operation:
    """What a job does: create/update the planned resource, or delete a recorded one."""

    uid: ResourceUid
    kind: OperationKind
    replace: bool = False  # a DELETE with replace retires the old half of a replace


def planned_resources(plan: Plan) -> dict[ResourceUid, PlannedResource]:
    """The plan's resources by uid (the plan file keys them by text)."""
    return {
        ResourceUid(resource.type, resource.class_, resource.id): resource
        for resource in plan.resources.values()
    }


def job_key(kind: OperationKind, uid: ResourceUid) -> str:
    # Creates and updates share a key prefix: dependents wait for either.
    word = OperationKind.DELETE if kind is OperationKind.DELETE else OperationKind.CREATE
    return f"{word.value} {uid}"


def _delete_jobs(deleting: set[ResourceUid], records: Records) -> list[Job]:
    """Each delete waits for the deletes of the resources that depend on it."""
    dependents: dict[ResourceUid, set[ResourceUid]] = {uid: set() for uid in deleting}
    for uid in deleting:
        record = records.get(uid)
        for dependency in record.resource.depends_on if record else ():
            if dependency in deleting:
                dependents[dependency].add(uid)
    return [
        Job(
            key=job_key(OperationKind.DELETE, uid),
            after=frozenset(job_key(OperationKind.DELETE, d) for d in dependents[uid]),
            payload=Operation(uid, OperationKind.DELETE),
        )
        for uid in sorted(deleting)
    ]


def plan_jobs(plan: Plan, records: Records) -> list[Job]:
    planned = planned_resources(plan)
    changing = {
        uid
        for uid, resource in planned.items()
        if resource.action in (Action.CREATE, Action.UPDATE, Action.REPLACE)
    }
    deleting = {
        uid
        for uid, resource in planned.items()
        if resource.action in (Action.DELETE, Action.REPLACE) and uid in records
    }
    first = {
        uid
        for uid in deleting
        if planned[uid].action is Action.REPLACE and planned[uid].policy.create_before_destroy
    }
    jobs = [
        _retire(job, planned, changing) if _uid(job) in first else job
        for job in _delete_jobs(deleting, records)
    ]
    # A dependency is (nearly always) a planned resource: its uid is known, not parsed.
    known = {str(uid): uid for uid in changing}
    for uid in sorted(changing):
        deleted_first = uid in deleting and uid not in first
        jobs.append(_change_job(uid, planned[uid], changing, known, deleted_first))
    return jobs


def _uid(job: Job) -> ResourceUid:
    assert isinstance(job.payload, Operation)
    return job.payload.uid


def _retire(
    job: Job, planned: Mapping[ResourceUid, PlannedResource], changing: set[ResourceUid]
) -> Job:
    """The delete half of a create-before-destroy replace: after the new resource and
    after every changing resource that depends on it."""
    uid = _uid(job)
    text = str(uid)
    dependents = {d for d in changing if text in planned[d].depends_on}
    creates = {job_key(OperationKind.CREATE, d) for d in {uid, *dependents}}
    operation = Operation(uid, OperationKind.DELETE, replace=True)
    return dataclasses.replace(job, after=job.after | creates, payload=operation)


def _change_job(
    uid: ResourceUid,
    resource: PlannedResource,
    changing: set[ResourceUid],
    known: Mapping[str, ResourceUid],
    deleted_first: bool,
) -> Job:
    dependencies = (known.get(d) or ResourceUid.parse(d) for d in resource.depends_on)
    after = {job_key(OperationKind.CREATE, d) for d in dependencies if d in changing}
    if deleted_first:
        after.add(job_key(OperationKind.DELETE, uid))
    kind = OperationKind.UPDATE if resource.action is Action.UPDATE else OperationKind.CREATE
    return Job(
        key=job_key(kind, uid),
        after=frozenset(after),
        group=resource.definition,
        max_parallel=resource.policy.max_parallel,
        payload=Operation(uid, kind, replace=resource.action is Action.REPLACE),
    )


def destroy_jobs(records: Records) -> list[Job]:
    """Delete everything. The target goes first (its dependents would normally be
    deleted before it), so the workloads are undeployed before the resources they use
    disappear."""
    jobs = _delete_jobs(set(records), records)
    if TARGET_UID not in records:
        return jobs
    target = job_key(OperationKind.DELETE, TARGET_UID)
    return [
        dataclasses.replace(job, after=frozenset())
        if job.key == target
        else dataclasses.replace(job, after=job.after | {target})
        for job in jobs
    ]
