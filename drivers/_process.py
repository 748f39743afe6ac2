"""Running an external program for a driver: bounded in time, failures as DriverError.

The child runs in its own session (process group), so on timeout the whole group is
stopped - the program and whatever it spawned (Terraform's providers and provisioners,
a shell's children) - first politely with SIGTERM, then with SIGKILL after a grace
period. A failure raises `DriverError` with the last lines of the program's stderr,
ANSI escapes stripped and any given secret values scrubbed; the argv itself is never
quoted in a message beyond the program's name, since callers may pass data on it.

A program never outlives orchc unnoticed (it would race the next run):
- on Linux the kernel sends it SIGTERM when orchc dies, even by SIGKILL
  (`PR_SET_PDEATHSIG`, asked for by `setpriv` before it execs the program, or by a
  `preexec_fn` where setpriv is missing; SIGTERM so Terraform can still write its
  state);
- when orchc is stopped by SIGTERM, SIGINT or SIGHUP, `stop_programs_on_signals` stops
  every running program's process group (SIGTERM, then SIGKILL after the grace period)
  before orchc unwinds;
- every program carries orchc's run marker (`orchc.run_processes`), so whatever
  survives anyway (a program ignoring SIGTERM, a child of it) keeps the state lock of
  the dead run from being taken over while it lives.

>>> run = run_process(["sh", "-c", "echo out; echo err >&2"], cwd=None)
>>> run.stdout, run.stderr
(b'out\\n', b'err\\n')
>>> run_process(["sh", "-c", "echo boom >&2; exit 3"], cwd=None)
Traceback (most recent call last):
...
orchc.drivers.protocol.DriverError: sh failed (exit code 3):
  boom
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO

from orchc.drivers.protocol import DriverError
from orchc.run_processes import RUN_VARIABLE, this_run
from orchc.sensitive import redact

STDERR_TAIL_LINES = 20
TERMINATE_GRACE_SECONDS = 10.0

# CSI sequences (colours, cursor moves) and OSC sequences (titles, hyperlinks).
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


@dataclass(frozen=True, slots=True)
class CompletedRun:
    """A program that ran to completion (whatever its exit code, when `check=False`)."""

    returncode: int
    stdout: bytes
    stderr: bytes


def run_process(
    argv: Sequence[str],
    *,
    cwd: Path | None,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    check: bool = True,
    label: str | None = None,
    redact_values: Iterable[str] = (),
) -> CompletedRun:
    """Run `argv` to completion and return its exit code and output.

    `env` replaces the environment entirely when given. `label` names the program in
    messages (default: the basename of `argv[0]`). With `check`, a non-zero exit raises
    `DriverError`; a timeout, or a program that cannot be started, always does.
    """
    name = label or Path(argv[0]).name
    secrets = tuple(redact_values)
    with _memory_file("stdout") as out, _memory_file("stderr") as err:
        started = _start(argv, name, cwd=cwd, env=env, stdin=stdin is not None, output=(out, err))
        with _running(started) as process:
            try:
                process.communicate(stdin, timeout=timeout)
            except subprocess.TimeoutExpired:
                _stop_group(process)
                tail = stderr_tail(_read_all(err), secrets)
                raise DriverError(
                    f"{name} timed out after {_seconds(timeout or 0)}{tail}"
                ) from None
        stdout, stderr = _read_all(out), _read_all(err)
    if check and process.returncode != 0:
        tail = stderr_tail(stderr, secrets)
        raise DriverError(f"{name} failed ({_exit_reason(process.returncode)}){tail}")
    return CompletedRun(process.returncode, stdout, stderr)


def stderr_tail(stderr: bytes, redact_values: Iterable[str] = ()) -> str:
    """The last `STDERR_TAIL_LINES` non-blank lines of `stderr`, ANSI escapes stripped
    and secrets scrubbed, as ":" plus indented lines (or "" when there are none).

    >>> stderr_tail(b"\\x1b[31mError:\\x1b[0m bad\\n\\n  detail\\n")
    ':\\n  Error: bad\\n    detail'
    """
    text = _ANSI.sub("", stderr.decode("utf-8", errors="replace"))
    text = redact(text, redact_values)
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    if not lines:
        return ""
    return ":\n" + "\n".join(f"  {line}" for line in lines[-STDERR_TAIL_LINES:])


def _memory_file(name: str) -> BinaryIO:
    """Where a program writes its stdout or stderr: a file in memory, never on disk (it
    may hold secrets), and not a pipe: a program whose orchc died must not die of a
    broken pipe halfway (Terraform would leave its providers running and its state
    unsaved) but finish what the parent-death signal asks."""
    if hasattr(os, "memfd_create"):
        return open(os.memfd_create(f"orchc-{name}", os.MFD_CLOEXEC), "w+b")
    return tempfile.TemporaryFile()


def _read_all(file: BinaryIO) -> bytes:
    file.seek(0)
    return file.read()


def _start(
    argv: Sequence[str],
    name: str,
    *,
    cwd: Path | None,
    env: Mapping[str, str] | None,
    stdin: bool,
    output: tuple[BinaryIO, BinaryIO],
) -> subprocess.Popen[bytes]:
    environment = {**(os.environ if env is None else env), RUN_VARIABLE: this_run()}
    wrapped = _with_death_signal(argv, cwd, environment)
    try:
        return subprocess.Popen(
            wrapped or list(argv),
            cwd=cwd,
            env=environment,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=output[0],
            stderr=output[1],
            start_new_session=True,
            preexec_fn=None if wrapped else _die_with_parent(os.getpid()),  # noqa: PLW1509
        )
    except OSError as error:
        raise DriverError(f"cannot run {name}: {error.strerror or error}") from None
    except subprocess.SubprocessError as error:  # the preexec step failed in the child
        raise DriverError(f"cannot run {name}: {error}") from None


def _with_death_signal(
    argv: Sequence[str], cwd: Path | None, environment: Mapping[str, str]
) -> list[str] | None:
    """`argv` run through `setpriv --pdeathsig TERM`, which asks the kernel for the
    parent-death signal and then execs the program: the request `_die_with_parent`
    makes, without Python code between fork and exec. That matters for speed: with a
    `preexec_fn` CPython forks the whole interpreter while holding the GIL, so programs
    started by many driver threads at once queue behind each other; without one it
    uses vfork (see bench/README.md, latency).

    None (start the program directly, with `_die_with_parent`) off Linux, without
    setpriv, or when the program cannot be found: Popen then says why in its own words.
    setpriv gets the program by its resolved path, which the program sees as argv[0]."""
    setpriv = _setpriv()
    program = _resolved(argv[0], cwd, environment) if setpriv else None
    if setpriv is None or program is None:
        return None
    return [setpriv, "--pdeathsig", "TERM", "--", program, *argv[1:]]


def _resolved(program: str, cwd: Path | None, environment: Mapping[str, str]) -> str | None:
    """The executable file `program` names, as exec would find it for a child started
    in `cwd` with `environment` (a name with a slash is a path relative to `cwd`)."""
    if "/" in program:
        path = Path(program) if cwd is None else cwd / program
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which(program, path=environment.get("PATH", os.defpath))


@functools.cache
def _setpriv() -> str | None:
    if not sys.platform.startswith("linux"):
        return None
    return shutil.which("setpriv")


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """What the child runs between fork and exec: ask the kernel for SIGTERM when orchc
    dies, then check orchc did not die already (the request would come too late).

    It calls only a C function looked up beforehand and `os` functions, nothing that
    takes a lock another thread might hold at fork time, which is what makes
    `preexec_fn` unsafe in general. The signal comes when the *thread* that started the
    child ends; that thread waits for the child, so it outlives it."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = _prctl()

    def request() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(70)

    return request


