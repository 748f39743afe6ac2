"""Writing a file whole or not at all: the one atomic writer.

Used for the user's files (`orchc plan --out`, `orchc fmt`) and for what targets write
(`drivers/targets/output_dir.py`). It imports nothing from orchc, so every layer may
import it: it is a leaf, like `orchc/sensitive.py`.

>>> import tempfile
>>> plan = Path(tempfile.mkdtemp()) / "a" / "plan.json"
>>> write_atomically(plan, "{}\\n")
>>> plan.read_text(), oct(plan.stat().st_mode & 0o777)
('{}\\n', '0o644')
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes | str, mode: int = 0o644) -> None:
    """Write `data` (text is UTF-8) to a temporary file beside `path`, then rename it
    over `path`: a reader never sees half a file, and an interrupted write never leaves
    a truncated one. The file gets exactly `mode`; a file that already has these bytes
    and this mode is left alone (bind mounts and file watchers see no change)."""
    content = data.encode("utf-8") if isinstance(data, str) else data
    if _unchanged(path, content, mode):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600, so secret bytes are never readable by others.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fchmod(stream.fileno(), mode)
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _unchanged(path: Path, content: bytes, mode: int) -> bool:
    try:
        same_mode = (path.stat().st_mode & 0o7777) == mode
        return same_mode and path.is_file() and path.read_bytes() == content
    except FileNotFoundError:
        return False
