"""The runtime facade: apply a plan, or destroy an (app, env).

Apply takes the lock, refuses a stale plan, then runs the Create phase through the
executor — recording each intent before its driver is called and each result the
moment it lands — and, when every resource succeeded, the Deploy phase through the
target. Destroy deletes everything the state records, the target first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from orchc.compiler.plan import Action, Plan
from orchc.compiler.plan_integrity import body_digest
from orchc.compiler.state import StateWorkload
from orchc.compiler.uid import TARGET_UID, ResourceUid
from orchc.drivers.protocol import DriverError, Target
from orchc.drivers.registry import DriverRegistry
from orchc.drivers.targets.deployed_files import STATE_KEY, file_digests
from orchc.runtime.state.contract import (
    DeploymentDetails,
    Locker,
    RecordReader,
    ResourceRecord,
    ResourceTiming,
    RunResult,
    StateStore,
    holding_lock,
)

from .deploy import DeployError, deploy_request
from .driver_calls import DriverCalls
from .executor import Executor, Job, Outcome, critical_path
from .history import apply_details, destroy_details
from .jobs import destroy_jobs, plan_jobs, planned_resources
from .operations import ApplyOptions, Operations
from .preflight import (
    DefinitionPolicies,
    check_destroy,
    check_environment,
    check_literal_secrets,
    check_protection,
)
from .redact import Redactor
from .report import JobRecord, Reporter, RunReport
from .run_state import RunState

__all__ = ["ApplyOptions", "Runtime", "apply_plan", "destroy"]


def _locked(
    store: Locker, app: str, env: str, operation: str, body: Callable[[], RunReport]
) -> RunReport:
    with holding_lock(store, app, env, operation):
        return body()


def _run_jobs(
    runtime: Runtime, operations: Operations, jobs: list[Job], report: RunReport
) -> dict[str, Outcome]:
    """Run the jobs, reporting each, and fill the report's per-job records."""
    reporter = runtime.reporter

    def on_start(job: Job) -> None:
        operation = operations.operation(job)
        operations.record_intent(operation)
        reporter.job_started(job.key, operation.uid, operation.kind)

    def on_done(job: Job, outcome: Outcome) -> Outcome:
        operation = operations.operation(job)
        outcome = operations.record_outcome(operation, outcome)
        record = JobRecord(
            job.key,
            operation.uid,
            operation.kind,
            outcome.result,
            outcome.started,
            outcome.duration,
            outcome.message,
            operations.source_of(operation.uid),
        )
        report.jobs.append(record)
        reporter.job_finished(record)
        return outcome

    reporter.started(report.operation, len(jobs))
    parallelism = runtime.options.parallelism
    # A store that can (SQLite) makes each step's writes one transaction.
    step = getattr(runtime.store, "grouped", nullcontext)
    executor = Executor(jobs, operations.perform, parallelism, on_start, on_done, step)
    outcomes = executor.run()
    report.critical_path, report.critical_time = critical_path(jobs, outcomes)
    report.wall_time = executor.elapsed()
    return outcomes


def _timings(report: RunReport) -> tuple[ResourceTiming, ...]:
    """The jobs as the history keeps them: in words, so old rows stay readable."""
    return tuple(
        ResourceTiming(str(j.uid), j.operation.value, j.result.value, j.started, j.duration)
        for j in report.jobs
    )


@dataclass(frozen=True)
class Runtime:
    """What a run works with: the state store, the drivers, the project root, where
    progress goes, the redactor every message passes through, and the options."""

    store: StateStore
    drivers: DriverRegistry
    root: Path
    reporter: Reporter
    redactor: Redactor
    options: ApplyOptions = field(default_factory=ApplyOptions)


def _prepare(runtime: Runtime, app: str, env: str, plan: Plan | None) -> Operations:
    """Read the records and set up the run; nothing in the state changes yet."""
    run = RunState.starting_from(runtime.store.records(app, env), runtime.redactor)
    calls = DriverCalls(runtime.drivers, runtime.store, app, env, runtime.options.retry_backoff)
    planned = planned_resources(plan) if plan is not None else {}
    return Operations(runtime.store, app, env, runtime.root, plan, planned, run, calls)


@contextmanager
def _deployment(
    runtime: Runtime,
    app: str,
    env: str,
    digest: str,
    at: tuple[str | None, int],
    report: RunReport,
    details: DeploymentDetails,
) -> Iterator[None]:
    """Move the serial (refusing a stale `at`) and record the deployment with its
    `details` (`history.py`); it ends as ok, failed, or aborted when something
    unexpected stopped the run."""
    deployment = runtime.store.begin_deployment(app, env, digest, *at, details)
    started = time.monotonic()
    try:
        yield
    except BaseException:
        duration = time.monotonic() - started
        runtime.store.finish_deployment(deployment, RunResult.ABORTED, _timings(report), duration)
        raise
    result = RunResult.OK if report.ok else RunResult.FAILED
    duration = time.monotonic() - started
    runtime.store.finish_deployment(deployment, result, _timings(report), duration)
    runtime.reporter.finished(report)


def apply_plan(plan: Plan, runtime: Runtime) -> RunReport:
    """Run the Create and Deploy phases of `plan`. Raises `StaleStateError`,
    `LockedError` or `UnknownDriverError` before anything changes; driver failures are
    in the report."""
    app, env = plan.context.app, plan.context.env
    at = (plan.state.lineage, plan.state.serial)
    document = plan.document()  # once: its digest and the history both read it
    digest = body_digest(document)  # the plan file's `plan_digest`

    def body() -> RunReport:
        operations = _prepare(runtime, app, env, plan)
        records = _by_text(operations.run.records)
        check_protection(plan, records)
        check_environment(plan)
        check_literal_secrets(plan, runtime.root)
        jobs = plan_jobs(plan, operations.run.records)
        operations.load_drivers(jobs)
        jobs = operations.inline_where_quick(jobs)
        report = RunReport("apply")
        with _deployment(runtime, app, env, digest, at, report, apply_details(plan, document)):
            outcomes = _run_jobs(runtime, operations, jobs, report)
            failed = [k for k, o in outcomes.items() if not o.succeeded]
            if failed:
                runtime.reporter.note(f"deploy skipped: {len(failed)} operation(s) did not succeed")
            elif plan.summary.has_changes or not operations.run.records:
                _deploy(runtime, operations, report, (at[1] + 1, digest))
        return report

    return _locked(runtime.store, app, env, "apply", body)


def _deploy(
    runtime: Runtime, operations: Operations, report: RunReport, deployment: tuple[int, str]
) -> None:
    """Hand the workloads to the target; `deployment` is the serial this run moved the
    state to and the plan's digest."""
    planned_target = operations.planned.get(TARGET_UID)
    if planned_target is None or planned_target.action is Action.DELETE:
        return
    target = runtime.drivers.get(planned_target.driver)
    if not isinstance(target, Target):
        report.deploy_error = f"driver '{planned_target.driver}' cannot deploy workloads"
        return
    assert operations.plan is not None
    plan, run = operations.plan, operations.run
    runtime.reporter.note(f"deploying {len(plan.workloads)} workload(s)")
    report.target_path = _target_path(run)
    try:
        request = deploy_request(
            plan,
            run.outputs,
            {str(uid): manifests for uid, manifests in run.manifests.items()},
            runtime.store.record(plan.context.app, plan.context.env, TARGET_UID),
            runtime.root,
            runtime.redactor,
        )
        serial, digest = deployment
        result = target.deploy(request.model_copy(update={"serial": serial, "plan_digest": digest}))
    except (DeployError, DriverError, OSError) as error:  # reported, like a driver's failure
        report.deploy_error = runtime.redactor.redact(str(error))
        return
    report.deployed_files = result.files
    report.deployed_workloads = sum(
        1 for w in plan.workloads.values() if w.action is not Action.DELETE
    )
    _record_deployed_files(runtime, operations, result.files)
    workloads = tuple(
        StateWorkload(name, w.source, w.digest, w.spec, w.resources)
        for name, w in sorted(plan.workloads.items())
        if w.action is not Action.DELETE
    )
    runtime.store.put_workloads(plan.context.app, plan.context.env, workloads)


def _target_path(run: RunState) -> str | None:
    """Where the target writes, as its definition gave it (`path`), for the report."""
    path = run.resolved_inputs.get(TARGET_UID, {}).get("path")
    return path if isinstance(path, str) else None


def _record_deployed_files(
    runtime: Runtime, operations: Operations, files: tuple[str, ...]
) -> None:
    """The digest of every file the target wrote, in its driver state: what the
    target's `observe` compares with the disk (drift)."""
    app, env = operations.app, operations.env
    record = runtime.store.record(app, env, TARGET_UID)
    if record is None:
        return
    state = {**record.driver_state, STATE_KEY: file_digests(runtime.root, files)}
    runtime.store.save_driver_state(app, env, TARGET_UID, state)


def _by_text(records: Mapping[ResourceUid, ResourceRecord]) -> dict[str, ResourceRecord]:
    """The records keyed as the plan file keys resources (for the preflight checks)."""
    return {str(uid): record for uid, record in records.items()}


def destroy(
    app: str, env: str, runtime: Runtime, policies: DefinitionPolicies | None = None
) -> RunReport:
    """Delete every resource of (app, env): the target first (undeploying the
    workloads), then the others in reverse dependency order. Refuses (`PreflightError`)
    while any is protected; `policies` are the definitions' policies now."""

    def body() -> RunReport:
        snapshot = runtime.store.snapshot(app, env)
        operations = _prepare(runtime, app, env, None)
        check_destroy(_by_text(operations.run.records), policies or {})
        jobs = destroy_jobs(operations.run.records)
        operations.load_drivers(jobs)
        jobs = operations.inline_where_quick(jobs)
        report = RunReport("destroy", target_path=_target_path(operations.run))
        details = destroy_details(operations.run.records.values(), snapshot.workloads.values())
        at = (snapshot.lineage, snapshot.serial)
        with _deployment(runtime, app, env, "destroy", at, report, details):
            outcomes = _run_jobs(runtime, operations, jobs, report)
            if all(o.succeeded for o in outcomes.values()):
                runtime.store.put_workloads(app, env, ())
        return report

    return _locked(runtime.store, app, env, "destroy", body)


def destroy_preview(store: RecordReader, app: str, env: str) -> list[ResourceRecord]:
    """What `destroy` would delete, for the confirmation prompt."""
    return sorted(store.records(app, env), key=lambda r: r.resource.uid)
