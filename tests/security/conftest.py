"""Security tests: attack inputs against orchc's trust boundaries (docs/security.md).
The end-to-end helpers of tests/e2e drive the real `orchc` command."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))

from e2e_helpers import Project, new_project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return new_project(tmp_path)
