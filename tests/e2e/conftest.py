"""End-to-end fixtures (helpers live in e2e_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_helpers import Project, new_project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return new_project(tmp_path)
