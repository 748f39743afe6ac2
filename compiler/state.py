"""What planning reads of the state: a snapshot of what exists per (app, env).

The planner compares a `StateSnapshot` (from any `StateReader`) with the program to
choose plan actions. It holds no secret and no driver state: the runtime's whole store
(records with secrets, the lock, the history) is `orchc.runtime.state.contract`, which
builds on these types; the compiler never imports it.

A resource whose `status` is not `ready` had a driver call in flight when the last run
stopped (see `ResourceStatus`); the planner turns it into the same operation again.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .uid import ResourceUid

JsonObject = dict[str, Any]


class ResourceStatus(enum.Enum):
    READY = "ready"
    CREATING = "creating"  # intent recorded, create/update call in flight or crashed
    DELETING = "deleting"  # intent recorded, delete call in flight or crashed


@dataclass(frozen=True)
class StateResource:
    """The non-secret facts about a resource in state: enough to plan against."""

    uid: ResourceUid
    definition: str
    driver: str
    source: str
    inputs: JsonObject
    inputs_digest: str
    depends_on: tuple[ResourceUid, ...] = ()
    prevent_destroy: bool = False
    status: ResourceStatus = ResourceStatus.READY
    # The plan-form params and where each secret came from (never a secret value) at
    # the last apply, for the reviewer's before/after (SPEC §10); None when the state
    # did not record them.
    params: JsonObject | None = None
    secret_sources: JsonObject | None = None


@dataclass(frozen=True)
class StateWorkload:
    name: str
    source: str
    digest: str
    # The plan-form Score spec and resource bindings of the last apply, for the
    # reviewer's before/after (SPEC §10); None when the state did not record them.
    spec: JsonObject | None = None
    resources: Mapping[str, str] | None = None


@dataclass(frozen=True)
class StateSnapshot:
    """What the planner sees. An empty snapshot (no lineage) means nothing exists yet."""

    lineage: str | None = None
    serial: int = 0
    resources: Mapping[ResourceUid, StateResource] = field(default_factory=dict)
    workloads: Mapping[str, StateWorkload] = field(default_factory=dict)


class StateReader(Protocol):
    """Where planning reads the state from: a store, or `InMemoryState`."""

    def snapshot(self, app: str, env: str) -> StateSnapshot: ...


class InMemoryState:
    """A `StateReader` over a fixed snapshot, for tests and for planning without state."""

    def __init__(self, snapshots: Mapping[tuple[str, str], StateSnapshot] | None = None):
        self._snapshots = dict(snapshots or {})

    def snapshot(self, app: str, env: str) -> StateSnapshot:
        return self._snapshots.get((app, env), StateSnapshot())
