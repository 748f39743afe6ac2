"""A failed create can always be deleted (SPEC §9): the state keeps the inputs of the
last attempted operation, so destroy reaches what the failed create left on the real
PostgreSQL server (here: the role, made before CREATE DATABASE failed)."""

from __future__ import annotations

import psycopg
import pytest
from e2e_helpers import STATIC_DEFINITIONS, Project, postgres_has

DEFINITIONS = (
    STATIC_DEFINITIONS
    + """
definition "pg" {
  type   = "postgres"
  driver = "postgres"
  match {}
  inputs {
    host = "127.0.0.1", port = 5432, admin_user = "postgres", database = "DB", username = "DB"
  }
}
"""
)

SCORE = """
apiVersion: score.dev/v1b1
metadata:
  name: api
containers:
  main:
    image: busybox
    variables:
      PG_URL: ${resources.db.url}
resources:
  db: {type: postgres}
"""

DB = "postgres.default#api.db"


@pytest.mark.services
def test_a_failed_create_is_destroyed_leaving_nothing(project: Project, postgres_name: str) -> None:
    name = postgres_name
    project.write("definitions/platform.orch", DEFINITIONS.replace("DB", name))
    project.write("score.yaml", SCORE)
    # A session on template1 makes CREATE DATABASE fail after the role was made.
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="template1"):
        failed = project.run("apply", "--env", "dev", "--auto-approve", expect=1)
    assert "being accessed by other users" in failed.stderr
    assert postgres_has("role", name) and not postgres_has("database", name)
    listed = project.run("state", "list", "--env", "dev").stdout
    assert f"{DB}\tcreating\t" in listed

    project.run("destroy", "--env", "dev", "--auto-approve")
    assert not postgres_has("role", name)
    assert not postgres_has("database", name)
    assert project.state_uids() == []
