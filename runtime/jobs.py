"""Turn a plan (or a destroy) into executor jobs with the right order.

Creates and updates wait for the creates of what they depend on; deletes wait for the
deletes of what depends on them (reverse order, from the dependencies recorded in
state); a replace is a delete, then a create that waits for it (SPEC §5, §8) — unless
its policy sets `create_before_destroy` (SPEC §9): then the create comes first, and the
delete of the old resource (a "retire" operation) waits for it and for the creates and
updates of everything that depends on it, so they are repointed before it goes.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchc.compiler.plan import Action, Plan
from orchc.compiler.uid import TARGET_UID
from orchc.runtime.state.contract import ResourceRecord

from .executor import Job

CREATE = "create"
UPDATE = "update"
DELETE = "delete"


@dataclass(frozen=True)
class Operation:
    """What a job does: create/update the planned resource, or delete a recorded one."""

    uid: str
    kind: str  # CREATE, UPDATE or DELETE
    replace: bool = False  # a DELETE with replace retires the old half of a replace


def job_key(kind: str, uid: str) -> str:
    # Creates and updates share a key prefix: dependents wait for either.
    return f"{DELETE if kind == DELETE else CREATE} {uid}"


def _delete_jobs(deleting: set[str], records: dict[str, ResourceRecord]) -> list[Job]:
    """Each delete waits for the deletes of the resources that depend on it."""
    dependents: dict[str, set[str]] = {uid: set() for uid in deleting}
    for uid in deleting:
        record = records.get(uid)
        for dependency in record.resource.depends_on if record else ():
            if str(dependency) in deleting:
                dependents[str(dependency)].add(uid)
    return [
        Job(
            key=job_key(DELETE, uid),
            after=frozenset(job_key(DELETE, d) for d in dependents[uid]),
            payload=Operation(uid, DELETE),
        )
        for uid in sorted(deleting)
    ]


def plan_jobs(plan: Plan, records: dict[str, ResourceRecord]) -> list[Job]:
    changing = {
        uid
        for uid, resource in plan.resources.items()
        if resource.action in (Action.CREATE, Action.UPDATE, Action.REPLACE)
    }
    deleting = {
        uid
        for uid, resource in plan.resources.items()
        if resource.action in (Action.DELETE, Action.REPLACE) and uid in records
    }
    first = {
        uid
        for uid in deleting
        if plan.resources[uid].action is Action.REPLACE
        and plan.resources[uid].policy.create_before_destroy
    }
    jobs = [
        _retire(job, plan, changing) if _uid(job) in first else job
        for job in _delete_jobs(deleting, records)
    ]
    for uid in sorted(changing):
        resource = plan.resources[uid]
        after = {job_key(CREATE, d) for d in resource.depends_on if d in changing}
        if uid in deleting and uid not in first:
            after.add(job_key(DELETE, uid))
        kind = UPDATE if resource.action is Action.UPDATE else CREATE
        jobs.append(
            Job(
                key=job_key(kind, uid),
                after=frozenset(after),
                group=resource.definition,
                max_parallel=resource.policy.max_parallel,
                payload=Operation(uid, kind, replace=resource.action is Action.REPLACE),
            )
        )
    return jobs


def _uid(job: Job) -> str:
    assert isinstance(job.payload, Operation)
    return job.payload.uid


def _retire(job: Job, plan: Plan, changing: set[str]) -> Job:
    """The delete half of a create-before-destroy replace: after the new resource and
    after every changing resource that depends on it."""
    uid = _uid(job)
    dependents = {d for d in changing if uid in plan.resources[d].depends_on}
    after = job.after | {job_key(CREATE, uid)} | {job_key(CREATE, d) for d in dependents}
    return Job(job.key, frozenset(after), payload=Operation(uid, DELETE, replace=True))


def destroy_jobs(records: dict[str, ResourceRecord]) -> list[Job]:
    """Delete everything. The target goes first (its dependents would normally be
    deleted before it), so the workloads are undeployed before the resources they use
    disappear."""
    jobs = _delete_jobs(set(records), records)
    if str(TARGET_UID) not in records:
        return jobs
    target = job_key(DELETE, str(TARGET_UID))
    return [
        Job(job.key, frozenset(), payload=job.payload)
        if job.key == target
        else Job(job.key, job.after | {target}, payload=job.payload)
        for job in jobs
    ]
