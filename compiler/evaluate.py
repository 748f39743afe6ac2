"""Evaluate definition values for one resource into their plan form (SPEC §4, §5).

At plan time the context and `${params.*}` are known and substituted. What is only
known at apply time stays a placeholder in a normalised text form: a reference to
another resource's output becomes `${resources['<uid>'].outputs.KEY}` and `env("NAME")`
becomes `${env.NAME}`. Every string of the plan form is therefore a template that the
runtime parses again; literal `${` is escaped as `$${` so it survives the round trip.

A string that is exactly one placeholder keeps the type of the value it stands for;
otherwise values are embedded as JSON text.

>>> from orchc.grammar.source import Span
>>> from orchc.compiler import ir
>>> s = Span("d.orch", 1, 1)
>>> uid = ResourceUid("postgres", "default", "db")
>>> scope = Scope("shop", "dev", "development", uid, {"size": 5})
>>> evaluate(ir.Scalar(s, "${context.app.id}-${context.res.id}"), scope, Diagnostics())
'shop-db'
>>> evaluate(ir.Scalar(s, "${params.size}"), scope, Diagnostics())
5
>>> evaluate(ir.Scalar(s, "${resources.dns.outputs.host}"), scope, Diagnostics())
"${resources['dns.default#db'].outputs.host}"
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from orchc.grammar.diagnostics import Diagnostics
from orchc.grammar.source import Span

from . import ir
from .placeholders import (
    Placeholder,
    PlaceholderError,
    escape_literal,
    parse_template,
    render_placeholder,
)
from .uid import ResourceUid

Json = Any


@dataclass(frozen=True, slots=True)
class OutputReference:
    """`${resources.<ref>.outputs.KEY...}` found at `span`: `target` is provisioned
    first, and `key` is one of the outputs read from it. `where` is the span, or a
    function that finds it: locating a reference in a Score file's text is only worth
    its cost when an error must point at it."""

    target: ResourceUid
    key: str
    where: Span | Callable[[], Span]

    @property
    def span(self) -> Span:
        return self.where if isinstance(self.where, Span) else self.where()


OnReference = Callable[[OutputReference], None]


@dataclass(frozen=True)
class Scope:
    """What a definition's placeholders can see for one resource."""

    app: str
    env: str
    env_type: str
    uid: ResourceUid
    params: dict[str, Json] = field(default_factory=dict)

    @property
    def guid(self) -> str:
        return self.uid.guid(self.app, self.env)

    def context_value(self, path: tuple[str, ...]) -> str:
        if path == ("res", "guid"):
            return self.guid  # a digest: computed only when asked for
        values: dict[tuple[str, ...], str] = {
            ("app", "id"): self.app,
            ("env", "id"): self.env,
            ("env", "type"): self.env_type,
            ("res", "id"): self.uid.id,
            ("res", "type"): self.uid.type,
            ("res", "class"): self.uid.class_,
            ("res", "uid"): str(self.uid),
        }
        return values[path]


class _Unresolvable(Exception):
    """A placeholder that was reported as a diagnostic; the value is dropped."""


def evaluate(
    value: ir.Value,
    scope: Scope,
    diagnostics: Diagnostics,
    on_reference: OnReference | None = None,
) -> Json:
    """The plan form of `value`; problems are added to `diagnostics` (and the offending
    string is kept as written)."""
    if isinstance(value, ir.Scalar):
        if isinstance(value.value, str):
            return _evaluate_string(value, scope, diagnostics, on_reference)
        return value.value
    if isinstance(value, ir.ListValue):
        return [evaluate(item, scope, diagnostics, on_reference) for item in value.items]
    if isinstance(value, ir.MapValue):
        return {
            entry.key: evaluate(entry.value, scope, diagnostics, on_reference)
            for entry in value.entries
        }
    if isinstance(value, ir.EnvRef):
        return "${env." + value.name + "}"
    return escape_literal(value.content)


def _evaluate_string(
    value: ir.Scalar, scope: Scope, diagnostics: Diagnostics, on_reference: OnReference | None
) -> Json:
    text = str(value.value)
    try:
        template = parse_template(text)
    except PlaceholderError as error:
        diagnostics.error(span_at(value, error.offset), error.message)
        return text
    try:
        if len(template) == 1 and isinstance(template[0], Placeholder):
            return _whole(template[0], value, scope, on_reference)
        return "".join(_embed(s, value, scope, on_reference) for s in template)
    except _Unresolvable as problem:
        diagnostics.error(*problem.args)
        return text


def _whole(
    placeholder: Placeholder, value: ir.Scalar, scope: Scope, on_reference: OnReference | None
) -> Json:
    if placeholder.root == "params":
        return _param(placeholder, value, scope)
    if placeholder.root == "context":
        return escape_literal(scope.context_value(placeholder.path))
    return _embed(placeholder, value, scope, on_reference)


def _embed(
    segment: str | Placeholder, value: ir.Scalar, scope: Scope, on_reference: OnReference | None
) -> str:
    if isinstance(segment, str):
        return escape_literal(segment)
    if segment.root == "context":
        return escape_literal(scope.context_value(segment.path))
    if segment.root == "params":
        found = _param(segment, value, scope)
        # Plan-form params are templates already: splice strings as they are.
        return (
            found if isinstance(found, str) else escape_literal(json.dumps(found, sort_keys=True))
        )
    if segment.root == "resources" and segment.ref is not None:
        target = segment.ref.uid_from(scope.uid)
        if on_reference is not None:
            on_reference(OutputReference(target, segment.path[0], span_at(value, segment.offset)))
        return render_placeholder(segment, target)
    raise _Unresolvable(
        span_at(value, segment.offset),
        'env values are written as env("NAME"), not as a placeholder',
    )


def _param(placeholder: Placeholder, value: ir.Scalar, scope: Scope) -> Json:
    found: Json = scope.params
    for depth, key in enumerate(placeholder.path):
        if not isinstance(found, dict) or key not in found:
            name = ".".join(placeholder.path[: depth + 1])
            raise _Unresolvable(
                span_at(value, placeholder.offset),
                f"resource '{scope.uid}' has no param '{name}' (referenced as "
                f"${{params.{'.'.join(placeholder.path)}}})",
            )
        found = found[key]
    return found


def span_at(value: ir.Scalar, offset: int) -> Span:
    """Best-effort position of a character inside a string literal: exact for one-line
    strings without escapes before it, else the start of the string."""
    span = value.span
    text = str(value.value)
    if "\n" in text or "\\" in text[:offset]:
        return span
    return Span(span.path, span.line, span.col + 1 + offset)
