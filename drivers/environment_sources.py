"""Where the `environment` driver may look for a variable a Score file names: orchc's
own process environment only for the names the platform allows, and the project's env
file.

A Score file is untrusted input (docs/security.md). orchc's process environment belongs
to the platform (the CI runner's credentials, `env("...")` secrets), so a Score file
that says `${resources.env.AWS_SECRET_ACCESS_KEY}` must not get it copied into its
workload. The definition's input `process_variables` lists what may be read there:
variable names, or prefixes ending in `*` (`"APP_*"`); a lone `"*"` allows every
variable. By default it is empty: nothing is read from orchc's environment.

The env file (`.env`) is the project's own and is read as before, but confined to the
project like a Score file's `files[].source` (no absolute path, no `..`, no symlink out
of the project, regular files only, at most 1 MiB): a committed `.env` linking to
`/proc/self/environ` would otherwise hand over the whole process environment.

Used by the driver at apply and by its declaration at plan time, which must stay cheap
to import: the standard library, `_dotenv` and the confined reader only.

>>> allowed = ProcessVariables.parse(["API_URL", "APP_*"])
>>> [allowed.allows(name) for name in ("API_URL", "APP_NAME", "AWS_SECRET_ACCESS_KEY")]
[True, True, False]
>>> str(allowed), str(ProcessVariables.parse([]))
('API_URL, APP_*', 'none')
>>> ProcessVariables.parse(["AWS_*_KEY"])
Traceback (most recent call last):
...
ValueError: 'AWS_*_KEY' is not a variable name or a prefix ending in '*'
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

# One home for the confinement rule (docs/security.md): the env file is as untrusted as
# a Score file's `files[].source`, so it is read by the same function.
from orchc.compiler.confined import ConfinementError, read_confined
from orchc.drivers._dotenv import parse_dotenv
from orchc.drivers.protocol import DriverError

PROCESS_VARIABLES_INPUT = "process_variables"
DEFAULT_ENV_FILE = ".env"
_PATTERN = re.compile(r"\*|[A-Za-z_][A-Za-z0-9_.-]*\*?")


@dataclass(frozen=True)
class ProcessVariables:
    """The variables of orchc's own environment a Score file may read."""

    patterns: tuple[str, ...] = ()

    @classmethod
    def parse(cls, value: object) -> ProcessVariables:
        """The patterns of the input's value; ValueError naming the first bad one."""
        if not isinstance(value, list | tuple) or not all(isinstance(p, str) for p in value):
            raise ValueError("expected a list of variable names and prefixes ending in '*'")
        for pattern in value:
            if not _PATTERN.fullmatch(pattern):
                raise ValueError(f"'{pattern}' is not a variable name or a prefix ending in '*'")
        return cls(tuple(value))

    def allows(self, name: str) -> bool:
        return any(name.startswith(p[:-1]) if p.endswith("*") else name == p for p in self.patterns)

    def __str__(self) -> str:
        return ", ".join(self.patterns) or "none"


@dataclass(frozen=True)
class EnvFile:
    """The project's env file: its variables, or why there are none."""

    shown_as: str
    values: Mapping[str, str]
    why_not: str = ""  # " (no such file)" etc. when it could not be read

    @classmethod
    def read(cls, project_root: Path, env_file: str) -> EnvFile:
        """Parse errors raise `DriverError` naming the line, never its text."""
        try:
            data = read_confined(project_root, env_file, project_root)
        except ConfinementError as error:
            return cls(env_file, {}, f" ({_reason(error)})")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return cls(env_file, {}, " (not UTF-8 text)")
        return cls(env_file, parse_dotenv(text, env_file))


def read_variables(
    keys: Collection[str], allowed: ProcessVariables, project_root: Path, env_file: str
) -> tuple[dict[str, str], EnvFile | None]:
    """The values of `keys` the driver returns, by key in order: from orchc's environment
    where `allowed` covers the key and it is set there, else from the env file. The file
    is read only when a key is still missing, and returned then (for the messages).
    A line that does not parse raises `DriverError`."""
    wanted = sorted(keys)
    found = {key: os.environ[key] for key in wanted if allowed.allows(key) and key in os.environ}
    if len(found) == len(wanted):
        return found, None
    read = EnvFile.read(project_root, env_file)
    found |= {key: read.values[key] for key in wanted if key not in found and key in read.values}
    return dict(sorted(found.items())), read


