"""The reviewer's commands (SPEC §10): `plan` over several environments, `diff` of two
plan files and `impact` of a change since a git revision.

Known outputs (the state's non-secret outputs of unchanged resources) are read here
and handed to the renderers; they never enter a plan file.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import click

from orchc.compiler import pipeline
from orchc.compiler.plan import Plan, canonical_json, load_plan
from orchc.compiler.plan_integrity import PLAN_KEY_VARIABLE, SealedPlan, sealed
from orchc.compiler.render.markdown import DEFAULT_MAX_CHARS
from orchc.compiler.state import StateReader
from orchc.compiler.uid import ResourceUid
from orchc.grammar.diagnostics import render

from .files import write_atomically
from .options import (
    definitions_option,
    fail,
    lock_timeout_option,
    score_option,
    score_overrides_options,
    state_option,
    user_errors,
)
from .project import Project, UsageProblem

# Comparing plans (`diff`, `impact`) is imported by those commands: a plan needs none of it.
if TYPE_CHECKING:
    from orchc.compiler.render.diff import Compared
    from orchc.runtime.secret_changes import PlanChecks

KnownOutputs = dict[str, Mapping[str, Any]]


@dataclass(frozen=True)
class PlanRequest:
    """What `orchc plan` was asked for, as its options give it."""

    envs: tuple[str, ...]
    all_envs: bool
    app: str | None
    env_type: str | None
    out: Path | None
    output_format: str
    max_chars: int
    replace: frozenset[ResourceUid] = frozenset()
    refresh: bool = False
    lock_timeout: float = 0  # --lock-timeout: how long --refresh waits for the lock
    # --overrides-file, --override-property, --image (SPEC §12), as given
    overrides: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = ((), (), ())


def select_envs(
    compilation: pipeline.Compilation, envs: Sequence[str], all_envs: bool
) -> list[str]:
    """The environments to plan: the `--env` flags in order, or every environment
    block (sorted) for `--all-envs`."""
    if all_envs and envs:
        raise UsageProblem("pass either --env or --all-envs, not both")
    if all_envs:
        declared = sorted(e.id for e in compilation.program.environments)
        if not declared:
            raise UsageProblem("--all-envs: the definitions declare no environment block")
        return declared
    if not envs:
        raise UsageProblem("no environment given: pass --env ENV (repeatable) or --all-envs")
    return list(dict.fromkeys(envs))


@click.command()
@click.option("--env", "envs", multiple=True, help="environment id (repeatable)")
@click.option("--all-envs", is_flag=True, help="every environment block of the definitions")
@click.option("--app", help="application id (default: app in orchc.toml)")
@definitions_option
@score_option
@state_option
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    help="write the plan file here (a directory of <env>.json for several environments)",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown", "html"]),
    default="text",
)
@click.option("--env-type", help="environment type when no environment block declares --env")
@click.option(
    "--max-chars",
    type=click.IntRange(min=1000),
    default=60_000,
    show_default=True,
    help="markdown: the most characters to print (detail is collapsed to fit)",
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="exit 0 when nothing changes, 2 when something does"
)
@click.option(
    "--replace",
    "replace",
    multiple=True,
    metavar="UID",
    help="plan a replace of this resource even if nothing changed (repeatable)",
)
@click.option(
    "--refresh",
    is_flag=True,
    help="ask every driver that can observe for drift; plan an update of what drifted",
)
@lock_timeout_option
@score_overrides_options
@user_errors
def plan(
    envs: tuple[str, ...],
    all_envs: bool,
    app: str | None,
    definitions: Path | None,
    score_files: tuple[Path, ...],
    state_url: str | None,
    out: Path | None,
    output_format: str,
    env_type: str | None,
    max_chars: int,
    detailed_exitcode: bool,
    replace: tuple[str, ...],
    refresh: bool,
    lock_timeout: float,
    overrides_files: tuple[str, ...],
    override_properties: tuple[str, ...],
    images: tuple[str, ...],
) -> None:
    """Compile definitions and Score files into a plan (one or several environments)."""
    forced = frozenset(ResourceUid.parse(uid) for uid in replace)
    request = PlanRequest(
        envs,
        all_envs,
        app,
        env_type,
        out,
        output_format,
        max_chars,
        forced,
        refresh,
        lock_timeout,
        (overrides_files, override_properties, images),
    )
    changed = run_plan(request, definitions, score_files, state_url)
    if detailed_exitcode and changed:
        sys.exit(2)


def run_plan(
    request: PlanRequest,
    definitions: Path | None,
    score_files: tuple[Path, ...],
    state_url: str | None,
) -> bool:
    """Plan every environment asked for, write and print the plans; True when any
    environment changes."""
    project = Project.load()
    overrides = project.score_overrides(*request.overrides)
    compilations = project.compilations(definitions, score_files, overrides)
    compilation = compilations.shared
    if compilation.warnings:
        click.echo(render(compilation.warnings, compilation.sources), err=True)
    envs = select_envs(compilation, request.envs, request.all_envs)
    state = project.state_reader(state_url)
    key = os.environ.get(PLAN_KEY_VARIABLE)
    plans = [
        sealed(
            pipeline.plan(
                compilations.of(env),
                project.target(request.app, env, request.env_type),
                state,
                project.drivers,
                request.replace,
                _drift(project, state, request, env) if request.refresh else None,
                *_plan_checks(project, state, request, env),
            ),
            key,
        )
        for env in envs
    ]
    several = len(plans) > 1 or request.all_envs
    if request.out is not None:
        _write_plans(request.out, plans, several)
    models = [p.plan for p in plans]
    outputs = {} if request.output_format == "json" else _outputs_by_env(state, models)
    click.echo(_render_plans(plans, request, outputs), nl=False)
    return any(plan.summary.has_changes for plan in models)


def _plan_checks(
    project: Project, state: StateReader, request: PlanRequest, env: str
) -> PlanChecks:
    """Whether an env() secret set now, or a value read from `.env`, differs from the
    last apply's (salted digests)."""
    from orchc.runtime.secret_changes import PlanChecks, plan_checks

    if not hasattr(state, "records"):
        return PlanChecks()
    reader: _RecordReader = state  # type: ignore[assignment]
    app = project.app(request.app)
    return plan_checks(reader, app, env, state.snapshot(app, env).lineage, project.root)


