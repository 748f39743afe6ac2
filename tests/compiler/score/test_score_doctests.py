"""The `>>>` examples in the Score reader's modules run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "orchc.compiler.score.model",
    "orchc.compiler.score.yaml_positions",
    "orchc.compiler.score.messages",
    "orchc.compiler.score.placeholders",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    results = doctest.testmod(importlib.import_module(name))

    assert results.attempted > 0
    assert results.failed == 0
