"""Turn Lark's parse failures into diagnostics a platform engineer can act on.

Lark reports terminal names (`EQUAL`, `_NL`) and the set of tokens its tables would
have accepted; this module names them in the language's own words and adds a hint
where the mistake is a common one. Every message says what was expected, after what,
and what was found: "expected '=' or '{' after 'type', found 'x'".

The parser's `accepts()` (not the exception's `expected`) gives the accepted set: LALR
tables merge lookaheads, so `expected` may list tokens that could not actually follow.
"""

from __future__ import annotations

from collections.abc import Collection

from lark import Token

from .diagnostics import Diagnostic
from .source import Span

_VALUE_STARTS = frozenset(
    {"STRING", "MSTRING", "NUMBER", "TRUE", "FALSE", "NULL", "LSQB", "LBRACE", "NAME"}
)
_KEY_STARTS = frozenset({"NAME", "STRING", "TRUE", "FALSE", "NULL"})
_MEMBER_HEAD = frozenset({"EQUAL", "LBRACE", "STRING"})
_PUNCTUATION = {
    "EQUAL": "=",
    "COMMA": ",",
    "LBRACE": "{",
    "RBRACE": "}",
    "LSQB": "[",
    "RSQB": "]",
    "LPAR": "(",
    "RPAR": ")",
}
CLOSERS = {"{": "}", "[": "]", "(": ")"}
_SHOWN_STRING_LENGTH = 24

_CHARACTER_HINTS = {
    "'": "strings are written in double quotes",
    ":": "attributes are set with '='",
    ";": "separate attributes with a line break or ','",
}


def unexpected_token(
    path: str,
    token: Token,
    accepts: Collection[str],
    previous: Token | None,
    unclosed: Token | None = None,
) -> Diagnostic:
    """The parser got `token` where only `accepts` could follow `previous`; `unclosed`
    is the innermost bracket still open."""
    after = f" after {_describe_token(previous)}" if _is_describable(previous) else ""
    message = f"expected {describe_expected(accepts)}{after}, found {_describe_token(token)}"
    hint = _unclosed_hint(token, unclosed) or _hint(token, accepts, previous)
    if hint:
        message += f" ({hint})"
    return Diagnostic.error(_position(path, token, previous), message)


def unclosed_bracket(path: str, bracket: Token) -> Diagnostic:
    """The file ended while `bracket` was open."""
    closer = CLOSERS[str(bracket)]
    return Diagnostic.error(
        _span(path, bracket),
        f"'{bracket}' is never closed: expected '{closer}' before the end of the file",
    )


def closes(bracket: Token, accepts: Collection[str]) -> bool:
    """Whether the parser would accept the bracket that closes `bracket` next."""
    closer = CLOSERS.get(str(bracket))
    return any(_PUNCTUATION.get(name) == closer for name in accepts)


def unexpected_character(path: str, text: str, offset: int, line: int, col: int) -> Diagnostic:
    """The lexer found no token starting at `offset`."""
    span = Span(path, line, col)
    if text.startswith('"""', offset):
        return Diagnostic.error(
            span, 'unterminated multi-line string: the closing \'"""\' is missing'
        )
    char = text[offset]
    if char == '"':
        return Diagnostic.error(
            span,
            "unterminated string: the closing '\"' is missing on this line"
            ' (use """...""" for text over several lines)',
        )
    shown = f"'{char}'" if char != "'" else '"\'"'
    if not char.isprintable():
        shown = f"U+{ord(char):04X}"
    hint = _CHARACTER_HINTS.get(char)
    return Diagnostic.error(span, f"unexpected character {shown}" + (f": {hint}" if hint else ""))


def too_deep(path: str, bracket: Token, limit: int) -> Diagnostic:
    return Diagnostic.error(
        _span(path, bracket),
        f"nested too deeply: more than {limit} levels of '{{', '[' and '('",
    )


