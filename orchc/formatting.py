"""`orchc fmt`: apply the canonical layout to .orch files, or report which differ."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from orchc.grammar.diagnostics import Diagnostic, DiagnosticError
from orchc.grammar.format import format_source
from orchc.grammar.source import SourceFile, SourceMap, display_path

from .files import write_atomically


def orch_files(paths: Sequence[Path]) -> list[Path]:
    found: set[Path] = set()
    missing = [
        Diagnostic.error(None, f"no such file or directory: {p}") for p in paths if not p.exists()
    ]
    if missing:
        raise DiagnosticError(missing)
    for path in paths:
        found.update(path.rglob("*.orch") if path.is_dir() else [path])
    return sorted(p.resolve() for p in found)


def format_paths(paths: Sequence[Path], root: Path, check_only: bool) -> list[str]:
    """Format every .orch file under `paths`; returns the display paths that changed
    (or would change). Nothing is written if any file has a syntax error."""
    sources = SourceMap()
    problems: list[Diagnostic] = []
    rewrites: list[tuple[Path, str, str]] = []
    for path in orch_files(paths):
        display = display_path(path, root)
        text = path.read_text(encoding="utf-8")
        sources.add(SourceFile(display, text))
        formatted, diagnostics = format_source(display, text)
        problems.extend(diagnostics)
        if formatted is not None and formatted != text:
            rewrites.append((path, display, formatted))
    if any(d.is_error for d in problems):
        raise DiagnosticError(problems, sources)
    if not check_only:
        for path, _, formatted in rewrites:
            write_atomically(path, formatted)
    return [display for _, display, _ in rewrites]
