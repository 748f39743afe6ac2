"""Who holds a state lock, and whether that process still exists.

A lock row names its holder by host, pid and a *process token*: the boot id and the
process start time read from `/proc`. A pid alone is not an identity, because pids are
reused; (boot id, start time) is, so a lock left by a process that died is recognised
even when a new process got the same pid. Liveness can only be judged on the holder's
own host: a lock held from another host is always considered alive.

A holder that is gone may have left programs running (a driver's program that ignored
the signal sent when orchc died, or its own children): they carry the holder's run
marker (`orchc.run_processes`), and while any of them lives the lock is not taken over,
since a new run would race them (`orphans`).

>>> holder = this_process("apply")
>>> holder.pid == os.getpid(), holder.host == socket.gethostname()
(True, True)
>>> process_is_gone(holder.host, holder.pid, holder.token)
False
"""

from __future__ import annotations

import functools
import os
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from orchc.run_processes import (
    DEAD_STATES,
    STATE_INDEX,
    RunProcess,
    process_token,
    run_marker,
    run_processes,
    stat_fields,
    token_of,
)

from .contract import LockHolder

_PROC = Path("/proc")


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
    return _utc_text(int(time.time()))


@functools.lru_cache(maxsize=1)
def _utc_text(second: int) -> str:
    """Formatted once a second: every state write stamps its row (strftime was 5 % of
    an apply of static resources)."""
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def this_process(operation: str) -> ProcessIdentity:
    """The identity this process writes into a lock it takes."""
    pid = os.getpid()
    holder = LockHolder(host=socket.gethostname(), pid=pid, since=utc_now(), operation=operation)
    return ProcessIdentity(holder, process_token(pid) or "")


def process_is_gone(host: str, pid: int, token: str) -> bool:
    """True only when we can be sure the holder process no longer exists: it ran on this
    host and its pid is free, a zombie, or now belongs to a process started later."""
    if host != socket.gethostname():
        return False
    if not _PROC.is_dir():
        return not _pid_exists(pid)
    fields = stat_fields(pid)
    if fields is None or fields[STATE_INDEX] in DEAD_STATES:
        return True
    return bool(token) and token != token_of(fields)


def orphans(host: str, pid: int, token: str) -> tuple[RunProcess, ...]:
    """The live processes that the holder (host, pid, token) started, as far as this host
    can see (none for a holder on another host)."""
    if host != socket.gethostname():
        return ()
    return run_processes(run_marker(pid, token))


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it just belongs to someone else
    return True
