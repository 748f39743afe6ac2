"""The `>>>` examples in the target modules' docstrings are run as tests."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import orchc.drivers.targets

MODULES = sorted(
    f"orchc.drivers.targets.{info.name}"
    for info in pkgutil.iter_modules(orchc.drivers.targets.__path__)
)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failed == 0
