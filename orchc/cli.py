"""The `orchc` command line (SPEC §6). Commands parse their options and call a facade;
every user error is printed as diagnostics or one `orchc: error:` line, never a
traceback. Results go to stdout, progress and diagnostics to stderr."""

from __future__ import annotations

import atexit
import gc
import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from orchc import __version__

from .options import (
    context_options,
    definitions_option,
    score_file_overrides_options,
    score_option,
    user_errors,
)

# Everything else is imported by the command that uses it: `orchc --version` and
# `--help` load only click, and `orchc apply plan.json` never loads the parser
# (tests/test_imports.py).
if TYPE_CHECKING:
    from orchc.compiler import pipeline

    from .project import EnvironmentCompilations, Project


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs: `orchc plan` must not
    pay for importing the runtime. `--help` lists the lazy commands from `summaries`
    (their docstrings' first sentence, kept equal by tests/test_imports.py) instead of
    importing every command module."""

    lazy_commands: dict[str, str] = {}
    summaries: dict[str, str] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy_commands:
            module, _, attribute = self.lazy_commands[name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        commands = [(name, self._listed(ctx, name)) for name in self.list_commands(ctx)]
        shown = [(name, command) for name, command in commands if command and not command.hidden]
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in shown)
        with formatter.section("Commands"):
            formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in shown])

    def _listed(self, ctx: click.Context, name: str) -> click.Command | None:
        """The command as `--help` lists it: a stand-in made from its summary when it
        has one (a lazy command without a summary is imported)."""
        if name in self.lazy_commands and name in self.summaries:
            return click.Command(name, help=self.summaries[name])
        return self.get_command(ctx, name)


# Commands that compile a plan and exit: bounded by their input, they make almost no
# garbage cycles, and what they build lives until they exit. The collector stays paused
# for them: at 1,000 workloads its young collections were 6 % of `plan`'s CPU time and
# freed nothing (bench/README.md). Commands that deploy (apply, destroy, drift...) run
# drivers for long and collect as usual.
COMPILING_COMMANDS = frozenset({"plan", "check"})


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="orchc")
def main() -> None:
    """orchc: Score workloads + resource definitions -> a reviewable plan -> a deployment."""
    # A command holds many long-lived objects (a plan's models, the state's records)
    # and makes few reference cycles; with the default thresholds the collector scanned
    # them again and again: a third of the CPU time of applying 12,000 resources, a
    # quarter of planning 1,000 workloads (bench/README.md). Collect less often.
    gc.set_threshold(50_000, 50, 100)
    if not gc.isenabled():
        # `run` paused the collector while the command's module loaded: what the
        # imports made lives until exit, so keep it out of every later collection.
        gc.freeze()
        if click.get_current_context().invoked_subcommand not in COMPILING_COMMANDS:
            gc.enable()
    # Exiting, the interpreter collects every object once more (a tenth of the CPU time
    # of a one-workload plan): all of them are freed with the process anyway, so
    # freeze them first and the last collection has nothing to scan. Atexit handlers
    # and module teardown still run; stdout and stderr are still flushed.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def run() -> None:
    """The `orchc` console script: `main`, with the garbage collector paused until the
    command starts (`main` resumes it). Loading a command creates many objects that
    live until exit and almost no garbage; collecting while importing only scanned
    them, about 7 % of a one-workload plan (bench/README.md). A lazy command's module
    is imported before `main` runs, so its imports are covered."""
    gc.disable()
    main()


@main.command()
@definitions_option
@score_option
@click.option(
    "--env",
    "envs",
    multiple=True,
    help="also check as `plan --env` would: this environment's overrides, its matches (repeatable)",
)
@click.option(
    "--all-envs",
    is_flag=True,
    help="also match every requested resource in every declared environment",
)
@click.option("--app", help="application id for --env/--all-envs (default: app in orchc.toml)")
@click.option("--env-type", help="environment type when no environment block declares --env")
@score_file_overrides_options
@user_errors
def check(
    definitions: Path | None,
    score_files: tuple[Path, ...],
    envs: tuple[str, ...],
    all_envs: bool,
    app: str | None,
    env_type: str | None,
    overrides_files: tuple[str, ...],
    override_properties: tuple[str, ...],
) -> None:
    """Validate definitions and Score files."""
    from orchc.grammar.diagnostics import render

    from .project import Project, UsageProblem

    if envs and all_envs:
        raise UsageProblem("pass either --env or --all-envs, not both")
    project = Project.load()
    overrides = project.score_overrides(overrides_files, override_properties)
    compilations = project.compilations(definitions, score_files, overrides)
    compilation = compilations.shared
    if compilation.warnings:
        click.echo(render(compilation.warnings, compilation.sources), err=True)
    program = compilation.program
    user = [d for d in program.definitions if d.tier.name == "USER"]
    click.echo(
        f"ok: {len(user)} definition(s), {len(program.environments)} environment(s), "
        f"{len(compilation.workloads)} workload(s)",
        err=True,
    )
    if all_envs:
        envs = tuple(sorted(e.id for e in program.environments))
    targets = [project.target(app, env, env_type) for env in dict.fromkeys(envs)]
    if targets and not _check_environments(project, compilations, targets):
        sys.exit(1)


def _check_environments(
    project: Project, compilations: EnvironmentCompilations, targets: list[pipeline.Target]
) -> bool:
    """Plan-time checks in each environment, on the Score files as `plan` reads them
    there (its orchc.toml overrides), reported per environment; whether all passed."""
    from orchc.compiler import pipeline
    from orchc.grammar.diagnostics import DiagnosticError, render

    passed = True
    for target in targets:
        env = target.env
        try:
            compilation = compilations.of(env)
            problems = pipeline.check_environment(compilation, target, project.drivers)
            shown = render(problems, compilation.sources)
        except DiagnosticError as error:
            problems, shown = list(error.diagnostics), error.render()
        declared = compilations.shared.program.environment(env)
        heading = f"environment '{env}'" + (f" ({declared.type})" if declared else "")
        if problems:
            passed = False
            click.echo(shown, err=True)
            click.echo(f"{heading}: {len(problems)} error(s)", err=True)
        else:
            click.echo(f"{heading}: every requested resource matches", err=True)
    return passed


@main.command()
@click.option("--check", "check_only", is_flag=True, help="exit 1 if a file is not formatted")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@user_errors
def fmt(check_only: bool, paths: tuple[Path, ...]) -> None:
    """Rewrite .orch files in the canonical layout."""
    from .formatting import format_paths
    from .project import Project

    project = Project.load()
    default = project.config.definitions_dir(None) or project.root
    changed = format_paths(paths or (default,), project.root, check_only)
    for path in changed:
        click.echo(f"{'would reformat' if check_only else 'reformatted'} {path}", err=True)
    if check_only and changed:
        sys.exit(1)


@main.command()
@click.argument("uid")
@context_options
@definitions_option
@score_option
@click.option("--env-type", help="environment type when no environment block declares --env")
@score_file_overrides_options
@user_errors
def explain(
    uid: str,
    env: str,
    app: str | None,
    definitions: Path | None,
    score_files: tuple[Path, ...],
    env_type: str | None,
    overrides_files: tuple[str, ...],
    override_properties: tuple[str, ...],
) -> None:
    """Show how a resource's definition was chosen."""
    from orchc.compiler import pipeline
    from orchc.compiler.render.explain import render_explain
    from orchc.compiler.uid import ResourceUid

    from .project import Project

    project = Project.load()
    overrides = project.score_overrides(overrides_files, override_properties)
    compilation = project.compilations(definitions, score_files, overrides).of(env)
    decision = pipeline.explain(
        compilation, project.target(app, env, env_type), ResourceUid.parse(uid)
    )
    click.echo(render_explain(decision), nl=False)


@main.command()
@click.argument("plan_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--format", "output_format", type=click.Choice(["dot", "mermaid", "html"]), default="dot"
)
@user_errors
def graph(plan_file: Path, output_format: str) -> None:
    """Print a plan's resource graph (html: one self-contained page)."""
    from orchc.compiler.plan import load_plan
    from orchc.compiler.render.graphs import render_dot, render_mermaid
    from orchc.compiler.render.html import render_html

    result = load_plan(plan_file.read_text(encoding="utf-8"), str(plan_file))
    renderers = {"dot": render_dot, "mermaid": render_mermaid, "html": render_html}
    click.echo(renderers[output_format](result), nl=False)


# Commands whose modules are imported on use, by name: "module:attribute".
LazyGroup.lazy_commands = {
    "plan": "orchc.cli_review:plan",
    "apply": "orchc.cli_apply:apply",
    "init": "orchc.cli_init:init",
    "destroy": "orchc.cli_apply:destroy_command",
    "state": "orchc.cli_state:state",
    "outputs": "orchc.cli_state:outputs",
    "defaults": "orchc.cli_defaults:defaults",
    "drift": "orchc.cli_drift:drift",
    "types": "orchc.cli_types:types",
    "diff": "orchc.cli_review:diff",
    "impact": "orchc.cli_review:impact",
    "history": "orchc.cli_history:history",
    "rollback": "orchc.cli_history:rollback",
}
# What `orchc --help` says of each lazy command: the first sentence of its docstring.
LazyGroup.summaries = {
    "plan": "Compile definitions and Score files into a plan (one or several environments).",
    "apply": "Provision the resources of a plan and deploy its workloads.",
    "init": "Scaffold orchc.toml, definitions for dev, staging and prod, and a sample score.yaml.",
    "destroy": "Delete every resource of an environment and undeploy its workloads.",
    "state": "Inspect, unlock, edit, re-encrypt or move the state.",
    "outputs": "Every output of a resource; secret ones as (sensitive) unless --show-secrets.",
    "defaults": "List the default definitions, or print the ones for TYPE.",
    "drift": "Ask every driver that can observe whether what it made drifted.",
    "types": "List resource types, their outputs and the definitions that serve them.",
    "diff": "Compare two plan files: resources and workloads added, removed and changed.",
    "impact": "What a change since BASE does to every environment (no state is read).",
    "history": "The deployments (applies, destroys) of an environment, newest first.",
    "rollback": "Write a plan that puts back the workloads and resource inputs of a deployment.",
}
