"""Helpers for the grammar tests: compare syntax trees ignoring positions, parse and
render with sources registered."""

from __future__ import annotations

import dataclasses
from typing import TypeVar

from orchc.grammar.diagnostics import Diagnostic, render
from orchc.grammar.parse import parse_document
from orchc.grammar.source import SourceFile, SourceMap, Span
from orchc.grammar.syntax import Document

NOWHERE = Span("-", 0, 0)
_Node = TypeVar("_Node")


def strip_spans(node: _Node) -> _Node:
    """`node` with every span set to NOWHERE and every `end` to None, recursively, so two
    trees compare equal when they differ only in layout. Comments are dropped too."""
    if isinstance(node, tuple):
        return tuple(strip_spans(item) for item in node)  # type: ignore[return-value]
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return node
    changes: dict[str, object] = {}
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if field.name == "span":
            changes["span"] = NOWHERE
        elif field.name == "end":
            changes["end"] = None
        elif field.name == "comments":
            changes["comments"] = ()
        else:
            changes[field.name] = strip_spans(value)
    return dataclasses.replace(node, **changes)  # type: ignore[type-var]


def parse(text: str, path: str = "t.orch") -> tuple[Document, list[Diagnostic]]:
    return parse_document(path, text)


def rendered(text: str, path: str = "t.orch") -> str:
    """The rendered diagnostics of parsing `text`, as `orchc` prints them."""
    _, problems = parse_document(path, text)
    return render(problems, sources_of({path: text}))


def sources_of(files: dict[str, str]) -> SourceMap:
    sources = SourceMap()
    for path, text in files.items():
        sources.add(SourceFile(path, text))
    return sources
