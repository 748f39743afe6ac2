"""The plan file (SPEC §5): the model, its canonical JSON, and reading it back.

The plan is the contract between `orchc plan` and `orchc apply`: it carries every input
apply needs (plan-form inputs, template text, normalised workload specs) and nothing
secret. Its JSON is canonical — keys sorted, 2-space indent, trailing newline — so the
same inputs and state give byte-identical files anywhere.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any, Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orchc import __version__

FORMAT_VERSION: Literal[1] = 1
SEAL_FIELDS = ("plan_digest", "signature")
# The reason of an update `plan --refresh` plans for a drifted resource: apply then calls
# the driver even when the inputs it would send are the ones it sent last time.
DRIFT_REASON_PREFIX = "drift: "


class Action(enum.Enum):
    """What apply will do; the value is the name in the plan file."""

    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    NOOP = "noop"

    @property
    def symbol(self) -> str:
        """The mark the text output prints, as Terraform does."""
        return _SYMBOLS[self.value]

    @property
    def changes(self) -> bool:
        return self is not Action.NOOP


_SYMBOLS = {"create": "+", "update": "~", "replace": "-/+", "delete": "-", "noop": " "}


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


_Model = TypeVar("_Model", bound=BaseModel)
_set_attribute = object.__setattr__


def trusted(model: type[_Model], **values: Any) -> _Model:
    """What `model.model_construct(**values)` makes, for values that give every field of
    `model` by its field name in the order the model declares them: without
    model_construct's walk over each field's aliases and defaults (a plan holds
    thousands of resources). Other values are a `TypeError`, so a field added to the
    model and not given here fails at once; so is a model whose construction does more
    than set its fields (a private attribute, a `model_post_init`, extra fields
    allowed), which this would leave half made.

    >>> made = trusted(Summary, create=1, update=0, replace=0, delete=0, noop=2)
    >>> made == Summary(create=1, noop=2), made.model_fields_set == Summary.model_fields.keys()
    (True, True)
    >>> trusted(Summary, create=1)
    Traceback (most recent call last):
    ...
    TypeError: Summary: give every field, in order: ['create']
    """
    if list(values) != list(model.__pydantic_fields__):
        raise TypeError(f"{model.__name__}: give every field, in order: {list(values)}")
    if model.__pydantic_post_init__ or model.model_config.get("extra") == "allow":
        raise TypeError(f"{model.__name__}: not a plain model; use model_construct")
    instance = model.__new__(model)
    _set_attribute(instance, "__dict__", values)
    _set_attribute(instance, "__pydantic_fields_set__", set(values))
    _set_attribute(instance, "__pydantic_extra__", None)
    _set_attribute(instance, "__pydantic_private__", None)
    return instance


class PlanContext(_Strict):
    app: str
    env: str
    env_type: str


class PlanState(_Strict):
    lineage: str | None = None
    serial: int = 0


class PlanPolicy(_Strict):
    timeout: float | None = None
    retries: int = 0
    max_parallel: int | None = None
    prevent_destroy: bool = False
    create_before_destroy: bool = False


class SecretSource(_Strict):
    """Where apply finds a secret value: `value` is a plan-form template made only of
    placeholders (e.g. `${env.PG_PASSWORD}`); `literal` names the definition secret whose
    text is read again from the definition file at apply time, and `digest` is what that
    text must digest to (`literal_digest`): apply refuses a definition changed since."""

    value: Any = None
    literal: str | None = None
    digest: str | None = None


def literal_digest(uid: str, value: Any) -> str:
    """HMAC-SHA256 of a literal secret's plan-form value, salted with the resource uid:
    the plan can say "this is the text that was reviewed" without showing it.

    >>> literal_digest("dns.default#x", "s3cret") == literal_digest("dns.default#y", "s3cret")
    False
    """
    key = f"orchc literal secret {uid}".encode()
    return "hmac-sha256:" + hmac.new(key, compact_json(value), hashlib.sha256).hexdigest()


class PlannedResource(_Strict):
    type: str
    class_: str = Field(alias="class")
    id: str
    guid: str
    definition: str
    source: str
    criteria: dict[str, str] = Field(default_factory=dict)
    driver: str
    params: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)  # the Score resource's, if any
    inputs: dict[str, Any] = Field(default_factory=dict)
    secrets: dict[str, str] = Field(default_factory=dict)
    secret_sources: dict[str, SecretSource] = Field(default_factory=dict)
    policy: PlanPolicy = PlanPolicy()
    depends_on: list[str] = Field(default_factory=list)
    requested_outputs: list[str] = Field(default_factory=list)
    inputs_digest: str
    action: Action
    reason: str | None = None
    # Value-level changes since the last apply (compiler/changes.py), sorted by path.
    changes: list[dict[str, Any]] = Field(default_factory=list)


class PlannedWorkload(_Strict):
    source: str
    depends_on: list[str] = Field(default_factory=list)
    resources: dict[str, str] = Field(default_factory=dict)
    spec: dict[str, Any] = Field(default_factory=dict)
    digest: str
    action: Action
    reason: str | None = None
    changes: list[dict[str, Any]] = Field(default_factory=list)
    # The overrides and CI images applied to the Score file (SPEC §12), in order.
    overrides: list[str] = Field(default_factory=list)


class Summary(_Strict):
    create: int = 0
    update: int = 0
    replace: int = 0
    delete: int = 0
    noop: int = 0

    @property
    def has_changes(self) -> bool:
        return bool(self.create or self.update or self.replace or self.delete)

    @classmethod
    def of(
        cls, resources: Mapping[str, PlannedResource], workloads: Mapping[str, PlannedWorkload]
    ) -> Summary:
        """How many resources and workloads each action has."""
        counts = {action.value: 0 for action in Action}
        actions = [r.action for r in resources.values()]
        actions += [w.action for w in workloads.values()]
        for action in actions:
            counts[action.value] += 1
        return cls(**counts)


class Plan(_Strict):
    format_version: Literal[1] = FORMAT_VERSION
    orchc_version: str = __version__
    context: PlanContext
    state: PlanState
    inputs_digest: str
    resources: dict[str, PlannedResource]
    workloads: dict[str, PlannedWorkload]
    summary: Summary
    # Integrity (SPEC §9): set by `plan_integrity.seal`, absent from an unsealed plan.
    plan_digest: str | None = None
    signature: str | None = None

    def to_json(self) -> str:
        return canonical_json(self.document())

    def document(self) -> dict[str, Any]:
        """The plan as JSON data; the integrity fields only when they are set."""
        data = _without_empty_changes(self.model_dump(mode="json", by_alias=True))
        for key in SEAL_FIELDS:
            if data[key] is None:
                del data[key]
        return data

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.to_json().encode()).hexdigest()


def _without_empty_changes(data: dict[str, Any]) -> dict[str, Any]:
    """`changes` is written only where something changes: a plan of thousands of
    unchanged resources does not carry thousands of empty lists. A resource's Score
    `metadata` likewise only when it has some."""
    for group in ("resources", "workloads"):
        for item in data[group].values():
            if not item.get("changes"):
                item.pop("changes", None)
            if "metadata" in item and not item["metadata"]:
                del item["metadata"]
            if "overrides" in item and not item["overrides"]:
                del item["overrides"]
    return data


class PlanFileError(Exception):
    """A plan file that cannot be read; the message says why."""


def canonical_json(data: Any) -> str:
    """Keys sorted, 2-space indent, UTF-8 text, trailing newline: byte for byte what
    `json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)` writes, produced by
    orjson because the standard library's indenting encoder is pure Python and was the
    largest cost of planning a large graph (bench/plan_scale.py)."""
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode() + "\n"
    except (orjson.JSONEncodeError, TypeError):  # e.g. integers beyond 64 bits
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def compact_json(data: Any) -> bytes:
    """Keys sorted, no whitespace, UTF-8."""
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def json_copy(value: Any) -> Any:
    """A copy of JSON-shaped data (dicts, lists, tuples, scalars) sharing no container
    with `value`: what `copy.deepcopy` makes of it, several times faster (and without
    deepcopy's memo, one object loaded twice through a YAML alias is copied apart).

    >>> spec = {"containers": {"web": {"args": ["a", ("b", {"c": 1})]}}}
    >>> copied = json_copy(spec)
    >>> copied == spec and copied["containers"] is not spec["containers"]
    True
    """
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_copy(item) for item in value]
    if isinstance(value, tuple):
        return tuple(json_copy(item) for item in value)
    return value


def digest_of(data: Any) -> str:
    """`sha256:<hex>` of the canonical compact JSON of `data`."""
    return "sha256:" + hashlib.sha256(compact_json(data)).hexdigest()


def load_plan(text: str, path: str) -> Plan:
    """Parse and validate a plan file, refusing other format versions."""
    return validate_plan(parse_document(text, path), path)


def parse_document(text: str, path: str) -> dict[str, Any]:
    """A plan file's JSON object, refusing other format versions."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise PlanFileError(f"{path}:{error.lineno}:{error.colno}: not JSON: {error.msg}") from None
    if not isinstance(data, dict):
        raise PlanFileError(f"{path}: not an orchc plan (expected a JSON object)")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise PlanFileError(
            f"{path}: plan format_version {version!r} is not supported "
            f"(this orchc reads version {FORMAT_VERSION}); re-run `orchc plan`"
        )
    return data


def validate_plan(data: dict[str, Any], path: str) -> Plan:
    try:
        return Plan.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PlanFileError(f"{path}: invalid plan at {where}: {first['msg']}") from None
