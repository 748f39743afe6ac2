"""The processes of one orchc run: how they are marked, and finding those still alive.

Every program orchc starts for a driver (a `cmd` program, Terraform and its providers)
carries `ORCHC_RUN=<pid>/<token>` in its environment, naming the orchc process that
started it: its pid and its *process token* (boot id and start time, read from `/proc`;
a pid alone is not an identity because pids are reused). Children inherit the variable,
so a program's own helpers carry it too, even those that left its process group.

A state lock names its holder by the same pid and token, so after the holder died the
next run can see whether anything the holder started still runs (an orphan that would
race it) before it takes the lock over: `run_processes`. Only this host's processes can
be seen, and only those of our own user (others' environments are unreadable).

>>> marker = run_marker(os.getpid(), process_token(os.getpid()) or "")
>>> marker.startswith(f"{os.getpid()}/")
True
>>> run_processes(marker)  # this process does not carry its own marker
()
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

RUN_VARIABLE = "ORCHC_RUN"

_PROC = Path("/proc")
_BOOT_ID = _PROC / "sys" / "kernel" / "random" / "boot_id"
# In /proc/<pid>/stat the fields after "pid (comm)" start at field 3 (state); the start
# time is field 22, so index 19 once the first two fields are cut off.
STATE_INDEX = 0
_STARTTIME_INDEX = 19
DEAD_STATES = frozenset({"Z", "X", "x"})  # zombie or dead: exited, not yet reaped


@dataclass(frozen=True, order=True)
class RunProcess:
    """A live process that carries a run's marker."""

    pid: int
    name: str  # the command name from /proc/<pid>/stat

    def __str__(self) -> str:
        return f"{self.pid} ({self.name})"


def run_marker(pid: int, token: str) -> str:
    """The value of `RUN_VARIABLE` in the programs started by the process (pid, token)."""
    return f"{pid}/{token}"


def this_run() -> str:
    """The marker of the programs this process starts (read from /proc once per process,
    not at every program start; a forked child has its own)."""
    return _marker_of(os.getpid())


@functools.cache
def _marker_of(pid: int) -> str:
    return run_marker(pid, process_token(pid) or "")


def run_processes(marker: str) -> tuple[RunProcess, ...]:
    """Every live process of this host (readable by us) whose environment carries
    `RUN_VARIABLE=marker`, by pid."""
    wanted = f"{RUN_VARIABLE}={marker}".encode()
    found = []
    for pid in _pids():
        if wanted in _environment(pid):
            fields = stat_fields(pid)
            if fields is not None and fields[STATE_INDEX] not in DEAD_STATES:
                found.append(RunProcess(pid, _command_name(pid)))
    return tuple(sorted(found))


def run_is_alive(marker: str) -> bool:
    """Whether the process a marker names still runs (False for a malformed marker).

    >>> run_is_alive(this_run()), run_is_alive("1/not-a-token"), run_is_alive("x")
    (True, False, False)
    """
    pid, _, token = marker.partition("/")
    fields = stat_fields(int(pid)) if pid.isdigit() else None
    if fields is None or fields[STATE_INDEX] in DEAD_STATES:
        return False
    return token == token_of(fields)


def process_token(pid: int) -> str | None:
    """`<boot id>/<start time>` of a running process, or None when it cannot be read
    (no such process, or no /proc on this system)."""
    fields = stat_fields(pid)
    return None if fields is None else token_of(fields)


def token_of(fields: list[str]) -> str:
    """The process token from `stat_fields`."""
    return f"{boot_id()}/{fields[_STARTTIME_INDEX]}"


def stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name, or None (no such process)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:  # no such process (or it vanished while we read)
        return None
    # The command name is in parentheses and may itself contain spaces or ')'.
    return stat[stat.rindex(")") + 2 :].split()


def boot_id() -> str:
    try:
        return _BOOT_ID.read_text().strip()
    except OSError:
        return "unknown-boot"


def _pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir(_PROC) if name.isdigit()]
    except OSError:  # no /proc: nothing can be seen
        return []


def _environment(pid: int) -> list[bytes]:
    try:
        return (_PROC / str(pid) / "environ").read_bytes().split(b"\0")
    except OSError:  # gone, or another user's process
        return []


def _command_name(pid: int) -> str:
    try:
        return (_PROC / str(pid) / "comm").read_text().strip()
    except OSError:
        return "?"
