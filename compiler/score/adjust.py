"""Apply `ScoreOverrides` to one Score document as the reader loads it, and locate
problems in what they wrote.

`adjust` runs between loading the YAML and validating it: override files (read confined
to the project, registered in the source map so `inputs_digest` covers them and
diagnostics can quote them), then `--override-property`, then `--image`. It returns the
`Origins` of what changed, so a schema problem inside a value an override wrote is
reported at that override (the overrides file's line, or the option) instead of a
Score line that never said it. `built_here_problems` reports an `image: .` that no
`--image` replaced, at the Score file's line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchc.grammar.diagnostics import Diagnostic
from orchc.grammar.source import SourceFile, SourceMap, Span

from .overrides import (
    BUILT_HERE,
    OverrideError,
    OverridesFile,
    ScoreOverrides,
    merge_document,
    read_overrides_file,
    unshare,
    written_paths,
)
from .yaml_positions import JsonPath, LoadedYaml, YamlSyntaxError, load_yaml

Locate = Callable[[JsonPath, str], Diagnostic]


@dataclass
class Origins:
    """For each override applied, in order: the paths it wrote and how to report a
    problem there."""

    entries: list[tuple[list[JsonPath], Locate]] = field(default_factory=list)

    def add(self, paths: list[JsonPath], locate: Locate) -> None:
        self.entries.append((paths, locate))

    def diagnostic(self, path: JsonPath, message: str) -> Diagnostic | None:
        """The problem at `path` located at the last override that wrote under or
        above it, or None when the Score file itself said it."""
        for paths, locate in reversed(self.entries):
            if any(_related(path, written) for written in paths):
                return locate(path, message)
        return None


def _related(path: JsonPath, written: JsonPath) -> bool:
    shorter = min(len(path), len(written))
    return shorter > 0 and tuple(map(str, path[:shorter])) == tuple(map(str, written[:shorter]))


def adjust(
    loaded: LoadedYaml, root: Path, sources: SourceMap, overrides: ScoreOverrides
) -> tuple[Origins, list[Diagnostic]]:
    """Apply to `loaded.data` (in place) the overrides of the workload it names."""
    origins = Origins()
    data = loaded.data
    name = _workload_name(data)
    if name is None or name not in overrides.workloads():
        return origins, []
    assert isinstance(data, dict)
    unshare(data)
    try:
        for overrides_file in (f for f in overrides.files if f.workload == name):
            _merge_file(data, overrides_file, root, sources, origins)
        for applied in overrides.apply_properties(data, name):
            origins.add([tuple(applied.path)], _option_locator(applied.describe()))
        for image, containers in overrides.apply_images(data, name):
            paths: list[JsonPath] = [("containers", c, "image") for c in containers]
            origins.add(paths, _option_locator(image.describe()))
    except _Located as located:
        return origins, [located.diagnostic]
    except OverrideError as error:
        return origins, [Diagnostic.error(None, str(error))]
    return origins, []


def _workload_name(data: Any) -> str | None:
    metadata = data.get("metadata") if isinstance(data, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) else None


class _Located(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _merge_file(
    data: dict[str, Any],
    overrides_file: OverridesFile,
    root: Path,
    sources: SourceMap,
    origins: Origins,
) -> None:
    raw = read_overrides_file(root, overrides_file)
    display = overrides_file.file
    try:
        text = sources.add(SourceFile(display, raw.decode("utf-8")))
    except UnicodeDecodeError:
        raise OverrideError(f"{overrides_file.describe()}: not UTF-8 text") from None
    loaded = _load(text)
    if not isinstance(loaded.data, dict):
        span = Span(display, 1, 1)
        message = "an overrides file must be a YAML mapping of Score fields"
        raise _Located(Diagnostic.error(span, message))
    merge_document(data, loaded.data)
    positions = loaded.positions

    def locate(path: JsonPath, message: str) -> Diagnostic:
        line, col = positions.best(path)
        return Diagnostic.error(Span(display, line, col), message)

    origins.add(written_paths(loaded.data), locate)


def _load(text: SourceFile) -> LoadedYaml:
    loaded, problems = load_located(text)
    if loaded is None or problems:
        raise _Located(problems[0])
    return loaded


def load_located(text: SourceFile) -> tuple[LoadedYaml | None, list[Diagnostic]]:
    """The YAML of `text`, and its problems as diagnostics in that file."""
    try:
        loaded = load_yaml(text.text)
    except YamlSyntaxError as error:
        problem = error.problem
        return None, [Diagnostic.error(Span(text.path, problem.line, problem.col), problem.message)]
    return loaded, [
        Diagnostic.error(Span(text.path, p.line, p.col), p.message) for p in loaded.problems
    ]


def _option_locator(option: str) -> Locate:
    def locate(path: JsonPath, message: str) -> Diagnostic:
        return Diagnostic.error(None, f"{option}: {message}")

    return locate


def built_here_problems(
    spec: dict[str, Any], locate: Callable[[JsonPath], Span]
) -> list[Diagnostic]:
    """An `image: .` no `--image` replaced: the image CI built must be named."""
    containers = spec.get("containers")
    name = _workload_name(spec)
    problems = []
    for container, body in sorted(containers.items()) if isinstance(containers, dict) else ():
        if isinstance(body, dict) and body.get("image") == BUILT_HERE:
            problems.append(
                Diagnostic.error(
                    locate(("containers", container, "image")),
                    f"container '{container}' has `image: .` (built from here): pass the "
                    f"image CI built with --image {name}.{container}=IMAGE "
                    f"(or --image {name}=IMAGE)",
                )
            )
    return problems
