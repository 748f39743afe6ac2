"""The team setup: the state in PostgreSQL (`--state postgresql://...`), shared by two
checkouts of the same project, as two CI machines would."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from e2e_helpers import STATIC_DEFINITIONS, Project, new_project

SCORE = """
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: nginx
    variables:
      CACHE: ${resources.cache.host}
resources:
  cache:
    type: redis
"""

CACHE = """
definition "cache" {
  type   = "redis"
  driver = "static"
  match {}
  inputs { host = "cache" }
}
"""


@pytest.fixture
def state_url() -> Iterator[str]:
    name = f"orchc_e2e_{uuid.uuid4().hex[:12]}"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
        # template0: a concurrent session on template1 would make a copy of it fail.
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(
            "host=127.0.0.1 user=postgres dbname=postgres", autocommit=True
        ) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.services
def test_two_checkouts_share_one_postgresql_state(
    project: Project, tmp_path: Path, state_url: str
) -> None:
    project.write("definitions/platform.orch", STATIC_DEFINITIONS + CACHE)
    project.write("score.yaml", SCORE)
    other = new_project(tmp_path / "other-machine")
    shutil.copytree(project.root, other.root, dirs_exist_ok=True)
    for checkout in (project, other):
        checkout.env["ORCHC_STATE"] = state_url

    project.run("apply", "--env", "dev", "--auto-approve")
    assert other.state_uids() == [
        "redis.default#web.cache",
        "target.default#target",
        "workload.default#web",
    ]
    assert set(other.actions().values()) == {"noop"}
    assert not (project.root / ".orchc" / "state.db").exists()

    other.run("destroy", "--env", "dev", "--auto-approve")
    assert project.state_uids() == []
