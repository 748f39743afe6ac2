"""Where a display path comes from: the project, or the definitions shipped with orchc.

Plans and diagnostics name files by display path — relative to the project root, or
`orchc:defaults/<file>` for the defaults — so they read the same on every machine. The
functions here turn one back into a real file.

>>> file_of("definitions/db.orch", Path("/srv/shop"))
PosixPath('/srv/shop/definitions/db.orch')
>>> file_of("orchc:defaults/redis.orch", Path("/srv/shop")) == defaults_dir() / "redis.orch"
True
"""

from __future__ import annotations

import functools
from importlib import resources as package_files
from pathlib import Path

DEFAULTS_PREFIX = "orchc:defaults/"


@functools.cache  # where the package is installed does not change while orchc runs
def defaults_dir() -> Path:
    return Path(str(package_files.files("orchc.defaults")))


def file_of(display: str, root: Path) -> Path:
    """The file behind a display path (a `path:line` location is accepted too)."""
    head, _, line = display.rpartition(":")
    path = head if head and line.isdigit() else display
    if path.startswith(DEFAULTS_PREFIX):
        return defaults_dir() / path[len(DEFAULTS_PREFIX) :]
    return root / path
