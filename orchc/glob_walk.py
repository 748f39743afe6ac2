"""Several glob patterns matched in one walk down a tree, as Python 3.11's `Path.glob`.

`glob_walk(root, patterns, skip)` is `{p for pattern in patterns for p in root.glob(pattern)}`
less the paths inside a directory whose name `skip` accepts, but it lists each directory
once and never enters a skipped one. The matching is pathlib's: `**` is zero or more
directories and does not go through a symlinked one (other parts do); `*`, `?` and `[...]`
match within one name, leading dots included, case-sensitively; a literal last part must
exist (a broken symlink does not), a wildcard one need only be listed; a trailing `/`
wants a directory. One difference, on purpose: a literal part is looked for in its
directory's listing, so a directory that can be searched but not listed yields nothing.

The walk carries, for each directory, the states `(pattern, part)` it has reached: the
directory matched the pattern's parts before `part`.

>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> for name in ("score.yaml", "a/b/score.yaml", ".venv/score.yaml", "a/x.yml"):
...     (root / name).parent.mkdir(parents=True, exist_ok=True)
...     (root / name).touch()
>>> found = glob_walk(root, ("**/score.yaml", "a/*.yml"), lambda name: name.startswith("."))
>>> sorted(path.relative_to(root).as_posix() for path in found)
['a/b/score.yaml', 'a/x.yml', 'score.yaml']
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import NamedTuple

State = tuple[int, int]  # (pattern, part): the directory matched the parts before `part`


class _Pattern(NamedTuple):
    parts: tuple[str, ...]
    dir_only: bool  # written with a trailing '/'


Patterns = tuple[_Pattern, ...]


def glob_walk(root: Path, patterns: Iterable[str], skip: Callable[[str], bool]) -> set[Path]:
    compiled = tuple(_compile(pattern) for pattern in patterns)
    if not root.is_dir():
        return set()
    # Entries reach few distinct sets of states (all the workload folders reach one).
    reach = functools.cache(functools.partial(_reach, compiled))
    start, accepted, _ = reach(frozenset((index, 0) for index in range(len(compiled))))
    found = {root} if accepted else set()
    todo = [(str(root), start)]
    while todo:
        folder, states = todo.pop()
        for entry in _entries(folder):
            reached, accepted, goes_on = reach(_steps(compiled, states, entry))
            if accepted:
                found.add(Path(entry.path))  # the same parts as `root / relative path`
            if goes_on and not skip(entry.name):
                todo.append((entry.path, reached))
    return found


def _reach(patterns: Patterns, states: frozenset[State]) -> tuple[frozenset[State], bool, bool]:
    """What an entry reaching `states` has: its states with those a `**` matching no
    directory adds, whether it is a match, whether a match may lie below it."""
    closure = _closure(patterns, states)
    ends = [part == len(patterns[index].parts) for index, part in closure]
    return closure, any(ends), not all(ends)


def _compile(pattern: str) -> _Pattern:
    parts = PurePosixPath(pattern).parts
    if any("**" in part and part != "**" for part in parts):
        # pathlib's own message, for the same pattern
        raise ValueError("Invalid pattern: '**' can only be an entire path component")
    return _Pattern(parts, pattern.endswith("/"))


def _entries(folder: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except PermissionError:  # as pathlib: an unreadable directory holds no match
        return []


def _closure(patterns: Patterns, states: frozenset[State]) -> frozenset[State]:
    """`states` and those reached from them by letting a `**` match no directory."""
    todo = list(states)
    for index, part in todo:
        if part < len(patterns[index].parts) and patterns[index].parts[part] == "**":
            todo.append((index, part + 1))
    return frozenset(todo)


def _steps(
    patterns: Patterns, states: frozenset[State], entry: os.DirEntry[str]
) -> frozenset[State]:
    """The states `entry` reaches from its directory's `states`."""
    reached: set[State] = set()
    for index, part in states:
        parts, dir_only = patterns[index]
        if part == len(parts):
            continue
        if parts[part] == "**":
            if entry.is_dir(follow_symlinks=False):
                reached.add((index, part))
        # `last`: the part names the match itself, not a directory to look into
        elif _matches(parts[part], entry, last=part + 1 == len(parts) and not dir_only):
            reached.add((index, part + 1))
    return frozenset(reached)


def _matches(text: str, entry: os.DirEntry[str], last: bool) -> bool:
    """Whether one pattern part (not `**`) matches `entry`, as pathlib's selectors do."""
    wildcard = _is_wildcard(text)
    if not (_regex(text)(entry.name) if wildcard else text == entry.name):
        return False
    if not last:
        return _is_dir(entry)
    return wildcard or not entry.is_symlink() or os.path.exists(entry.path)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a symlink loop, say
        return False


def _is_wildcard(text: str) -> bool:
    return "*" in text or "?" in text or "[" in text


@functools.lru_cache
def _regex(text: str) -> Callable[[str], re.Match[str] | None]:
    return re.compile(fnmatch.translate(text)).fullmatch
