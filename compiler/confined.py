"""Reading files named by untrusted text (a Score file's `files[].source`, `file()` in a
definition): confined to a directory, regular files only, with a size bound.

Invariants (docs/security.md):

- The path is relative, has no NUL byte, and once every symlink is resolved it is inside
  the confining directory: `../` and a symlink pointing out are refused alike.
- Only a regular file is read: a FIFO, a device (`/dev/zero`) or a directory is refused
  before a byte is read; the file is opened non-blocking, so a FIFO cannot hang the run.
- At most `limit` bytes are read (`MAX_FILE_BYTES` by default); a larger file is refused
  whatever its size claims to be (`/proc` files report 0).

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "a.txt").write_text("hi")
>>> read_confined(folder, "a.txt", folder)
b'hi'
>>> read_confined(folder, "../etc/passwd", folder)
Traceback (most recent call last):
...
orchc.compiler.confined.ConfinementError: the path leads outside the project directory
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath

MAX_FILE_BYTES = 1024 * 1024
"""The largest file `source` or `file()` reads (1 MiB, a Kubernetes ConfigMap's limit)."""

_CHUNK = 64 * 1024


class ConfinementError(Exception):
    """Why a path was refused or could not be read; the message names no content."""


def confining_dir(file: Path, root: Path) -> Path:
    """The directory a file's references are confined to: the project root when `file`
    is inside it, else the directory of `file` itself (a Score file named on the command
    line from elsewhere, the definitions shipped with orchc)."""
    resolved_root = root.resolve()
    parent = file.resolve().parent
    return resolved_root if parent.is_relative_to(resolved_root) else parent


def path_problem(relative: str) -> str | None:
    """Why `relative` cannot name a file under a directory, or None.

    >>> path_problem("/etc/passwd")
    'the path must be relative, not absolute'
    >>> path_problem("a\\x00b")
    'the path contains a NUL byte'
    """
    if not relative:
        return "the path is empty"
    if "\0" in relative:
        return "the path contains a NUL byte"
    if PurePosixPath(relative).is_absolute() or PureWindowsPath(relative).is_absolute():
        return "the path must be relative, not absolute"
    return None


def read_confined(base: Path, relative: str, confine: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of `base/relative`, which must resolve inside `confine`."""
    problem = path_problem(relative)
    if problem is not None:
        raise ConfinementError(problem)
    try:
        resolved = (base / relative).resolve()
    except (OSError, RuntimeError):  # a symlink loop
        raise ConfinementError("the path cannot be resolved (a symlink loop?)") from None
    if not resolved.is_relative_to(confine.resolve()):
        raise ConfinementError("the path leads outside the project directory")
    return _read_regular(resolved, limit)


def _read_regular(path: Path, limit: int) -> bytes:
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise ConfinementError(error.strerror or type(error).__name__) from None
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise ConfinementError(os.strerror(errno.EISDIR))
        if not stat.S_ISREG(mode):
            raise ConfinementError("it is not a regular file (a device, FIFO or socket)")
        return _read_bounded(descriptor, limit)
    finally:
        os.close(descriptor)


def _read_bounded(descriptor: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        try:
            chunk = os.read(descriptor, min(_CHUNK, limit + 1 - total))
        except OSError as error:
            raise ConfinementError(f"cannot read: {error.strerror}") from None
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise ConfinementError(f"the file is larger than the limit of {limit} bytes")
