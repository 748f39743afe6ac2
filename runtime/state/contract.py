"""The runtime's state contract, split by role as Terraform's `statemgr` is.

Planning needs only `StateReader` (in `orchc.compiler.state`). The runtime also writes
resources (`ResourceWriter`), reads them back with their secrets (`RecordReader`),
serialises runs (`Locker`) and keeps a history of runs (`History`); a backend
implements all of them as one `StateStore`. A function asks for the narrowest role it
needs, so a reader of records cannot write and a writer cannot take the lock.

Invariants every store keeps:
- `serial` moves on every apply or destroy that starts, so a plan made before it is
  stale; `lineage` is set once, when the first apply for (app, env) starts.
- one transaction per resource result: a record is never half-written.
- a resource whose `status` is not `ready` had a driver call in flight when the last run
  stopped (see `ResourceStatus`); the next plan re-runs it.
- secret outputs and driver state are only in `ResourceRecord`, which the compiler
  never reads.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from orchc.compiler.state import JsonObject, StateReader, StateResource, StateWorkload
from orchc.compiler.uid import ResourceUid

__all__ = [
    "DeploymentDetails",
    "History",
    "LockHolder",
    "LockedError",
    "Locker",
    "RecordReader",
    "ResourceRecord",
    "ResourceTiming",
    "ResourceWriter",
    "RunResult",
    "StaleStateError",
    "StateStore",
]


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


class RunResult(enum.Enum):
    """How an apply or destroy ended, as the history records it."""

    OK = "ok"
    FAILED = "failed"  # a resource or the deploy failed; the others ran to the end
    ABORTED = "aborted"  # something unexpected stopped the run (a crash, Ctrl-C)


@dataclass(frozen=True)
class DeploymentDetails:
    """What the history keeps about a run besides its result and timings (SPEC §13).

    `operation` is `apply`, `destroy` or `state rm`; `actor` is `user@host`; `counts`
    the plan's summary (actions to counts); `applied` (for an apply) the plan's
    `context`, `resources` and `workloads` as applied, in plan form: what `orchc
    history show` lists and `orchc rollback` restores. The plan form holds no secret
    value (secrets are `(sensitive)` and their sources), so neither does `applied`."""

    operation: str
    actor: str = ""
    counts: Mapping[str, int] = field(default_factory=dict)
    applied: JsonObject | None = None


@dataclass(frozen=True)
class LockHolder:
    host: str
    pid: int
    since: str  # ISO 8601, UTC
    operation: str  # "apply" or "destroy"
    # When the holder is gone: what it started that still runs, "pid (name)" each.
    orphans: tuple[str, ...] = ()

    def describe(self) -> str:
        held = f"{self.operation} by pid {self.pid} on {self.host} since {self.since}"
        if not self.orphans:
            return held
        return (
            f"{held}; that orchc process is gone, but program(s) it started still run: "
            f"{', '.join(self.orphans)}"
        )


@dataclass(frozen=True)
class ResourceTiming:
    """One job of a run as the history keeps it (plain text, so old rows stay readable)."""

    uid: str
    action: str
    result: str  # "ok", "failed", "skipped", "unchanged"
    started: float | None = None  # seconds since the run started
    duration: float | None = None


class StaleStateError(Exception):
    """The plan was made against a lineage/serial that is no longer current."""


class LockedError(Exception):
    """Another process holds the lock for this (app, env)."""

    def __init__(self, holder: LockHolder, waited: float = 0.0) -> None:
        self.holder = holder
        self.waited = waited  # seconds spent waiting for it (`--lock-timeout`)
        super().__init__(f"state is locked: {holder.describe()}")


class RecordReader(Protocol):
    """Reads whole records, secrets included: what the runtime needs to call drivers."""

    def record(self, app: str, env: str, uid: ResourceUid) -> ResourceRecord | None: ...

    def records(self, app: str, env: str) -> tuple[ResourceRecord, ...]: ...


class ResourceWriter(Protocol):
    """Writes resources and workloads, each call one transaction."""

    def mark(self, app: str, env: str, resource: StateResource) -> None:
        """Record the intent to create/update/delete before the driver is called
        (`resource.status` is CREATING or DELETING); keeps outputs and driver state."""
        ...

    def record_attempt(self, app: str, env: str, record: ResourceRecord) -> None:
        """Keep the request of a failed create/update (`resolved_*` of `record`, whose
        resource names the uid); every other column stays as it is."""
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


@runtime_checkable
class Locker(Protocol):
    """The (app, env) lock: one apply or destroy at a time."""

    def acquire_lock(self, app: str, env: str, operation: str) -> LockHolder:
        """Take the (app, env) lock or raise `LockedError` naming the holder. A lock whose
        holder process is gone (same host, pid not alive) is taken over, unless a program
        that process started still runs (then `LockedError` names those programs). A store that
        holds the lock already takes it again (nested: each acquire has its release,
        the outermost releases it), so a command may lock before it plans."""
        ...

    def release_lock(self, app: str, env: str) -> None: ...

    def force_unlock(self, app: str, env: str) -> LockHolder | None:
        """Remove the lock whoever holds it; returns who held it."""
        ...

    def unlock_abandoned(self, app: str, env: str) -> LockHolder | None:
        """Remove the lock only if its holder is provably gone and no program it started
        still runs (else `LockedError`, naming them); returns who held it."""
        ...


@contextmanager
def holding_lock(store: Locker, app: str, env: str, operation: str) -> Iterator[LockHolder]:
    """The (app, env) lock held for `operation` inside the block, released after it
    whatever happens (`LockedError` while another run holds it)."""
    holder = store.acquire_lock(app, env, operation)
    try:
        yield holder
    finally:
        store.release_lock(app, env)


class History(Protocol):
    """The runs (deployments) of an (app, env), and the serial they move."""

    def begin_deployment(
        self,
        app: str,
        env: str,
        plan_digest: str,
        lineage: str | None,
        serial: int,
        details: DeploymentDetails | None = None,
    ) -> int:
        """Check that (lineage, serial) is still current (else `StaleStateError`), create
        the lineage if there is none, move the serial, and record a deployment as
        started, at the serial it moved to, with `details`. Returns the deployment id."""
        ...

    def finish_deployment(
        self,
        deployment_id: int,
        result: RunResult,
        timings: tuple[ResourceTiming, ...],
        duration: float | None = None,
    ) -> None:
        """Record how the run ended; `duration` in seconds (else the difference of the
        recorded start and end times, to the second)."""
        ...

    def deployments(self, app: str, env: str, limit: int = 20) -> tuple[Mapping[str, Any], ...]:
        """The latest deployments, newest first: id, serial, operation, actor,
        plan_digest, started, ended, duration, result, counts, timings (rows written
        before schema 3 have no serial, operation, actor, counts nor duration: None)."""
        ...

    def deployment(self, app: str, env: str, serial: int) -> Mapping[str, Any] | None:
        """The deployment that moved (app, env) to `serial`, as `deployments` gives it
        plus `applied` (see `DeploymentDetails`); None when there is none."""
        ...

    def prune_deployments(self, app: str, env: str, keep: int) -> int:
        """Delete the deployments of (app, env) but the newest `keep` (>= 1, in the order
        `deployments` lists them), in one transaction; returns how many were deleted.
        The caller holds the (app, env) lock."""
        ...


class StateStore(StateReader, RecordReader, ResourceWriter, Locker, History, Protocol):
    """Every role at once: what a backend implements. All methods are safe to call from
    one thread at a time; the executor funnels every write through its main thread."""

    def close(self) -> None: ...
