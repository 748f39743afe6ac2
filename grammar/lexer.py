"""The orch lexer: the terminals of `orch.lark`, scanned with one regular expression.

Lark's own lexer is general and, for this language, the slower half of parsing; this
one compiles the grammar's terminal definitions (so `orch.lark` stays the only place
they are written) into a single pattern. It also does what the grammar cannot say
cheaply, like Go's automatic semicolons:

- a run of line breaks (with the spaces and comments in it) becomes one `_NL` token,
  and is dropped where it cannot separate anything: at the start and end of the file,
  after an opening bracket or a comma, and before a closing bracket. A `,` absorbs the
  line breaks around it. So the parser sees exactly one separator between items.
- comments are recorded in the current `ParseLog` (for `fmt`) and never reach the
  parser; so are open brackets, to name the one left unclosed at the end of a file.
- brackets nested deeper than `MAX_NESTING` stop the parse (`TooDeep`).

A character that starts no token raises `BadCharacter`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from lark import Token
from lark.common import LexerConf
from lark.lexer import Lexer, TerminalDef

from .build import CURRENT

MAX_NESTING = 64
"""Brackets deeper than this are an error: no configuration needs them, and every
later stage walks values recursively."""

OPENERS = {"LBRACE": "RBRACE", "LSQB": "RSQB", "LPAR": "RPAR"}
_CLOSERS = frozenset(OPENERS.values())


class BadCharacter(Exception):
    """No token starts at `offset` (`line`, `column`)."""

    def __init__(self, offset: int, line: int, column: int) -> None:
        super().__init__(f"no token at {line}:{column}")
        self.offset, self.line, self.column = offset, line, column


class TooDeep(Exception):
    """`bracket` opens one level more than `MAX_NESTING`."""

    def __init__(self, bracket: Token) -> None:
        super().__init__("brackets nested too deeply")
        self.bracket = bracket


class Scanner:
    """The compiled terminals of a grammar."""

    def __init__(self, terminals: Iterable[TerminalDef]) -> None:
        regexps = [t for t in terminals if t.pattern.type == "re"]
        literals = [t for t in terminals if t.pattern.type == "str"]
        # Literals that a pattern also matches (`true` is a NAME) are keywords: scanned
        # as that pattern, then renamed.
        self.keywords = {
            t.pattern.value: t.name
            for t in literals
            if any(re.fullmatch(r.pattern.to_regexp(), t.pattern.value) for r in regexps)
        }
        ordered = sorted(regexps, key=lambda t: -t.priority) + sorted(
            (t for t in literals if t.pattern.value not in self.keywords),
            key=lambda t: -len(t.pattern.value),
        )
        # Blanks before a token are matched with it (a separate match per run of blanks
        # would cost as much as a token); what they are is read from the grammar's WS.
        blanks = next(t.pattern.to_regexp() for t in ordered if t.name == "WS")
        groups = (f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in ordered if t.name != "WS")
        self.pattern = re.compile(f"(?:{blanks})?(?:{'|'.join(groups)})")
        self.blanks = re.compile(blanks)

    def tokens(self, text: str) -> Iterator[Token]:
        """The tokens the parser sees; see the module docstring for line breaks."""
        pending: Token | None = None  # a line break, emitted only if something follows
        drop_breaks = True  # at the start, after an opening bracket or a comma
        for token in self._raw_tokens(text):
            kind = token.type
            if kind == "_NL":
                if pending is None and not drop_breaks:
                    pending = token
                continue
            if pending is not None and kind not in _CLOSERS and kind != "COMMA":
                yield pending
            pending = None
            drop_breaks = kind in OPENERS or kind == "COMMA"
            yield token

    def _raw_tokens(self, text: str) -> Iterator[Token]:
        log = CURRENT.get()
        position, line, line_start = 0, 1, 0
        match = self.pattern.match
        while position < len(text):
            found = match(text, position)
            if found is None:
                position = self._past_blanks(text, position)
                if position == len(text):
                    return
                raise BadCharacter(position, line, position - line_start + 1)
            kind = found.lastgroup or ""
            start, end = found.span(kind)
            value = text[start:end]
            column = start - line_start + 1
            breaks = value.count("\n")
            if breaks:
                line_start = start + value.rfind("\n") + 1
            if kind == "NAME":
                kind = self.keywords.get(value, kind)
            token = _token(
                kind, value, start, line, column, line + breaks, end - line_start + 1, end
            )
            line += breaks
            position = end
            if kind == "COMMENT":
                log.comments.append(token)
                continue
            _track_brackets(log.open_brackets, token)
            yield token

    def _past_blanks(self, text: str, position: int) -> int:
        blanks = self.blanks.match(text, position)
        return blanks.end() if blanks else position


def _token(
    kind: str,
    value: str,
    start: int,
    line: int,
    column: int,
    end_line: int,
    end_column: int,
    end: int,
) -> Token:
    """A Lark token, made without `Token.__new__`'s handling of deprecated arguments
    (a third of the lexer's time)."""
    token = str.__new__(Token, value)
    token.type, token.value, token.start_pos, token.end_pos = kind, value, start, end
    token.line, token.column, token.end_line, token.end_column = line, column, end_line, end_column
    return token


def _track_brackets(open_brackets: list[Token], token: Token) -> None:
    if token.type in OPENERS:
        open_brackets.append(token)
        if len(open_brackets) > MAX_NESTING:
            raise TooDeep(token)
    elif open_brackets and OPENERS[open_brackets[-1].type] == token.type:
        # A mismatched closer leaves its opener open: the parser rejects the closer,
        # and the error names the opener still waiting.
        open_brackets.pop()


class OrchLexer(Lexer):
    """Lark's hook for a custom lexer (its "interface 0": `lex(text)`)."""

    def __init__(self, conf: LexerConf) -> None:
        self.scanner = Scanner(conf.terminals)

    def lex(self, text: str) -> Iterator[Token]:  # type: ignore[override]
        return self.scanner.tokens(text)
