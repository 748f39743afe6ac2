"""What each job does: call a driver (on a worker thread) and record the intent and
the result in the state store (on the executor's calling thread).

Order of writes for crash safety: the intent (status `creating`/`deleting`, previous
outputs and driver state kept) is committed before the driver is called; the result
replaces it in one transaction the moment the call returns. A run killed in between
leaves the intent, which the next plan turns into the same operation again; drivers
are idempotent, so nothing is provisioned twice and nothing is forgotten.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchc.compiler.plan import DRIFT_REASON_PREFIX, Plan, PlannedResource, digest_of
from orchc.compiler.state import ResourceStatus, StateResource
from orchc.compiler.uid import ResourceUid
from orchc.drivers.protocol import DriverError, DriverRequest, DriverResult
from orchc.drivers.registry import DriverRegistry
from orchc.runtime.state.contract import ResourceRecord, StateStore

from .executor import Job, Outcome
from .jobs import DELETE, UPDATE, Operation
from .placeholders import Outputs
from .redact import Redactor
from .report import Reporter
from .requests import RequestError, create_request, delete_request, uid_of


@dataclass(frozen=True)
class ApplyOptions:
    parallelism: int = 10
    retry_backoff: float = 0.5  # seconds before the first retry; doubles each time


SAME_AS_NEW = (
    "not deleted: the new resource has the old one's outputs, so it is the same one "
    "(create_before_destroy needs a driver that makes the new beside the old)"
)


class _AttemptFailed(Exception):
    """A driver call failed: the request it was given is kept in the state, so a
    delete of whatever the failed call left behind has the inputs it needs."""

    def __init__(self, error: DriverError, request: DriverRequest) -> None:
        super().__init__(str(error))
        self.error, self.request = error, request


def _attempt(request: DriverRequest) -> ResourceRecord:
    """The record of an attempted create/update: only what was sent counts."""
    uid = ResourceUid.parse(request.uid)
    placeholder = StateResource(uid, request.definition, "", "", {}, "")
    return ResourceRecord(
        resource=placeholder,
        resolved_inputs=request.inputs,
        resolved_secrets=request.secrets,
        resolved_params=request.params,
        resolved_context=request.context.model_dump(),
    )


@dataclass(frozen=True)
class _Created:
    request: DriverRequest
    result: DriverResult | None  # None: inputs unchanged, the driver was not called
    digest: str


class _Journal:
    def __init__(self, store: StateStore, app: str, env: str, uid: ResourceUid) -> None:
        self._store, self._app, self._env, self._uid = store, app, env, uid

    def save_state(self, state: dict[str, Any]) -> None:
        self._store.save_driver_state(self._app, self._env, self._uid, state)


@dataclass
class Operations:
    store: StateStore
    drivers: DriverRegistry
    root: Path
    app: str
    env: str
    reporter: Reporter
    redactor: Redactor
    options: ApplyOptions
    records: dict[str, ResourceRecord]
    plan: Plan | None
    outputs: Outputs = field(default_factory=Outputs)
    manifests: dict[str, tuple[dict[str, Any], ...]] = field(default_factory=dict)
    resolved_inputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for record in self.records.values():
            self._know(record)

    def _know(self, record: ResourceRecord) -> None:
        uid = str(record.resource.uid)
        self.outputs.put(uid, record.outputs, record.secrets)
        self.manifests[uid] = record.manifests
        self.resolved_inputs[uid] = record.resolved_inputs
        self.redactor.add([record.secrets, record.resolved_secrets])

    def _forget(self, uid: str) -> None:
        self.manifests.pop(uid, None)

    # -- bookkeeping on the calling thread --------------------------------------------

    @staticmethod
    def operation(job: Job) -> Operation:
        assert isinstance(job.payload, Operation)
        return job.payload

    def load_drivers(self, jobs: list[Job]) -> None:
        """Load every driver the jobs use before anything starts: an unknown driver
        stops the run before the state changes, and import time does not count
        against the first resource."""
        for job in jobs:
            operation = self.operation(job)
            if operation.kind == DELETE:
                self.drivers.get(self.records[operation.uid].resource.driver)
            elif self.plan is not None:
                self.drivers.get(self.plan.resources[operation.uid].driver)

    def source_of(self, uid: str) -> str | None:
        if self.plan is not None and uid in self.plan.resources:
            planned = self.plan.resources[uid]
            return f"'{planned.definition}' at {planned.source}"
        record = self.records.get(uid)
        return f"'{record.resource.definition}' at {record.resource.source}" if record else None

    def record_intent(self, operation: Operation) -> None:
        if operation.kind == DELETE and operation.replace:
            return  # retiring: the state row is the new resource's; the old is in memory
        if operation.kind == DELETE:
            resource = self.records[operation.uid].resource
            self.store.mark(self.app, self.env, _status(resource, ResourceStatus.DELETING))
        else:
            self.store.mark(
                self.app, self.env, self._planned_state(operation.uid, ResourceStatus.CREATING)
            )

    def record_outcome(self, operation: Operation, outcome: Outcome) -> Outcome:
        if not outcome.succeeded:
            if isinstance(outcome.value, DriverRequest):  # a driver call that failed
                self.store.record_attempt(self.app, self.env, _attempt(outcome.value))
            return outcome
        if operation.kind == DELETE and operation.replace:
            return outcome  # the old resource is gone; the state keeps the new one
        if operation.kind == DELETE:
            self.store.remove(self.app, self.env, ResourceUid.parse(operation.uid))
            self._forget(operation.uid)
            return outcome
        assert isinstance(outcome.value, _Created)
        record = self._record(operation.uid, outcome.value)
        self.store.put(self.app, self.env, record)
        self._know(record)
        return outcome

    def _planned_state(self, uid: str, status: ResourceStatus) -> StateResource:
        assert self.plan is not None
        planned = self.plan.resources[uid]
        return StateResource(
            uid=uid_of(planned),
            definition=planned.definition,
            driver=planned.driver,
            source=planned.source,
            inputs=planned.inputs,
            inputs_digest=planned.inputs_digest,
            depends_on=tuple(ResourceUid.parse(d) for d in planned.depends_on),
            prevent_destroy=planned.policy.prevent_destroy,
            status=status,
            params=planned.params,
            secret_sources={k: v.model_dump() for k, v in planned.secret_sources.items()},
        )

    def _record(self, uid: str, created: _Created) -> ResourceRecord:
        resource = self._planned_state(uid, ResourceStatus.READY)
        request = created.request
        if created.result is None:  # unchanged: keep what the driver returned last time
            previous = self.records[uid]
            outputs, secrets = previous.outputs, previous.secrets
            state, manifests = previous.driver_state, previous.manifests
        else:
            outputs, secrets = self._promote_secrets(created.result.outputs, created.result.secrets)
            state, manifests = created.result.state, created.result.manifests
        return ResourceRecord(
            resource=resource,
            outputs=outputs,
            secrets=secrets,
            driver_state=state,
            manifests=manifests,
            resolved_digest=created.digest,
            resolved_inputs=request.inputs,
            resolved_secrets=request.secrets,
            resolved_params=request.params,
            resolved_context=request.context.model_dump(),
        )

    def _promote_secrets(
        self, outputs: dict[str, Any], secrets: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """An output that contains a known secret is a secret output, whatever the
        driver said: it must never reach a plan, a log or a manifest in clear."""
        self.redactor.add(secrets)
        plain = {}
        secret = dict(secrets)
        for key, value in outputs.items():
            if self.redactor.contains_secret(json.dumps(value)):
                secret[key] = value
            else:
                plain[key] = value
        return plain, secret

    # -- work on a worker thread ------------------------------------------------------

    def perform(self, job: Job) -> Outcome:
        operation = self.operation(job)
        try:
            if operation.kind == DELETE and operation.replace and self._same_as_new(operation):
                return Outcome("unchanged", message=SAME_AS_NEW)
            if operation.kind == DELETE:
                self._delete(operation.uid)
                return Outcome("ok")
            created = self._create(operation)
        except _AttemptFailed as failed:
            message = self.redactor.redact(str(failed.error))
            return Outcome("failed", message=message, value=failed.request)
        except (DriverError, RequestError) as error:
            return Outcome("failed", message=self.redactor.redact(str(error)))
        return Outcome("ok" if created.result is not None else "unchanged", value=created)

    def _create(self, operation: Operation) -> _Created:
        assert self.plan is not None
        planned = self.plan.resources[operation.uid]
        previous = self.records.get(operation.uid)
        state = previous.driver_state if previous and not operation.replace else {}
        request = create_request(self.plan, planned, self.outputs, self.root, state)
        self.redactor.add([request.secrets, [request.inputs[k] for k in request.sensitive_inputs]])
        # The outputs asked for are part of what the driver is asked to do: a driver
        # like `environment` returns exactly those, so a new one needs a new call.
        digest = digest_of(
            {
                "params": request.params,
                "inputs": request.inputs,
                "secrets": request.secrets,
                "requested_outputs": sorted(request.requested_outputs),
            }
        )
        if (
            operation.kind == UPDATE
            and not (planned.reason or "").startswith(DRIFT_REASON_PREFIX)
            and previous is not None
            and previous.resource.status is ResourceStatus.READY
            and previous.resolved_digest == digest
        ):
            return _Created(request, None, digest)
        try:
            result = self._call(planned, request)
        except DriverError as error:
            raise _AttemptFailed(error, request) from None
        assert result is not None
        return _Created(request, result, digest)

    def _call(self, planned: PlannedResource, request: DriverRequest) -> DriverResult | None:
        driver = self.drivers.get(planned.driver)
        journal = _Journal(self.store, self.app, self.env, uid_of(planned))
        retries = planned.policy.retries
        for attempt in range(retries + 1):
            try:
                return driver.create(request, journal)
            except DriverError as error:
                if attempt == retries:
                    if retries:
                        raise DriverError(f"{error} (after {retries + 1} attempts)") from None
                    raise
                time.sleep(self.options.retry_backoff * 2**attempt)
        return None

    def _same_as_new(self, operation: Operation) -> bool:
        """Whether the new resource of a create-before-destroy replace has exactly the
        old one's outputs: then it is the same thing (a driver that names what it
        makes after the uid adopted it), and deleting the old would delete the new."""
        old = self.records[operation.uid]
        return self.outputs.get(operation.uid) == (old.outputs, old.secrets)

    def _delete(self, uid: str) -> None:
        record = self.records[uid]
        driver = self.drivers.get(record.resource.driver)
        driver.delete(
            delete_request(record, self.app, self.env, self.root),
            _Journal(self.store, self.app, self.env, record.resource.uid),
        )


def _status(resource: StateResource, status: ResourceStatus) -> StateResource:
    return dataclasses.replace(resource, status=status)
