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

import json
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

SENSITIVE = "(sensitive)"

# Very short values (a port, "1", "on") would shred a message if scrubbed, and are not
# the kind of secret a message could leak meaningfully.
MIN_SECRET_LENGTH = 4


def redact(text: str, values: Iterable[str]) -> str:
    """`text` with every occurrence of each value, in each of its `secret_forms`
    (longest first, so a secret that contains another is replaced whole), replaced by
    `SENSITIVE`; values shorter than `MIN_SECRET_LENGTH` are left alone."""
    forms = {form for value in set(values) for form in secret_forms(value)}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, SENSITIVE)
    return text


def secret_forms(value: str) -> frozenset[str]:
    """The ways a secret shows up in text: as is, JSON-escaped (a program echoing its
    JSON request), Python-repr escaped (an exception quoting it) and URL-encoded (a
    connection URL); none when it is shorter than `MIN_SECRET_LENGTH`.

    >>> secret = "it's " + '"quoted" ' + chr(92) + " here"
    >>> import json
    >>> [redact(text, [secret]) for text in (json.dumps(secret), repr(secret), quote(secret))]
    ['"(sensitive)"', "'(sensitive)'", '(sensitive)']
    """
    if len(value) < MIN_SECRET_LENGTH:
        return frozenset()
    forms = {
        value,
        json.dumps(value, ensure_ascii=False)[1:-1],
        json.dumps(value)[1:-1],
        repr(value)[1:-1],
        quote(value, safe=""),
        quote(value),
        quote_plus(value, safe=""),
    }
    return frozenset(form for form in forms if len(form) >= MIN_SECRET_LENGTH)
