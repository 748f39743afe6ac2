"""Source files and positions inside them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, order=True, slots=True)
class Span:
    """A position in a source file: `path` is relative to the project root (POSIX form),
    `line` and `col` start at 1. Spans order by path, then line, then column."""

    path: str
    line: int = 1
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"

    @property
    def location(self) -> str:
        """`path:line`, the short form shown in plans."""
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class SourceFile:
    """The text of one file, kept so diagnostics can quote the offending line."""

    path: str
    text: str
    _lines: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lines", tuple(self.text.splitlines()))

    def line(self, number: int) -> str | None:
        if 1 <= number <= len(self._lines):
            return self._lines[number - 1]
        return None


class SourceMap:
    """Every file read in a run, by its display path, so diagnostics can be rendered."""

    def __init__(self) -> None:
        self._files: dict[str, SourceFile] = {}

    def add(self, source: SourceFile) -> SourceFile:
        self._files[source.path] = source
        return source

    def get(self, path: str) -> SourceFile | None:
        return self._files.get(path)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sorted(self._files.values(), key=lambda s: s.path))


def display_path(path: Path, root: Path) -> str:
    """The path shown to users and written to plans: relative to `root` when inside it,
    always with forward slashes, so plans are identical across machines."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()
