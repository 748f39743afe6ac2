"""`orchc apply` and `orchc destroy`: the Create and Deploy phases, and their reverse."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from orchc.compiler.plan import Plan
from orchc.compiler.plan_integrity import PLAN_KEY_VARIABLE, load_verified
from orchc.drivers._process import stop_programs_on_signals
from orchc.grammar.diagnostics import DiagnosticError
from orchc.runtime.apply import Runtime, apply_plan, destroy, destroy_preview
from orchc.runtime.operations import ApplyOptions
from orchc.runtime.preflight import DefinitionPolicies, check_destroy
from orchc.runtime.redact import Redactor
from orchc.runtime.report import JsonReporter, LiveReporter, PlainReporter, Reporter
from orchc.runtime.state.contract import LockHolder, StateStore, holding_lock
from orchc.runtime.state.sql import SqlStateStore

if TYPE_CHECKING:
    from orchc.compiler import pipeline
    from orchc.runtime.secret_changes import PlanChecks

from .options import (
    confirm_or_fail,
    definitions_option,
    fail,
    format_duration,
    lock_timeout_option,
    score_option,
    score_overrides_options,
    state_option,
    user_errors,
)
from .project import Project, UsageProblem


def open_waiting(project: Project, state_url: str | None, lock_timeout: float) -> StateStore:
    """The state store; with a lock timeout, taking the lock waits for a run holding it
    and says so on stderr (closed again when the timeout cannot apply)."""
    store = project.state_store(state_url)
    try:
        return waiting(store, lock_timeout)
    except BaseException:
        store.close()
        raise


def waiting(store: StateStore, lock_timeout: float) -> StateStore:
    """`store`, whose lock waits up to `lock_timeout` (`--lock-timeout`; 0: no wait)
    for a run holding it, saying so on stderr. The caller closes `store`, also when
    this refuses the option."""
    if lock_timeout > 0:
        if not isinstance(store, SqlStateStore):
            raise UsageProblem("--lock-timeout needs a sqlite or postgresql state")
        store.wait_for_lock(lock_timeout, _say_waiting(lock_timeout))
    return store


def _say_waiting(lock_timeout: float) -> Callable[[LockHolder], None]:
    def say(holder: LockHolder) -> None:
        click.echo(
            f"orchc: waiting for the lock, held by {holder.describe()} "
            f"(up to {format_duration(lock_timeout)})",
            err=True,
        )

    return say


def make_reporter(json_events: bool, redactor: Redactor) -> Reporter:
    """JSON events on stdout for CI; a live display on a terminal; plain lines else."""
    if json_events:
        return JsonReporter(sys.stdout, redactor)
    if sys.stderr.isatty():
        return LiveReporter(sys.stderr, redactor)
    return PlainReporter(sys.stderr, redactor)


def make_runtime(
    project: Project, store: StateStore, json_events: bool, parallelism: int
) -> Runtime:
    stop_programs_on_signals()  # a stopped apply stops its drivers' programs first
    redactor = Redactor()
    reporter = make_reporter(json_events, redactor)
    options = ApplyOptions(parallelism=parallelism)
    return Runtime(store, project.drivers, project.root, reporter, redactor, options)


@contextmanager
def _holding_lock(store: StateStore, target: pipeline.Target | None) -> Iterator[None]:
    """Hold the lock of `target` (waiting if asked) around planning and applying, so the
    plan cannot go stale before it is applied; `apply_plan` takes it again (nested).
    Without a target (a plan file), `apply_plan` alone locks."""
    if target is None:
        yield
        return
    with holding_lock(store, target.app, target.env, "apply"):
        yield


def _approved(plan: Plan, auto_approve: bool) -> Plan:
    from orchc.compiler.render.text import render_text

    click.echo(render_text(plan), err=True, nl=False)
    confirm_or_fail("Apply this plan?", auto_approve)
    return plan


def read_plan_file(plan_file: Path, env: str | None, app: str | None) -> Plan:
    """The plan to apply: intact (digest, and signature when ORCHC_PLAN_KEY is set) and
    for the context `--env`/`--app` name, when given."""
    if not plan_file.is_file():
        fail(f"no plan file at {plan_file}")
    text = plan_file.read_text(encoding="utf-8")
    plan = load_verified(text, str(plan_file), os.environ.get(PLAN_KEY_VARIABLE))
    context = plan.context
    for flag, given, planned in (("--env", env, context.env), ("--app", app, context.app)):
        if given is not None and given != planned:
            raise UsageProblem(
                f"{flag} {given} disagrees with the plan {plan_file}, made for app "
                f"'{context.app}', environment '{context.env}'"
            )
    return plan


@click.command()
@click.argument("plan_file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@state_option
@click.option("--parallelism", default=10, show_default=True, type=click.IntRange(1, 1024))
@click.option(
    "--auto-approve", is_flag=True, help="apply without asking (required without a terminal)"
)
@click.option("--json", "json_events", is_flag=True, help="one JSON event per line on stdout")
@click.option("--env", help="plan and apply this environment; with a plan file, must be the plan's")
@click.option("--app", help="application id (default: app in orchc.toml)")
@click.option("--env-type", help="environment type when no environment block declares --env")
@definitions_option
@score_option
@lock_timeout_option
@score_overrides_options
@user_errors
def apply(
    plan_file: Path | None,
    state_url: str | None,
    parallelism: int,
    auto_approve: bool,
    json_events: bool,
    env: str | None,
    app: str | None,
    env_type: str | None,
    definitions: Path | None,
    score_files: tuple[Path, ...],
    lock_timeout: float,
    overrides_files: tuple[str, ...],
    override_properties: tuple[str, ...],
    images: tuple[str, ...],
) -> None:
    """Provision the resources of a plan and deploy its workloads."""
    project = Project.load()
    plan, planning = None, None
    given = (overrides_files, override_properties, images)
    if plan_file is not None:
        if any(given):
            raise UsageProblem(
                "--image and overrides are part of the plan: give them to `orchc plan`, "
                "or use `orchc apply --env` without a plan file"
            )
        plan = read_plan_file(plan_file, env, app)
    elif env is None:
        raise UsageProblem("give a plan file, or --env to plan and apply in one step")
    else:  # compiled before the store opens: an invalid project leaves no state file
        # Imported here: applying a plan file must not load the language front end.
        from orchc.compiler import pipeline
        from orchc.compiler.state import InMemoryState

        overrides = project.environment_overrides(project.score_overrides(*given), env)
        compilation = project.compile(definitions, score_files, overrides)
        planning = (compilation, project.target(app, env, env_type))
        if not project.state_exists(state_url):  # nothing to lock yet: nothing is created
            empty = pipeline.plan(*planning, InMemoryState(), project.drivers)
            plan, planning = _approved(empty, auto_approve), None
    store = open_waiting(project, state_url, lock_timeout)
    try:
        with _holding_lock(store, None if planning is None else planning[1]):
            if planning is not None:
                secret_changed, read_changed = _plan_checks(project, store, planning[1])
                locked = pipeline.plan(
                    *planning,
                    store,
                    project.drivers,
                    secret_changed=secret_changed,
                    read_changed=read_changed,
                )
                plan = _approved(locked, auto_approve)
            assert plan is not None
            report = apply_plan(plan, make_runtime(project, store, json_events, parallelism))
    finally:
        store.close()
    if not report.ok:
        sys.exit(1)


def _plan_checks(project: Project, store: StateStore, target: pipeline.Target) -> PlanChecks:
    """As `orchc plan` does: an env() secret set now that differs from the one the last
    apply used makes its resource an update (e.g. a rotated gitops token), and so does
    a value read from `.env` that differs from the one the last apply read."""
    from orchc.runtime.secret_changes import plan_checks

    lineage = store.snapshot(target.app, target.env).lineage
    return plan_checks(store, target.app, target.env, lineage, project.root)


def definition_policies(project: Project) -> DefinitionPolicies:
    """Each definition's prevent_destroy now, with its file:line: the policy in force for
    what it made. Definitions that cannot be read leave the recorded policies in force."""
    from orchc.compiler import pipeline  # destroy reads the definitions; apply does not
    from orchc.compiler.plan_actions import protects

    sources = pipeline.Sources(project.root, project.config.definitions_dir(None))
    try:
        program = pipeline.read(sources, project.drivers).program
    except DiagnosticError:
        click.echo(
            "orchc: warning: the definitions have errors; prevent_destroy is taken from "
            "the state (as recorded at the last apply)",
            err=True,
        )
        return {}
    return {d.id: (protects(d), d.span.location) for d in program.definitions}


@click.command(name="destroy")
@click.option("--env", required=True, help="environment id")
@click.option("--app", help="application id (default: app in orchc.toml)")
@state_option
@click.option("--parallelism", default=10, show_default=True, type=click.IntRange(1, 1024))
@click.option(
    "--auto-approve", is_flag=True, help="destroy without asking (required without a terminal)"
)
@click.option("--json", "json_events", is_flag=True, help="one JSON event per line on stdout")
@lock_timeout_option
@user_errors
def destroy_command(
    env: str,
    app: str | None,
    state_url: str | None,
    parallelism: int,
    auto_approve: bool,
    json_events: bool,
    lock_timeout: float,
) -> None:
    """Delete every resource of an environment and undeploy its workloads."""
    project = Project.load()
    app_id = project.app(app)
    policies = definition_policies(project)
    store = open_waiting(project, state_url, lock_timeout)
    try:
        doomed = destroy_preview(store, app_id, env)
        check_destroy({str(r.resource.uid): r for r in doomed}, policies)
        if not doomed:
            click.echo(f"orchc: nothing to destroy for {app_id}/{env}", err=True)
            return
        for record in doomed:
            click.echo(f"  -   {record.resource.uid}  {record.resource.definition}", err=True)
        click.echo(f"Destroy: {len(doomed)} resource(s) of {app_id}/{env}.", err=True)
        confirm_or_fail("Destroy all of these?", auto_approve)
        runtime = make_runtime(project, store, json_events, parallelism)
        report = destroy(app_id, env, runtime, policies)
    finally:
        store.close()
    if not report.ok:
        sys.exit(1)
