"""Run the `>>>` examples in every module's docstrings (STYLE: examples are tests)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest


def all_modules() -> list[str]:
    """`orchc` and every module below it (the stage folders through `orchc/<folder>`)."""
    path = importlib.import_module("orchc").__path__
    return ["orchc", *sorted(info.name for info in pkgutil.walk_packages(path, "orchc."))]


def has_examples(module: ModuleType) -> bool:
    finder = doctest.DocTestFinder()
    return any(test.examples for test in finder.find(module))


@pytest.mark.parametrize("name", all_modules())
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    if not has_examples(module):
        return
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