def read_again(
    inputs: Mapping[str, object], keys: Collection[str], project_root: Path
) -> dict[str, str] | None:
    """What the driver would return now for `keys`, given the inputs its last create
    was sent (resolved): what a plan compares with what that create returned. None when
    that cannot be told (invalid inputs, an env file that does not parse; the driver
    reports those when it runs)."""
    sources = _sources(inputs)
    if sources is None:
        return None
    allowed, env_file = sources
    try:
        return read_variables(keys, allowed, project_root, env_file)[0]
    except DriverError:
        return None


def _sources(inputs: Mapping[str, object]) -> tuple[ProcessVariables, str] | None:
    """(the allow list, the env file) the driver's inputs name; None when either is
    invalid (the driver reports that when it runs)."""
    env_file = inputs.get("env_file", DEFAULT_ENV_FILE)
    try:
        allowed = ProcessVariables.parse(inputs.get(PROCESS_VARIABLES_INPUT, []))
    except ValueError:
        return None
    return (allowed, env_file) if isinstance(env_file, str) else None


def _reason(error: ConfinementError) -> str:
    reason = str(error)
    return "no such file" if reason == "No such file or directory" else reason


def refused_at_plan(
    inputs: Mapping[str, object], keys: Collection[str], project_root: Path
) -> dict[str, tuple[str, str]]:
    """The `keys` the driver will not find with these plan-form inputs, each with (why,
    how to allow it): not allowed from orchc's environment and not in the env file.
    Empty when an input is not known before apply (a `${...}` placeholder) or invalid
    (the driver reports that), or the env file does not parse."""
    sources = _sources(inputs)
    if sources is None or "${" in sources[1]:
        return {}
    allowed, env_file = sources
    outside = sorted(key for key in keys if not allowed.allows(key))
    if not outside:
        return {}
    try:
        found = EnvFile.read(project_root, env_file)
    except DriverError:  # a line that does not parse: the driver reports it at apply
        return {}
    return {
        key: (refusal([key], found), allow_hint([key], allowed))
        for key in outside
        if key not in found.values
    }


def refusal(keys: list[str], env_file: EnvFile) -> str:
    """Why `keys`, which the allow list does not cover, have no value; names no value
    and does not say whether orchc's environment has them."""
    names = ", ".join(f"'{key}'" for key in keys)
    noun, verb, pronoun = (
        ("variable", "is", "it") if len(keys) == 1 else ("variables", "are", "them")
    )
    return (
        f"{noun} {names} {verb} not set in {env_file.shown_as}{env_file.why_not}, and "
        f"orchc's own environment is not read for {pronoun}"
    )


def allow_hint(keys: list[str], allowed: ProcessVariables) -> str:
    """How the platform lets Score files read `keys` from orchc's environment."""
    listed = ", ".join(f'"{key}"' for key in keys)
    return (
        f"{PROCESS_VARIABLES_INPUT} allows {allowed}; to pass a variable from orchc's "
        f'environment, a platform definition of type "environment" lists it '
        f"({PROCESS_VARIABLES_INPUT} = [{listed}])"
    )


def unset_at_apply(uid: str, key: str, definition: str) -> str:
    """Why resource `uid` (of `definition`) has no variable `key` that a file, volume
    source or param reads at apply on Compose, where the driver does not refuse missing
    keys (container variables are read at `docker compose up`); names no value and does
    not say whether orchc's environment has it."""
    return (
        f"resource '{uid}' has no variable '{key}', which is read at apply here (by a "
        "file, a volume source or a param), not at `docker compose up`: it is not in the "
        "project's env file, and orchc's own environment is read only for the variables "
        f"{PROCESS_VARIABLES_INPUT} allows (definition {definition}). Set {key} in the "
        f'project\'s .env, or list it in a platform definition of type "environment" '
        f'({PROCESS_VARIABLES_INPUT} = ["{key}"]); the next plan updates the resource'
    )