@functools.cache
def _prctl() -> Any:
    return ctypes.CDLL(None, use_errno=True).prctl


# The programs running now, so a signal stopping orchc can stop them too, and whether
# one has: a program that a worker started just before the signal but recorded just
# after it is stopped as soon as it is recorded (else orchc waited for it to end).
_live: set[subprocess.Popen[bytes]] = set()
_live_mutex = threading.Lock()
_stop_requested = threading.Event()


@contextlib.contextmanager
def _running(process: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    with _live_mutex:
        _live.add(process)
        stopped = _stop_requested.is_set()
    if stopped:
        _stop_group(process)
    try:
        yield process
    finally:
        with _live_mutex:
            _live.discard(process)


def stop_running_programs(grace: float = TERMINATE_GRACE_SECONDS) -> None:
    """SIGTERM the process group of every program running now, and SIGKILL the groups
    still there after `grace` seconds (from a daemon thread: returns at once). Programs
    recorded later are stopped as they are recorded."""
    with _live_mutex:
        _stop_requested.set()
        running = list(_live)
    for process in running:
        _signal_group(process, signal.SIGTERM)
    if running:
        killer = threading.Timer(grace, _kill_groups, (running,))
        killer.daemon = True
        killer.start()


def _kill_groups(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            _signal_group(process, signal.SIGKILL)


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def stop_programs_on_signals() -> None:
    """From now on, SIGTERM, SIGINT or SIGHUP first stops the running programs, then
    stops orchc as usual (KeyboardInterrupt for SIGINT, else exit 128 + signal), so
    `finally` blocks run: the run is recorded as aborted and the lock released. Call it
    from the main thread; a second signal only hurries the programs along."""
    for signum in _STOP_SIGNALS:
        signal.signal(signum, _on_stop_signal)


def _on_stop_signal(signum: int, frame: FrameType | None) -> None:
    for again in _STOP_SIGNALS:
        signal.signal(again, _on_repeated_signal)
    stop_running_programs()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise SystemExit(128 + signum)


def _on_repeated_signal(signum: int, frame: FrameType | None) -> None:
    stop_running_programs(grace=0)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, and SIGKILL it if it lingers."""
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=TERMINATE_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        process.wait()


def _signal_group(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group is already gone
        os.killpg(process.pid, signum)


def _exit_reason(returncode: int) -> str:
    if returncode >= 0:
        return f"exit code {returncode}"
    try:
        return f"killed by {signal.Signals(-returncode).name}"
    except ValueError:
        return f"killed by signal {-returncode}"


def _seconds(timeout: float) -> str:
    """
    >>> _seconds(300), _seconds(2.7182)
    ('300s', '2.7s')
    """
    return f"{timeout:.0f}s" if timeout == int(timeout) else f"{timeout:.1f}s"
