"""The files a target owns under one directory, written atomically and kept current.

A target renders its whole output as a mapping of relative path -> `OutputFile` and
calls `OutputDir.sync`. Invariants:

- Everything is written inside the project directory (resolved, symlinks included).
- Every file is written atomically (`orchc.files.write_atomically`: a temporary file
  in the same directory, then a rename) with its exact mode, so a reader never sees
  half a manifest and a secret file is never readable by others, not even for a moment.
- The index file (JSON, in the directory) lists what orchc wrote. A file that is no
  longer produced is removed; a file orchc did not write is never removed nor
  overwritten (that is an error instead).
- The index is written before the files with the union of old and new paths, and
  again at the end with the new ones, so a crash in between leaves nothing that the
  next run would not recognise as its own.
- Unchanged files are left alone (same bytes and mode), so bind mounts and file
  watchers do not see spurious changes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from orchc.drivers.protocol import DriverError
from orchc.files import write_atomically

INDEX_FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class OutputFile:
    """The bytes of one output file and its permission bits."""

    data: bytes
    mode: int = 0o644


class OutputDir:
    """The files orchc owns under `root`, tracked by the index file `root/index_name`.
    Paths are relative POSIX paths under `root`; `project_root` only shapes messages."""

    def __init__(self, root: Path, index_name: str, project_root: Path) -> None:
        _check_inside(root, project_root)
        self.root = root
        self.index_path = root / index_name
        self._project_root = project_root

    def sync(self, files: Mapping[str, OutputFile]) -> None:
        """Make `root` hold exactly `files` among the files orchc owns there."""
        for relative in files:
            _check_relative(relative, "output path")
        previous = self._read_index()
        self._refuse_foreign(files, previous)
        self._write_index(previous | set(files))
        for relative, output in sorted(files.items()):
            write_atomically(self.root / relative, output.data, output.mode)
        self._remove(previous - set(files))
        self._write_index(set(files))

    def remove_all(self) -> None:
        """Remove every file orchc wrote here, then the index."""
        self._remove(self._read_index())
        self.index_path.unlink(missing_ok=True)

    def owned(self) -> set[str]:
        """The files the index says orchc wrote here (relative paths)."""
        return self._read_index()

    def display(self, relative: str) -> str:
        """`relative` (under `root`) as a path relative to the project root."""
        return os.path.relpath(self.root / relative, self._project_root)

    def _read_index(self) -> set[str]:
        try:
            document = json.loads(self.index_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return set()
        except (OSError, ValueError) as error:
            where = os.path.relpath(self.index_path, self._project_root)
            raise DriverError(f"cannot read the output index {where}: {error}") from None
        files = document.get("files") if isinstance(document, dict) else None
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            where = os.path.relpath(self.index_path, self._project_root)
            raise DriverError(f"the output index {where} is not a list of files")
        return {_check_relative(f, "index entry") for f in files}

    def _write_index(self, files: Iterable[str]) -> None:
        document = {"format_version": INDEX_FORMAT_VERSION, "files": sorted(files)}
        text = json.dumps(document, sort_keys=True, indent=2) + "\n"
        write_atomically(self.index_path, text)

    def _refuse_foreign(self, files: Mapping[str, OutputFile], owned: set[str]) -> None:
        foreign = sorted(f for f in files if f not in owned and _exists(self.root / f))
        if foreign:
            names = ", ".join(self.display(f) for f in foreign)
            raise DriverError(
                f"refusing to overwrite {names}: not written by orchc (not listed in "
                f"{self.display(self.index_path.name)}); move or delete it first"
            )

    def _remove(self, files: Iterable[str]) -> None:
        for relative in sorted(files):
            path = self.root / relative
            path.unlink(missing_ok=True)
            self._prune_empty_parents(path)

    def _prune_empty_parents(self, path: Path) -> None:
        # Only directories below root: root itself may be the project directory.
        parent = path.parent
        while parent != self.root and self.root in parent.parents:
            if any(parent.iterdir()):
                return
            parent.rmdir()
            parent = parent.parent


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _check_inside(directory: Path, project_root: Path) -> None:
    """A target writes only inside the project directory: an environment id such as
    `../../x` or a symlink in the path must not carry manifests elsewhere."""
    resolved = directory.resolve()
    if not resolved.is_relative_to(project_root.resolve()):
        shown = os.path.relpath(directory, project_root)
        raise DriverError(f"the output path {shown!r} leads outside the project directory")


def _check_relative(relative: str, what: str) -> str:
    """`relative` if it stays inside the directory; a tampered index must never make
    orchc delete files elsewhere.

    >>> _check_relative("resources/a.yaml", "path")
    'resources/a.yaml'
    >>> _check_relative("../etc/passwd", "index entry")
    Traceback (most recent call last):
    ...
    orchc.drivers.protocol.DriverError: index entry '../etc/passwd' is outside the output directory
    """
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or str(pure) != relative:
        raise DriverError(f"{what} {relative!r} is outside the output directory")
    return relative
