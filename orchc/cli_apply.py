"""`orchc apply` and `orchc destroy`: the Create and Deploy phases, and their reverse."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from orchc.compiler.plan import Plan
from orchc.compiler.plan_actions import protects
from orchc.compiler.plan_integrity import PLAN_KEY_VARIABLE, load_verified
from orchc.grammar.diagnostics import DiagnosticError
from orchc.runtime.apply import Runtime, apply_plan, destroy, destroy_preview
from orchc.runtime.operations import ApplyOptions
from orchc.runtime.preflight import DefinitionPolicies, check_destroy
from orchc.runtime.redact import Redactor
from orchc.runtime.report import JsonReporter, LiveReporter, PlainReporter, Reporter
from orchc.runtime.state.contract import StateStore

from .options import (
    confirm_or_fail,
    definitions_option,
    fail,
    score_option,
    state_option,
    user_errors,
)
from .project import Project, UsageProblem


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
    redactor = Redactor()
    reporter = make_reporter(json_events, redactor)
    options = ApplyOptions(parallelism=parallelism)
    return Runtime(store, project.drivers, project.root, reporter, redactor, options)


def _plan_now(
    project: Project,
    env: str | None,
    app: str | None,
    definitions: Path | None,
    score_files: tuple[Path, ...],
    env_type: str | None,
    state_url: str | None,
) -> Plan:
    if env is None:
        raise UsageProblem("give a plan file, or --env to plan and apply in one step")
    # Imported here: applying a plan file must not load the language front end.
    from orchc.compiler import pipeline

    compilation = project.compile(definitions, score_files)
    target = project.target(app, env, env_type)
    return pipeline.plan(compilation, target, project.state_reader(state_url), project.drivers)


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
) -> None:
    """Provision the resources of a plan and deploy its workloads."""
    project = Project.load()
    if plan_file is not None:
        plan = read_plan_file(plan_file, env, app)
    else:
        plan = _plan_now(project, env, app, definitions, score_files, env_type, state_url)
        from orchc.compiler.render.text import render_text

        click.echo(render_text(plan), err=True, nl=False)
        confirm_or_fail("Apply this plan?", auto_approve)
    store = project.state_store(state_url)
    try:
        report = apply_plan(plan, make_runtime(project, store, json_events, parallelism))
    finally:
        store.close()
    if not report.ok:
        sys.exit(1)


def definition_policies(project: Project) -> DefinitionPolicies:
    """Each definition's prevent_destroy now, with its file:line: the policy in force for
    what it made. Definitions that cannot be read leave the recorded policies in force."""
    from orchc.compiler import pipeline  # destroy reads the definitions; apply does not

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
@user_errors
def destroy_command(
    env: str,
    app: str | None,
    state_url: str | None,
    parallelism: int,
    auto_approve: bool,
    json_events: bool,
) -> None:
    """Delete every resource of an environment and undeploy its workloads."""
    project = Project.load()
    app_id = project.app(app)
    policies = definition_policies(project)
    store = project.state_store(state_url)
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
