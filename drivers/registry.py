"""The driver registry: driver names to driver objects, found through entry points.

Built-in drivers and third-party plugins are registered the same way, in the
`orchc.drivers` entry-point group, so this module is the only place that knows where a
driver lives. Discovery reads package metadata only (cached once per process, since it
runs on every `orchc plan`); a driver's module is imported the first time the driver is
asked for, so `names()` never imports psycopg or any other client library, and a plugin
that fails to import breaks only the resources that use it. Each driver is created once
per registry and shared: drivers keep no per-resource state in the object.

>>> from orchc.drivers.static import StaticDriver
>>> registry = DriverRegistry.from_mapping({"static": StaticDriver})
>>> registry.names()
('static',)
>>> registry.get("static") is registry.get("static")
True
>>> try:
...     registry.get("statik")
... except KeyError as error:
...     print(error)
unknown driver 'statik'; did you mean 'static'?
"""

from __future__ import annotations

import difflib
import functools
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint
from typing import TYPE_CHECKING

from orchc.drivers.declarations import BUILT_IN, DriverDeclaration
from orchc.plugins import registered

if TYPE_CHECKING:
    # Imported where a driver is loaded: planning never loads one, and the protocol's
    # pydantic models cost start-up time (issue 16).
    from orchc.drivers.protocol import Driver

ENTRY_POINT_GROUP = "orchc.drivers"
_BUILT_IN_PREFIX = "orchc.drivers."


class UnknownDriverError(KeyError):
    """A definition names a driver that no installed package registers. A `KeyError`
    so callers may treat the registry like a mapping; `str()` is the full sentence."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        super().__init__(name)
        self.name = name
        self.known = tuple(sorted(known))

    def __str__(self) -> str:
        message = f"unknown driver {self.name!r}"
        close = difflib.get_close_matches(self.name, self.known, n=1)
        if close:
            return f"{message}; did you mean {close[0]!r}?"
        return f"{message} (installed drivers: {', '.join(self.known) or 'none'})"


class DriverLoadError(Exception):
    """A registered driver could not be made: its module failed to import, creating it
    raised, or what its entry point names is not a driver."""


@dataclass(frozen=True, slots=True)
class DriverEntry:
    """One registered driver, not yet loaded. `origin` is what the registration points
    at (e.g. `orchc.drivers.static:StaticDriver`), quoted in errors; `load` returns the
    driver class (or a ready driver object). `registered_twice`: the name has two
    targets (`origin` names both), and `load` refuses it."""

    name: str
    origin: str
    load: Callable[[], object]
    registered_twice: bool = False

    @classmethod
    def from_entry_point(cls, entry_point: EntryPoint) -> DriverEntry:
        return cls(entry_point.name, entry_point.value, entry_point.load)

    @classmethod
    def from_object(cls, name: str, obj: object) -> DriverEntry:
        """An entry for a driver given directly: an `EntryPoint`, a class or an object."""
        if isinstance(obj, EntryPoint):
            return cls.from_entry_point(obj)
        target = obj if isinstance(obj, type) else type(obj)
        return cls(name, f"{target.__module__}:{target.__qualname__}", lambda: obj)


class DriverRegistry:
    """Driver names to drivers, loading each on first use. Safe to share between the
    executor's threads: a driver is created at most once."""

    def __init__(self, entries: Iterable[DriverEntry]) -> None:
        self._entries = {entry.name: entry for entry in entries}
        self._drivers: dict[str, Driver] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_entry_points(cls, found: Iterable[EntryPoint]) -> DriverRegistry:
        """A registry of the given entry points. A name registered twice with different
        targets fails when it is used (naming both), not when another driver is."""
        by_name: dict[str, set[str]] = {}
        unique: dict[str, EntryPoint] = {}
        for entry_point in found:
            by_name.setdefault(entry_point.name, set()).add(entry_point.value)
            unique.setdefault(entry_point.name, entry_point)
        return cls(
            _conflict(name, by_name[name])
            if len(by_name[name]) > 1
            else DriverEntry.from_entry_point(entry_point)
            for name, entry_point in unique.items()
        )

    @classmethod
    def from_mapping(cls, drivers: Mapping[str, object]) -> DriverRegistry:
        """A registry of explicit drivers (for tests and embedding): each value is a
        driver class, a driver object, or an `EntryPoint`."""
        return cls(DriverEntry.from_object(name, obj) for name, obj in drivers.items())

    def names(self) -> tuple[str, ...]:
        """Every registered driver name, sorted; imports nothing."""
        return tuple(sorted(self._entries))

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def get(self, name: str) -> Driver:
        """The driver registered as `name`, loaded and created on first use."""
        with self._lock:
            driver = self._drivers.get(name)
            if driver is None:
                driver = self._drivers[name] = _load(self._entry(name))
            return driver

    def replace_inputs(self, name: str) -> frozenset[str]:
        """The inputs whose change makes the driver replace a resource, not update it."""
        return self.get(name).replace_inputs

    def declaration(self, name: str) -> DriverDeclaration | None:
        """What a built-in driver declares about its inputs and outputs (no import of
        the driver); None for a plugin, or a name registered elsewhere too (it must still
        fail where it is used)."""
        entry = self._entries.get(name)
        if entry is None or entry.registered_twice:
            return None
        return BUILT_IN.get(name) if entry.origin.startswith(_BUILT_IN_PREFIX) else None

    def code_inputs(self, name: str) -> frozenset[str]:
        """The inputs the driver runs as code (templates): the compiler refuses
        placeholders in them. Optional for plugins (`code_inputs`, default none). A
        built-in driver's come from its declaration, without importing it."""
        declared = self.declaration(name)
        if declared is not None:
            return frozenset(declared.template_inputs)
        found: object = getattr(self.get(name), "code_inputs", frozenset())
        return found if isinstance(found, frozenset) else frozenset()

    def is_target(self, name: str) -> bool:
        """Whether the driver can deploy workloads (the `target` resource needs one); a
        built-in driver's declaration says, without importing it."""
        declared = self.declaration(name)
        if declared is not None:
            return declared.target
        from orchc.drivers.protocol import Target

        return isinstance(self.get(name), Target)

    def _entry(self, name: str) -> DriverEntry:
        entry = self._entries.get(name)
        if entry is None:
            raise UnknownDriverError(name, self._entries)
        return entry


