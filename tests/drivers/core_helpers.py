"""Helpers for the tests of the core drivers (registry, static, template, cmd).

Fixtures shared by every driver test (`make_request`, `journal`) live in `conftest.py`;
this module holds plain values and functions the core driver tests import.
"""

from __future__ import annotations

import time
from pathlib import Path

PROGRAMS = Path(__file__).resolve().parent / "cmd_programs"
"""The small programs the `cmd` driver tests run; used as the definition's directory."""

BUILTIN_DRIVERS = {
    "cmd": False,
    "compose": True,
    "kubernetes-manifests": True,
    "mysql": False,
    "postgres": False,
    "redis": False,
    "static": False,
    "template": False,
    "terraform": False,
}
"""Every driver orchc ships, and whether it is a target."""


def process_exits(pid: int, patience: float = 10.0) -> bool:
    """Whether `pid` exits (is gone, or a zombie awaiting its reaper) within `patience`
    seconds. A killed process closes its pipes a moment before the kernel marks it a
    zombie, so a caller that saw the pipes close may still briefly see it running."""
    deadline = time.monotonic() + patience
    while not _has_exited(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _has_exited(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rpartition(")")[2].split()[0] in {"Z", "X"}
