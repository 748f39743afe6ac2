"""Each shipped default promises its type's whole contract as far as the plan can tell:
the keys its templates write (what `orchc plan` checks references against) are the
contract's outputs and secrets, exactly. (test_defaults_outputs.py applies each default
and compares what it really returned.)"""

from __future__ import annotations

import pytest

from orchc.cli_defaults import load_defaults
from orchc.compiler import ir
from orchc.drivers.declarations import BUILT_IN

PROGRAM, _ = load_defaults()


def _literal(values: ir.MapValue | None) -> dict[str, object]:
    if values is None:
        return {}
    return {
        e.key: e.value.value if isinstance(e.value, ir.Scalar) else None for e in values.entries
    }


@pytest.mark.parametrize("contract", PROGRAM.resource_types, ids=lambda c: c.name)
def test_every_default_of_a_contracted_type_writes_its_outputs(
    contract: ir.ResourceType,
) -> None:
    served = PROGRAM.definitions_of(contract.name)
    assert served
    for definition in served:
        declaration = BUILT_IN[definition.driver]
        names = declaration.output_names(_literal(definition.inputs), _literal(definition.secrets))
        assert names == frozenset(contract.names()), definition.id