def describe_expected(accepts: Collection[str]) -> str:
    """The accepted terminals in words, most useful first.

    >>> describe_expected({"EQUAL", "LBRACE", "STRING"})
    "'=' or '{'"
    >>> describe_expected({"_NL", "COMMA", "RBRACE", "LPAR"})
    "a line break, ',' or '}'"
    """
    names = set(accepts)
    if names <= {"$END"}:
        return "the end of the file"
    words = [*_describe_groups(names), *_describe_rest(names)]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _describe_groups(names: set[str]) -> list[str]:
    """Describe (and remove from `names`) the sets that read better as one word."""
    words: list[str] = []
    if names >= _VALUE_STARTS:
        names -= _VALUE_STARTS
        words.append("a value")
    elif names >= _KEY_STARTS:
        names -= _KEY_STARTS
        words.append("a name")
    if names >= _MEMBER_HEAD or {"STRING", "LBRACE"} == names:
        # After a block's name or label; another label is possible but rarely meant.
        names.discard("STRING")
    if len(names) > 1:
        # A bare word followed by '(' would be a call; never what the user meant here.
        names.discard("LPAR")
    if "COMMA" not in names and len(names) > 1:
        # A line break is worth naming only where it separates, beside ','.
        names.discard("_NL")
    names.discard("$END")
    names.discard("MSTRING")
    return words


def _describe_rest(names: set[str]) -> list[str]:
    words = []
    if "NAME" in names:
        words.append("a name")
    if "STRING" in names:
        words.append("a string")
    if "NUMBER" in names:
        words.append("a number")
    if "_NL" in names:
        words.append("a line break")
    words.extend(f"'{_PUNCTUATION[name]}'" for name in _PUNCTUATION if name in names)
    return words


def _is_describable(token: Token | None) -> bool:
    return token is not None and token.type != "_NL"


def _describe_token(token: Token | None) -> str:
    if token is None or token.type == "$END":
        return "the end of the file"
    if token.type == "_NL":
        return "the end of the line"
    if token.type == "MSTRING":
        return "a multi-line string"
    if token.type == "STRING":
        text = str(token)
        if len(text) > _SHOWN_STRING_LENGTH:
            text = text[: _SHOWN_STRING_LENGTH - 1] + '..."'
        return text
    return f"'{token}'"


def _unclosed_hint(token: Token, unclosed: Token | None) -> str | None:
    """For a closing bracket that does not match the innermost open one."""
    if unclosed is None or str(token) not in CLOSERS.values():
        return None
    return f"the '{unclosed}' at line {unclosed.line}, column {unclosed.column} is not closed"


def _hint(token: Token, accepts: Collection[str], previous: Token | None) -> str | None:
    if token.type == "NAME" and set(accepts) >= _MEMBER_HEAD:
        return f'block labels are quoted, as in "{token}"'
    if token.type == "STRING" and "NAME" in accepts and "STRING" not in accepts:
        return "names are written without quotes"
    if token.type == "_NL" and previous is not None and previous.type == "EQUAL":
        return "the value must start on the same line as '='"
    if token.type == "_NL" and {"LBRACE"} <= set(accepts) and "EQUAL" not in accepts:
        return "the '{' must be on the same line as the block's name"
    if _glued_to_number(token, previous):
        return f'text such as durations is quoted, as in "{previous}{token}"'
    return None


def _glued_to_number(token: Token, previous: Token | None) -> bool:
    return (
        token.type == "NAME"
        and previous is not None
        and previous.type == "NUMBER"
        and previous.end_pos == token.start_pos
    )


def _position(path: str, token: Token, previous: Token | None) -> Span:
    """Where to point: at the token, or just after the last token at the end of file
    (Lark gives the end-of-file token the position of the last real one)."""
    if token.type != "$END" or previous is None:
        return _span(path, token)
    return Span(path, previous.end_line or 1, previous.end_column or 1)


def _span(path: str, token: Token) -> Span:
    return Span(path, token.line or 1, token.column or 1)
