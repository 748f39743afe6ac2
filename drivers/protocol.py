"""The driver protocol: what a driver receives, what it returns, and how it fails.

A driver is a class with a `create` (idempotent upsert, also used for update) and a
`delete` (of something already gone: success). A target is a driver that can also
`deploy` workloads. A driver may also `observe` (drift, SPEC §9): read what exists and
compare it with what it recorded, changing nothing. Requests and results are
strict pydantic models: unknown keys are errors, because a typo in a driver's result
must not silently drop an output.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

JsonObject = dict[str, Any]
JsonPath = tuple[str | int, ...]
"""A path into a JSON document, e.g. ("containers", "web", "variables", "DB_URL")."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class DeployContext(_Strict):
    """Where the deployment goes."""

    app: str
    env: str
    env_type: str


class DriverRequest(_Strict):
    """Everything a driver gets for one resource, placeholders resolved.

    `secrets` holds the definition's sensitive values; `sensitive_inputs` names the
    `inputs` whose value embeds a secret output of another resource (a driver that
    echoes inputs back must return those as secrets). `state` is what this driver
    returned for the resource last time (`{}` at first). `source_dir` is the directory of
    the .orch file that declared the definition; `work_dir` is a private directory for
    this resource that survives between runs on this machine. `requested_outputs`
    names the outputs other resources and workloads read (a driver whose outputs are
    open-ended, like `environment`, returns exactly these).
    """

    action: Literal["create", "delete", "observe"]
    uid: str
    type: str
    class_: str = Field(alias="class")
    id: str
    guid: str
    definition: str
    context: DeployContext
    params: JsonObject = Field(default_factory=dict)
    metadata: JsonObject = Field(default_factory=dict)  # the Score resource's `metadata`
    inputs: JsonObject = Field(default_factory=dict)
    secrets: JsonObject = Field(default_factory=dict)
    sensitive_inputs: frozenset[str] = frozenset()
    state: JsonObject = Field(default_factory=dict)
    requested_outputs: frozenset[str] = frozenset()
    source_dir: Path
    project_root: Path
    work_dir: Path
    timeout: float | None = None

    def secret_values(self) -> frozenset[str]:
        """Every string a message about this request must not show: inside the
        definition's secrets, the sensitive inputs and the driver's own state."""
        sensitive = [self.inputs.get(name) for name in self.sensitive_inputs]
        return strings_in(self.secrets, sensitive, self.state)


class DriverResult(_Strict):
    """What `create` returns. `secrets` are sensitive outputs; `state` is kept for the
    next run and never shown; `manifests` are objects the target deploys beside the
    workloads (Kubernetes objects, or Compose fragments for the compose target)."""

    outputs: JsonObject = Field(default_factory=dict)
    secrets: JsonObject = Field(default_factory=dict)
    state: JsonObject = Field(default_factory=dict)
    manifests: tuple[JsonObject, ...] = ()


class Observation(_Strict):
    """What `observe` saw: `drift` is None when what exists matches what the driver
    recorded, else what differs, in a few words and without any secret value (e.g.
    "database 'shop_dev' does not exist")."""

    drift: str | None = None


class DriverError(Exception):
    """A driver failure. The message is the driver's own words (for programs, the tail of
    their stderr); the runtime adds the resource uid and the definition's location."""


def strings_in(*values: object) -> frozenset[str]:
    """Every non-empty string inside `values`, recursively through mappings (their
    values) and sequences. The empty string is left out: it is inside every text.

    >>> sorted(strings_in({"a": ["x", {"b": "y"}], "n": 1}, "", "z"))
    ['x', 'y', 'z']
    """
    return frozenset(_walk_strings(values))


