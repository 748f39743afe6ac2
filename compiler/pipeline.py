"""The compiler facade: read -> build IR -> check -> match/expand -> graph -> plan.

Each stage is a pass from `passes/`, called here in order, one per line, so the story
of a compilation reads top to bottom. Every stage collects diagnostics; a stage with
errors stops the pipeline with a `DiagnosticError` carrying all of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from orchc.grammar.diagnostics import Diagnostic, DiagnosticError, Diagnostics
from orchc.grammar.source import SourceFile, SourceMap
from orchc.grammar.syntax import Document

from . import ir
from .matching import MatchContext, MatchDecision, match_resource
from .origin import DEFAULTS_PREFIX, defaults_dir
from .passes.assemble_plan import assemble_plan
from .passes.build_graph import ResourceGraph, build_graph
from .passes.build_ir import build_ir
from .passes.check_definitions import DriverCatalog, check_definitions
from .passes.check_inputs import check_inputs
from .passes.check_references import check_references
from .passes.check_workload_patches import check_workload_patches
from .passes.expand import Expansion, expand
from .passes.find_ambiguities import find_ambiguities
from .passes.read_definitions import definition_files
from .plan import Plan
from .plan_actions import PlanRules, Policies, ReadCheck, SecretCheck, check_forced
from .program_cache import ProgramCache
from .score.adjust import built_here_problems
from .score.overrides import ScoreOverrides
from .score.reader import ScoreWorkload, read_scores
from .score_values import check_default_routes, check_score_values
from .service_ports import check_service_ports
from .state import StateReader
from .uid import ResourceUid


@dataclass(frozen=True)
class Sources:
    """What to compile: paths are absolute; display paths are relative to `root`."""

    root: Path
    definitions: Path | None
    score_files: tuple[Path, ...] = ()
    use_defaults: bool = True
    overrides: ScoreOverrides = field(default_factory=ScoreOverrides)


@dataclass(frozen=True)
class Target:
    """Where the plan deploys to: the app, the environment and (optionally) its type."""

    app: str
    env: str
    env_type: str | None = None


@dataclass
class Compilation:
    """The result of reading and checking: the program, the workloads, every source
    file read (for rendering diagnostics) and the warnings found."""

    program: ir.Program
    workloads: list[ScoreWorkload]
    sources: SourceMap
    warnings: list[Diagnostic] = field(default_factory=list)
    overrides: ScoreOverrides = field(default_factory=ScoreOverrides)
    root: Path | None = None
    """The project root, where plan-time checks read project files other than the
    sources (the `environment` driver's `.env`); None when they are not at hand (the
    base revision `orchc impact` compiles from `git archive`): those checks are skipped."""

    @property
    def inputs_digest(self) -> str:
        """The definitions, Score files and overrides files read, and the overrides
        given on the command line (SPEC §12)."""
        digest = hashlib.sha256()
        for source in self.sources:
            digest.update(f"{source.path}\0{len(source.text)}\0{source.text}".encode())
        if self.overrides != ScoreOverrides():
            digest.update(f"overrides\0{self.overrides.digest()}".encode())
        return "sha256:" + digest.hexdigest()


def read_defaults(sources: SourceMap, diagnostics: Diagnostics) -> ir.Program:
    """The definitions that ship with orchc: a tier below every user definition."""
    folder = defaults_dir()
    files = [
        sources.add(SourceFile(DEFAULTS_PREFIX + entry.name, entry.read_text(encoding="utf-8")))
        for entry in sorted(folder.glob("*.orch"))
    ]
    return _program_of(files, folder, ir.Tier.DEFAULT, diagnostics)


def _program_of(
    files: list[SourceFile], root: Path, tier: ir.Tier, diagnostics: Diagnostics
) -> ir.Program:
    """The program of `files`, read from the user's cache when it keeps it
    (`program_cache.py`); otherwise parsed and built, and kept when it can be."""
    cache = ProgramCache(files, root, tier)
    program = cache.load()
    if program is not None:
        return program
    problems = Diagnostics()
    documents = [_parse(source, problems) for source in files]
    program = build_ir(documents, root, problems, tier=tier)
    if not problems:
        cache.store(program)
    diagnostics.extend(problems)
    return program


def _parse(source: SourceFile, diagnostics: Diagnostics) -> Document:
    from orchc.grammar.parse import parse_document  # lark, only when there is text to parse

    document, problems = parse_document(source.path, source.text)
    diagnostics.extend(problems)
    return document


def read(sources: Sources, drivers: DriverCatalog) -> Compilation:
    """Read and check the definitions and the Score files (no context needed)."""
    diagnostics = Diagnostics()
    source_map = SourceMap()
    program = _read_program(sources, source_map, diagnostics)
    workloads, problems = read_scores(
        list(sources.score_files), sources.root, source_map, sources.overrides
    )
    diagnostics.extend(problems)
    diagnostics.extend(check_service_ports(workloads))
    diagnostics.extend(check_score_values(workloads, program))
    check_definitions(program, drivers, diagnostics)
    check_inputs(program, drivers, source_map, diagnostics)
    check_workload_patches(program, diagnostics)
    find_ambiguities(program, diagnostics)
    _raise_with_sources(diagnostics, source_map)
    warnings = [d for d in diagnostics.sorted() if not d.is_error]
    return Compilation(program, workloads, source_map, warnings, sources.overrides, sources.root)


def _read_program(sources: Sources, source_map: SourceMap, diagnostics: Diagnostics) -> ir.Program:
    user = ir.Program()
    if sources.definitions is not None:
        files = definition_files(sources.definitions, sources.root, source_map, diagnostics)
        user = _program_of(files, sources.root, ir.Tier.USER, diagnostics)
    if not sources.use_defaults:
        return user
    defaults = read_defaults(source_map, diagnostics)
    # A user contract replaces the shipped one of the same type.
    declared = {contract.name for contract in user.resource_types}
    shipped = tuple(c for c in defaults.resource_types if c.name not in declared)
    return ir.Program(
        environments=user.environments + defaults.environments,
        definitions=user.definitions + defaults.definitions,
        resource_types=user.resource_types + shipped,
    )


def _raise_with_sources(diagnostics: Diagnostics, sources: SourceMap) -> None:
    if diagnostics.has_errors:
        raise DiagnosticError(diagnostics.sorted(), sources)


def match_context(compilation: Compilation, target: Target) -> MatchContext:
    """The environment type from its `environment` block or from `--env-type` (SPEC §3.6)."""
    declared = compilation.program.environment(target.env)
    diagnostics = Diagnostics()
    if declared is not None and target.env_type and target.env_type != declared.type:
        diagnostics.error(
            declared.span,
            f"--env-type {target.env_type} conflicts with environment '{target.env}', "
            f"declared here with type '{declared.type}'",
        )
    elif declared is None and not target.env_type:
        known = ", ".join(sorted(e.id for e in compilation.program.environments)) or "none"
        diagnostics.error(
            None,
            f"environment '{target.env}' is not declared (declared: {known})",
            f'add `environment "{target.env}" {{ type = "..." }}` to the definitions, '
            "or pass --env-type",
        )
    _raise_with_sources(diagnostics, compilation.sources)
    env_type = declared.type if declared is not None else str(target.env_type)
    return MatchContext(app=target.app, env=target.env, env_type=env_type)


def build(compilation: Compilation, target: Target) -> tuple[Expansion, ResourceGraph]:
    """Match every resource, expand references to a fixed point, build the graph."""
    context = match_context(compilation, target)
    diagnostics = Diagnostics()
    expansion = expand(compilation.program, compilation.workloads, context, diagnostics)
    served = {uid: resource.definition for uid, resource in expansion.resources.items()}
    diagnostics.extend(check_default_routes(compilation.workloads, served))
    _raise_with_sources(diagnostics, compilation.sources)
    graph = build_graph(expansion, diagnostics)
    _raise_with_sources(diagnostics, compilation.sources)
    return expansion, graph


def plan(
    compilation: Compilation,
    target: Target,
    state: StateReader,
    drivers: DriverCatalog,
    replace: frozenset[ResourceUid] = frozenset(),
    drift: Mapping[ResourceUid, str] | None = None,
    secret_changed: SecretCheck | None = None,
    read_changed: ReadCheck | None = None,
) -> Plan:
    """The plan for `target`, with actions against the current state; `replace` names
    resources to replace even though nothing changed (`orchc plan --replace`), `drift`
    what drivers saw differ from what they recorded (`orchc plan --refresh`);
    `secret_changed` tells whether an env() secret differs from the last apply's,
    `read_changed` which values a driver reads from outside its request (`.env`) do."""
    _check_images(compilation)
    expansion, graph = build(compilation, target)
    diagnostics = Diagnostics()
    check_references(expansion, compilation.program, drivers, diagnostics, compilation.root)
    _raise_with_sources(diagnostics, compilation.sources)
    snapshot = state.snapshot(target.app, target.env)
    check_forced(replace, expansion, diagnostics)
    policies = Policies.of(compilation.program)
    rules = PlanRules(
        drivers.replace_inputs, policies, replace, drift or {}, secret_changed, read_changed
    )
    result = assemble_plan(
        expansion, graph, snapshot, rules, compilation.inputs_digest, diagnostics
    )
    _raise_with_sources(diagnostics, compilation.sources)
    return result


def _check_images(compilation: Compilation) -> None:
    """An `image: .` left after `--image` (SPEC §12): a plan needs the image CI built
    (`orchc check`, which takes no `--image`, does not ask for it)."""
    diagnostics = Diagnostics()
    for workload in compilation.workloads:
        diagnostics.extend(built_here_problems(workload.spec, workload.locate))
    _raise_with_sources(diagnostics, compilation.sources)


def check_environment(
    compilation: Compilation, target: Target, drivers: DriverCatalog
) -> list[Diagnostic]:
    """Every problem a plan for `target` reports before it reads the state: resources
    nothing matches (at the Score line that requested them), cycles, and references to
    outputs that are not provided (`orchc check --all-envs`)."""
    try:
        expansion, _ = build(compilation, target)
    except DiagnosticError as error:
        return list(error.diagnostics)
    diagnostics = Diagnostics()
    check_references(expansion, compilation.program, drivers, diagnostics, compilation.root)
    return diagnostics.sorted()


def explain(compilation: Compilation, target: Target, uid: ResourceUid) -> MatchDecision:
    """The match decision for one resource (`orchc explain`)."""
    return match_resource(compilation.program, uid, match_context(compilation, target))
