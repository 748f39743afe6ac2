"""The per-user cache folder: what orchc keeps between runs to start faster (Lark's
parser tables, the shipped defaults' program). Never a shared temp dir: these files
are pickles, and loading a pickle runs code, so only the user may write the folder.
Like `orchc/files.py`, it imports nothing from orchc: every layer may use it.

>>> cache_folder().name
'orchc'
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_folder() -> Path | None:
    """`$XDG_CACHE_HOME/orchc` (by default `~/.cache/orchc`), made if missing; None
    when it cannot be made (the caller then works without a cache)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folder = Path(base) / "orchc"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return folder
