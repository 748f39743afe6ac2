"""The runtime facade: apply a plan, or destroy an (app, env).

Apply takes the lock, refuses a stale plan, then runs the Create phase through the
executor — recording each intent before its driver is called and each result the
moment it lands — and, when every resource succeeded, the Deploy phase through the
target. Destroy deletes everything the state records, the target first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orchc.compiler.plan import Action, Plan
from orchc.compiler.state import ResourceRecord, ResourceTiming, StateStore, StateWorkload
from orchc.compiler.uid import TARGET_UID
from orchc.drivers.protocol import Target
from orchc.drivers.registry import DriverRegistry

from .deploy import deploy_request
from .executor import Executor, Job, Outcome, critical_path
from .jobs import destroy_jobs, plan_jobs
from .operations import ApplyOptions, Operations
from .redact import Redactor
from .report import JobRecord, Reporter, RunReport

__all__ = ["ApplyOptions", "Runtime", "apply_plan", "destroy"]


def _locked(
    store: StateStore, app: str, env: str, operation: str, body: Callable[[], RunReport]
) -> RunReport:
    store.acquire_lock(app, env, operation)
    try:
        return body()
    finally:
        store.release_lock(app, env)


def _run_jobs(operations: Operations, jobs: list[Job], report: RunReport) -> dict[str, Outcome]:
    """Run the jobs, reporting each, and fill the report's per-job records."""
    reporter = operations.reporter

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

    operations.load_drivers(jobs)  # import time must not count against the first resource
    reporter.started(report.operation, len(jobs))
    executor = Executor(jobs, operations.perform, operations.options.parallelism, on_start, on_done)
    outcomes = executor.run()
    report.critical_path, report.critical_time = critical_path(jobs, outcomes)
    report.wall_time = executor.elapsed()
    return outcomes


def _timings(report: RunReport) -> tuple[ResourceTiming, ...]:
    return tuple(
        ResourceTiming(j.uid, j.operation, j.result, j.started, j.duration) for j in report.jobs
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


def _begin(
    runtime: Runtime, app: str, env: str, digest: str, at: tuple[str | None, int], plan: Plan | None
) -> tuple[int, Operations]:
    """Move the serial (refusing a stale `at`), read the records, set up the run."""
    deployment = runtime.store.begin_deployment(app, env, digest, *at)
    records = {str(r.resource.uid): r for r in runtime.store.records(app, env)}
    store, drivers, root = runtime.store, runtime.drivers, runtime.root
    operations = Operations(
        store,
        drivers,
        root,
        app,
        env,
        runtime.reporter,
        runtime.redactor,
        runtime.options,
        records,
        plan,
    )
    return deployment, operations


def _finish(runtime: Runtime, deployment: int, report: RunReport) -> RunReport:
    result = "ok" if report.ok else "failed"
    runtime.store.finish_deployment(deployment, result, _timings(report))
    runtime.reporter.finished(report)
    return report


def apply_plan(plan: Plan, runtime: Runtime) -> RunReport:
    """Run the Create and Deploy phases of `plan`. Raises `StaleStateError` or
    `LockedError` before anything runs; driver failures are in the report."""
    app, env = plan.context.app, plan.context.env
    at = (plan.state.lineage, plan.state.serial)

    def body() -> RunReport:
        deployment, operations = _begin(runtime, app, env, plan.digest, at, plan)
        report = RunReport("apply")
        outcomes = _run_jobs(operations, plan_jobs(plan, operations.records), report)
        failed = [k for k, o in outcomes.items() if not o.succeeded]
        if failed:
            runtime.reporter.note(f"deploy skipped: {len(failed)} operation(s) did not succeed")
        elif plan.summary.has_changes or not operations.records:
            _deploy(plan, operations, report)
        return _finish(runtime, deployment, report)

    return _locked(runtime.store, app, env, "apply", body)


def _deploy(plan: Plan, operations: Operations, report: RunReport) -> None:
    target_uid = str(TARGET_UID)
    if target_uid not in plan.resources or plan.resources[target_uid].action is Action.DELETE:
        return
    target = operations.drivers.get(plan.resources[target_uid].driver)
    if not isinstance(target, Target):
        report.deploy_error = (
            f"driver '{plan.resources[target_uid].driver}' cannot deploy workloads"
        )
        return
    operations.reporter.note(f"deploying {len(plan.workloads)} workload(s)")
    try:
        request = deploy_request(
            plan,
            operations.outputs,
            operations.manifests,
            operations.resolved_inputs[target_uid],
            operations.root,
            operations.redactor,
        )
        result = target.deploy(request)
    except Exception as error:  # a target's failure is reported, not raised
        report.deploy_error = operations.redactor.redact(str(error))
        return
    report.deployed_files = result.files
    workloads = tuple(
        StateWorkload(name, w.source, w.digest)
        for name, w in sorted(plan.workloads.items())
        if w.action is not Action.DELETE
    )
    operations.store.put_workloads(plan.context.app, plan.context.env, workloads)


def destroy(app: str, env: str, runtime: Runtime) -> RunReport:
    """Delete every resource of (app, env): the target first (undeploying the
    workloads), then the others in reverse dependency order."""

    def body() -> RunReport:
        snapshot = runtime.store.snapshot(app, env)
        at = (snapshot.lineage, snapshot.serial)
        deployment, operations = _begin(runtime, app, env, "destroy", at, None)
        report = RunReport("destroy")
        outcomes = _run_jobs(operations, destroy_jobs(operations.records), report)
        if all(o.succeeded for o in outcomes.values()):
            runtime.store.put_workloads(app, env, ())
        return _finish(runtime, deployment, report)

    return _locked(runtime.store, app, env, "destroy", body)


def destroy_preview(store: StateStore, app: str, env: str) -> list[ResourceRecord]:
    """What `destroy` would delete, for the confirmation prompt."""
    return sorted(store.records(app, env), key=lambda r: r.resource.uid)
