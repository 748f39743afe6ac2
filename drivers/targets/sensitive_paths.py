"""Which parts of a workload or manifest hold secret values, and how to name them.

The runtime hands a target the JSON paths whose values embed a secret. A path covers
everything below it, so `("containers", "web")` would make the whole container secret.
Targets ask two questions: is this value secret (`covers`), and is any secret somewhere
a target cannot deliver through a secret channel (`outside`). Messages name a path with
`dotted`, never the value.

>>> paths = SensitivePaths([("containers", "web", "variables", "DB_URL")])
>>> paths.covers(("containers", "web", "variables", "DB_URL"))
True
>>> paths.covers(("containers", "web", "variables", "HOST"))
False
>>> dotted(("containers", "web", "files", "/etc/app.conf", "content"))
'containers.web.files["/etc/app.conf"].content'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from orchc.drivers.protocol import DriverError, JsonPath

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\Z")


class SensitivePaths:
    """A set of JSON paths whose values (and everything below them) are secret."""

    def __init__(self, paths: Iterable[JsonPath]) -> None:
        self._paths = tuple(sorted(set(paths), key=dotted))

    def covers(self, path: JsonPath) -> bool:
        """Whether the value at `path` is secret: some sensitive path is a prefix of it."""
        return any(path[: len(secret)] == secret for secret in self._paths)

    def outside(
        self, rendered: Callable[[JsonPath], bool], allowed: Callable[[JsonPath], bool]
    ) -> tuple[JsonPath, ...]:
        """The sensitive paths that a target would render (`rendered`) through a channel
        that cannot hold a secret (not `allowed`), in a stable order.

        >>> paths = SensitivePaths([("image",), ("env", "A"), ("notes",)])
        >>> paths.outside(lambda p: p[0] != "notes", lambda p: p[0] == "env")
        (('image',),)
        """
        return tuple(p for p in self._paths if rendered(p) and not allowed(p))

    def refuse_outside(
        self,
        rendered: Callable[[JsonPath], bool],
        allowed: Callable[[JsonPath], bool],
        where: str,
        channels: str,
    ) -> None:
        """Raise a `DriverError` naming (by path, never by value) every secret `outside`
        the `channels` a target can deliver secrets through.

        >>> SensitivePaths([("image",)]).refuse_outside(
        ...     lambda p: True, lambda p: p[0] == "env", "workload 'web'", "env values")
        Traceback (most recent call last):
        ...
        orchc.drivers.protocol.DriverError: workload 'web': image embeds a secret, but only ...
        """
        misplaced = self.outside(rendered, allowed)
        if misplaced:
            fields = ", ".join(dotted(path) for path in misplaced)
            raise DriverError(
                f"{where}: {fields} embeds a secret, but only {channels} can be delivered "
                "as secrets"
            )

    def under(self, prefix: JsonPath) -> SensitivePaths:
        """The paths below `prefix`, relative to it (a path above `prefix` becomes `()`:
        everything below is secret).

        >>> paths = SensitivePaths([("services", "db", "environment", "PASSWORD")])
        >>> paths.under(("services", "db")).covers(("environment", "PASSWORD"))
        True
        """
        return SensitivePaths(_relative(secret, prefix) for secret in self._covering(prefix))

    def _covering(self, prefix: JsonPath) -> Iterable[JsonPath]:
        for secret in self._paths:
            shorter = min(len(secret), len(prefix))
            if secret[:shorter] == prefix[:shorter]:
                yield secret

    def __bool__(self) -> bool:
        return bool(self._paths)


def _relative(path: JsonPath, prefix: JsonPath) -> JsonPath:
    return path[len(prefix) :] if len(path) > len(prefix) else ()


def touches(path: JsonPath, root: JsonPath) -> bool:
    """Whether `path` is `root`, above it or below it: a secret there reaches `root`.

    >>> touches(("metadata",), ("metadata", "annotations")), touches(("resources",), ("service",))
    (True, False)
    """
    shorter = min(len(path), len(root))
    return path[:shorter] == root[:shorter]


def dotted(path: JsonPath) -> str:
    """`path` as a reader would write it: `a.b[0]["key.with/dots"]`.

    >>> dotted(("services", "db", "environment", 0)), dotted(())
    ('services.db.environment[0]', '(the whole object)')
    """
    if not path:
        return "(the whole object)"
    parts: list[str] = []
    for part in path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif _IDENTIFIER.match(part):
            parts.append(f".{part}" if parts else part)
        else:
            parts.append(f'["{part}"]')
    return "".join(parts)
