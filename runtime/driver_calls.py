"""The driver calls of a run, on worker threads: create (with retries) and delete.

Each call gets a journal that persists the driver's intermediate state under the
resource's uid the moment the driver saves it, so a run killed mid-call leaves what
the driver needs to resume or clean up. Retries wait `retry_backoff` seconds, doubling
each time; only a `DriverError` is retried.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from orchc.compiler.uid import ResourceUid
from orchc.drivers.protocol import DriverError, DriverRequest, DriverResult
from orchc.drivers.registry import DriverRegistry
from orchc.runtime.state.contract import ResourceWriter


@dataclass(frozen=True)
class Journal:
    """Where a driver saves its intermediate state during a call."""

    store: ResourceWriter
    app: str
    env: str
    uid: ResourceUid

    def save_state(self, state: dict[str, Any]) -> None:
        self.store.save_driver_state(self.app, self.env, self.uid, state)


@dataclass(frozen=True)
class DriverCalls:
    drivers: DriverRegistry
    store: ResourceWriter
    app: str
    env: str
    retry_backoff: float = 0.5  # seconds before the first retry; doubles each time

    def create(
        self, uid: ResourceUid, driver: str, request: DriverRequest, retries: int
    ) -> DriverResult:
        """Call the driver's `create`, up to `retries` more times while it fails."""
        journal = Journal(self.store, self.app, self.env, uid)
        for attempt in range(retries):
            try:
                return self.drivers.get(driver).create(request, journal)
            except DriverError:
                time.sleep(self.retry_backoff * 2**attempt)
        try:
            return self.drivers.get(driver).create(request, journal)
        except DriverError as error:
            if retries:
                raise DriverError(f"{error} (after {retries + 1} attempts)") from None
            raise

    def delete(self, uid: ResourceUid, driver: str, request: DriverRequest) -> None:
        journal = Journal(self.store, self.app, self.env, uid)
        self.drivers.get(driver).delete(request, journal)
