"""The installed packages' entry points, read once per process: the driver registry
(`orchc.drivers`) and the state backends (`orchc.state`) both look up their plugins
here. Reading them opens every installed distribution's metadata, which costs a plan
a few milliseconds each time (issue 16). Like `orchc/files.py`, it imports nothing from
orchc: every layer may use it.

>>> sorted(e.name for e in registered("orchc.state"))
['postgres', 'postgresql', 'sqlite']
"""

from __future__ import annotations

import functools
from importlib.metadata import EntryPoints, entry_points
from typing import Protocol


class _Groups(Protocol):
    """What `entry_points()` returns: a SelectableGroups on Python 3.11, EntryPoints
    from 3.12; either selects a group without reading the metadata again."""

    def select(self, *, group: str) -> EntryPoints: ...


def registered(group: str) -> EntryPoints:
    """The entry points of `group` in every installed distribution."""
    return _installed().select(group=group)


@functools.cache
def _installed() -> _Groups:
    return entry_points()
