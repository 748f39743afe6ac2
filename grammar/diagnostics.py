"""Diagnostics: problems found in user input, collected, sorted and rendered.

>>> from orchc.grammar.source import SourceFile, SourceMap
>>> sources = SourceMap()
>>> _ = sources.add(SourceFile("defs/a.orch", 'definition "x" {\\n  typo = 1\\n}\\n'))
>>> d = Diagnostic.error(Span("defs/a.orch", 2, 3), "unknown attribute 'typo'")
>>> print(render([d], sources))
defs/a.orch:2:3: error: unknown attribute 'typo'
    typo = 1
    ^
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .source import SourceMap, Span


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True, slots=True)
class Diagnostic:
    """One problem. `span` is None only for problems that have no place in a file
    (a missing definitions directory, say). `notes` are extra lines printed after
    the source excerpt, indented."""

    span: Span | None
    severity: Severity
    message: str
    notes: tuple[str, ...] = ()

    @classmethod
    def error(cls, span: Span | None, message: str, *notes: str) -> Diagnostic:
        return cls(span, Severity.ERROR, message, tuple(notes))

    @classmethod
    def warning(cls, span: Span | None, message: str, *notes: str) -> Diagnostic:
        return cls(span, Severity.WARNING, message, tuple(notes))

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str]:
        if self.span is None:
            return ("", 0, 0, self.message)
        return (self.span.path, self.span.line, self.span.col, self.message)


class DiagnosticError(Exception):
    """Raised at a stage boundary when the collected diagnostics contain errors."""

    def __init__(self, diagnostics: Iterable[Diagnostic], sources: SourceMap | None = None) -> None:
        self.diagnostics = tuple(sorted(set(diagnostics), key=Diagnostic.sort_key))
        self.sources = sources
        super().__init__(f"{len(self.diagnostics)} diagnostic(s)")

    def render(self) -> str:
        return render(self.diagnostics, self.sources)


class Diagnostics:
    """A collector passed through the passes of a stage."""

    def __init__(self) -> None:
        self._items: list[Diagnostic] = []

    def add(self, diagnostic: Diagnostic) -> None:
        self._items.append(diagnostic)

    def error(self, span: Span | None, message: str, *notes: str) -> None:
        self.add(Diagnostic.error(span, message, *notes))

    def warning(self, span: Span | None, message: str, *notes: str) -> None:
        self.add(Diagnostic.warning(span, message, *notes))

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self._items.extend(diagnostics)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self._items)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.sorted())

    def __len__(self) -> int:
        return len(self._items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(set(self._items), key=Diagnostic.sort_key)

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise DiagnosticError(self._items)


def render_one(diagnostic: Diagnostic, sources: SourceMap | None = None) -> str:
    """`path:line:col: error: message`, the source line, a caret under the column,
    then the notes."""
    head = f"{diagnostic.severity.value}: {diagnostic.message}"
    lines = [f"{diagnostic.span}: {head}" if diagnostic.span else f"orchc: {head}"]
    source = sources.get(diagnostic.span.path) if sources and diagnostic.span else None
    text = source.line(diagnostic.span.line) if source and diagnostic.span else None
    if text is not None and diagnostic.span is not None:
        expanded = text.expandtabs(1)
        lines.append(f"  {expanded}")
        lines.append("  " + " " * (max(diagnostic.span.col, 1) - 1) + "^")
    lines.extend(f"  {note}" for note in diagnostic.notes)
    return "\n".join(lines)


def render(diagnostics: Iterable[Diagnostic], sources: SourceMap | None = None) -> str:
    """Render diagnostics sorted by location, one block each."""
    ordered = sorted(set(diagnostics), key=Diagnostic.sort_key)
    return "\n".join(render_one(d, sources) for d in ordered)
