"""Project configuration: `orchc.toml` in the working directory or a parent (SPEC §6).

The directory holding `orchc.toml` is the project root (else the working directory):
display paths in plans and diagnostics, relative state URLs and relative target paths
are all relative to it. Flags win over the file; `ORCHC_STATE` wins over the file too.

`[environments.<env>] overrides = { <workload> = "<file>" }` names, per environment, a
Score overrides file for a workload (SPEC §12), relative to the project root; it
applies before the command line's `--overrides-file`.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from .glob_walk import glob_walk
from .shown import shown

CONFIG_NAME = "orchc.toml"
DEFAULT_STATE = "sqlite:///.orchc/state.db"
DEFAULT_WORKLOADS = ("**/score.yaml", "**/score.yml")
_KEYS = {"app", "definitions", "workloads", "state", "environments"}
_ENVIRONMENT_KEYS = {"overrides"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SKIPPED_DIRS = {".git", ".orchc", ".venv", "venv", "node_modules", "build", "__pycache__"}


class ConfigError(Exception):
    """A problem with orchc.toml; the message is located."""


@dataclass(frozen=True)
class ProjectConfig:
    """What orchc.toml says (defaults where it is missing or silent)."""

    root: Path
    app: str | None = None
    definitions: Path | None = None
    workloads: tuple[str, ...] = DEFAULT_WORKLOADS
    state: str | None = None
    path: Path | None = None  # the orchc.toml read, if any
    # env -> ((workload, overrides file relative to the root), ...), as written
    environment_overrides: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    def overrides_of(self, env: str) -> tuple[tuple[str, str], ...]:
        """(workload, file) of the overrides orchc.toml gives for `env`."""
        return dict(self.environment_overrides).get(env, ())

    def state_url(self, flag: str | None) -> str:
        return flag or os.environ.get("ORCHC_STATE") or self.state or DEFAULT_STATE

    def definitions_dir(self, flag: Path | None) -> Path | None:
        if flag is not None:
            return flag.resolve()
        if self.definitions is not None:
            return self.definitions
        conventional = self.root / "definitions"
        return conventional if conventional.is_dir() else None

    def score_files(self, flags: tuple[Path, ...]) -> tuple[Path, ...]:
        if flags:
            return tuple(path.resolve() for path in flags)
        return tuple(sorted(glob_walk(self.root, self.workloads, _skipped_dir)))


def _skipped_dir(name: str) -> bool:
    """Directories the `workloads` globs never look into: tools', caches' and dot ones."""
    return name in _SKIPPED_DIRS or name.startswith(".")


def find_config(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(cwd: Path | None = None) -> ProjectConfig:
    start = (cwd or Path.cwd()).resolve()
    path = find_config(start)
    if path is None:
        return ProjectConfig(root=start)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None
    return _parse(data, path)


def _parse(data: dict[str, object], path: Path) -> ProjectConfig:
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})")
    root = path.parent
    app = _string(data, "app", path)
    definitions = _string(data, "definitions", path)
    state = _string(data, "state", path)
    workloads = data.get("workloads", list(DEFAULT_WORKLOADS))
    if not isinstance(workloads, list) or not all(isinstance(w, str) for w in workloads):
        raise ConfigError(f"{path}: 'workloads' must be a list of glob patterns")
    for pattern in workloads:
        _check_relative(path, "workloads", pattern, glob=True)
        _check_pattern(path, pattern)
    for key, value in (("definitions", definitions), ("state", state)):
        if value is not None and "\0" in value:
            raise ConfigError(f"{path}: '{key}' contains a NUL byte")
    return ProjectConfig(
        root=root,
        app=app,
        definitions=(root / definitions).resolve() if definitions else None,
        workloads=tuple(workloads),
        state=state,
        path=path,
        environment_overrides=_environments(data.get("environments", {}), path),
    )


def _environments(value: object, path: Path) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: 'environments' must be a table of [environments.<env>]")
    return tuple((env, _environment(env, table, path)) for env, table in sorted(value.items()))


def _environment(env: str, table: object, path: Path) -> tuple[tuple[str, str], ...]:
    where = f"environments.{shown(env)}"
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: '{where}' must be a table")
    unknown = sorted(set(table) - _ENVIRONMENT_KEYS)
    if unknown:
        raise ConfigError(f"{path}: '{where}': unknown key {unknown[0]!r} (known: overrides)")
    overrides = table.get("overrides", {})
    if not isinstance(overrides, dict) or not all(isinstance(f, str) for f in overrides.values()):
        raise ConfigError(
            f"{path}: '{where}.overrides' must map workload names to files, "
            'e.g. { web = "overrides/web.yaml" }'
        )
    for workload, file in overrides.items():
        _check_no_control(path, f"{where}.overrides", workload)
        _check_relative(path, f"{where}.overrides", file, glob=True)
    return tuple(sorted(overrides.items()))


def _check_relative(path: Path, key: str, value: str, glob: bool = False) -> None:
    """Workload patterns are relative to the project root and stay inside it."""
    escaped = shown(value)
    if "\0" in value:
        raise ConfigError(f"{path}: '{key}' entry '{escaped}' contains a NUL byte")
    _check_no_control(path, key, value)
    pure = PurePosixPath(value)
    if not value or pure.is_absolute() or PureWindowsPath(value).is_absolute():
        raise ConfigError(
            f"{path}: '{key}' entry '{escaped}' must be a pattern relative to the project "
            "root (the directory of orchc.toml), not an absolute path"
        )
    if glob and ".." in pure.parts:
        raise ConfigError(
            f"{path}: '{key}' entry '{escaped}' must not leave the project root ('..')"
        )


def _check_pattern(path: Path, pattern: str) -> None:
    """A workload pattern names files: `**` only as a whole segment (`a**` is not a
    pattern glob can read) and at least one segment (`.` is the project itself)."""
    parts = PurePosixPath(pattern).parts
    if not parts or any("**" in part and part != "**" for part in parts):
        raise ConfigError(
            f"{path}: 'workloads' entry '{shown(pattern)}' is not a pattern of files: "
            "'**' stands alone between slashes, as in 'services/**/score.yaml'"
        )


def _check_no_control(path: Path, key: str, value: str) -> None:
    """Names a message may echo (every message about an overrides file shows its path)
    hold no control character: one would reach the terminal raw, or start a line."""
    if _CONTROL.search(value):
        raise ConfigError(f"{path}: '{key}' entry '{shown(value)}' contains a control character")


def _string(data: dict[str, object], key: str, path: Path) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{path}: '{key}' must be a string")
    return value
