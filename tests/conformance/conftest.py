"""Fixtures for the conformance suite (see `conformance_cases.py`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conformance_cases import deploy


@pytest.fixture
def generate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], dict[str, Any]]:
    """`generate(case)`: the case deployed by orchc, as Compose resolves it."""
    monkeypatch.chdir(tmp_path)
    return lambda case: deploy(case, tmp_path)
