"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ORCHC_SHARED", ROOT.parent / "shared")).resolve()
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the expected outputs of tests/golden/ from the current behaviour",
    )


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared` beside the checkout: the Score corpus and schema, read in place."""
    if not (SHARED / "score" / "corpus").is_dir():
        pytest.fail(f"the shared Score corpus is missing at {SHARED} (set ORCHC_SHARED)")
    return SHARED


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database of its own on the local server (`orchc_test_<hex>`,
    created through the `postgres` database), dropped afterwards."""
    name = f"orchc_test_{uuid.uuid4().hex}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
