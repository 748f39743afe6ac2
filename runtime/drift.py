"""Drift (SPEC §9): ask each driver that can `observe` whether what it made is still
as it recorded it. Nothing in the state is changed, but the (app, env) lock is held
while observing when the store has one: a driver observes in the work dir an apply uses
(Terraform copies its module and state there afresh), so the two must not run at once.

Each finished resource in the state is observed with the request of its last
successful create (what its driver last saw, as for a delete), with action `observe`.
A driver without `observe` is reported as not observed; a driver that cannot look (a
server that does not answer) is an error, which is not drift. Every message passes
through a redactor that knows the resource's secrets.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from orchc.compiler.state import ResourceStatus
from orchc.drivers.protocol import DriverError, Observer
from orchc.drivers.registry import DriverLoadError, DriverRegistry, UnknownDriverError

from .redact import Redactor
from .requests import delete_request
from .state.contract import Locker, ResourceRecord, holding_lock


class ObserveError(Exception):
    """Observing failed where it must not (`plan --refresh`); the message says where."""


class Seen(enum.Enum):
    """What observing a resource found; the value is the word the reports print."""

    SAME = "in sync"
    DRIFTED = "drifted"
    NOT_OBSERVED = "not observed"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Observed:
    uid: str
    driver: str
    seen: Seen
    detail: str | None = None


class _Records(Protocol):
    def records(self, app: str, env: str) -> Sequence[ResourceRecord]: ...


def observe_all(
    store: _Records, drivers: DriverRegistry, root: Path, app: str, env: str
) -> list[Observed]:
    """Observe every finished resource of (app, env), sorted by uid (`LockedError`
    while another run holds the lock)."""
    lock = holding_lock(store, app, env, "drift") if isinstance(store, Locker) else nullcontext()
    with lock:  # a state without locks has nothing applied yet
        records = sorted(store.records(app, env), key=lambda r: r.resource.uid)
        return [
            observe_one(record, drivers, root, app, env)
            for record in records
            if record.resource.status is ResourceStatus.READY
        ]


def observe_one(
    record: ResourceRecord, drivers: DriverRegistry, root: Path, app: str, env: str
) -> Observed:
    resource = record.resource
    uid, name = str(resource.uid), resource.driver
    redactor = Redactor()
    redactor.add([record.secrets, record.resolved_secrets])
    try:
        driver = drivers.get(name)
        if not isinstance(driver, Observer):
            return Observed(uid, name, Seen.NOT_OBSERVED)
        request = delete_request(record, app, env, root).model_copy(update={"action": "observe"})
        drift = driver.observe(request).drift
    except (DriverError, DriverLoadError, UnknownDriverError, OSError) as error:
        return Observed(uid, name, Seen.ERROR, redactor.redact(str(error)))
    if drift is None:
        return Observed(uid, name, Seen.SAME)
    return Observed(uid, name, Seen.DRIFTED, redactor.redact(drift))
