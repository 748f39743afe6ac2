"""The syntax tree of an orch file: what the parser builds and `fmt` prints.

Nodes are immutable and each carries the `Span` of its first character; nodes that can
span several lines (blocks, lists, maps, calls, strings) also carry `end`, the `Span` of
their last character (the closing bracket or quote), which `fmt` needs to place
comments. `end` is None for nodes built by hand. The tree says
nothing about meaning: which blocks and attributes are allowed, and what they mean,
is checked later by the compiler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from .source import Span


@dataclass(frozen=True, slots=True)
class String:
    """A string literal, escapes already decoded; `multiline` for `\"\"\"...\"\"\"` (already
    dedented). Placeholders (`${...}`) are kept as text: the compiler parses them."""

    span: Span
    value: str
    multiline: bool = False
    end: Span | None = None


@dataclass(frozen=True, slots=True)
class Number:
    """An integer or float; `text` is how it was written, for `fmt`."""

    span: Span
    value: int | float
    text: str


@dataclass(frozen=True, slots=True)
class Bool:
    """`true` or `false`."""

    span: Span
    value: bool


@dataclass(frozen=True, slots=True)
class Null:
    """`null`."""

    span: Span


@dataclass(frozen=True, slots=True)
class ListValue:
    """`[a, b, ...]`."""

    span: Span
    items: tuple[Value, ...]
    end: Span | None = None


@dataclass(frozen=True, slots=True)
class MapEntry:
    """`key = value` inside a map; `quoted` when the key was written as a string."""

    span: Span
    key: str
    value: Value
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class MapValue:
    """`{ key = value, ... }`."""

    span: Span
    entries: tuple[MapEntry, ...]
    end: Span | None = None

    def get(self, key: str) -> Value | None:
        for entry in self.entries:
            if entry.key == key:
                return entry.value
        return None


@dataclass(frozen=True, slots=True)
class Call:
    """A function call such as `env("NAME")` or `file("path")`."""

    span: Span
    name: str
    args: tuple[Value, ...]
    end: Span | None = None


Value: TypeAlias = String | Number | Bool | Null | ListValue | MapValue | Call


@dataclass(frozen=True, slots=True)
class Attribute:
    """`name = value` in a block body (or at the top level, where it is an error later);
    `quoted` when the name was written as a string (`"api-key" = "k"`)."""

    span: Span
    name: str
    value: Value
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class Block:
    """`kind "label" ... { body }`, e.g. `definition "pg" { ... }` or `match { ... }`."""

    span: Span
    kind: str
    labels: tuple[String, ...]
    body: tuple[Attribute | Block, ...]
    end: Span | None = None


@dataclass(frozen=True, slots=True)
class Comment:
    """A `#` or `//` comment, kept for `fmt`. `text` includes the marker."""

    span: Span
    text: str


@dataclass(frozen=True, slots=True)
class Document:
    """One parsed file."""

    path: str
    body: tuple[Attribute | Block, ...]
    comments: tuple[Comment, ...] = ()
