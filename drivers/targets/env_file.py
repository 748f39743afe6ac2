"""Env files for Docker Compose's `env_file`, written so values arrive verbatim.

Compose parses env files with its own dotenv dialect: unquoted values lose `#`
comments and trailing blanks, single-quoted values cannot hold every character, and
`$` is interpolated unless escaped. Every value is therefore written double-quoted with
`\\`, `"`, `$`, newline and carriage return escaped, which Compose reads back exactly
(tested against the real `docker-compose` binary). Keys are limited to the characters
that dialect accepts in a name.

>>> print(env_file_text({"B": 'say "hi" to $USER', "A": "line 1\\nline 2"}), end="")
# Written by orchc. Secret values: keep this file out of version control.
A="line 1\\nline 2"
B="say \\"hi\\" to \\$USER"
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*\Z")
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "$": "\\$", "\n": "\\n", "\r": "\\r"})

HEADER = "# Written by orchc. Secret values: keep this file out of version control.\n"


def valid_key(name: str) -> bool:
    """Whether `name` can be a variable name in an env file.

    >>> valid_key("DB_URL"), valid_key("my.var-1"), valid_key("MY VAR"), valid_key("1X")
    (True, True, False, False)
    """
    return bool(_KEY.match(name))


def quote(value: str) -> str:
    """`value` as a double-quoted env-file value.

    >>> print(quote("a\\\\b $HOME"))
    "a\\\\b \\$HOME"
    """
    return '"' + value.translate(_ESCAPES) + '"'


def env_file_text(values: Mapping[str, str]) -> str:
    """The env file holding `values`, sorted by name. Keys must pass `valid_key`."""
    lines = [f"{key}={quote(value)}\n" for key, value in sorted(values.items())]
    return HEADER + "".join(lines)
