"""Fixtures for the state-store tests: every behavioural test runs once per backend.

SQLite stores live in `tmp_path`; each PostgreSQL test gets a database of its own
(`postgres_url` in tests/conftest.py), so concurrent runs never see each other's state.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from orchc.compiler.state import StateResource
from orchc.compiler.uid import ResourceUid
from orchc.runtime.state import open_state
from orchc.runtime.state.contract import ResourceRecord
from orchc.runtime.state.sql import SqlStateStore

CHILD = Path(__file__).with_name("state_child.py")

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]


@pytest.fixture(params=BACKENDS)
def state_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return "sqlite:///state/orchc.db"  # relative: under the test's tmp_path
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def open_store(state_url: str, tmp_path: Path) -> Iterator[Callable[[], SqlStateStore]]:
    """Opens as many stores on the test's URL as a test needs; closes them afterwards."""
    opened: list[SqlStateStore] = []

    def open_one() -> SqlStateStore:
        store = open_state(state_url, tmp_path)
        assert isinstance(store, SqlStateStore)
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[[], SqlStateStore]) -> SqlStateStore:
    return open_store()


@dataclass
class Child:
    """A helper process running `state_child.py` against the test's store."""

    process: subprocess.Popen[str]

    def line(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        text = self.process.stdout.readline()
        assert text, f"the child exited early: {self.process.wait()}"
        value: dict[str, Any] = json.loads(text)
        return value

    def send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text)
        self.process.stdin.flush()

    def finish(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.close()
        return self.process.wait(timeout=60)


@pytest.fixture
def spawn(state_url: str, tmp_path: Path) -> Iterator[Callable[..., Child]]:
    """Starts `state_child.py MODE ARGS...` on the test's store; kills leftovers."""
    children: list[Child] = []

    def start(mode: str, *args: str) -> Child:
        command = [sys.executable, str(CHILD), state_url, str(tmp_path), mode, *args]
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        children.append(Child(process))
        return children[-1]

    yield start
    for child in children:
        if child.process.poll() is None:
            child.process.kill()
        child.process.wait(timeout=60)
        for stream in (child.process.stdin, child.process.stdout):
            if stream is not None:
                stream.close()


def resource(uid: str = "postgres.default#checkout.db", **changes: Any) -> StateResource:
    fields: dict[str, Any] = {
        "uid": ResourceUid.parse(uid),
        "definition": "pg-dev",
        "driver": "postgres",
        "source": "platform/db.orch:3",
        "inputs": {"host": "127.0.0.1", "port": 5432, "tags": ["a", "b"]},
        "inputs_digest": "sha256:1111",
        "depends_on": (ResourceUid.parse("target.default#target"),),
        "prevent_destroy": True,
    }
    return StateResource(**{**fields, **changes})


def record(uid: str = "postgres.default#checkout.db", **changes: Any) -> ResourceRecord:
    fields: dict[str, Any] = {
        "resource": resource(uid),
        "outputs": {"host": "127.0.0.1", "port": 5432, "username": "u1"},
        "secrets": {"password": "hunter2", "url": "postgresql://u1:hunter2@127.0.0.1/db"},
        "driver_state": {"password": "hunter2", "created": True},
        "manifests": ({"kind": "ConfigMap", "metadata": {"name": "x"}},),
        "resolved_digest": "sha256:2222",
        "resolved_inputs": {"host": "127.0.0.1", "database": "shop_dev"},
        "resolved_secrets": {"admin_password": "s3cret"},
        "resolved_params": {"size": "small"},
        "resolved_context": {"app": "shop", "env": "dev", "env_type": "development"},
    }
    return ResourceRecord(**{**fields, **changes})


@pytest.fixture
def make_resource() -> Callable[..., StateResource]:
    """`make_resource(uid, **changes)`: a sample resource with `changes` applied."""
    return resource


@pytest.fixture
def make_record() -> Callable[..., ResourceRecord]:
    """`make_record(uid, **changes)`: a sample record, secrets included."""
    return record
