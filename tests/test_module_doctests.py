"""Run the `>>>` examples in every module's docstrings (STYLE: examples are tests)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

# The folders are mapped onto `orchc.*` by the install, so walk each one.
PACKAGES = ("orchc", "orchc.grammar", "orchc.compiler", "orchc.runtime", "orchc.drivers")


def all_modules() -> list[str]:
    names = set(PACKAGES)
    for package in PACKAGES:
        path = importlib.import_module(package).__path__
        names.update(info.name for info in pkgutil.walk_packages(path, prefix=f"{package}."))
    return sorted(names)


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
