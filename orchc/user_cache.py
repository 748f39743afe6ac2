"""The per-user cache folder: what orchc keeps between runs to start faster (Lark's
parser tables, the shipped defaults' program). Never a shared temp dir: these files
are pickles, and loading a pickle runs code, so only the user may write the folder.
Like `orchc/files.py`, it imports nothing from orchc: every layer may use it.

>>> cache_folder().name
'orchc'
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def cache_folder() -> Path | None:
    """`$XDG_CACHE_HOME/orchc` (by default `~/.cache/orchc`), made if missing; None
    when it cannot be made, or when it is not a folder only the user may write (one
    another user owns, or group- or world-writable: a `XDG_CACHE_HOME` in a shared
    place), so that no one else's pickle is ever loaded. The caller then works
    without a cache."""
    try:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = Path(base) / "orchc"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        status = folder.stat()
    except (OSError, RuntimeError):  # RuntimeError: no home folder to be found
        return None
    if not _only_the_users(status):
        return None
    return folder


def _only_the_users(status: os.stat_result) -> bool:
    return (
        stat.S_ISDIR(status.st_mode)
        and status.st_uid == os.getuid()
        and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )
