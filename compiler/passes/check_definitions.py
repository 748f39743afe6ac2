"""Checks on definitions that do not depend on a deployment context.

Run by `orchc check` and before every plan: each definition names a known driver (a
target driver for type `target`, a resource driver otherwise), every `${...}` in its
values parses, and its `provision` references are well formed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Protocol

from orchc.grammar.diagnostics import Diagnostics

from .. import ir
from ..driver_declarations import DeclaredDriver
from ..evaluate import span_at
from ..placeholders import PlaceholderError, parse_expression, parse_template
from ..uid import TARGET_UID


class DriverCatalog(Protocol):
    """What the compiler needs to know about drivers (implemented by the registry)."""

    def names(self) -> tuple[str, ...]: ...

    def is_target(self, name: str) -> bool: ...

    def replace_inputs(self, name: str) -> frozenset[str]: ...

    def declaration(self, name: str) -> DeclaredDriver | None:
        """What the driver declares about its inputs and outputs, if anything."""
        ...

    def code_inputs(self, name: str) -> frozenset[str]: ...


def check_definitions(
    program: ir.Program, drivers: DriverCatalog, diagnostics: Diagnostics
) -> None:
    known = drivers.names()
    for definition in program.definitions:
        # Shipped defaults are checked by orchc's own tests; checking them here would
        # import every driver they use on every run.
        if definition.tier is ir.Tier.USER:
            _check_driver(definition, known, drivers, diagnostics)
        for value in _strings(definition):
            _check_string(value, diagnostics)
        for provision in definition.provisions:
            _check_provision_ref(provision, diagnostics)


def _check_driver(
    definition: ir.Definition,
    known: tuple[str, ...],
    drivers: DriverCatalog,
    diagnostics: Diagnostics,
) -> None:
    if definition.driver not in known:
        close = difflib.get_close_matches(definition.driver, known, n=1)
        hint = (
            f"did you mean '{close[0]}'?" if close else f"known drivers: {', '.join(sorted(known))}"
        )
        diagnostics.error(
            definition.span,
            f"definition '{definition.id}' uses unknown driver '{definition.driver}'",
            hint,
        )
        return
    _check_code_inputs(definition, drivers.code_inputs(definition.driver), diagnostics)
    is_target_type = definition.type == TARGET_UID.type
    if is_target_type != drivers.is_target(definition.driver):
        wanted = "a target driver" if is_target_type else "a resource driver, not a target driver"
        diagnostics.error(
            definition.span,
            f"definition '{definition.id}' of type '{definition.type}' needs {wanted} "
            f"(got '{definition.driver}')",
        )


def _check_code_inputs(
    definition: ir.Definition, code: frozenset[str], diagnostics: Diagnostics
) -> None:
    """An input the driver runs as code (a `template` driver's templates) takes no
    `${...}`: the substituted value (a Score param, another resource's output) would
    become template source that a developer controls. Templates read values as data."""
    for entry in definition.inputs.entries if definition.inputs is not None else ():
        if entry.key not in code:
            continue
        for value in _strings_in(entry.value):
            placeholder = _first_placeholder(str(value.value))
            if placeholder is not None:
                diagnostics.error(
                    span_at(value, placeholder[0]),
                    f"input '{entry.key}' is a template: '{placeholder[1]}' would be pasted "
                    "into its source; read values as template variables instead "
                    "({{ params.KEY }}, {{ inputs.NAME }}, {{ context.env.id }}) and pass "
                    "other resources' outputs as separate inputs",
                )


def _first_placeholder(text: str) -> tuple[int, str] | None:
    try:
        template = parse_template(text)
    except PlaceholderError:
        return None  # reported by _check_string
    for segment in template:
        if not isinstance(segment, str):
            end = text.find("}", segment.offset)
            return segment.offset, text[segment.offset : end + 1 if end >= 0 else None]
    return None


def _strings_in(value: ir.Value) -> Iterator[ir.Scalar]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, ir.Scalar) and isinstance(item.value, str):
            yield item
        elif isinstance(item, ir.ListValue):
            stack.extend(item.items)
        elif isinstance(item, ir.MapValue):
            stack.extend(entry.value for entry in item.entries)


def _strings(definition: ir.Definition) -> Iterator[ir.Scalar]:
    roots: list[ir.Value | None] = [definition.inputs, definition.secrets]
    roots.extend(p.params for p in definition.provisions)
    for root in roots:
        if root is not None:
            yield from _strings_in(root)


def _check_string(value: ir.Scalar, diagnostics: Diagnostics) -> None:
    try:
        template = parse_template(str(value.value))
    except PlaceholderError as error:
        diagnostics.error(span_at(value, error.offset), error.message)
        return
    for segment in template:
        if not isinstance(segment, str) and segment.root == "env":
            diagnostics.error(
                value.span,
                f"unknown placeholder '${{env.{'.'.join(segment.path)}}}': read environment "
                'variables with env("NAME")',
            )


def _check_provision_ref(provision: ir.Provision, diagnostics: Diagnostics) -> None:
    try:
        parse_expression(f"resources.{provision.ref}.outputs.x")
    except PlaceholderError:
        diagnostics.error(
            provision.span,
            f"malformed resource reference '{provision.ref}' in provision: expected TYPE, "
            "TYPE.CLASS, TYPE#ID or TYPE.CLASS#ID",
        )
