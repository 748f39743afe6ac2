"""The find_ambiguities pass: two match blocks that can never be told apart (SPEC §3.3).

>>> from orchc.grammar.source import Span
>>> s = Span("d.orch", 1, 1)
>>> block = ir.MatchBlock(s, (ir.Criterion(s, "env_type", "development"),))
>>> twice = tuple(ir.Definition(s, name, "postgres", "static", matches=(block,)) for name in "ab")
>>> diagnostics = Diagnostics()
>>> find_ambiguities(ir.Program(definitions=twice), diagnostics)
>>> print(*(d.message for d in diagnostics.sorted()))
ambiguous match: definition 'b' and definition 'a' both match type 'postgres' with ...
"""

from __future__ import annotations

from orchc.grammar.diagnostics import Diagnostics

from .. import ir
from ..matching import criteria_key, describe_criteria


def find_ambiguities(program: ir.Program, diagnostics: Diagnostics) -> None:
    """Two blocks of one type and tier that set the same keys to the same values
    (SPEC §3.3). Reported at the later block, naming the earlier one."""
    seen: dict[tuple[object, ...], tuple[ir.Definition, ir.MatchBlock]] = {}
    for definition in program.definitions:
        for block in definition.matches:
            key = (definition.type, definition.tier, criteria_key(block))
            if key not in seen:
                seen[key] = (definition, block)
                continue
            first_definition, first_block = seen[key]
            criteria = describe_criteria(block)
            diagnostics.error(
                block.span,
                f"ambiguous match: definition '{definition.id}' and definition "
                f"'{first_definition.id}' both match type '{definition.type}' with {criteria}",
                f"the other match block is at {first_block.span}",
            )
