"""Strict validation of a driver's `inputs` and `secrets` blocks, and the outputs that
echo them (any driver may use these, plugins included).

Each driver describes its blocks as pydantic models derived from `StrictBlock`
(unknown keys are errors, so a typo in a definition fails loudly instead of being
ignored). `parse_block` turns a validation failure into a `DriverError` that names
every offending key and never echoes a value: pydantic's own error text includes the
input values, which for the `secrets` block are passwords, so it is never chained.

>>> class Inputs(StrictBlock):
...     host: str
...     port: int = 5432
>>> parse_block(Inputs, {"host": "db", "port": "6432"}, "inputs")
Inputs(host='db', port=6432)
>>> parse_block(Inputs, {"host": "db", "prot": 1}, "inputs")
Traceback (most recent call last):
...
orchc.drivers.protocol.DriverError: invalid inputs: unknown input 'prot' (expected: host, port)
>>> parse_block(Inputs, {"port": "x"}, "inputs")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
orchc.drivers.protocol.DriverError: invalid inputs: missing input 'host'; input 'port': ...

An output that repeats an input which embeds another resource's secret (one named in
`DriverRequest.sensitive_inputs`) is a secret itself: `split_echoed` moves it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from orchc.drivers.protocol import DriverError

Port = Annotated[int, Field(ge=1, le=65535)]


class StrictBlock(BaseModel):
    """Base of every driver's inputs/secrets model: frozen, unknown keys forbidden.
    Numbers given as strings (e.g. from `env("PORT")`) are still accepted."""

    model_config = ConfigDict(frozen=True, extra="forbid")


Block = TypeVar("Block", bound=StrictBlock)

_NOUNS = {"inputs": "input", "secrets": "secret"}


def parse_block(model: type[Block], values: Mapping[str, object], block: str) -> Block:
    """`values` validated as `model`; `block` ("inputs" or "secrets") names the
    definition block in messages."""
    try:
        return model.model_validate(dict(values))
    except ValidationError as error:
        problems = "; ".join(_describe(detail, model, block) for detail in error.errors())
        raise DriverError(f"invalid {block}: {problems}") from None


def _describe(detail: ErrorDetails, model: type[StrictBlock], block: str) -> str:
    noun = _NOUNS.get(block, block)
    where = ".".join(str(part) for part in detail["loc"])
    if detail["type"] == "extra_forbidden":
        expected = ", ".join(sorted(model.model_fields))
        return f"unknown {noun} '{where}' (expected: {expected})"
    if detail["type"] == "missing":
        return f"missing {noun} '{where}'"
    return f"{noun} '{where}': {detail['msg']}"


def split_echoed(
    values: Mapping[str, object], echoes: Mapping[str, str], sensitive_inputs: frozenset[str]
) -> tuple[dict[str, object], dict[str, object]]:
    """`values` split into (plain, secret): `echoes` maps an output name to the input it
    repeats, and an output repeating a sensitive input is secret.

    >>> split_echoed({"host": "db", "port": 5432}, {"host": "host"}, frozenset({"host"}))
    ({'port': 5432}, {'host': 'db'})
    """
    secret = {name for name, source in echoes.items() if source in sensitive_inputs}
    plain = {name: value for name, value in values.items() if name not in secret}
    return plain, {name: value for name, value in values.items() if name in secret}
