"""Running an external program for a driver: bounded in time, failures as DriverError.

The child runs in its own session (process group), so on timeout the whole group is
stopped - the program and whatever it spawned (Terraform's providers and provisioners,
a shell's children) - first politely with SIGTERM, then with SIGKILL after a grace
period. A failure raises `DriverError` with the last lines of the program's stderr,
ANSI escapes stripped and any given secret values scrubbed; the argv itself is never
quoted in a message beyond the program's name, since callers may pass data on it.

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
import os
import re
import signal
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from orchc.drivers.protocol import DriverError
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
    process = _start(argv, name, cwd=cwd, env=env, stdin=stdin is not None)
    try:
        stdout, stderr = process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _, stderr = _stop_group(process)
        tail = stderr_tail(stderr, secrets)
        raise DriverError(f"{name} timed out after {_seconds(timeout or 0)}{tail}") from None
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


def _start(
    argv: Sequence[str],
    name: str,
    *,
    cwd: Path | None,
    env: Mapping[str, str] | None,
    stdin: bool,
) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=None if env is None else dict(env),
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as error:
        raise DriverError(f"cannot run {name}: {error.strerror or error}") from None


def _stop_group(process: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """SIGTERM the process group, SIGKILL it if it lingers, and collect what it wrote."""
    _signal_group(process, signal.SIGTERM)
    try:
        return process.communicate(timeout=TERMINATE_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
    try:
        return process.communicate(timeout=TERMINATE_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        # A grandchild that left the group still holds the pipes; the program itself
        # is dead, so stop waiting for its output.
        process.kill()
        process.wait()
        return b"", b""


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
