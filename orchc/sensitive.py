"""How a secret is shown: the one marker and the one scrub function.

Everything that must not show a secret value uses these two: the plan (`secrets` keys
read `(sensitive)`), `orchc outputs`, the runtime's `Redactor` and every driver's error
messages. This module imports nothing from orchc, so every layer may import it without
a new edge between layers (grammar <- compiler <- runtime; drivers beside them, on the
driver protocol): it is a leaf, like `orchc/files.py`.

>>> redact("a=hunter22 b=hunter2 port=5432 on", ["hunter2", "hunter22", "on"])
'a=(sensitive) b=(sensitive) port=5432 on'
"""

from __future__ import annotations

from collections.abc import Iterable

SENSITIVE = "(sensitive)"

# Very short values (a port, "1", "on") would shred a message if scrubbed, and are not
# the kind of secret a message could leak meaningfully.
MIN_SECRET_LENGTH = 4


def redact(text: str, values: Iterable[str]) -> str:
    """`text` with every occurrence of each value (longest first, so a secret that
    contains another is replaced whole) replaced by `SENSITIVE`; values shorter than
    `MIN_SECRET_LENGTH` are left alone."""
    for value in sorted(set(values), key=len, reverse=True):
        if len(value) >= MIN_SECRET_LENGTH:
            text = text.replace(value, SENSITIVE)
    return text