def _drift(
    project: Project, state: StateReader, request: PlanRequest, env: str
) -> dict[ResourceUid, str]:
    """`plan --refresh`: what each driver that can observe saw differ; a driver that
    cannot look stops the plan. Observing holds the lock, which `--lock-timeout` waits
    for as `apply` does."""
    from orchc.runtime.drift import ObserveError, Seen, observe_all

    from .cli_apply import waiting

    if not hasattr(state, "records"):
        return {}  # no state yet: nothing to observe
    reader: _RecordReader = waiting(state, request.lock_timeout)  # type: ignore[arg-type]
    app = project.app(request.app)
    observed = observe_all(reader, project.drivers, project.root, app, env)
    errors = [f"  {o.uid} ({o.driver}): {o.detail}" for o in observed if o.seen is Seen.ERROR]
    if errors:
        raise ObserveError("--refresh: cannot observe, so cannot plan:\n" + "\n".join(errors))
    return {ResourceUid.parse(o.uid): str(o.detail) for o in observed if o.seen is Seen.DRIFTED}


def _write_plans(out: Path, plans: list[SealedPlan], several: bool) -> None:
    if not several:
        write_atomically(out, plans[0].text)
        click.echo(f"orchc: plan written to {out}", err=True)
        return
    if out.exists() and not out.is_dir():
        raise UsageProblem(f"-o {out}: several environments need a directory, not a file")
    for sealed_plan in plans:
        write_atomically(out / f"{sealed_plan.plan.context.env}.json", sealed_plan.text)
    click.echo(f"orchc: {len(plans)} plans written to {out}/<env>.json", err=True)


def _render_plans(
    sealed_plans: list[SealedPlan], request: PlanRequest, outputs: Mapping[str, KnownOutputs]
) -> str:
    from orchc.compiler.render.markdown import render_markdown_report
    from orchc.compiler.render.text import render_text_report

    if request.output_format == "json":
        if len(sealed_plans) == 1 and not request.all_envs:
            return sealed_plans[0].text
        documents = {p.plan.context.env: p.document for p in sealed_plans}
        return canonical_json({"plans": documents})
    plans = [p.plan for p in sealed_plans]
    if request.output_format == "markdown":
        return render_markdown_report(plans, outputs, request.max_chars)
    if request.output_format == "html":
        from orchc.compiler.render.html import render_html_report

        return render_html_report(plans, outputs)
    return render_text_report(plans, outputs)