def _walk_strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        if value:
            yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _walk_strings(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _walk_strings(item)


class Journal(Protocol):
    """Lets a long-running driver persist its state before it finishes, so a crash in
    the middle does not forget what was already made (e.g. a generated password, or
    Terraform's state after `apply`)."""

    def save_state(self, state: JsonObject) -> None: ...


class NullJournal:
    """A journal that keeps nothing; for tests and one-off calls."""

    def save_state(self, state: JsonObject) -> None:
        return None


@runtime_checkable
class Driver(Protocol):
    """A resource driver. `replace_inputs` names the inputs whose change forces a
    replace (delete, then create) instead of an in-place update. A driver whose calls
    only compute (no I/O, no waiting), like `static`, may set the class attribute
    `runs_inline = True`: the runtime then calls it on its own thread, not a worker's."""

    replace_inputs: ClassVar[frozenset[str]]

    def create(self, request: DriverRequest, journal: Journal) -> DriverResult: ...

    def delete(self, request: DriverRequest, journal: Journal) -> None: ...


@runtime_checkable
class Observer(Protocol):
    """A driver that can detect drift. `observe` gets the request of the last
    successful create (inputs, secrets and the driver's state) with action `observe`;
    it must not change anything. Raise `DriverError` when it cannot look (a server
    that does not answer): that is an error, not drift."""

    def observe(self, request: DriverRequest) -> Observation: ...


class WorkloadPatch(_Strict):
    """One patch of a workload's rendered objects (SPEC §12): `add`, `replace`,
    `remove` (JSON Patch) or `merge` (JSON Merge Patch) of `value` at the JSON pointer
    `path`; `kind` picks the Kubernetes objects (None: the Deployment), Compose ignores
    it. `origin` names where it came from, for messages (`definition 'x' (file:line)`)."""

    op: Literal["add", "replace", "remove", "merge"]
    path: str
    value: Any = None
    kind: str | None = None
    origin: str = ""


class DeferredPart(_Strict):
    """A piece of a deferred value: literal `text`, or the environment `variable` read
    where the workload starts."""

    text: str = ""
    variable: str | None = None


class DeferredValue(_Strict):
    """A value of the spec (at `path`) that reads environment variables where the
    workload starts, not at apply: its `parts` in order. Only a target whose
    declaration says it `interpolates_environment` gets these (Compose writes
    `${NAME}`); the spec itself holds the value with each variable written `${NAME}`."""

    path: JsonPath
    parts: tuple[DeferredPart, ...]


class DeployWorkload(_Strict):
    """One workload, ready to render: `spec` is the Score document in its normalised
    form (map form of files and volumes, file `source` read into `content`), with every
    placeholder resolved. `sensitive` lists the paths in `spec` whose value embeds a
    secret; a target must deliver those only through secret channels. `patches` are
    the workload resource's (SPEC §12), applied in order to what the target renders."""

    name: str
    spec: JsonObject
    sensitive: tuple[JsonPath, ...] = ()
    depends_on: tuple[str, ...] = ()  # uids of the resources it declares, sorted
    patches: tuple[WorkloadPatch, ...] = ()
    deferred: tuple[DeferredValue, ...] = ()


class DeployManifest(_Strict):
    """An object a driver returned for the target to deploy, with the paths inside it
    that hold secret values."""

    uid: str
    object: JsonObject
    sensitive: tuple[JsonPath, ...] = ()


class DeployRequest(_Strict):
    """What a target's `deploy` gets: its own resolved inputs, every workload of the
    plan, and every manifest drivers returned. Relative paths in `inputs` are relative
    to `project_root`.

    A target also gets what a driver gets for its resource (see `DriverRequest`): the
    definition's `secrets` (e.g. a token to push to a git remote), its driver `state`
    (what its `create` returned last), a private `work_dir` that survives between runs
    on this machine (e.g. a git checkout), and the definition's `policy.timeout`.
    """

    context: DeployContext
    inputs: JsonObject
    project_root: Path
    workloads: tuple[DeployWorkload, ...]
    manifests: tuple[DeployManifest, ...] = ()
    secrets: JsonObject = Field(default_factory=dict)
    state: JsonObject = Field(default_factory=dict)
    work_dir: Path
    timeout: float | None = None
    # Which deployment this is: the serial the apply moves the state to, and the
    # plan's digest (its `plan_digest`), e.g. for a GitOps commit message.
    serial: int = 0
    plan_digest: str = ""

    def secret_values(self) -> frozenset[str]:
        """Every string a message about this deploy must not show: inside the target's
        secrets and its driver state."""
        return strings_in(self.secrets, self.state)


class DeployResult(_Strict):
    """The files a target wrote, relative to the project root, sorted."""

    files: tuple[str, ...] = ()


@runtime_checkable
class Target(Driver, Protocol):
    """A driver for the implicit `target` resource: it also deploys the workloads."""

    def deploy(self, request: DeployRequest) -> DeployResult: ...
