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

A driver may also refuse a key it would otherwise return: the `environment` driver
reads orchc's own environment only for the variables its `process_variables` input
allows (a Score file is untrusted, docs/security.md), so a key it does not allow and
the project's `.env` does not set is an error at the reference, naming the definition
and the input that would allow it. Skipped when the target interpolates the
environment itself (Compose: a container's variables are read at `docker compose up`;
a file, volume source or param reading a variable found nowhere fails the deploy).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from orchc.grammar.diagnostics import Diagnostics
from orchc.grammar.source import Span

from .. import ir
from ..uid import TARGET_UID, ResourceUid
from .check_definitions import DriverCatalog
from .expand import ExpandedResource, Expansion


@dataclass(frozen=True)
class Provided:
    """The outputs a resource provides and who says so, for messages."""

    names: frozenset[str]
    source: str


def check_references(
    expansion: Expansion,
    program: ir.Program,
    drivers: DriverCatalog,
    diagnostics: Diagnostics,
    project_root: Path | None,
) -> None:
    """`project_root` None: the project's files are not at hand, refusals are not checked."""
    _check_provided(expansion, program, drivers, diagnostics)
    if project_root is not None:
        _check_refused(expansion, drivers, diagnostics, project_root)


def _check_provided(
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


def _check_refused(
    expansion: Expansion, drivers: DriverCatalog, diagnostics: Diagnostics, project_root: Path
) -> None:
    if _target_interpolates(expansion, drivers):
        return
    refused = _refused_outputs(expansion, drivers, project_root)
    reported: set[tuple[Span, ResourceUid, str]] = set()
    for reference in expansion.references:
        found = refused.get((reference.target, reference.key))
        if found is None:
            continue
        seen = (reference.span, reference.target, reference.key)
        if seen in reported:
            continue
        reported.add(seen)
        why, how = found
        definition = expansion.resources[reference.target].definition
        diagnostics.error(
            reference.span,
            why,
            f"note: definition '{definition.id}' ({definition.span.location}) serves "
            f"'{reference.target}': {how}",
        )


def _refused_outputs(
    expansion: Expansion, drivers: DriverCatalog, project_root: Path
) -> dict[tuple[ResourceUid, str], tuple[str, str]]:
    """(resource, key) -> (why, how to allow it), for every key a driver refuses."""
    refused: dict[tuple[ResourceUid, str], tuple[str, str]] = {}
    for uid, resource in expansion.resources.items():
        driver = resource.definition.driver
        declaration = drivers.declaration(driver) if driver else None
        if declaration is None:
            continue
        keys = resource.requested_outputs
        for key, found in declaration.refused_outputs(resource.inputs, keys, project_root).items():
            refused[(uid, key)] = found
    return refused


def _target_interpolates(expansion: Expansion, drivers: DriverCatalog) -> bool:
    target = expansion.resources.get(TARGET_UID)
    driver = target.definition.driver if target is not None else None
    declaration = drivers.declaration(driver) if driver else None
    return declaration is not None and declaration.interpolates_environment


def _did_you_mean(key: str, names: frozenset[str]) -> str:
    close = difflib.get_close_matches(key, sorted(names), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""
