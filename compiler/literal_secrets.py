"""Read a definition's literal secrets again, at apply time, as the planner read them.

A secret written literally in a definition (`secrets { password = "..." }`) never
reaches the plan: the plan names the key (`{"literal": "password"}`) and apply reads the
value from the definition file. This is the only door from the runtime into the
language front end (the parser, `build_ir`, `evaluate`); the runtime imports it lazily,
so applying a plan without literal secrets never loads lark or the grammar.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orchc.grammar.diagnostics import Diagnostics
from orchc.grammar.parse import parse_document

from . import ir
from .evaluate import Scope, evaluate
from .origin import file_of
from .passes.build_ir import build_ir
from .plan import PlanContext, PlannedResource
from .uid import ResourceUid


class LiteralSecretError(Exception):
    """The definition file cannot give the secret any more (unreadable, or changed
    since the plan was made); the message says which and never contains a value."""


def read_literal_secrets(
    context: PlanContext, resource: PlannedResource, root: Path, keys: Sequence[str]
) -> dict[str, Any]:
    """The values of the literal secrets `keys` of `resource`'s definition, evaluated
    in the plan's context. Raises `LiteralSecretError`."""
    display = resource.source.rsplit(":", 1)[0]
    secrets = _secrets_block(resource, root, display)
    uid = ResourceUid(resource.type, resource.class_, resource.id)
    scope = Scope(context.app, context.env, context.env_type, uid, resource.params)
    diagnostics = Diagnostics()
    found = {}
    for key in keys:
        value = secrets.get(key)
        if value is None:
            raise LiteralSecretError(
                f"definition '{resource.definition}' no longer has secret '{key}'"
            )
        found[key] = evaluate(value, scope, diagnostics)
    return found


def _secrets_block(resource: PlannedResource, root: Path, display: str) -> ir.MapValue:
    try:
        text = file_of(resource.source, root).read_text(encoding="utf-8")
    except OSError as error:
        raise LiteralSecretError(
            f"cannot read the definition file {display}: {error.strerror}"
        ) from None
    document, problems = parse_document(display, text)
    program = build_ir([document], root, Diagnostics()) if not problems else ir.Program()
    definition = next((d for d in program.definitions if d.id == resource.definition), None)
    if definition is None or definition.secrets is None:
        raise LiteralSecretError(
            f"definition '{resource.definition}' in {display} changed since the plan was made; "
            "run `orchc plan` again"
        )
    return definition.secrets
