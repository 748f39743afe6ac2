"""The read pass for definitions: every `*.orch` file under a directory, parsed.

Files are found recursively and read in the order of their display paths (relative to
the project root, with forward slashes), so a program is the same on every machine.
Each file's text is registered in the `SourceMap` so diagnostics can quote it. A file
with syntax errors still gives a document: the top-level blocks that parsed.
"""

from __future__ import annotations

from pathlib import Path

from orchc.grammar.diagnostics import Diagnostics
from orchc.grammar.source import SourceFile, SourceMap, display_path
from orchc.grammar.source_text import read_source
from orchc.grammar.syntax import Document


def read_definitions(
    directory: Path, root: Path, sources: SourceMap, diagnostics: Diagnostics
) -> list[Document]:
    """Parse every `*.orch` file under `directory` (sorted by display path)."""
    from orchc.grammar.parse import parse_document  # the parser only when there is text to parse

    documents = []
    for source in definition_files(directory, root, sources, diagnostics):
        document, problems = parse_document(source.path, source.text)
        diagnostics.extend(problems)
        documents.append(document)
    return documents


def definition_files(
    directory: Path, root: Path, sources: SourceMap, diagnostics: Diagnostics
) -> list[SourceFile]:
    """Read every `*.orch` file under `directory` (sorted by display path) and register
    it in `sources`; a file that cannot be read is a diagnostic and left out."""
    shown = display_path(directory, root)
    if not directory.is_dir():
        problem = "is not a directory" if directory.exists() else "does not exist"
        diagnostics.error(None, f"the definitions directory '{shown}' {problem}")
        return []
    files = []
    for display, path in _orch_files(directory, root):
        text, problems = read_source(path, display)
        diagnostics.extend(problems)
        if text is not None:
            files.append(sources.add(SourceFile(display, text)))
    return files


def _orch_files(directory: Path, root: Path) -> list[tuple[str, Path]]:
    found = (path for path in directory.rglob("*.orch") if path.is_file())
    return sorted((display_path(path, root), path) for path in found)
