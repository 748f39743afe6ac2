"""How a message shows text it did not write: the one escaping function.

A file name, an environment name or an option's value given by a user reaches
messages through this, so a newline cannot start a forged `orchc:` line and an escape
sequence cannot recolour the terminal (or vanish when click strips it from a pipe, so
that the message names another file). It imports nothing from orchc, so every layer
may import it: it is a leaf, like `orchc/sensitive.py`.
"""

from __future__ import annotations


def shown(value: str) -> str:
    """`value` as a message shows it: control characters, backslashes and what is not
    ASCII escaped (Python's `unicode_escape`), on one line.

    >>> print(shown("a\\nb\\x1b[31m"))
    a\\nb\\x1b[31m
    """
    return value.encode("unicode_escape").decode("ascii")
