"""Build the syntax tree (`syntax.py`) while Lark parses: one method per grammar rule.

The builder runs inside the LALR parser (Lark's inline transformer), so no parse tree
is ever made; each method gets its rule's tokens and already-built children and only
builds a node: string literals are decoded, numbers converted, token positions turned
into `Span`s. The only problems found here are those of single tokens that the grammar
matches loosely on purpose, so they are reported precisely: a bad escape (at the
backslash), an unquoted word used as a value, a number too large to represent. Which
blocks and attributes exist is the compiler's business, not this module's.

The parser is shared by the whole process, so what one parse collects (comments, open
brackets, problems) lives in a `ParseLog` reached through a context variable.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from lark import Token, Transformer

from . import strings
from .diagnostics import Diagnostic
from .source import Span
from .syntax import (
    Attribute,
    Block,
    Bool,
    Call,
    Comment,
    Document,
    ListValue,
    MapEntry,
    MapValue,
    Null,
    Number,
    String,
    Value,
)

Member = Attribute | Block

_KEYWORD_SPELLINGS = {"true": "true", "false": "false", "null": "null", "none": "null"}


@dataclass
class ParseLog:
    """What one parse attempt of `path` saw besides the tree."""

    path: str
    comments: list[Token] = field(default_factory=list)
    open_brackets: list[Token] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)

    def span(self, token: Token) -> Span:
        return Span(self.path, token.line or 1, token.column or 1)

    def last_char(self, token: Token) -> Span:
        """The span of the token's last character (Lark's end column is exclusive)."""
        return Span(self.path, token.end_line or 1, (token.end_column or 2) - 1)

    def document(self, members: list[Member]) -> Document:
        kept = tuple(Comment(self.span(c), str(c).rstrip()) for c in self.comments)
        return Document(self.path, tuple(members), kept)


CURRENT: ContextVar[ParseLog] = ContextVar("orch_parse_log")


@contextmanager
def recording(path: str) -> Iterator[ParseLog]:
    """Make a fresh `ParseLog` the current one for the duration of a parse."""
    log = ParseLog(path)
    reset = CURRENT.set(log)
    try:
        yield log
    finally:
        CURRENT.reset(reset)


class Builder(Transformer[Token, list[Member]]):
    """The rule callbacks. Stateless: everything per-parse is in `CURRENT`."""

    def start(self, members: list[Member]) -> list[Member]:
        return members

    def attribute(self, children: tuple[Token, Value]) -> Attribute:
        log = CURRENT.get()
        name, value = children
        key, quoted = _key(log, name)
        return Attribute(log.span(name), key, value, quoted)

    def block(self, children: list[Token | Member]) -> Block:
        log = CURRENT.get()
        kind, *rest, closing = children
        assert isinstance(kind, Token) and isinstance(closing, Token)
        labels = tuple(_string(log, c) for c in rest if isinstance(c, Token))
        body = tuple(c for c in rest if not isinstance(c, Token))
        return Block(log.span(kind), str(kind), labels, body, log.last_char(closing))

    def string(self, children: list[Token]) -> String:
        return _string(CURRENT.get(), children[0])

    def mstring(self, children: list[Token]) -> String:
        log, token = CURRENT.get(), children[0]
        raw = str(token)[3:-3]
        _check_literal(log, token, raw, 3)
        value = strings.decode(strings.dedent(raw))
        return String(log.span(token), value, multiline=True, end=log.last_char(token))

    def number(self, children: list[Token]) -> Number:
        log, token = CURRENT.get(), children[0]
        value = _number_value(str(token))
        if value is None:
            message = f"number {_shorten(str(token))} is out of range"
            log.problems.append(Diagnostic.error(log.span(token), message))
        return Number(log.span(token), 0 if value is None else value, str(token))

    def true(self, children: list[Token]) -> Bool:
        return Bool(CURRENT.get().span(children[0]), True)

    def false(self, children: list[Token]) -> Bool:
        return Bool(CURRENT.get().span(children[0]), False)

    def null(self, children: list[Token]) -> Null:
        return Null(CURRENT.get().span(children[0]))

    def list_value(self, children: list[Token | Value]) -> ListValue:
        log = CURRENT.get()
        opening, *items, closing = children
        assert isinstance(opening, Token) and isinstance(closing, Token)
        values = tuple(item for item in items if not isinstance(item, Token))
        return ListValue(log.span(opening), values, log.last_char(closing))

    def map_value(self, children: list[Token | MapEntry]) -> MapValue:
        log = CURRENT.get()
        opening, *entries, closing = children
        assert isinstance(opening, Token) and isinstance(closing, Token)
        found = tuple(entry for entry in entries if isinstance(entry, MapEntry))
        return MapValue(log.span(opening), found, log.last_char(closing))

    def entry(self, children: tuple[Token, Value]) -> MapEntry:
        log = CURRENT.get()
        token, value = children
        key, quoted = _key(log, token)
        return MapEntry(log.span(token), key, value, quoted)

    def call(self, children: list[Token | Value]) -> Call:
        log = CURRENT.get()
        name, *args, closing = children
        assert isinstance(name, Token) and isinstance(closing, Token)
        values = tuple(arg for arg in args if not isinstance(arg, Token))
        return Call(log.span(name), str(name), values, log.last_char(closing))

    def bare_word(self, children: list[Token]) -> String:
        log, word = CURRENT.get(), children[0]
        log.problems.append(Diagnostic.error(log.span(word), _bare_word_message(str(word))))
        return String(log.span(word), str(word), end=log.last_char(word))


def _key(log: ParseLog, token: Token) -> tuple[str, bool]:
    """An attribute name or map key, and whether it was written as a string."""
    if token.type == "STRING":
        return _string(log, token).value, True
    return str(token), False


def _string(log: ParseLog, token: Token) -> String:
    raw = str(token)[1:-1]
    _check_literal(log, token, raw, 1)
    return String(log.span(token), strings.decode(raw), end=log.last_char(token))


def _check_literal(log: ParseLog, token: Token, raw: str, quotes: int) -> None:
    for problem in strings.literal_problems(raw):
        span = _offset_span(log, token, quotes + problem.offset)
        log.problems.append(Diagnostic.error(span, problem.message))


def _offset_span(log: ParseLog, token: Token, offset: int) -> Span:
    """The span of the character at `offset` inside `token`'s text."""
    before = str(token)[:offset]
    line_break = before.rfind("\n")
    if line_break < 0:
        return Span(log.path, token.line or 1, (token.column or 1) + offset)
    return Span(log.path, (token.line or 1) + before.count("\n"), offset - line_break)


def _bare_word_message(word: str) -> str:
    keyword = _KEYWORD_SPELLINGS.get(word.lower())
    if keyword is not None:
        return f"unknown value '{word}': write {keyword}"
    return f"unquoted word '{word}': strings are written in double quotes, as in \"{word}\""


def _number_value(text: str) -> int | float | None:
    """The number `text` spells, or None when it is too large to represent."""
    try:
        if any(c in text for c in ".eE"):
            value = float(text)
            return None if math.isinf(value) else value
        return int(text)
    except ValueError:  # Python refuses to convert integers of thousands of digits
        return None


def _shorten(text: str) -> str:
    return text if len(text) <= 20 else text[:17] + "..."
