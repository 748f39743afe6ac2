"""`check_definitions` skips the shipped defaults at run time (so a plan does not import
every driver they use); this test holds them to the same rules instead."""

from __future__ import annotations

from dataclasses import replace

from orchc.compiler import ir
from orchc.compiler.passes.check_definitions import check_definitions
from orchc.compiler.pipeline import read_defaults
from orchc.drivers.registry import default_registry
from orchc.grammar.diagnostics import Diagnostics, render
from orchc.grammar.source import SourceMap


def test_every_default_uses_a_known_driver_of_the_right_kind() -> None:
    diagnostics = Diagnostics()
    defaults = read_defaults(SourceMap(), diagnostics)
    assert defaults.definitions
    as_user = ir.Program(
        defaults.environments,
        tuple(replace(d, tier=ir.Tier.USER) for d in defaults.definitions),
    )
    check_definitions(as_user, default_registry(), diagnostics)
    assert render(diagnostics) == ""
