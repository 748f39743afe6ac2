"""`orchc impact --base REV`: compile the definitions and Score files as they are at a
git revision and as they are in the working tree, plan both for each environment
without state, and compare the plans (SPEC §10). The revision is read with the git
binary (`git archive`), so a CI checkout of a pull request only needs the base commit
fetched; nothing in the working tree or in the repository is changed.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import click

from orchc.compiler import pipeline
from orchc.compiler.plan import Plan, PlanContext, PlanState, Summary
from orchc.compiler.plan_diff import diff_plans
from orchc.compiler.render.diff import Compared
from orchc.compiler.score.overrides import ScoreOverrides
from orchc.compiler.state import InMemoryState
from orchc.grammar.diagnostics import DiagnosticError

from .config import CONFIG_NAME, ProjectConfig, load_config
from .project import EnvironmentCompilations, Project, UsageProblem


class GitError(Exception):
    """git could not give the base revision; the message says why and what to do."""


@dataclass(frozen=True)
class ImpactRequest:
    base: str
    envs: tuple[str, ...]
    all_envs: bool
    app: str | None
    definitions: Path | None
    score_files: tuple[Path, ...]
    # --overrides-file, --override-property, --image (SPEC §12), applied to both sides
    overrides: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = ((), (), ())


def _git(args: Sequence[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError("orchc impact needs the git program, and git is not on PATH") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {message[-1] if message else 'no message'}")
    return done.stdout


def extract_revision(base: str, root: Path, into: Path) -> Path:
    """Write the tree of revision `base` into `into`; returns where `root` (a folder
    of the repository) is in that copy."""
    top = Path(_git(["rev-parse", "--show-toplevel"], root).decode().strip()).resolve()
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"], top)
    except GitError:
        raise GitError(
            f"git does not know the revision '{base}' here; in a shallow CI checkout, "
            f"fetch it first (e.g. git fetch --depth=1 origin {base})"
        ) from None
    archive = _git(["archive", "--format=tar", base], top)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / root.resolve().relative_to(top)


def _moved(path: Path | None, root: Path, base_root: Path) -> Path | None:
    """Where `path` (in the working tree) is in the copy of the base revision."""
    if path is None:
        return None
    try:
        return base_root / path.resolve().relative_to(root)
    except ValueError:
        return path.resolve()  # outside the project: the same file on both sides


def _base_project(project: Project, base_root: Path) -> Project:
    """The project as it is at the base revision: its own orchc.toml (and so its own
    per-environment overrides)."""
    config = (
        load_config(base_root)
        if (base_root / CONFIG_NAME).is_file()
        else ProjectConfig(root=base_root)
    )
    return Project(config, project.drivers)


def _base_sources(project: Project, base: Project, request: ImpactRequest) -> pipeline.Sources:
    definitions = _moved(request.definitions, project.root, base.root)
    files = [_moved(f, project.root, base.root) for f in request.score_files]
    existing = tuple(f for f in files if f is not None and f.is_file())
    definitions_dir = base.config.definitions_dir(definitions)
    return pipeline.Sources(
        root=base.root,
        definitions=definitions_dir if definitions_dir and definitions_dir.is_dir() else None,
        score_files=existing if request.score_files else base.config.score_files(()),
    )


def _base_compilations(
    project: Project, base: Project, request: ImpactRequest, overrides: ScoreOverrides
) -> EnvironmentCompilations:
    """The base revision's compilations, with the command line's overrides of the
    workloads it has: an `--image` for a workload the change adds is no error there."""
    sources = _base_sources(project, base, request)
    compilations = EnvironmentCompilations(base, sources)
    if not overrides.workloads():
        return compilations  # nothing to keep: the base is compiled once, not twice
    kept = overrides.only({w.name for w in compilations.shared.workloads})
    _copy_missing_overrides_files(kept, project.root, base.root)
    return EnvironmentCompilations(base, replace(sources, overrides=kept))


def _copy_missing_overrides_files(overrides: ScoreOverrides, root: Path, base_root: Path) -> None:
    """An `--overrides-file` the base revision does not have (CI wrote it, or the change
    adds it) is the working tree's on both sides; one it has is its own. Only a regular
    file inside the project is copied (the working tree's compilation read it already)."""
    for given in overrides.files:
        at_base = base_root / given.file
        source = (root / given.file).resolve()
        if at_base.exists() or not source.is_file() or not source.is_relative_to(root.resolve()):
            continue  # an unreadable one is reported by the base's compilation
        if not at_base.resolve().is_relative_to(base_root.resolve()):
            continue
        at_base.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, at_base)


@contextmanager
def _at_base(base: str) -> Iterator[None]:
    """Says which side failed to compile: the error itself is rendered by the caller."""
    try:
        yield
    except DiagnosticError:
        click.echo(f"orchc: the definitions and Score files at {base} do not compile:", err=True)
        raise


def _envs(request: ImpactRequest, *compilations: pipeline.Compilation) -> list[str]:
    if request.envs and request.all_envs:
        raise UsageProblem("pass either --env or --all-envs, not both")
    if request.envs:
        return list(dict.fromkeys(request.envs))
    declared = {e.id for c in compilations for e in c.program.environments}
    if not declared:
        raise UsageProblem("the definitions declare no environment block: pass --env ENV")
    return sorted(declared)


def _plan_or_empty(
    compilation: pipeline.Compilation, target: pipeline.Target, project: Project, other: bool
) -> Plan:
    """The plan without state; an environment that is declared only on the other side
    of the comparison has nothing here."""
    declared = compilation.program.environment(target.env) is not None
    if not declared and other:
        context = PlanContext(app=target.app, env=target.env, env_type="")
        return Plan(
            context=context,
            state=PlanState(),
            inputs_digest="",
            resources={},
            workloads={},
            summary=Summary(),
        )
    return pipeline.plan(compilation, target, InMemoryState(), project.drivers)


def compare_with_base(project: Project, request: ImpactRequest) -> list[Compared]:
    """Per environment, the plan at the base revision against the plan of the working
    tree; each side compiled as `orchc plan` compiles it (its orchc.toml's overrides for
    the environment, then the command line's)."""
    overrides = project.score_overrides(*request.overrides)
    head = project.compilations(request.definitions, request.score_files, overrides)
    head_shared = head.shared  # the working tree's errors first, as plan would show them
    with tempfile.TemporaryDirectory(prefix="orchc-impact-") as folder:
        base_root = extract_revision(request.base, project.root, Path(folder))
        base_project = _base_project(project, base_root)
        with _at_base(request.base):
            base = _base_compilations(project, base_project, request, overrides)
            shared_base = base.shared
        compared = []
        for env in _envs(request, shared_base, head_shared):
            target = project.target(request.app, env)
            with _at_base(request.base):
                # Untracked files (.env) are not in the archive: plan-time checks that
                # read them are for the working tree's side.
                old_compilation = replace(base.of(env), root=None)
            new_compilation = head.of(env)
            on_base = old_compilation.program.environment(env) is not None
            on_head = new_compilation.program.environment(env) is not None
            old = _plan_or_empty(old_compilation, target, project, on_head)
            new = _plan_or_empty(new_compilation, target, project, on_base)
            title = f"Impact on {target.app}/{env} of the changes since {request.base}"
            compared.append(Compared(title, diff_plans(old, new)))
    return compared
