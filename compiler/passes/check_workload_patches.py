"""Check the `patches` of `workload` definitions whose value the plan knows (SPEC §12).

A `static` definition of type `workload` returns its `patches` input as is, so a
malformed patch (an unknown op, a path that is not a JSON pointer, a missing value) is
reported now, at the definition's `patches` line, instead of failing the deploy. Other
drivers compute their patches at apply, where the same rule (`patch_problems`) applies.
"""

from __future__ import annotations

from typing import Any

from orchc.grammar.diagnostics import Diagnostics

from .. import ir
from ..uid import WORKLOAD_TYPE
from ..workload_patches import patch_problems


def check_workload_patches(program: ir.Program, diagnostics: Diagnostics) -> None:
    for definition in program.definitions:
        if definition.type != WORKLOAD_TYPE or definition.driver != "static":
            continue
        entry = _patches_entry(definition)
        if entry is None:
            continue
        for problem in patch_problems(plain(entry.value)):
            diagnostics.error(entry.value.span, f"definition '{definition.id}': {problem}")


def _patches_entry(definition: ir.Definition) -> ir.MapEntry | None:
    inputs = definition.inputs
    return next((e for e in inputs.entries if e.key == "patches"), None) if inputs else None


def plain(value: ir.Value) -> Any:
    """`value` as JSON data; what only apply knows (`env()`) stays a placeholder text."""
    if isinstance(value, ir.ListValue):
        return [plain(item) for item in value.items]
    if isinstance(value, ir.MapValue):
        return {entry.key: plain(entry.value) for entry in value.entries}
    if isinstance(value, ir.EnvRef):
        return f"${{env.{value.name}}}"
    if isinstance(value, ir.FileContent):
        return value.content
    return value.value
