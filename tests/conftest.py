"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ORCHC_SHARED", ROOT.parent / "shared")).resolve()


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
