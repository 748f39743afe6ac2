"""Parse orch source text into the syntax tree of `syntax.py`, with diagnostics.

`parse_document` never raises for bad input: every problem becomes a `Diagnostic` at
its line and column, and what could be parsed is returned. After a syntax error the
parser resynchronises at the next top-level line (a line starting with a name in
column 1): the region from the top-level line holding the error to that point is
blanked out (line breaks kept, so positions stay true) and the file is parsed again.
So a file reports one syntax error per broken top-level block, in order, and the
blocks that parsed are kept.

The Lark parser is built once per process, with the lexer of `lexer.py` feeding it and
the syntax tree builder of `build.py` running inside it; what one parse collects besides
the tree (comments, open brackets, token-level problems) goes to the `ParseLog` of
`build.py`. Error messages are worded by `syntax_errors.py`.

>>> document, problems = parse_document("a.orch", 'environment "dev" { type = "development" }')
>>> document.body[0].kind, document.body[0].labels[0].value, problems
('environment', 'dev', [])
>>> _, problems = parse_document("a.orch", 'definition "x" {\\n  type\\n}\\n')
>>> print(problems[0].span, problems[0].message)
a.orch:2:7 expected '=' or '{' after 'type', found the end of the line
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lark
from lark import Lark, Token, UnexpectedToken

from orchc.user_cache import cache_folder

from . import syntax_errors
from .build import Builder, Member, ParseLog, recording
from .diagnostics import Diagnostic
from .lexer import MAX_NESTING, BadCharacter, OrchLexer, Scanner, TooDeep
from .source_text import read_source
from .syntax import Document

MAX_SYNTAX_ERRORS = 50
"""Syntax errors reported per file before giving up on the rest of it."""

_GRAMMAR = Path(__file__).with_name("orch.lark")


@functools.cache
def _parser() -> Lark:
    # No `propagate_positions`: the builder runs inside the parser (no parse tree is
    # made, which halves the time) and takes positions from the tokens it is given.
    grammar = _GRAMMAR.read_text(encoding="utf-8")
    options: dict[str, Any] = {"parser": "lalr", "lexer": OrchLexer, "transformer": Builder()}
    cache = _cache_file(grammar)
    if cache is not None:
        try:
            return Lark(grammar, cache=str(cache), **options)
        except OSError:  # an unwritable cache only costs time
            pass
    return Lark(grammar, **options)


def _cache_file(grammar: str) -> Path | None:
    """Where the analysed grammar is kept between runs (building the LALR tables is most
    of the parser's start-up time): the per-user cache folder, since Lark's cache is a
    pickle. Keyed by the grammar and the Lark version."""
    folder = cache_folder()
    if folder is None:
        return None
    key = hashlib.sha256(f"{lark.__version__}\0{grammar}".encode()).hexdigest()[:16]
    return folder / f"orch-grammar-{key}.lark-cache"


@functools.cache
def _scanner() -> Scanner:
    return Scanner(_parser().terminals)


@dataclass(frozen=True)
class _Failure:
    """One syntax error, and where to resynchronise: blank from the top-level line
    around `region_line`, to the next top-level line (or to the end, `to_end`)."""

    diagnostic: Diagnostic
    position: tuple[int, int]
    region_line: int
    to_end: bool = False


def parse_document(path: str, text: str) -> tuple[Document, list[Diagnostic]]:
    """Parse `text` (the contents of `path`, its display path). Returns the document
    (the blocks that parsed, when there are syntax errors) and its diagnostics, sorted."""
    text = text.replace("\r\n", "\n")
    problems: list[Diagnostic] = []
    last: tuple[int, int] = (0, 0)
    for _ in range(MAX_SYNTAX_ERRORS):
        outcome = _attempt(path, text)
        if isinstance(outcome, tuple):
            document, found = outcome
            return document, sorted(problems + found, key=Diagnostic.sort_key)
        if outcome.position <= last:
            break  # resynchronising made no progress: the rest cannot be recovered
        problems.append(outcome.diagnostic)
        last = outcome.position
        text = _blank_region(text, outcome.region_line, to_end=outcome.to_end)
    return Document(path, ()), sorted(problems, key=Diagnostic.sort_key)


def parse_file(path: Path, display: str) -> tuple[Document | None, list[Diagnostic]]:
    """Read and parse one file. A file that cannot be read or is not UTF-8 gives no
    document and one diagnostic."""
    text, problems = read_source(path, display)
    if text is None:
        return None, problems
    return parse_document(display, text)


def _attempt(path: str, text: str) -> tuple[Document, list[Diagnostic]] | _Failure:
    # The builder runs inline, so Lark raises its exceptions as they are (there is no
    # `VisitError` to unwrap): anything but these three is a bug, and propagates.
    with recording(path) as log:
        try:
            members: list[Member] = _parser().parse(text)  # type: ignore[assignment]
        except UnexpectedToken as error:
            return _failure(path, text, error, log)
        except BadCharacter as error:
            diagnostic = syntax_errors.unexpected_character(
                path, text, error.offset, error.line, error.column
            )
            position = (error.line, error.column)
            to_end = text.startswith('"""', error.offset)
            return _Failure(diagnostic, position, error.line, to_end=to_end)
        except TooDeep as error:
            diagnostic = syntax_errors.too_deep(path, error.bracket, MAX_NESTING)
            line, col = error.bracket.line or 1, error.bracket.column or 1
            return _Failure(diagnostic, (line, col), line)
    return log.document(members), log.problems


def _failure(path: str, text: str, error: UnexpectedToken, log: ParseLog) -> _Failure:
    position = (error.line, error.column)
    accepts: set[str] = error.interactive_parser.accepts()  # type: ignore[no-untyped-call]
    unclosed = log.open_brackets[-1] if log.open_brackets else None
    if error.token.type == "$END":
        position = (text.count("\n") + 1, len(text) - text.rfind("\n"))
        if unclosed is not None and syntax_errors.closes(unclosed, accepts):
            diagnostic = syntax_errors.unclosed_bracket(path, unclosed)
            return _Failure(diagnostic, position, unclosed.line or 1, to_end=True)
    token, previous = _at_line_end(text, error.token, accepts)
    diagnostic = syntax_errors.unexpected_token(path, token, accepts, previous, unclosed)
    return _Failure(diagnostic, position, error.line, to_end=error.token.type == "$END")


def _at_line_end(text: str, token: Token, accepts: set[str]) -> tuple[Token, Token | None]:
    """The token to report and the one before it. The lexer drops a line break before a
    closing bracket; when the parser wanted more on the line, the line's end is what it
    found (`type` then `}` on the next line: "expected '=' or '{' after 'type', found
    the end of the line")."""
    previous = _previous_token(text, token)
    if previous is None or token.type == "$END":
        return token, previous
    end = previous.end_pos or 0
    if "\n" not in text[end : token.start_pos or 0]:
        return token, previous
    if "_NL" in accepts:
        return token, Token("_NL", "\n")  # nothing to say "after"
    line_end = Token("_NL", "\n", end, previous.end_line, previous.end_column)
    return line_end, previous


def _previous_token(text: str, token: Token) -> Token | None:
    """The token before `token`, found by lexing the text before it again (only done
    for an error, so the lexer need not remember every token)."""
    end = len(text) if token.type == "$END" else (token.start_pos or 0)
    previous = None
    with recording(""):
        try:
            for previous in _scanner().tokens(text[:end]):  # noqa: B007 - keep the last
                pass
        except (BadCharacter, TooDeep):
            return None
    return previous


def _blank_region(text: str, line: int, *, to_end: bool) -> str:
    """`text` with the lines of the top-level block around `line` emptied, up to the
    next top-level line (or the end). A line starting with `}` in column 1 is not a
    top-level line: a stray one usually means a bracket inside the block was left open,
    and resuming there would report the same mistake twice."""
    lines = text.split("\n")
    index = min(max(line - 1, 0), len(lines) - 1)
    start = index
    while start > 0 and not _starts_top_level(lines[start]):
        start -= 1
    stop = len(lines) if to_end else index + 1
    while stop < len(lines) and not _starts_top_level(lines[stop]):
        stop += 1
    lines[start:stop] = [""] * (stop - start)
    return "\n".join(lines)


def _starts_top_level(line: str) -> bool:
    return line[:1].isalpha() or line[:1] == "_"
