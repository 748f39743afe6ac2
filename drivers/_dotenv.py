r"""A reader for `.env` files, in the syntax docker compose and python-dotenv share.

One `KEY=VALUE` per line. Blank lines and lines starting with `#` are skipped; a line
may start with `export `; spaces around the key and `=` are ignored. A value is:

- unquoted: taken to the end of the line, trimmed, with a ` #` comment cut off;
- in single quotes: literal, no escapes;
- in double quotes: `\n`, `\t`, `\"` and `\\` are escapes, and the value may span lines.

A key given twice keeps its last value, as in both tools. A line that is none of these
is an error naming the file and line, never its text: `.env` files hold credentials.

>>> parse_dotenv("# db\nexport HOST=db.local\nPORT = 5432 # default\nPW='a#b'\n", ".env")
{'HOST': 'db.local', 'PORT': '5432', 'PW': 'a#b'}
>>> parse_dotenv('GREETING="hello\\n  world"', ".env")
{'GREETING': 'hello\n  world'}
>>> parse_dotenv("not a line", "app/.env")
Traceback (most recent call last):
...
orchc.drivers.protocol.DriverError: app/.env, line 1: expected KEY=VALUE
"""

from __future__ import annotations

import re

from orchc.drivers.protocol import DriverError

_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(?P<rest>.*)$")
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def parse_dotenv(text: str, shown_as: str) -> dict[str, str]:
    """Every variable the file sets; `shown_as` names the file in errors."""
    values: dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ASSIGNMENT.match(line)
        if match is None:
            raise DriverError(f"{shown_as}, line {index}: expected KEY=VALUE")
        value, used = _value(match["rest"], lines[index:], f"{shown_as}, line {index}")
        values[match["key"]] = value
        index += used
    return values


def _value(rest: str, following: list[str], where: str) -> tuple[str, int]:
    """The value that starts with `rest`, and how many of the `following` lines it
    took (a double-quoted value may continue on them)."""
    if rest.startswith("'"):
        end = rest.find("'", 1)
        if end < 0:
            raise DriverError(f"{where}: the single-quoted value is not closed")
        return rest[1:end], 0
    if rest.startswith('"'):
        return _double_quoted(rest[1:], following, where)
    return re.split(r"\s+#", rest, maxsplit=1)[0].strip(), 0


def _double_quoted(text: str, following: list[str], where: str) -> tuple[str, int]:
    chars: list[str] = []
    for used, line in enumerate([text, *following]):
        position = 0
        while position < len(line):
            char = line[position]
            if char == '"':
                return "".join(chars), used
            if char == "\\" and position + 1 < len(line):
                position += 1
                escaped = line[position]
                chars.append(_ESCAPES.get(escaped, "\\" + escaped))
            else:
                chars.append(char)
            position += 1
        chars.append("\n")
    raise DriverError(f"{where}: the double-quoted value is not closed")
