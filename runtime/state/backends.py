"""State backends by URL scheme: the scheme table and the `orchc.state` entry points.

A backend opens the stores of one URL scheme (`sqlite`, `postgresql`, a plugin's `s3`).
The built-ins are in `BUILTIN_BACKENDS` and, like third-party backends, declared in the
`orchc.state` entry-point group, so a package adds a scheme without editing orchc:

    [project.entry-points."orchc.state"]
    s3 = "orchc_s3.state:S3Backend"

A backend's module is imported the first time its scheme is used, so a SQLite run never
loads psycopg. A scheme registered twice with different targets fails when it is used,
naming both; an unknown scheme is a `StateUrlError` that lists the known ones.

>>> from orchc.runtime.state.sqlite import SqliteBackend
>>> backends = StateBackends.from_mapping({"sqlite": SqliteBackend})
>>> backends.schemes()
('sqlite',)
>>> try:
...     backends.backend("s3://bucket/state")
... except StateUrlError as error:
...     print(error)  # doctest: +ELLIPSIS
unsupported state URL 's3://bucket/state' (known schemes: sqlite): expected sqlite:///...
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Protocol, runtime_checkable

from orchc.plugins import registered

from .contract import StateStore
from .errors import StateStoreError, StateUrlError
from .url import EXPECTED_URLS, redact_url

ENTRY_POINT_GROUP = "orchc.state"

# The built-in schemes; pyproject.toml declares the same targets as entry points.
BUILTIN_BACKENDS: Mapping[str, str] = {
    "sqlite": "orchc.runtime.state.sqlite:SqliteBackend",
    "postgresql": "orchc.runtime.state.postgres:PostgresBackend",
    "postgres": "orchc.runtime.state.postgres:PostgresBackend",
}


@runtime_checkable
class StateBackend(Protocol):
    """Opens the stores of one URL scheme. Errors are `StateStoreError`s whose message
    never contains a password."""

    def open(self, url: str, project_root: Path) -> StateStore:
        """Open (creating if needed) the store `url` names; a relative location is
        relative to `project_root`."""
        ...

    def exists(self, url: str, project_root: Path) -> bool:
        """Whether the store is there already (commands that only read must not create
        it); a backend that cannot tell says True."""
        ...

    def location(self, url: str, project_root: Path) -> str:
        """Where the store is, for messages (no password)."""
        ...


@dataclass(frozen=True, slots=True)
class BackendEntry:
    """One registered scheme, not yet loaded: `origin` (`module:attribute`) is quoted in
    errors, `load` returns the backend class or object."""

    scheme: str
    origin: str
    load: Callable[[], object]

    @classmethod
    def from_object(cls, scheme: str, obj: object) -> BackendEntry:
        if isinstance(obj, EntryPoint):
            return cls(scheme, obj.value, obj.load)
        if isinstance(obj, str):
            entry_point = EntryPoint(scheme, obj, ENTRY_POINT_GROUP)
            return cls(scheme, obj, entry_point.load)
        target = obj if isinstance(obj, type) else type(obj)
        return cls(scheme, f"{target.__module__}:{target.__qualname__}", lambda: obj)


class StateBackends:
    """URL schemes to backends, each loaded on first use; safe to share between threads."""

    def __init__(self, entries: Iterable[BackendEntry]) -> None:
        self._entries = {entry.scheme: entry for entry in entries}
        self._loaded: dict[str, StateBackend] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_mapping(cls, backends: Mapping[str, object]) -> StateBackends:
        """Explicit backends (for tests and embedding): each value is a backend class, a
        backend object, an `EntryPoint` or a `module:attribute` string."""
        return cls(BackendEntry.from_object(scheme, obj) for scheme, obj in backends.items())

    @classmethod
    def from_entry_points(cls, found: Iterable[EntryPoint]) -> StateBackends:
        """The built-ins plus the given entry points."""
        origins: dict[str, set[str]] = {s: {o} for s, o in BUILTIN_BACKENDS.items()}
        for entry_point in found:
            origins.setdefault(entry_point.name.lower(), set()).add(entry_point.value)
        return cls(_entry(scheme, sorted(targets)) for scheme, targets in origins.items())

    def schemes(self) -> tuple[str, ...]:
        return tuple(sorted(self._entries))

    def backend(self, url: str) -> StateBackend:
        """The backend of `url`'s scheme, or `StateUrlError` listing the known schemes."""
        scheme = url.partition(":")[0].lower()
        entry = self._entries.get(scheme)
        if entry is None or ":" not in url:
            known = ", ".join(self.schemes()) or "none"
            raise StateUrlError(
                f"unsupported state URL '{redact_url(url)}' (known schemes: {known}): "
                f"{EXPECTED_URLS}"
            )
        with self._lock:
            if scheme not in self._loaded:
                self._loaded[scheme] = _load(entry)
            return self._loaded[scheme]

    def open(self, url: str, project_root: Path) -> StateStore:
        return self.backend(url).open(url, project_root)


@functools.cache
def default_backends() -> StateBackends:
    """The built-in backends and every installed plugin's, discovered once per process."""
    return StateBackends.from_entry_points(registered(ENTRY_POINT_GROUP))


def _entry(scheme: str, origins: list[str]) -> BackendEntry:
    if len(origins) == 1:
        return BackendEntry.from_object(scheme, origins[0])
    listed = " and ".join(origins)

    def refuse() -> object:
        raise StateStoreError(f"state URL scheme '{scheme}' is registered twice: by {listed}")

    return BackendEntry(scheme, listed, refuse)


def _load(entry: BackendEntry) -> StateBackend:
    try:
        loaded = entry.load()
        backend = loaded() if isinstance(loaded, type) else loaded
    except StateStoreError:
        raise
    except Exception as exc:  # a plugin's import may raise anything; it is its own bug
        raise StateStoreError(
            f"state backend '{entry.scheme}' ({entry.origin}) failed to load: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(backend, StateBackend):
        raise StateStoreError(
            f"state backend '{entry.scheme}' ({entry.origin}) is not a backend: "
            "it needs `open`, `exists` and `location`"
        )
    return backend
