"""Check every output read against what the resource will return (SPEC §11).

Runs on an expansion: each `${resources.NAME.KEY}` of a Score file and each
`${resources.<ref>.outputs.KEY}` of a definition (`Expansion.references`) names an
output of a matched resource. What that resource provides is, in order:

1. what its definition's driver says it returns for these values, when it can tell
   (`static`: its inputs and secrets; `template`: the keys its `outputs`/`secrets`
   templates write; `postgres`, `mysql`, `redis` and the targets: a fixed set);
2. else its type's contract (`resource_type`), when there is one;
3. else nothing is known and the reference is left to apply.

A key outside that set is a located error at the reference (the Score file line or the
.orch line), listing the outputs that exist, so a missing output stops the plan instead
of failing the apply halfway. The driver's own answer comes first because it is exactly
what apply will see: a reference that would work at apply is never refused.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from orchc.grammar.diagnostics import Diagnostics
from orchc.grammar.source import Span

from .. import ir
from ..uid import ResourceUid
from .check_definitions import DriverCatalog
from .expand import ExpandedResource, Expansion


@dataclass(frozen=True)
class Provided:
    """The outputs a resource provides and who says so, for messages."""

    names: frozenset[str]
    source: str


def check_references(
    expansion: Expansion, program: ir.Program, drivers: DriverCatalog, diagnostics: Diagnostics
) -> None:
    reported: set[tuple[Span, ResourceUid, str]] = set()
    known: dict[ResourceUid, Provided | None] = {}
    for reference in expansion.references:
        target = expansion.resources.get(reference.target)
        if target is None:
            continue
        if reference.target not in known:
            known[reference.target] = provided_outputs(target, program, drivers)
        provided = known[reference.target]
        if provided is None or reference.key in provided.names:
            continue
        seen = (reference.span, reference.target, reference.key)
        if seen in reported:
            continue
        reported.add(seen)
        diagnostics.error(
            reference.span,
            f"resource '{reference.target}' has no output '{reference.key}'"
            + _did_you_mean(reference.key, provided.names),
            f"note: {provided.source}: {', '.join(sorted(provided.names)) or 'no outputs'}",
        )


def provided_outputs(
    resource: ExpandedResource, program: ir.Program, drivers: DriverCatalog
) -> Provided | None:
    """What `resource` is known to return, or None when only apply can tell."""
    definition = resource.definition
    declaration = drivers.declaration(definition.driver) if definition.driver else None
    if declaration is not None:
        names = declaration.output_names(resource.inputs, resource.secrets)
        if names is not None:
            where = f"definition '{definition.id}' ({definition.span.location})"
            return Provided(names, f"{where} with driver '{definition.driver}' returns")
    contract = program.contract(resource.uid.type)
    if contract is not None:
        source = f"the contract of type '{contract.name}' ({contract.span.location}) lists"
        return Provided(frozenset(contract.names()), source)
    return None


def _did_you_mean(key: str, names: frozenset[str]) -> str:
    close = difflib.get_close_matches(key, sorted(names), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""
