"""What the deployment history records about each run (SPEC §13).

Every apply, destroy and `state rm` is a deployment in the state (`History`): the
serial it moved to, who ran it (`user@host`), the plan digest, the counts per action,
how it ended and how long it took, and, for an apply, what it applied: the plan's
`context`, `resources` and `workloads` in plan form (`applied_of`), which `orchc
history show` lists and `orchc rollback` restores. The plan form holds no secret value
(a secret is `(sensitive)` plus where apply reads it), so neither does the history.

Nothing is deleted from the history but by `prune_history`, which keeps the newest N
deployments: a rollback needs only the deployment it goes back to, so it can still go
back to any apply among them.

>>> from orchc.compiler.plan import PlanContext, PlanState, Summary
>>> plan = Plan(context=PlanContext(app="a", env="e", env_type="t"), state=PlanState(),
...             inputs_digest="sha256:0", resources={}, workloads={}, summary=Summary(create=1))
>>> details = apply_details(plan)
>>> (details.operation, details.counts["create"], sorted(details.applied or {}))
('apply', 1, ['context', 'resources', 'workloads'])
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Iterable, Mapping
from typing import Any

from orchc.compiler.plan import Plan
from orchc.compiler.state import StateWorkload

from .state.contract import DeploymentDetails, ResourceRecord, StateStore, holding_lock

# What a plan entry says about this plan only (the review), not about what was applied.
_REVIEW_ONLY = ("changes",)


def actor() -> str:
    """`user@host` of this process (the user from the environment, as `whoami`)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (e.g. a bare container)
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def applied_of(document: Mapping[str, Any]) -> dict[str, Any]:
    """The context, resources and workloads of a plan's `document()` as the history
    keeps them."""
    return {
        "context": document["context"],
        "resources": _entries(document["resources"]),
        "workloads": _entries(document["workloads"]),
    }


def _entries(group: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return {
        key: {k: v for k, v in entry.items() if k not in _REVIEW_ONLY}
        for key, entry in group.items()
    }


def apply_details(plan: Plan, document: Mapping[str, Any] | None = None) -> DeploymentDetails:
    """`document` is `plan.document()` when the caller has it already."""
    return DeploymentDetails(
        operation="apply",
        actor=actor(),
        counts=plan.summary.model_dump(),
        applied=applied_of(plan.document() if document is None else document),
    )


def destroy_details(
    records: Iterable[ResourceRecord], workloads: Iterable[StateWorkload]
) -> DeploymentDetails:
    """A destroy deletes every resource and workload the state holds."""
    deleted = {
        str(r.resource.uid): {
            "action": "delete",
            "definition": r.resource.definition,
            "driver": r.resource.driver,
            "source": r.resource.source,
        }
        for r in records
    }
    undeployed = {w.name: {"action": "delete", "source": w.source} for w in workloads}
    return DeploymentDetails(
        operation="destroy",
        actor=actor(),
        counts={"delete": len(deleted) + len(undeployed)},
        applied={"resources": deleted, "workloads": undeployed},
    )


def forget_details() -> DeploymentDetails:
    return DeploymentDetails(operation="state rm", actor=actor())


def prune_history(store: StateStore, app: str, env: str, keep: int) -> int:
    """Delete all but the newest `keep` (>= 1) deployments of (app, env), holding its
    lock (an apply running meanwhile adds a deployment); returns how many went. It is
    not itself a deployment: resources, lineage and serial stay as they are, so a plan
    made before it still applies."""
    with holding_lock(store, app, env, "history prune"):
        return store.prune_deployments(app, env, keep)
