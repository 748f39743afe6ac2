r'''String literals of the orch language, in both directions: source text -> value for
the parser, value -> canonical source text for `fmt`.

Escapes, the same in both string forms: `\"`, `\\`, `\n`, `\t` and `\u{X}` (1 to 6 hex
digits naming a Unicode scalar value). Anything else after a backslash is an error,
reported at the backslash; so is a raw control character other than tab.

Multi-line strings (`"""..."""`) are dedented before their escapes are decoded, so an
escape never counts as indentation:

1. a line break right after the opening quotes is dropped;
2. when the closing quotes are alone on their line, the spaces and tabs before them are
   dropped (the value then ends with a line break);
3. the longest run of spaces and tabs that starts every line containing something else
   is removed from every line (text on the opening quotes' line counts like any other);
4. lines holding only spaces and tabs become empty.

>>> dedent("\n    first\n      second\n  ")
'first\n  second\n'
>>> decode(r"tab\there \u{1F600}")
'tab\there 😀'
>>> print(quote('say "hi"\n'))
"say \"hi\"\n"
'''

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}
_ESCAPE = re.compile(r"\\(?:u\{(?P<hex>[^}\"\n]*)\}|(?P<char>[\s\S])|$)")
_VALID_ESCAPES = '\\" \\\\ \\n \\t and \\u{...}'
_BLANKS = " \t"
# Raw control characters are invisible in editors and diagnostics: only tab (and line
# breaks, in multi-line strings) may appear as themselves.
_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class EscapeProblem:
    """An invalid escape or character: `offset` is its index in the raw text."""

    offset: int
    message: str


def literal_problems(raw: str) -> list[EscapeProblem]:
    r"""Every invalid escape and raw control character of `raw` (the text between the
    quotes, as written), in order.

    >>> for problem in literal_problems(r"a\qb \u{zz}"):
    ...     print(problem.offset, problem.message)
    1 unknown escape '\q'; the escapes are \" \\ \n \t and \u{...}
    5 invalid escape '\u{zz}': write 1 to 6 hex digits, as in \u{e9}
    """
    problems = [
        EscapeProblem(match.start(), problem)
        for match, _, problem in _escapes(raw)
        if problem is not None
    ]
    problems.extend(
        EscapeProblem(match.start(), _control_character(match[0]))
        for match in _RAW_CONTROL.finditer(raw)
    )
    return sorted(problems, key=lambda problem: problem.offset)


def _control_character(char: str) -> str:
    code = ord(char)
    return f"control character U+{code:04X} in a string: write it as \\u{{{code:x}}}"


def decode(raw: str) -> str:
    """The value of `raw` with its escapes replaced; an invalid escape stands for the
    character after the backslash (its problem is reported by `literal_problems`)."""
    parts: list[str] = []
    position = 0
    for match, value, _ in _escapes(raw):
        parts.append(raw[position : match.start()])
        parts.append(value)
        position = match.end()
    parts.append(raw[position:])
    return "".join(parts)


def _escapes(raw: str) -> Iterator[tuple[re.Match[str], str, str | None]]:
    """Each escape of `raw`: the match, its value, and its problem (None when valid)."""
    for match in _ESCAPE.finditer(raw):
        hex_digits, char = match["hex"], match["char"]
        if hex_digits is not None:
            yield match, *_unicode_escape(hex_digits)
        elif char in _SIMPLE_ESCAPES:
            yield match, _SIMPLE_ESCAPES[char], None
        elif char == "u":
            yield match, "u", "invalid escape '\\u': write \\u{...} with 1 to 6 hex digits"
        else:
            yield match, char or "", _unknown_escape(char)


def _unicode_escape(hex_digits: str) -> tuple[str, str | None]:
    text = f"\\u{{{hex_digits}}}"
    if not re.fullmatch(r"[0-9A-Fa-f]{1,6}", hex_digits):
        return "", f"invalid escape '{text}': write 1 to 6 hex digits, as in \\u{{e9}}"
    code = int(hex_digits, 16)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return "", f"invalid escape '{text}': not a Unicode character"
    return chr(code), None


