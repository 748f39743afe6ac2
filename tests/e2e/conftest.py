"""End-to-end fixtures (helpers live in e2e_helpers.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import Project, new_project, postgres_admin


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return new_project(tmp_path)


@pytest.fixture
def postgres_name(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh name for the database and the role a test's `postgres` definition
    creates on the local server (given as both `database` and `username`); both are
    dropped after the test, whatever it left behind."""
    topic = request.path.stem.removeprefix("test_")
    name = f"orchc_{topic}_{uuid.uuid4().hex[:10]}"
    yield name
    with postgres_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'DROP ROLE IF EXISTS "{name}"')
