"""The `resource_type "<name>" { ... }` blocks, read for the build_ir pass (SPEC §11).

A contract lists the outputs every definition of its type returns: `outputs` (plain)
and `secrets` (sensitive), each a list of names a placeholder can read
(`${resources.db.url}`): letters, digits, `_` and `-`. A name appears once in the whole
contract. `description` is free text. Problems are reported and the contract is kept
with what was valid, so later checks still see the type as contracted.

>>> from orchc.grammar.parse import parse_document
>>> from orchc.grammar.diagnostics import Diagnostics
>>> document, _ = parse_document("a.orch", '''
... resource_type "llm-model" {
...   outputs = ["model", "url"]
...   secrets = ["api-key"]
... }''')
>>> contract = resource_type(document.body[0], "llm-model", Diagnostics(), ir.Tier.USER)
>>> contract.names()
('model', 'url', 'api-key')
"""

from __future__ import annotations

import re

from orchc.compiler import ir
from orchc.grammar.diagnostics import Diagnostics
from orchc.grammar.syntax import Attribute, Block, ListValue, String, Value

from .syntax_checks import Shape, describe, expect_string, first_at, split_body, wrong_kind

USAGE = 'resource_type "<type>" { outputs = ["host"], secrets = ["password"] }'
_OUTPUT_NAME = re.compile(r"[A-Za-z0-9_-]+")


def resource_type(
    block: Block, name: str, diagnostics: Diagnostics, tier: ir.Tier
) -> ir.ResourceType:
    """The contract `block` declares for type `name` (its label, already checked)."""
    where = f"resource_type '{name}'"
    shape = Shape(where, attributes=("description", "outputs", "secrets"))
    attributes = split_body(block, shape, diagnostics).attributes
    description = attributes.get("description")
    seen: dict[str, ir.OutputName] = {}
    return ir.ResourceType(
        span=block.span,
        name=name,
        description=expect_string(description, where, diagnostics) if description else None,
        outputs=_names(attributes.get("outputs"), where, seen, diagnostics),
        secrets=_names(attributes.get("secrets"), where, seen, diagnostics),
        tier=tier,
    )


def _names(
    attribute: Attribute | None,
    where: str,
    seen: dict[str, ir.OutputName],
    diagnostics: Diagnostics,
) -> tuple[ir.OutputName, ...]:
    if attribute is None:
        return ()
    if not isinstance(attribute.value, ListValue):
        expected = f'a list of output names, as in {attribute.name} = ["host", "port"]'
        diagnostics.error(attribute.value.span, wrong_kind(attribute, expected, where))
        return ()
    names: list[ir.OutputName] = []
    for item in attribute.value.items:
        found = _name(item, attribute.name, seen, diagnostics)
        if found is not None:
            seen[found.name] = found
            names.append(found)
    return tuple(names)


def _name(
    item: Value, list_name: str, seen: dict[str, ir.OutputName], diagnostics: Diagnostics
) -> ir.OutputName | None:
    if not isinstance(item, String):
        found = describe(item)
        diagnostics.error(item.span, f"'{list_name}' holds output names (strings), found {found}")
        return None
    if not _OUTPUT_NAME.fullmatch(item.value):
        message = (
            f"invalid output name '{item.value}': use letters, digits, '_' and '-' "
            "(a placeholder reads it as ${resources.NAME.KEY})"
        )
        diagnostics.error(item.span, message)
        return None
    if item.value in seen:
        note = first_at(seen[item.value].span, f"the first '{item.value}'")
        diagnostics.error(item.span, f"output '{item.value}' is listed twice", note)
        return None
    return ir.OutputName(item.span, item.value)
