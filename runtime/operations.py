"""What each job does: call a driver (on a worker thread) and record the intent and
the result in the state store (on the executor's calling thread).

Order of writes for crash safety: the intent (status `creating`/`deleting`, previous
outputs and driver state kept) is committed before the driver is called; the result
replaces it in one transaction the moment the call returns. A run killed in between
leaves the intent, which the next plan turns into the same operation again; drivers
are idempotent, so nothing is provisioned twice and nothing is forgotten.

The run's knowledge lives in `RunState` (run_state.py), the driver calls with their
retries and journal in `DriverCalls` (driver_calls.py); `Operations` ties them to the
plan and the store.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchc.compiler.plan import DRIFT_REASON_PREFIX, Plan, PlannedResource, digest_of
from orchc.compiler.state import ResourceStatus, StateResource
from orchc.compiler.uid import ResourceUid
from orchc.drivers.protocol import DriverError, DriverRequest, DriverResult
from orchc.runtime.state.contract import ResourceRecord, ResourceWriter

from .deferred import reads_environment
from .driver_calls import DriverCalls
from .executor import Job, JobResult, Outcome
from .jobs import Operation, OperationKind
from .requests import RequestError, create_request, delete_request
from .run_state import RunState


@dataclass(frozen=True)
class ApplyOptions:
    parallelism: int = 10
    retry_backoff: float = 0.5  # seconds before the first retry; doubles each time


@dataclass(frozen=True)
class _Created:
    request: DriverRequest
    result: DriverResult | None  # None: inputs unchanged, the driver was not called
    digest: str


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


def _attempt(uid: ResourceUid, request: DriverRequest) -> ResourceRecord:
    """The record of an attempted create/update: only what was sent counts."""
    placeholder = StateResource(uid, request.definition, "", "", {}, "")
    return ResourceRecord(
        resource=placeholder,
        resolved_inputs=request.inputs,
        resolved_secrets=request.secrets,
        resolved_params=request.params,
        resolved_context=request.context.model_dump(),
    )


@dataclass(frozen=True)
class Operations:
    store: ResourceWriter  # intents and results; nothing else of the store
    app: str
    env: str
    root: Path
    plan: Plan | None  # None for a destroy
    planned: Mapping[ResourceUid, PlannedResource]
    run: RunState
    calls: DriverCalls
    # What `_planned_state` made, by uid and status: a resource's intent and result
    # share it (building it parsed every dependency's uid again, three times a resource).
    _states: dict[tuple[ResourceUid, ResourceStatus], StateResource] = field(
        default_factory=dict, repr=False, compare=False
    )
    # Each dependency's uid, parsed once: most resources share theirs (the target, a
    # shared database), and parsing them for every resource was a tenth of a run.
    _uids: dict[str, ResourceUid] = field(default_factory=dict, repr=False, compare=False)

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
            self.calls.drivers.get(self._driver(self.operation(job)))

    def inline_where_quick(self, jobs: list[Job]) -> list[Job]:
        """The jobs, those of drivers that only compute (`runs_inline`) and are not
        retried (a retry waits) marked to run on the calling thread (executor.py)."""
        return [
            dataclasses.replace(job, inline=True) if self._quick(self.operation(job)) else job
            for job in jobs
        ]

    def _quick(self, operation: Operation) -> bool:
        driver = self.calls.drivers.get(self._driver(operation))
        planned = self.planned.get(operation.uid)
        retries = planned.policy.retries if planned is not None else 0
        return getattr(driver, "runs_inline", False) is True and retries == 0

    def source_of(self, uid: ResourceUid) -> str | None:
        planned = self.planned.get(uid)
        if planned is not None:
            return f"'{planned.definition}' at {planned.source}"
        record = self.run.records.get(uid)
        return f"'{record.resource.definition}' at {record.resource.source}" if record else None

    def record_intent(self, operation: Operation) -> None:
        if operation.kind is OperationKind.DELETE and operation.replace:
            return  # retiring: the state row is the new resource's; the old is in memory
        if operation.kind is OperationKind.DELETE:
            resource = self.run.records[operation.uid].resource
            intent = dataclasses.replace(resource, status=ResourceStatus.DELETING)
        else:
            intent = self._planned_state(operation.uid, ResourceStatus.CREATING)
        self.store.mark(self.app, self.env, intent)

    def record_outcome(self, operation: Operation, outcome: Outcome) -> Outcome:
        if not outcome.succeeded:
            if isinstance(outcome.value, DriverRequest):  # a driver call that failed
                self.store.record_attempt(
                    self.app, self.env, _attempt(operation.uid, outcome.value)
                )
            return outcome
        if operation.kind is OperationKind.DELETE and operation.replace:
            return outcome  # the old resource is gone; the state keeps the new one
        if operation.kind is OperationKind.DELETE:
            self.store.remove(self.app, self.env, operation.uid)
            self.run.forget(operation.uid)
            return outcome
        assert isinstance(outcome.value, _Created)
        record = self._record(operation.uid, outcome.value)
        self.store.put(self.app, self.env, record)
        self.run.know(record)
        return outcome

    def _driver(self, operation: Operation) -> str:
        if operation.kind is OperationKind.DELETE:
            return self.run.records[operation.uid].resource.driver
        return self.planned[operation.uid].driver

    def _planned_state(self, uid: ResourceUid, status: ResourceStatus) -> StateResource:
        state = self._states.get((uid, status))
        if state is None:
            state = self._states[uid, status] = self._new_planned_state(uid, status)
        return state

    def _new_planned_state(self, uid: ResourceUid, status: ResourceStatus) -> StateResource:
        planned = self.planned[uid]
        return StateResource(
            uid=uid,
            definition=planned.definition,
            driver=planned.driver,
            source=planned.source,
            inputs=planned.inputs,
            inputs_digest=planned.inputs_digest,
            depends_on=tuple(self._parsed(text) for text in planned.depends_on),
            prevent_destroy=planned.policy.prevent_destroy,
            status=status,
            params=planned.params,
            secret_sources={k: v.model_dump() for k, v in planned.secret_sources.items()},
        )

    def _parsed(self, text: str) -> ResourceUid:
        uid = self._uids.get(text)
        if uid is None:
            uid = self._uids[text] = ResourceUid.parse(text)
        return uid

    def _record(self, uid: ResourceUid, created: _Created) -> ResourceRecord:
        """The record to store: what the driver returned (or, unchanged, what it
        returned last time) and the request exactly as it was sent."""
        request = created.request
        sent: dict[str, Any] = {
            "resource": self._planned_state(uid, ResourceStatus.READY),
            "resolved_digest": created.digest,
            "resolved_inputs": request.inputs,
            "resolved_secrets": request.secrets,
            "resolved_params": request.params,
            "resolved_context": request.context.model_dump(),
        }
        result = created.result
        if result is None:
            return dataclasses.replace(self.run.records[uid], **sent)
        outputs, secrets = self._promote_secrets(result.outputs, result.secrets)
        return ResourceRecord(
            outputs=outputs,
            secrets=secrets,
            driver_state=result.state,
            manifests=result.manifests,
            **sent,
        )

    def _promote_secrets(
        self, outputs: dict[str, Any], secrets: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """An output that contains a known secret is a secret output, whatever the
        driver said: it must never reach a plan, a log or a manifest in clear."""
        redactor = self.run.redactor
        redactor.add(secrets)
        plain = {}
        secret = dict(secrets)
        for key, value in outputs.items():
            if redactor.contains_secret(json.dumps(value)):
                secret[key] = value
            else:
                plain[key] = value
        return plain, secret

    # -- work on a worker thread ------------------------------------------------------

    def perform(self, job: Job) -> Outcome:
        operation = self.operation(job)
        try:
            if self._retires_the_new_one(operation):
                return Outcome(JobResult.UNCHANGED, message=SAME_AS_NEW)
            if operation.kind is OperationKind.DELETE:
                self._delete(operation.uid)
                return Outcome(JobResult.OK)
            created = self._create(operation)
        except _AttemptFailed as failed:
            message = self.run.redactor.redact(str(failed.error))
            return Outcome(JobResult.FAILED, message=message, value=failed.request)
        except (DriverError, RequestError) as error:
            return Outcome(JobResult.FAILED, message=self.run.redactor.redact(str(error)))
        result = JobResult.OK if created.result is not None else JobResult.UNCHANGED
        return Outcome(result, value=created)

    def _create(self, operation: Operation) -> _Created:
        assert self.plan is not None
        planned = self.planned[operation.uid]
        previous = self.run.records.get(operation.uid)
        state = previous.driver_state if previous and not operation.replace else {}
        request = create_request(self.plan, planned, self.run.outputs, self.root, state)
        sensitive = [request.inputs[key] for key in request.sensitive_inputs]
        self.run.redactor.add([request.secrets, sensitive])
        digest = _request_digest(request)
        if (
            operation.kind is OperationKind.UPDATE
            and previous is not None
            and previous.resource.status is ResourceStatus.READY
            and previous.resolved_digest == digest
            and not (planned.reason or "").startswith(DRIFT_REASON_PREFIX)
            and not reads_environment(planned.driver)  # its request does not cover `.env`
        ):
            return _Created(request, None, digest)
        try:
            result = self.calls.create(
                operation.uid, planned.driver, request, planned.policy.retries
            )
        except DriverError as error:
            raise _AttemptFailed(error, request) from None
        return _Created(request, result, digest)

    def _retires_the_new_one(self, operation: Operation) -> bool:
        """Whether a retire (the delete half of a create-before-destroy replace) would
        delete the new resource: the new one has exactly the old one's outputs, so it is
        the same thing (a driver that names what it makes after the uid adopted it)."""
        if operation.kind is not OperationKind.DELETE or not operation.replace:
            return False
        old = self.run.records[operation.uid]
        return self.run.outputs.get(operation.uid) == (old.outputs, old.secrets)

    def _delete(self, uid: ResourceUid) -> None:
        record = self.run.records[uid]
        request = delete_request(record, self.app, self.env, self.root)
        self.calls.delete(uid, record.resource.driver, request)


def _request_digest(request: DriverRequest) -> str:
    """What the driver is asked to do. The outputs asked for are part of it: a driver
    like `environment` returns exactly those, so a new one needs a new call."""
    return digest_of(
        {
            "params": request.params,
            "inputs": request.inputs,
            "secrets": request.secrets,
            "requested_outputs": sorted(request.requested_outputs),
        }
    )
