"""Fixtures shared by the whole suite, and the one place that decides which tests need
the public Score corpus (see `shared_corpus.py`): without it they are deselected and one
line at the end of the run says how many and why."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from shared_corpus import CORPUS, SCHEMAS, SHARED, corpus_available, why_not_run

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
NOT_RUN = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the expected outputs of tests/golden/ from the current behaviour",
    )


def needs_corpus(item: pytest.Item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    return item.get_closest_marker("corpus") is not None or "shared_dir" in fixtures


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if corpus_available():
        return
    if os.environ.get("ORCHC_REQUIRE_CORPUS") == "1":
        raise pytest.UsageError(f"ORCHC_REQUIRE_CORPUS=1 but the Score corpus is not at {CORPUS}")
    not_run = [item for item in items if needs_corpus(item)]
    if not_run:
        config.hook.pytest_deselected(items=not_run)
        items[:] = [item for item in items if not needs_corpus(item)]
    config.stash[NOT_RUN] = len(not_run)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    count = terminalreporter.config.stash.get(NOT_RUN, 0)
    if count:
        terminalreporter.write_line(why_not_run(count), yellow=True)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared` beside the checkout: the Score corpus, read in place. Tests using it
    are not run when it is missing (see `pytest_collection_modifyitems`)."""
    if not corpus_available():
        pytest.fail(f"the shared Score corpus is missing at {SHARED} (set ORCHC_SHARED)")
    return SHARED


@pytest.fixture(scope="session")
def score_schema_dir(shared_dir: Path) -> Path:
    """The official Score schemas, read in place from `../shared/score/schema` (tests
    using them need the shared folder, like the corpus)."""
    return SCHEMAS


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database of its own on the local server (`orchc_test_<hex>`,
    created through the `postgres` database), dropped afterwards. It is copied from
    template0, which nobody can connect to: a concurrent session on template1 (one test
    holds one on purpose) would make a copy of template1 fail."""
    name = f"orchc_test_{uuid.uuid4().hex}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE template0")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
