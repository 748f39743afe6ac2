"""The redactor: every secret value the run has seen, scrubbed from anything printed.

Drivers' messages, progress lines, events and error reports all pass through
`Redactor.redact` (which scrubs with `orchc.sensitive.redact`) before they leave the
process. Values shorter than `MIN_SECRET_LENGTH` are not tracked (scrubbing "1" out of
every message would destroy the messages and protect nothing).

>>> r = Redactor()
>>> r.add({"password": "hunter2-xyz", "port": 5432})
>>> r.redact("login failed for hunter2-xyz")
'login failed for (sensitive)'
"""

from __future__ import annotations

import json
import threading
from typing import Any

from orchc.sensitive import SENSITIVE, secret_forms


class Redactor:
    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._longest_first: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def add(self, value: Any) -> None:
        """Track every string (and the JSON text of every non-string) inside `value`,
        in each of the forms a message may quote it (`secret_forms`)."""
        found: list[str] = []
        _collect(value, found)
        forms = {form for text in found for form in secret_forms(text)}
        with self._lock:
            if not forms <= self._secrets:
                self._secrets.update(forms)
                self._longest_first = tuple(sorted(self._secrets, key=len, reverse=True))

    def redact(self, text: str) -> str:
        with self._lock:
            secrets = self._longest_first
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, SENSITIVE)
        return text

    def contains_secret(self, text: str) -> bool:
        with self._lock:
            return any(secret in text for secret in self._secrets)


def _collect(value: Any, found: list[str]) -> None:
    if isinstance(value, str):
        found.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, found)
    elif value is not None and not isinstance(value, bool):
        found.append(json.dumps(value))