class _RecordReader(Protocol):
    def records(self, app: str, env: str) -> Sequence[Any]: ...


def _outputs_by_env(state: StateReader, plans: list[Plan]) -> dict[str, KnownOutputs]:
    """Per environment, the non-secret outputs the state holds, by uid."""
    if not hasattr(state, "records"):
        return {}
    reader: _RecordReader = state  # type: ignore[assignment]
    return {
        plan.context.env: _outputs(reader.records(plan.context.app, plan.context.env))
        for plan in plans
    }


def _outputs(records: Sequence[Any]) -> KnownOutputs:
    return {
        str(record.resource.uid): {
            key: value for key, value in record.outputs.items() if key not in record.secrets
        }
        for record in records
    }


# ---------------------------------------------------------------- orchc diff

_max_chars_option = click.option(
    "--max-chars",
    type=click.IntRange(min=1000),
    default=DEFAULT_MAX_CHARS,
    show_default=True,
    help="markdown: the most characters to print (entries are left out to fit)",
)


_comparison_format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
)


@click.command()
@click.argument("old_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.argument("new_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@_comparison_format_option
@_max_chars_option
@click.option("--detailed-exitcode", is_flag=True, help="exit 2 when the plans differ")
@user_errors
def diff(
    old_file: Path, new_file: Path, output_format: str, max_chars: int, detailed_exitcode: bool
) -> None:
    """Compare two plan files: resources and workloads added, removed and changed."""
    from orchc.compiler.plan_diff import diff_plans
    from orchc.compiler.render.diff import Compared

    old = load_plan(old_file.read_text(encoding="utf-8"), str(old_file))
    new = load_plan(new_file.read_text(encoding="utf-8"), str(new_file))
    title = f"Diff {_name(old)} ({old_file}) -> {_name(new)} ({new_file})"
    compared = [Compared(title, diff_plans(old, new))]
    click.echo(render_compared(compared, output_format, max_chars), nl=False)
    if detailed_exitcode and compared[0].diff.has_changes:
        sys.exit(2)


def _name(plan: Plan) -> str:
    return f"{plan.context.app}/{plan.context.env}"


def render_compared(
    compared: list[Compared], output_format: str, max_chars: int = DEFAULT_MAX_CHARS
) -> str:
    from orchc.compiler.render.diff import render_diff_json, render_diff_markdown, render_diff_text

    if output_format == "json":
        return render_diff_json(compared)
    if output_format == "markdown":
        return render_diff_markdown(compared, max_chars)
    return render_diff_text(compared)


# ---------------------------------------------------------------- orchc impact


@click.command()
@click.option("--base", required=True, help="the git revision to compare with (e.g. origin/main)")
@click.option("--env", "envs", multiple=True, help="environment id (repeatable)")
@click.option("--all-envs", is_flag=True, help="every environment (the default)")
@click.option("--app", help="application id (default: app in orchc.toml)")
@definitions_option
@score_option
@_comparison_format_option
@_max_chars_option
@click.option("--detailed-exitcode", is_flag=True, help="exit 2 when anything would change")
@score_overrides_options
@user_errors
def impact(
    base: str,
    envs: tuple[str, ...],
    all_envs: bool,
    app: str | None,
    definitions: Path | None,
    score_files: tuple[Path, ...],
    output_format: str,
    max_chars: int,
    detailed_exitcode: bool,
    overrides_files: tuple[str, ...],
    override_properties: tuple[str, ...],
    images: tuple[str, ...],
) -> None:
    """What a change since BASE does to every environment (no state is read)."""
    from .impact import GitError, ImpactRequest, compare_with_base

    overrides = (overrides_files, override_properties, images)
    request = ImpactRequest(base, envs, all_envs, app, definitions, score_files, overrides)
    try:
        compared = compare_with_base(Project.load(), request)
    except GitError as error:
        fail(str(error))
    click.echo(render_compared(compared, output_format, max_chars), nl=False)
    if detailed_exitcode and any(item.diff.has_changes for item in compared):
        sys.exit(2)
