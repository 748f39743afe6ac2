"""Who holds a state lock, and whether that process still exists.

A lock row names its holder by host, pid and a *process token*: the boot id and the
process start time read from `/proc`. A pid alone is not an identity, because pids are
reused; (boot id, start time) is, so a lock left by a process that died is recognised
even when a new process got the same pid. Liveness can only be judged on the holder's
own host: a lock held from another host is always considered alive.

>>> holder = this_process("apply")
>>> holder.pid == os.getpid(), holder.host == socket.gethostname()
(True, True)
>>> process_is_gone(holder.host, holder.pid, holder.token)
False
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .contract import LockHolder

_PROC = Path("/proc")
_BOOT_ID = _PROC / "sys" / "kernel" / "random" / "boot_id"
# In /proc/<pid>/stat the fields after "pid (comm)" start at field 3 (state); the start
# time is field 22, so index 19 once the first two fields are cut off.
_STATE_INDEX = 0
_STARTTIME_INDEX = 19
_DEAD_STATES = frozenset({"Z", "X", "x"})  # zombie or dead: exited, not yet reaped


@dataclass(frozen=True)
class ProcessIdentity:
    """A lock holder as the lock table stores it: `LockHolder` plus the process token."""

    holder: LockHolder
    token: str

    @property
    def host(self) -> str:
        return self.holder.host

    @property
    def pid(self) -> int:
        return self.holder.pid


def utc_now() -> str:
    """The current time as ISO 8601 UTC with second precision, e.g. `2024-05-01T12:00:00Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def this_process(operation: str) -> ProcessIdentity:
    """The identity this process writes into a lock it takes."""
    pid = os.getpid()
    holder = LockHolder(host=socket.gethostname(), pid=pid, since=utc_now(), operation=operation)
    return ProcessIdentity(holder, process_token(pid) or "")


def process_token(pid: int) -> str | None:
    """`<boot id>/<start time>` of a running process, or None when it cannot be read
    (no such process, or no /proc on this system)."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return f"{_boot_id()}/{fields[_STARTTIME_INDEX]}"


def process_is_gone(host: str, pid: int, token: str) -> bool:
    """True only when we can be sure the holder process no longer exists: it ran on this
    host and its pid is free, a zombie, or now belongs to a process started later."""
    if host != socket.gethostname():
        return False
    if not _PROC.is_dir():
        return not _pid_exists(pid)
    fields = _stat_fields(pid)
    if fields is None or fields[_STATE_INDEX] in _DEAD_STATES:
        return True
    return bool(token) and token != f"{_boot_id()}/{fields[_STARTTIME_INDEX]}"


def _stat_fields(pid: int) -> list[str] | None:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:  # no such process (or it vanished while we read)
        return None
    # The command name is in parentheses and may itself contain spaces or ')'.
    return stat[stat.rindex(")") + 2 :].split()


def _boot_id() -> str:
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        return "unknown-boot"


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it just belongs to someone else
    return True
