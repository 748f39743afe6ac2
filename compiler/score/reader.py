"""Reads Score files into `ScoreWorkload`s, reporting every problem as a diagnostic.

The steps, each a small function: read the text, load the YAML (libyaml when present),
check the apiVersion, validate against the Score model (every error at once), inline
files given by `source`, build the workload, check its placeholders. Every problem is a
`Diagnostic` at the line and column of the offending key or value; nothing here raises
for bad input. A file with any error yields no workload.

Positions cost little: the spans every workload carries (its name, its resources, the
placeholders in params) are looked up while the YAML node tree is at hand; the tree is
then released and parsed again only if the compiler later asks `locate`.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import JsonValue, ValidationError

from orchc.compiler.confined import ConfinementError, confining_dir, path_problem, read_confined
from orchc.grammar.diagnostics import Diagnostic
from orchc.grammar.source import SourceFile, SourceMap, Span

from . import messages
from .adjust import Origins, adjust, load_located
from .model import API_VERSION, ScoreDocument
from .overrides import ScoreOverrides
from .placeholders import check_placeholders
from .workload import DEFAULT_CLASS, ResourceRequest, ScoreWorkload
from .yaml_positions import JsonPath, LoadedYaml, YamlPositions

__all__ = ["ScoreWorkload", "read_score", "read_scores"]


class _Invalid(Exception):
    """Stops reading one file; carries the diagnostics found so far."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(f"{len(diagnostics)} diagnostic(s)")
        self.diagnostics = diagnostics


def read_score(
    path: Path, root: Path, sources: SourceMap, overrides: ScoreOverrides | None = None
) -> tuple[ScoreWorkload | None, list[Diagnostic]]:
    """Read one Score file with the `overrides` of its workload applied; register its
    text (and inlined files, overrides files) in `sources`. Returns the workload (None
    when there is any error) and every diagnostic."""
    source = _display_path(path, root)
    try:
        text = sources.add(SourceFile(source, _read_text(path, source)))
        loaded = _load(text)
        origins = _adjust(loaded, root, sources, overrides)
        document = _validate(loaded, source, origins)
        spec, inlined = _inline_files(document.to_spec(), path, root, sources, loaded.positions)
    except _Invalid as invalid:
        return None, invalid.diagnostics
    workload = _workload(spec, text, loaded.positions, inlined)
    if overrides is not None:
        workload = dataclasses.replace(workload, overridden_by=tuple(overrides.of(workload.name)))
    diagnostics = check_placeholders(workload)
    return (None if diagnostics else workload), diagnostics


def read_scores(
    paths: Iterable[Path],
    root: Path,
    sources: SourceMap,
    overrides: ScoreOverrides | None = None,
) -> tuple[list[ScoreWorkload], list[Diagnostic]]:
    """Read Score files in the given order (a file listed twice is read once). Two files
    naming the same workload: the second is an error that names the first; an override
    naming no workload read is an error too."""
    workloads: dict[str, ScoreWorkload] = {}
    diagnostics: list[Diagnostic] = []
    _resolved_folder.cache_clear()  # links may have changed since the last reading
    for path in _unique(paths):
        workload, found = read_score(path, root, sources, overrides)
        diagnostics.extend(found)
        if workload is None:
            continue
        first = workloads.get(workload.name)
        if first is not None:
            message = f"workload name '{workload.name}' is already used by {first.span}"
            diagnostics.append(Diagnostic.error(workload.span, message))
        else:
            workloads[workload.name] = workload
    if overrides is not None and not diagnostics:
        diagnostics.extend(_unknown_workloads(overrides, set(workloads)))
    return list(workloads.values()), diagnostics


def _unknown_workloads(overrides: ScoreOverrides, known: set[str]) -> list[Diagnostic]:
    listed = ", ".join(sorted(known)) or "none"
    return [
        Diagnostic.error(None, f"{option}: no workload '{name}' (workloads: {listed})")
        for name in sorted(overrides.workloads() - known)
        for option in overrides.of(name)
    ]


def _adjust(
    loaded: LoadedYaml, root: Path, sources: SourceMap, overrides: ScoreOverrides | None
) -> Origins:
    if overrides is None:
        return Origins()
    origins, problems = adjust(loaded, root, sources, overrides)
    if problems:
        raise _Invalid(problems)
    return origins


def _unique(paths: Iterable[Path]) -> Iterator[Path]:
    seen: set[str] = set()
    for path in paths:
        absolute = os.path.abspath(path)
        if absolute not in seen:
            seen.add(absolute)
            yield path


def _display_path(path: Path, root: Path) -> str:
    """`display_path`, with the root resolved once per run rather than once per file,
    and the folders of an absolute path resolved once for all the files they hold:
    resolving paths was half the reader's time on a thousand small files."""
    if not path.is_absolute() or ".." in path.parts:
        resolved = path.resolve().as_posix()
    else:
        resolved = _resolved_entry(os.path.join(_resolved_folder(os.path.dirname(path)), path.name))
    base = _resolved_root(root.absolute())
    if resolved == base:
        return "."
    inside = resolved.startswith(base if base.endswith("/") else base + "/")
    return resolved[len(base) :].lstrip("/") if inside else resolved


@functools.lru_cache(maxsize=16)
def _resolved_root(root: Path) -> str:
    return root.resolve().as_posix()


@functools.lru_cache(maxsize=4096)
def _resolved_folder(folder: str) -> str:
    """`Path(folder).resolve()` of an absolute folder without `..`, one component at a
    time, so each folder is resolved once however many files are below it."""
    parent, name = os.path.split(folder)
    if not name:
        return folder
    return _resolved_entry(os.path.join(_resolved_folder(parent), name))