@functools.cache
def default_registry() -> DriverRegistry:
    """The registry of every installed driver, discovered once per process."""
    return DriverRegistry.from_entry_points(registered(ENTRY_POINT_GROUP))


def _load(entry: DriverEntry) -> Driver:
    from orchc.drivers.protocol import Driver

    try:
        loaded = entry.load()
    except DriverLoadError:
        raise
    except Exception as exc:  # a plugin's import may raise anything; it is its own bug
        raise _load_error(entry, f"failed to import: {type(exc).__name__}: {exc}") from exc
    try:
        driver = loaded() if isinstance(loaded, type) else loaded
    except Exception as exc:
        raise _load_error(entry, f"could not be created: {type(exc).__name__}: {exc}") from exc
    if not isinstance(driver, Driver) or not isinstance(driver.replace_inputs, frozenset):
        raise _load_error(
            entry, "is not a driver: it needs `replace_inputs` (a frozenset), `create` and `delete`"
        )
    return driver


def _load_error(entry: DriverEntry, problem: str) -> DriverLoadError:
    return DriverLoadError(f"driver plugin {entry.name!r} ({entry.origin}) {problem}")


def _conflict(name: str, origins: set[str]) -> DriverEntry:
    listed = " and ".join(sorted(origins))

    def refuse() -> object:
        raise DriverLoadError(f"driver {name!r} is registered twice: by {listed}")

    return DriverEntry(name, listed, refuse, registered_twice=True)
