"""The compiler's view of an orch program: environments and definitions, typed.

Built from the syntax tree by `passes/build_ir.py`. Immutable: frozen dataclasses with
slots rather than pydantic models, because nothing here crosses a process boundary and
the planner builds thousands of these per run. Every node carries the `Span` it came
from; values inside `inputs`, `secrets` and `provision` params keep their spans so later
passes can point at the exact placeholder that caused a problem.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TypeAlias

from orchc.grammar.source import Span

MATCH_KEYS = ("app", "env", "env_type", "res_id", "class")
"""The keys a `match` block may set, in the order messages list them."""


@dataclass(frozen=True, slots=True)
class Scalar:
    """A string (placeholders kept as text), number, boolean or null."""

    span: Span
    value: str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class ListValue:
    """A list of values."""

    span: Span
    items: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class MapEntry:
    """`key = value` of a map or of an `inputs`/`secrets` block."""

    span: Span
    key: str
    value: Value


@dataclass(frozen=True, slots=True)
class MapValue:
    """A map, or an `inputs`/`secrets`/`params` block; keys are unique."""

    span: Span
    entries: tuple[MapEntry, ...]

    def get(self, key: str) -> Value | None:
        for entry in self.entries:
            if entry.key == key:
                return entry.value
        return None

    def keys(self) -> tuple[str, ...]:
        return tuple(entry.key for entry in self.entries)


@dataclass(frozen=True, slots=True)
class EnvRef:
    """`env("NAME")`: read at apply time, never at plan time, never written to the plan."""

    span: Span
    name: str


@dataclass(frozen=True, slots=True)
class FileContent:
    """`file("path")`: the file's text, read at plan time (relative to the .orch file)."""

    span: Span
    path: str
    content: str


Value: TypeAlias = Scalar | ListValue | MapValue | EnvRef | FileContent
"""A definition value: the syntax values with the function calls resolved."""


class Tier(enum.IntEnum):
    """Definitions that ship with orchc form a lower tier than the user's (SPEC §3.5)."""

    DEFAULT = 0
    USER = 1


@dataclass(frozen=True, slots=True)
class Criterion:
    """One `key = "value"` of a match block."""

    span: Span
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class MatchBlock:
    """One `match { ... }` block: a definition matches when all its criteria hold."""

    span: Span
    criteria: tuple[Criterion, ...]

    def get(self, key: str) -> str | None:
        for criterion in self.criteria:
            if criterion.key == key:
                return criterion.value
        return None

    def as_dict(self) -> dict[str, str]:
        return {c.key: c.value for c in self.criteria}


@dataclass(frozen=True, slots=True)
class Provision:
    """`provision "<ref>" { is_dependent, match_dependents, params }`."""

    span: Span
    ref: str
    is_dependent: bool = False
    match_dependents: bool = False
    params: MapValue | None = None


@dataclass(frozen=True, slots=True)
class Policy:
    """`policy { timeout, retries, max_parallel, prevent_destroy, create_before_destroy }`."""

    span: Span
    timeout_seconds: float | None = None
    retries: int = 0
    max_parallel: int | None = None
    prevent_destroy: bool = False
    create_before_destroy: bool = False


@dataclass(frozen=True, slots=True)
class Definition:
    """`definition "<id>" { type, driver, match, inputs, secrets, provision, policy }`."""

    span: Span
    id: str
    type: str
    driver: str
    description: str | None = None
    matches: tuple[MatchBlock, ...] = ()
    inputs: MapValue | None = None
    secrets: MapValue | None = None
    provisions: tuple[Provision, ...] = ()
    policy: Policy | None = None
    tier: Tier = Tier.USER


@dataclass(frozen=True, slots=True)
class OutputName:
    """One name of a contract's `outputs` or `secrets` list, where it is written."""

    span: Span
    name: str


@dataclass(frozen=True, slots=True)
class ResourceType:
    """`resource_type "<name>" { description, outputs, secrets }` (SPEC §11): the outputs
    every definition of the type promises. A user's contract replaces a shipped one."""

    span: Span
    name: str
    description: str | None = None
    outputs: tuple[OutputName, ...] = ()
    secrets: tuple[OutputName, ...] = ()
    tier: Tier = Tier.USER

    def names(self) -> tuple[str, ...]:
        """Every output the contract promises, plain then secret, as written."""
        return tuple(o.name for o in self.outputs) + tuple(o.name for o in self.secrets)


@dataclass(frozen=True, slots=True)
class Environment:
    """`environment "<id>" { type = "<environment type>" }`."""

    span: Span
    id: str
    type: str


@dataclass(frozen=True)
class Program:
    """Every environment, definition and resource type contract of the definitions
    directory (plus defaults). At most one contract per type name: a user contract
    replaces the shipped one."""

    environments: tuple[Environment, ...] = ()
    definitions: tuple[Definition, ...] = ()
    resource_types: tuple[ResourceType, ...] = ()
    _by_type: dict[str, tuple[Definition, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        by_type: dict[str, list[Definition]] = {}
        for definition in self.definitions:
            by_type.setdefault(definition.type, []).append(definition)
        self._by_type.update({k: tuple(v) for k, v in by_type.items()})

    def definitions_of(self, resource_type: str) -> tuple[Definition, ...]:
        return self._by_type.get(resource_type, ())

    def contract(self, resource_type: str) -> ResourceType | None:
        for contract in self.resource_types:
            if contract.name == resource_type:
                return contract
        return None

    def environment(self, env_id: str) -> Environment | None:
        for environment in self.environments:
            if environment.id == env_id:
                return environment
        return None

    def reads_files(self) -> bool:
        """Whether a value comes from `file()`, so the program depends on files besides
        its definitions (`compiler/program_cache.py` does not keep such a program)."""
        blocks = (
            block
            for definition in self.definitions
            for block in (
                definition.inputs,
                definition.secrets,
                *(provision.params for provision in definition.provisions),
            )
        )
        return any(_holds_file(block) for block in blocks if block is not None)

    def has_literal_secrets(self) -> bool:
        """Whether a secret is written in a definition rather than read with `env()`
        (`compiler/program_cache.py` keeps no copy of such a program)."""
        return any(
            not isinstance(entry.value, EnvRef)
            for definition in self.definitions
            if definition.secrets is not None
            for entry in definition.secrets.entries
        )


def _holds_file(value: Value) -> bool:
    if isinstance(value, FileContent):
        return True
    if isinstance(value, ListValue):
        return any(_holds_file(item) for item in value.items)
    if isinstance(value, MapValue):
        return any(_holds_file(entry.value) for entry in value.entries)
    return False