def _unknown_escape(char: str | None) -> str:
    if not char or char == "\n":
        return (
            f"a backslash at the end of a line is not an escape; the escapes are {_VALID_ESCAPES}"
        )
    shown = char if char.isprintable() else f"U+{ord(char):04X}"
    return f"unknown escape '\\{shown}'; the escapes are {_VALID_ESCAPES}"


def dedent(raw: str) -> str:
    """The text of a multi-line string between its quotes, with rules 1-4 of the module
    docstring applied (escapes still undecoded)."""
    lines = (raw[1:] if raw.startswith("\n") else raw).split("\n")
    if len(lines) > 1 and _is_blank(lines[-1]):
        lines[-1] = ""
    margin = _common_margin(line for line in lines if not _is_blank(line))
    return "\n".join("" if _is_blank(line) else line[len(margin) :] for line in lines)


def _is_blank(line: str) -> bool:
    return not line.strip(_BLANKS)


def _margin(line: str) -> str:
    return line[: len(line) - len(line.lstrip(_BLANKS))]


def _common_margin(lines: Iterator[str]) -> str:
    common: str | None = None
    for line in lines:
        margin = _margin(line)
        if common is None:
            common = margin
        while not margin.startswith(common):
            common = common[:-1]
    return common or ""


def quote(value: str) -> str:
    """`value` as a canonical one-line string literal."""
    return '"' + "".join(_escape_char(char, multiline=False) for char in value) + '"'


def _escape_char(char: str, *, multiline: bool) -> str:
    if char in '\\"':
        return "\\" + char
    if char == "\n":
        return "\n" if multiline else "\\n"
    if char == "\t":
        return "\t" if multiline else "\\t"
    # Control characters and Unicode line separators are written as escapes: raw, they
    # would be invisible, or split the line in editors and in diagnostics.
    if not char.isprintable() and char != " ":
        return f"\\u{{{ord(char):x}}}"
    return char


def quote_multiline(value: str, indent: str) -> list[str]:
    r'''`value` as a canonical multi-line literal whose lines are indented by `indent`
    + two spaces; the closing quotes are on their own line at `indent` when the value
    ends with a line break. The first returned line holds the opening quotes only.

    >>> print("\n".join(quote_multiline("a:\n  b: 1\n", "  ")))
    """
        a:
          b: 1
      """
    >>> quote_multiline("no newline", "")
    ['"""', '  no newline"""']
    '''
    lines = value.split("\n")
    ends_with_newline = len(lines) > 1 and lines[-1] == ""
    body = lines[:-1] if ends_with_newline else lines
    escaped = _escape_lines(body, closes_on_last=not ends_with_newline)
    out = ['"""'] + [f"{indent}  {line}" if line else "" for line in escaped]
    if ends_with_newline:
        out.append(f'{indent}"""')
    else:
        out[-1] += '"""'
    return out


def _escape_lines(lines: list[str], *, closes_on_last: bool) -> list[str]:
    """Escape each line so that dedenting the printed literal gives `lines` back."""
    escaped = [
        _escape_multiline_line(line, closes=closes_on_last and index == len(lines) - 1)
        for index, line in enumerate(lines)
    ]
    # A line of only blanks would be emptied, and blanks starting every line would be
    # taken for indentation: escaping the first blank keeps them as written.
    non_empty = [index for index, line in enumerate(lines) if line]
    for index in non_empty:
        if _is_blank(lines[index]):
            escaped[index] = _escape_first_blank(escaped[index])
    if non_empty and all(lines[i][0] in _BLANKS for i in non_empty):
        first = non_empty[0]
        if not escaped[first].startswith("\\"):
            escaped[first] = _escape_first_blank(escaped[first])
    return escaped


def _escape_first_blank(line: str) -> str:
    return ("\\t" if line[0] == "\t" else "\\u{20}") + line[1:]


def _escape_multiline_line(line: str, *, closes: bool) -> str:
    """Escape one line of a multi-line value: a quote is escaped when it would start a
    run of three (which would close the literal), counting the closing quotes that
    follow the last line."""
    text = line + ('"""' if closes else "")
    out: list[str] = []
    for index, char in enumerate(line):
        if char == '"':
            out.append('\\"' if text[index + 1 : index + 3] == '""' else '"')
        else:
            out.append(_escape_char(char, multiline=True))
    return "".join(out)
