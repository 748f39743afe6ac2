"""Built programs kept between runs: parsing and building the definitions (the shipped
defaults, and the project's while they do not change) is the same work every run, and
with the parser's import it was about a tenth of a one-workload plan.

A program built from a set of .orch files is pickled into the per-user cache folder
(`orchc/user_cache.py`). Its file is named by a digest of everything the program is
made from: its tier, the folder its files are read against, the files' display paths
and texts, the Python version, and the code that parses and builds them, that is the
size and modification time of every module of `grammar/` and `compiler/` (and the
grammar file), so an edited checkout never reads what an older compiler built. Only a
program built without any diagnostic is kept (so warnings are reported every run), and
only one that reads no other file (`file()`: its text could change while the
definitions do not) and writes no secret literally (the cache is no place for a copy of
a password; `env()` secrets are only names). A cache file that cannot be read or does
not hold a program is ignored and rewritten. When one is written, those not written for
a week and all but the newest `MOST_KEPT` are removed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from orchc import __version__
from orchc.files import write_atomically
from orchc.grammar.source import SourceFile
from orchc.user_cache import cache_folder

from . import ir

# The packages whose code turns the text of a definition into its `ir` (grammar <- compiler).
_BUILDING_PACKAGES = ("grammar", "compiler")
STALE_AFTER_SECONDS = 7 * 24 * 3600
MOST_KEPT = 64


class ProgramCache:
    """The cache file of the program of `files` (display paths against `folder`)."""

    def __init__(self, files: Sequence[SourceFile], folder: Path, tier: ir.Tier) -> None:
        self.file = _cache_file(files, folder, tier)

    def load(self) -> ir.Program | None:
        """The program kept for these files, if any."""
        if self.file is None:
            return None
        try:
            program = pickle.loads(self.file.read_bytes())
        except Exception:  # missing or damaged: built again and rewritten
            return None
        return program if isinstance(program, ir.Program) else None

    def store(self, program: ir.Program) -> None:
        """Keep `program` for the next run, unless it reads other files or holds a
        secret; a cache that cannot be written only costs time."""
        if self.file is None or program.reads_files() or program.has_literal_secrets():
            return
        with contextlib.suppress(OSError):
            write_atomically(self.file, pickle.dumps(program, pickle.HIGHEST_PROTOCOL), 0o600)
            _remove_stale(self.file.parent)


def _cache_file(files: Sequence[SourceFile], folder: Path, tier: ir.Tier) -> Path | None:
    cache = cache_folder()
    if cache is None:
        return None
    digest = hashlib.sha256(f"{__version__}\0{sys.version}\0{tier.name}\0{folder}\0".encode())
    for source in files:
        digest.update(f"{source.path}\0{len(source.text)}\0{source.text}\0".encode())
    digest.update(_building_code())
    return cache / f"program-{digest.hexdigest()[:24]}.pickle"


def _remove_stale(cache: Path) -> None:
    week_ago = time.time() - STALE_AFTER_SECONDS
    kept = sorted(((p.stat().st_mtime, p) for p in cache.glob("*.pickle")), reverse=True)
    for index, (modified, path) in enumerate(kept):
        if index >= MOST_KEPT or modified < week_ago:
            path.unlink(missing_ok=True)


@functools.cache
def _building_code() -> bytes:
    """Path, size and modification time of each module of the building packages, read
    once per process (a plan names two programs: the defaults' and the project's)."""
    package = Path(__file__).parent.parent  # the orchc package
    found = []
    for name in _BUILDING_PACKAGES:
        for directory, subdirectories, names in os.walk(package / name, followlinks=True):
            subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
            for file_name in sorted(names):
                if file_name.endswith((".py", ".lark")):
                    path = os.path.join(directory, file_name)
                    status = os.stat(path)
                    found.append(f"{path}\0{status.st_size}\0{status.st_mtime_ns}\0")
    return "".join(found).encode()