def _resolved_entry(path: str) -> str:
    """`path`, its folder resolved already, as `Path.resolve` gives it."""
    return Path(path).resolve().as_posix() if os.path.islink(path) else path


def _read_text(path: Path, source: str) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise _Invalid(
            [Diagnostic.error(None, f"{source}: cannot read: {error.strerror}")]
        ) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        span = Span(source, line, error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1)
        raise _Invalid([Diagnostic.error(span, "a Score file must be UTF-8 text")]) from None


def _load(text: SourceFile) -> LoadedYaml:
    loaded, problems = load_located(text)
    if loaded is None or problems:
        raise _Invalid(problems)
    return loaded


def _validate(loaded: LoadedYaml, source: str, origins: Origins) -> ScoreDocument:
    data = loaded.data
    if not isinstance(data, dict):
        kind = "an empty document" if data is None else messages.kind_of(data)
        message = (
            f"a Score file must be a mapping of apiVersion, metadata, containers, ...; got {kind}"
        )
        raise _Invalid([_error(loaded.positions, source, (), message)])
    version = data.get("apiVersion", API_VERSION)
    if version != API_VERSION:
        # Another kind of document (a Kubernetes manifest, say): one error, not fifty.
        message = f"apiVersion must be '{API_VERSION}', got '{messages.short(version)}'"
        raise _Invalid([_error(loaded.positions, source, ("apiVersion",), message)])
    try:
        return ScoreDocument.model_validate(data)
    except ValidationError as error:
        problems = messages.problems(error)
        diagnostics = [_problem_diagnostic(loaded.positions, source, p, origins) for p in problems]
        raise _Invalid(diagnostics) from None


def _problem_diagnostic(
    positions: YamlPositions, source: str, problem: messages.Problem, origins: Origins
) -> Diagnostic:
    from_override = origins.diagnostic(problem.path, problem.message)
    if from_override is not None:
        return from_override
    locate = positions.entry if problem.at_key else positions.best
    line, col = locate(problem.path)
    return Diagnostic.error(Span(source, line, col), problem.message)


def _error(positions: YamlPositions, source: str, path: JsonPath, message: str) -> Diagnostic:
    line, col = positions.best(path)
    return Diagnostic.error(Span(source, line, col), message)


def _inline_files(
    spec: dict[str, JsonValue], path: Path, root: Path, sources: SourceMap, positions: YamlPositions
) -> tuple[dict[str, JsonValue], dict[JsonPath, SourceFile | None]]:
    """Replace each file's `source` by its content read relative to the Score file,
    confined to the project directory (see `orchc.compiler.confined`)."""
    inlined: dict[JsonPath, SourceFile | None] = {}
    diagnostics: list[Diagnostic] = []
    confine: Path | None = None  # resolving paths costs more than reading most Score files
    for entry, file in _sourced_files(spec):
        confine = confine or confining_dir(path, root)
        relative = str(file.pop("source"))
        try:
            raw = read_confined(path.parent, relative, confine)
        except ConfinementError as error:
            at = (*entry, "source")
            shown = _shown_source(path, relative, root)
            message = f"{messages.dotted(at)}: cannot read '{shown}': {error}"
            diagnostics.append(_error(positions, _display_path(path, root), at, message))
            continue
        inlined[entry] = _inline(file, raw, path.parent / relative, root, sources)
    if diagnostics:
        raise _Invalid(diagnostics)
    return spec, inlined


def _shown_source(path: Path, relative: str, root: Path) -> str:
    if path_problem(relative):
        return messages.short(relative.replace("\0", "\\0"))
    return _display_path(path.parent / relative, root)


def _sourced_files(spec: dict[str, JsonValue]) -> Iterator[tuple[JsonPath, dict[str, JsonValue]]]:
    containers = spec.get("containers")
    for name, container in containers.items() if isinstance(containers, dict) else ():
        files = container.get("files") if isinstance(container, dict) else None
        for target, file in files.items() if isinstance(files, dict) else ():
            if isinstance(file, dict) and "source" in file:
                yield ("containers", name, "files", target), file


def _inline(
    file: dict[str, JsonValue], raw: bytes, source_path: Path, root: Path, sources: SourceMap
) -> SourceFile | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        file["binaryContent"] = base64.b64encode(raw).decode("ascii")
        return None
    file["content"] = text
    return sources.add(SourceFile(_display_path(source_path, root), text))


def _workload(
    spec: dict[str, JsonValue],
    text: SourceFile,
    positions: YamlPositions,
    inlined: dict[JsonPath, SourceFile | None],
) -> ScoreWorkload:
    metadata = spec["metadata"]
    assert isinstance(metadata, dict)  # the model guarantees it
    line, col = positions.best(("metadata", "name"))
    resources = tuple(_requests(spec, text.path, positions))
    return ScoreWorkload(
        name=str(metadata["name"]),
        source=text.path,
        span=Span(text.path, line, col),
        spec=spec,
        resources=resources,
        positions=positions,
        text=text,
        inlined=inlined,
    )


def _requests(
    spec: dict[str, JsonValue], source: str, positions: YamlPositions
) -> Iterator[ResourceRequest]:
    resources = spec.get("resources")
    for name, resource in resources.items() if isinstance(resources, dict) else ():
        assert isinstance(resource, dict)  # the model guarantees it
        line, col = positions.entry(("resources", name))
        yield ResourceRequest(
            name=name,
            type=str(resource["type"]),
            class_=str(resource.get("class", DEFAULT_CLASS)),
            id=str(resource["id"]) if "id" in resource else None,
            params=_object(resource.get("params")),
            metadata=_object(resource.get("metadata")),
            span=Span(source, line, col),
        )


def _object(value: JsonValue) -> dict[str, JsonValue]:
    return value if isinstance(value, dict) else {}
