"""The state-store interface: what exists per (app, env).

The compiler reads a `StateSnapshot` to compute plan actions; the runtime implements
`StateStore` (SQLite embedded, PostgreSQL for teams) and writes through it. Secret
outputs and driver state are only in `ResourceRecord`, which the compiler never reads.

Invariants every store keeps:
- `serial` moves on every apply or destroy that starts, so a plan made before it is
  stale; `lineage` is set once, when the first apply for (app, env) starts.
- one transaction per resource result: a record is never half-written.
- a resource whose `status` is not `ready` had a driver call in flight when the last run
  stopped (see `ResourceStatus`); the next plan re-runs it.
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


@dataclass(frozen=True)
class ResourceRecord:
    """Everything kept about a resource, secrets included. Only the runtime reads it."""

    resource: StateResource
    outputs: JsonObject = field(default_factory=dict)
    secrets: JsonObject = field(default_factory=dict)
    driver_state: JsonObject = field(default_factory=dict)
    manifests: tuple[JsonObject, ...] = ()
    resolved_digest: str | None = None  # digest of the inputs as the driver last saw them
    # The inputs, secrets and params exactly as the driver last received them (resolved):
    # deleting a resource whose definition is gone needs them.
    resolved_inputs: JsonObject = field(default_factory=dict)
    resolved_secrets: JsonObject = field(default_factory=dict)
    resolved_params: JsonObject = field(default_factory=dict)
    resolved_context: JsonObject = field(default_factory=dict)  # app, env, env_type


@dataclass(frozen=True)
class LockHolder:
    host: str
    pid: int
    since: str  # ISO 8601, UTC
    operation: str  # "apply" or "destroy"

    def describe(self) -> str:
        return f"{self.operation} by pid {self.pid} on {self.host} since {self.since}"


@dataclass(frozen=True)
class ResourceTiming:
    uid: str
    action: str
    result: str  # "ok", "failed", "skipped", "unchanged"
    started: float | None = None  # seconds since the run started
    duration: float | None = None


class StaleStateError(Exception):
    """The plan was made against a lineage/serial that is no longer current."""


class LockedError(Exception):
    """Another process holds the lock for this (app, env)."""

    def __init__(self, holder: LockHolder) -> None:
        self.holder = holder
        super().__init__(f"state is locked: {holder.describe()}")


class StateReader(Protocol):
    def snapshot(self, app: str, env: str) -> StateSnapshot: ...


class StateStore(StateReader, Protocol):
    """The runtime's store. All methods are safe to call from one thread at a time; the
    executor funnels every write through its main thread."""

    def acquire_lock(self, app: str, env: str, operation: str) -> LockHolder:
        """Take the (app, env) lock or raise `LockedError` naming the holder. A lock whose
        holder process is gone (same host, pid not alive) is taken over."""
        ...

    def release_lock(self, app: str, env: str) -> None: ...

    def force_unlock(self, app: str, env: str) -> LockHolder | None:
        """Remove the lock whoever holds it; returns who held it."""
        ...

    def begin_deployment(
        self, app: str, env: str, plan_digest: str, lineage: str | None, serial: int
    ) -> int:
        """Check that (lineage, serial) is still current (else `StaleStateError`), create
        the lineage if there is none, move the serial, and record a deployment as
        started. Returns the deployment id."""
        ...

    def finish_deployment(
        self, deployment_id: int, result: str, timings: tuple[ResourceTiming, ...]
    ) -> None: ...

    def record(self, app: str, env: str, uid: ResourceUid) -> ResourceRecord | None: ...

    def records(self, app: str, env: str) -> tuple[ResourceRecord, ...]: ...

    def mark(self, app: str, env: str, resource: StateResource) -> None:
        """Record the intent to create/update/delete before the driver is called
        (`resource.status` is CREATING or DELETING); keeps outputs and driver state."""
        ...

    def save_driver_state(
        self, app: str, env: str, uid: ResourceUid, driver_state: JsonObject
    ) -> None:
        """Persist a driver's intermediate state during a call (see drivers' Journal)."""
        ...

    def put(self, app: str, env: str, record: ResourceRecord) -> None:
        """Store a finished resource (status READY), in one transaction."""
        ...

    def remove(self, app: str, env: str, uid: ResourceUid) -> None: ...

    def put_workloads(self, app: str, env: str, workloads: tuple[StateWorkload, ...]) -> None:
        """Replace the set of deployed workloads."""
        ...

    def deployments(self, app: str, env: str, limit: int = 20) -> tuple[Mapping[str, Any], ...]:
        """The latest deployments, newest first: id, plan_digest, started, ended, result,
        timings."""
        ...

    def close(self) -> None: ...


class InMemoryState:
    """A `StateReader` over a fixed snapshot, for tests and for planning without state."""

    def __init__(self, snapshots: Mapping[tuple[str, str], StateSnapshot] | None = None):
        self._snapshots = dict(snapshots or {})

    def snapshot(self, app: str, env: str) -> StateSnapshot:
        return self._snapshots.get((app, env), StateSnapshot())
